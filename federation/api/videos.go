package api

import (
	"errors"
	"net/http"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/origin"
)

// videoList is PeerTube's answer of a video list.
type videoList struct {
	Total int         `json:"total"`
	Data  []videoJSON `json:"data"`
}

// listVideos answers GET /api/v1/videos with PeerTube's list options.
func (a *API) listVideos(ctx *fasthttp.RequestCtx) {
	q, ok := a.queryList(ctx)
	if ok {
		a.writeVideoList(ctx, q)
	}
}

// writeVideoList answers one page of the videos q keeps, in PeerTube's
// {total, data} shape.
func (a *API) writeVideoList(ctx *fasthttp.RequestCtx, q origin.ListQuery) {
	byViews := q.Sort == origin.SortViews || q.Sort == origin.SortTrending
	if byViews && a.cfg.Views == nil {
		writeProblem(ctx, http.StatusBadRequest, "this node counts no views")
		return
	}
	if a.cfg.Remote == nil { // without the remote index the list is the node's own videos
		if q.Local != nil && !*q.Local {
			writeJSON(ctx, http.StatusOK, videoList{0, []videoJSON{}})
			return
		}
		local := true
		q.Local = &local
	}
	list := a.cfg.Videos.List
	if a.cfg.Views != nil {
		list = a.cfg.Views.List
	}
	listed, total, err := list(ctx, q)
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
			setDetails(&j, origin.Details{Tags: l.Remote.Tags}, false)
			data = append(data, j)
			continue
		}
		j := listedVideoJSON(*l.Local, a.cfg.URLs, p2p)
		owners.fill(ctx, &j, l.Local.ChannelID)
		data = append(data, j)
	}
	writeJSON(ctx, http.StatusOK, videoList{total, data})
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
	if !a.visible(ctx, ref, v, err) {
		return
	}
	var d *string
	if v.Description != "" {
		d = &v.Description
	}
	writeJSON(ctx, http.StatusOK, struct {
		Description *string `json:"description"`
	}{d})
}

// visible answers 404, 500 or 403 (a private video, to others than its
// owners) for the local video looked up as ref, or says it may be shown.
func (a *API) visible(ctx *fasthttp.RequestCtx, ref string, v origin.Video, err error) bool {
	switch {
	case errors.Is(err, origin.ErrNotFound):
		writeProblem(ctx, http.StatusNotFound, "video not found")
	case err != nil:
		a.logger.Error("get video", "ref", ref, "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "catalogue unavailable")
	case !a.maySee(ctx, v):
		writeProblem(ctx, http.StatusForbidden, "Cannot fetch information of private/internal/blocked video")
	default:
		return true
	}
	return false
}

func (a *API) getVideo(ctx *fasthttp.RequestCtx, ref string) {
	v, err := a.cfg.Videos.Video(ctx, ref)
	if errors.Is(err, origin.ErrNotFound) && a.cfg.Remote != nil {
		rv, rerr := a.cfg.Remote.RemoteVideo(ctx, ref)
		if rerr == nil {
			// The index keeps no details of remote videos but their
			// tags: PeerTube's neutral values.
			j := newRemoteVideoJSON(rv)
			setDetails(&j, origin.Details{Tags: rv.Tags}, true)
			writeJSON(ctx, http.StatusOK, j)
			return
		}
		if !errors.Is(rerr, origin.ErrNotFound) {
			err = rerr
		}
	}
	if !a.visible(ctx, ref, v, err) {
		return
	}
	j := newVideoJSON(v, a.cfg.URLs, a.cfg.P2P.P2PEnabled())
	counts, err := a.followerCounts(ctx)
	if err != nil { // the counts are the least of the answer
		a.logger.Warn("follower counts of a video's owners", "err", err)
	}
	a.ownerCache().fillFull(ctx, &j, v.ChannelID, counts)
	writeJSON(ctx, http.StatusOK, j)
}
