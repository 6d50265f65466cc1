package api

import (
	"errors"
	"net/http"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/origin"
)

// videosSuffix is the path of an account's or a channel's videos below
// its own.
const videosSuffix = "/videos"

// channelVideos answers GET /api/v1/video-channels/{handle}/videos: the
// channel's videos with the list options of GET /api/v1/videos.
func (a *API) channelVideos(ctx *fasthttp.RequestCtx, handle string) {
	q, ok := a.queryList(ctx)
	if !ok {
		return
	}
	name, ok := a.localName(handle)
	var ch origin.Channel
	err := origin.ErrNotFound
	if ok {
		ch, err = a.cfg.Accounts.Channel(ctx, name)
	}
	if err != nil {
		a.ownerNotFound(ctx, "video channel", err)
		return
	}
	q.Channels = channelIDs([]origin.Channel{ch})
	a.writeVideoList(ctx, q)
}

// accountVideos answers GET /api/v1/accounts/{name}/videos: the videos of
// all the account's channels, with the list options of GET /api/v1/videos.
func (a *API) accountVideos(ctx *fasthttp.RequestCtx, handle string) {
	q, ok := a.queryList(ctx)
	if !ok {
		return
	}
	name, ok := a.localName(handle)
	var chans []origin.Channel
	err := origin.ErrNotFound
	if ok {
		var u origin.User
		if u, err = a.cfg.Accounts.UserByName(ctx, name); err == nil {
			chans, err = a.cfg.Accounts.UserChannels(ctx, u.ID)
		}
	}
	if err != nil {
		a.ownerNotFound(ctx, "account", err)
		return
	}
	q.Channels = channelIDs(chans)
	a.writeVideoList(ctx, q)
}

// ownerNotFound answers 404 for an account or channel that is not, or 500.
func (a *API) ownerNotFound(ctx *fasthttp.RequestCtx, what string, err error) {
	if errors.Is(err, origin.ErrNotFound) {
		writeProblem(ctx, http.StatusNotFound, what+" not found")
		return
	}
	a.logger.Error("videos of an owner", "owner", what, "err", err)
	writeProblem(ctx, http.StatusInternalServerError, "catalogue unavailable")
}

// channelIDs are the ids of chans for origin.ListQuery.Channels (never
// nil, so an account without channels lists nothing), with 0 for the
// admin's channel: videos from before channels are its.
func channelIDs(chans []origin.Channel) []int64 {
	ids := []int64{}
	for _, ch := range chans {
		ids = append(ids, ch.ID)
		if ch.Name == origin.AdminChannelName {
			ids = append(ids, 0)
		}
	}
	return ids
}
