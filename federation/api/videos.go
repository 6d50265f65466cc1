package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/origin"
)

// Paging limits, as PeerTube's: count defaults to 15 and is capped at 100.
const (
	defaultCount = 15
	maxCount     = 100
)

// queryPage reads PeerTube's start and count paging parameters, or
// answers 400.
func queryPage(ctx *fasthttp.RequestCtx) (start, count int, ok bool) {
	start, err := queryInt(ctx, "start", 0, 0, 1<<31-1)
	if err == nil {
		count, err = queryInt(ctx, "count", defaultCount, 0, maxCount)
	}
	if err != nil {
		writeProblem(ctx, http.StatusBadRequest, err.Error())
		return 0, 0, false
	}
	return start, count, true
}

func (a *API) listVideos(ctx *fasthttp.RequestCtx) {
	start, count, ok := queryPage(ctx)
	if !ok {
		return
	}
	order, byViews, ok := viewSort(ctx)
	if !ok {
		return
	}
	var listed []origin.Listed
	var total int
	var err error
	switch {
	case byViews && a.cfg.Views == nil:
		writeProblem(ctx, http.StatusBadRequest, "this node counts no views")
		return
	case byViews:
		listed, total, err = a.cfg.Views.ListingByViews(ctx, order, start, count)
	default:
		listed, total, err = a.listing(ctx, start, count)
	}
	if err != nil {
		a.logger.Error("list videos", "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "catalogue unavailable")
		return
	}
	p2p := a.cfg.P2P.P2PEnabled()
	owners := a.ownerCache()
	data := make([]videoJSON, 0, len(listed))
	for _, l := range listed {
		if l.Remote != nil {
			j := newRemoteVideoJSON(*l.Remote)
			setDetails(&j, origin.Details{}, false)
			data = append(data, j)
			continue
		}
		j := listedVideoJSON(*l.Local, a.cfg.URLs, p2p)
		owners.fill(ctx, &j, l.Local.ChannelID)
		data = append(data, j)
	}
	writeJSON(ctx, http.StatusOK, struct {
		Total int         `json:"total"`
		Data  []videoJSON `json:"data"`
	}{total, data})
}

// maySee says whether the caller may see v: anyone a public or unlisted
// video, only its owner a private one. Videos are uploaded by the node's
// administrators, who are their owners (PeerTube's admins see all videos).
func (a *API) maySee(ctx *fasthttp.RequestCtx, v origin.Video) bool {
	if v.Visibility() != origin.PrivacyPrivate {
		return true
	}
	c, ok := a.caller(ctx)
	return ok && c.User.Role == origin.RoleAdministrator
}

// videoDescription answers GET /api/v1/videos/{id}/description as
// PeerTube: the whole Markdown source.
func (a *API) videoDescription(ctx *fasthttp.RequestCtx, ref string) {
	v, err := a.cfg.Videos.Video(ctx, ref)
	switch {
	case errors.Is(err, origin.ErrNotFound):
		writeProblem(ctx, http.StatusNotFound, "video not found")
	case err != nil:
		a.logger.Error("get video", "ref", ref, "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "catalogue unavailable")
	case !a.maySee(ctx, v):
		writeProblem(ctx, http.StatusForbidden, "Cannot fetch information of private/internal/blocked video")
	default:
		var d *string
		if v.Description != "" {
			d = &v.Description
		}
		writeJSON(ctx, http.StatusOK, struct {
			Description *string `json:"description"`
		}{d})
	}
}

func (a *API) getVideo(ctx *fasthttp.RequestCtx, ref string) {
	v, err := a.cfg.Videos.Video(ctx, ref)
	if errors.Is(err, origin.ErrNotFound) && a.cfg.Remote != nil {
		rv, rerr := a.cfg.Remote.RemoteVideo(ctx, ref)
		if rerr == nil {
			// The index keeps no details of remote videos: PeerTube's
			// neutral values.
			j := newRemoteVideoJSON(rv)
			setDetails(&j, origin.Details{}, true)
			writeJSON(ctx, http.StatusOK, j)
			return
		}
		if !errors.Is(rerr, origin.ErrNotFound) {
			err = rerr
		}
	}
	switch {
	case errors.Is(err, origin.ErrNotFound):
		writeProblem(ctx, http.StatusNotFound, "video not found")
	case err != nil:
		a.logger.Error("get video", "ref", ref, "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "catalogue unavailable")
	case !a.maySee(ctx, v):
		writeProblem(ctx, http.StatusForbidden, "Cannot fetch information of private/internal/blocked video")
	default:
		j := newVideoJSON(v, a.cfg.URLs, a.cfg.P2P.P2PEnabled())
		a.ownerCache().fill(ctx, &j, v.ChannelID)
		writeJSON(ctx, http.StatusOK, j)
	}
}

// queryInt reads an integer query parameter in [lo, ∞), capped at hi.
func queryInt(ctx *fasthttp.RequestCtx, name string, def, lo, hi int) (int, error) {
	s := ctx.QueryArgs().Peek(name)
	if len(s) == 0 {
		return def, nil
	}
	n, err := strconv.Atoi(string(s))
	if err != nil || n < lo {
		return 0, errors.New(name + " must be an integer ≥ " + strconv.Itoa(lo))
	}
	return min(n, hi), nil
}
