package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
	"github.com/peeredge/peeredge/swarm/tracker"
)

// VideoViews counts local videos' views, and lists videos with every
// sort, by views and trending included (origin.Views).
type VideoViews interface {
	AddView(id int64)
	List(ctx context.Context, q origin.ListQuery) ([]origin.Listed, int, error)
}

// DefaultViewLifetime is how long one client's view of a video keeps it
// from counting again: PeerTube's views.videos.view_expiration.
const DefaultViewLifetime = time.Hour

// maxSeenViews bounds the memory of who viewed what: a few dozen bytes
// each. A flood from more clients than that forgets the oldest first,
// which lets them count again before their lifetime is over.
const maxSeenViews = 1 << 16

// maxViewBody bounds a view request's body ({"currentTime": n, ...}).
const maxViewBody = 4 << 10

// viewsSuffix is the path of a video's views below its own.
const viewsSuffix = layout.ViewsSuffix

// seenKey is one client (an IPv4 address or an IPv6 /64) on one video.
type seenKey struct {
	client netip.Addr
	video  int64
}

// seenViews remembers which client viewed which video, for a lifetime.
// Entries expire in the order they were made, so a queue in that order
// finds the expired ones without scanning.
type seenViews struct {
	lifetime time.Duration
	mu       sync.Mutex
	until    map[seenKey]time.Time
	queue    []seenEntry // oldest first
}

type seenEntry struct {
	key   seenKey
	until time.Time
}

func newSeenViews(lifetime time.Duration) *seenViews {
	return &seenViews{lifetime: lifetime, until: make(map[seenKey]time.Time)}
}

// first reports whether k's view at now is its first within the
// lifetime, and remembers it if so.
func (s *seenViews) first(k seenKey, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.queue) > 0 && (!now.Before(s.queue[0].until) || len(s.until) >= maxSeenViews) {
		s.forgetOldest()
	}
	if until, ok := s.until[k]; ok && now.Before(until) {
		return false
	}
	until := now.Add(s.lifetime)
	s.until[k] = until
	s.queue = append(s.queue, seenEntry{k, until})
	return true
}

// forgetOldest drops the queue's head, and its map entry unless that was
// renewed since.
func (s *seenViews) forgetOldest() {
	e := s.queue[0]
	s.queue[0] = seenEntry{}
	s.queue = s.queue[1:]
	if s.until[e.key].Equal(e.until) {
		delete(s.until, e.key)
	}
}

// viewRequest is PeerTube's VideoView body.
type viewRequest struct {
	CurrentTime json.RawMessage `json:"currentTime"`
	ViewEvent   string          `json:"viewEvent"` // "seek"; read and ignored, as PeerTube 6.3 keeps no watch sections here
}

// errViewTime is the answer to a missing or non-integer currentTime.
var errViewTime = errors.New("currentTime must be an integer number of seconds")

// parseViewTime reads currentTime from a JSON body as PeerTube does: a
// number or a numeric string, which must be an integer.
func parseViewTime(body []byte) (int64, error) {
	var req viewRequest
	if err := json.Unmarshal(bytes.TrimSpace(body), &req); err != nil {
		return 0, errViewTime
	}
	raw := bytes.Trim(req.CurrentTime, `"`)
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return 0, errViewTime
	}
	return n, nil
}

// addView takes PeerTube's POST /api/v1/videos/{id}/views: 204 whether
// or not the view counted (a client's repeated views within the lifetime
// do not), 404 for no such video, 400 for a currentTime that is not an
// integer between 0 and the video's duration. A remote video's views are
// its origin's to count: the node answers 204 and counts nothing.
func (a *API) addView(ctx *fasthttp.RequestCtx, ref string) {
	body, ok := a.readBody(ctx, maxViewBody, "view")
	if !ok {
		return
	}
	var at int64
	var err error
	if bytes.HasPrefix(ctx.Request.Header.ContentType(), []byte("application/x-www-form-urlencoded")) {
		at, err = strconv.ParseInt(string(ctx.PostArgs().Peek("currentTime")), 10, 64)
		if err != nil {
			err = errViewTime
		}
	} else {
		at, err = parseViewTime(body)
	}
	if err != nil {
		writeProblem(ctx, http.StatusBadRequest, err.Error())
		return
	}
	v, err := a.cfg.Videos.Video(ctx, ref)
	var duration int64
	local := err == nil
	switch {
	case local:
		duration = int64(math.Round(v.Duration))
	case errors.Is(err, origin.ErrNotFound) && a.cfg.Remote != nil:
		rv, rerr := a.cfg.Remote.RemoteVideo(ctx, ref)
		duration, err = rv.Duration, rerr
	}
	switch {
	case errors.Is(err, origin.ErrNotFound):
		writeProblem(ctx, http.StatusNotFound, "video not found")
		return
	case err != nil:
		a.logger.Error("view of a video", "ref", ref, "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "catalogue unavailable")
		return
	case at < 0 || at > duration:
		writeProblem(ctx, http.StatusBadRequest, "currentTime "+strconv.FormatInt(at, 10)+
			" is invalid (video duration: "+strconv.FormatInt(duration, 10)+")")
		return
	}
	if local && a.views != nil {
		key := seenKey{tracker.AccountKey(a.clientAddr(ctx)), v.ID}
		if a.views.first(key, time.Now()) {
			a.cfg.Views.AddView(v.ID)
		}
	}
	ctx.SetStatusCode(http.StatusNoContent)
}
