package federation

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/peeredge/peeredge/internal/problem"
	"github.com/peeredge/peeredge/internal/urls"
	"github.com/peeredge/peeredge/origin"
)

// Paging limits, as PeerTube's: count defaults to 15 and is capped at 100.
const (
	defaultCount = 15
	maxCount     = 100
)

// API serves the read side of the REST API under /api/v1/.
type API struct {
	catalog    *origin.Catalog
	urls       urls.URLs
	p2pEnabled func() bool
	logger     *slog.Logger
	mux        *http.ServeMux
}

// NewAPI builds the API over the catalogue. p2pEnabled reports the admin
// switch (nil: always on); while it is off, magnets carry no trackers and
// the server config tells players to stream over plain HTTP.
func NewAPI(catalog *origin.Catalog, u urls.URLs, p2pEnabled func() bool, logger *slog.Logger) *API {
	if logger == nil {
		logger = slog.Default()
	}
	if p2pEnabled == nil {
		p2pEnabled = func() bool { return true }
	}
	a := &API{catalog: catalog, urls: u, p2pEnabled: p2pEnabled, logger: logger, mux: http.NewServeMux()}
	a.mux.HandleFunc("GET /api/v1/config", a.serverConfig)
	a.mux.HandleFunc("GET /api/v1/videos", a.listVideos)
	a.mux.HandleFunc("GET /api/v1/videos/{ref}", a.getVideo)
	a.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such API endpoint")
	})
	return a
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

func (a *API) listVideos(w http.ResponseWriter, r *http.Request) {
	start, err := queryInt(r, "start", 0, 0, 1<<31-1)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	count, err := queryInt(r, "count", defaultCount, 0, maxCount)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	videos, total, err := a.catalog.Videos(r.Context(), start, count)
	if err != nil {
		a.logger.Error("list videos", "err", err)
		writeError(w, http.StatusInternalServerError, "catalogue unavailable")
		return
	}
	data := make([]videoJSON, 0, len(videos))
	for _, v := range videos {
		data = append(data, newVideoJSON(v, a.urls, a.p2pEnabled()))
	}
	writeJSON(w, http.StatusOK, struct {
		Total int         `json:"total"`
		Data  []videoJSON `json:"data"`
	}{total, data})
}

func (a *API) getVideo(w http.ResponseWriter, r *http.Request) {
	v, err := a.catalog.Video(r.Context(), r.PathValue("ref"))
	switch {
	case errors.Is(err, origin.ErrNotFound):
		writeError(w, http.StatusNotFound, "video not found")
		return
	case err != nil:
		a.logger.Error("get video", "ref", r.PathValue("ref"), "err", err)
		writeError(w, http.StatusInternalServerError, "catalogue unavailable")
		return
	}
	writeJSON(w, http.StatusOK, newVideoJSON(v, a.urls, a.p2pEnabled()))
}

// serverConfig is the part of PeerTube's server config players read to
// decide whether to use P2P.
func (a *API) serverConfig(w http.ResponseWriter, r *http.Request) {
	var cfg struct {
		Tracker struct {
			Enabled bool `json:"enabled"`
		} `json:"tracker"`
	}
	cfg.Tracker.Enabled = a.p2pEnabled()
	writeJSON(w, http.StatusOK, cfg)
}

func queryInt(r *http.Request, name string, def, lo, hi int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo {
		return 0, errors.New(name + " must be an integer ≥ " + strconv.Itoa(lo))
	}
	return min(n, hi), nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, detail string) { problem.Write(w, status, detail) }
