package activitypub

import (
	"net/http"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/internal/problem"
)

// IsVideoCollection tells whether path (below the PeerTube watch prefix)
// is one of a local video's collections, which VideoCollection answers.
func IsVideoCollection(path string) bool {
	_, _, ok := layout.VideoCollectionRef(strings.TrimPrefix(path, layout.PeerTubeWatchPrefix))
	return ok
}

// VideoCollection answers a local video's likes, dislikes, shares or
// comments: empty collections, as the node takes no ratings nor comments
// (and announces each video once, in the instance actor's outbox).
// PeerTube refuses a video whose likes and dislikes it cannot count.
func (s *Server) VideoCollection(ctx *fasthttp.RequestCtx) {
	ref, kind, ok := layout.VideoCollectionRef(strings.TrimPrefix(string(ctx.Path()), layout.PeerTubeWatchPrefix))
	if !ok {
		problem.Write(ctx, http.StatusNotFound, "not found")
		return
	}
	if !ctx.IsGet() && !ctx.IsHead() {
		ctx.Response.Header.Set(fasthttp.HeaderAllow, "GET, HEAD")
		problem.Write(ctx, http.StatusMethodNotAllowed, "method not allowed; use GET, HEAD")
		return
	}
	page, ok := pageParam(ctx)
	if !ok {
		return
	}
	uuid, err := layout.CanonicalUUID(ref)
	if err != nil || s.local == nil {
		problem.Write(ctx, http.StatusNotFound, "no such video")
		return
	}
	if _, err := s.local.VideoObject(ctx, uuid); err != nil {
		if noSuchObject(err) {
			problem.Write(ctx, http.StatusNotFound, "no such video")
			return
		}
		s.logger.Error("activitypub: look a video up", "ref", ref, "err", err)
		problem.Write(ctx, http.StatusInternalServerError, "the catalogue could not be read")
		return
	}
	body, err := pageOf(s.urls.VideoCollection(uuid, kind), page, 0, nil)
	if err != nil {
		s.logger.Error("activitypub: answer", "path", string(ctx.Path()), "err", err)
		problem.Write(ctx, http.StatusInternalServerError, "could not build the answer")
		return
	}
	writeActivityJSON(ctx, body)
}
