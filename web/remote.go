package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
)

// RemoteVideos is the index of followed instances' videos
// (origin.Catalog): lookups, and the list of local and remote videos
// together, newest first.
type RemoteVideos interface {
	RemoteVideo(ctx context.Context, ref string) (origin.RemoteVideo, error)
	Listing(ctx context.Context, start, count int) ([]origin.Listed, int, error)
}

// remoteSources is page data showing followed instances' files: their
// origins join the page's Content-Security-Policy.
type remoteSources interface {
	remoteOrigins() []string
}

// remoteOrigins are the origins a followed video's page loads from: its
// thumbnail's, and with media its playlist's, hash map's and files'.
func remoteOrigins(rv origin.RemoteVideo, media bool) []string {
	urls := []string{rv.Thumbnail}
	if media {
		urls = append(urls, rv.Preview, rv.Master, rv.SegmentsSHA256)
		for _, f := range rv.Files {
			urls = append(urls, f.URL)
		}
	}
	var out []string
	for _, u := range urls {
		if o := originOf(u); u != "" && !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

// remoteCard is a followed video's tile: its thumbnail from its instance,
// marked with the instance's host.
func (w *Web) remoteCard(rv origin.RemoteVideo) videoCard {
	c := videoCard{
		Name: rv.Name, Duration: formatDuration(float64(rv.Duration)),
		Watch: w.cfg.URLs.Local(layout.WatchPath(rv.ShortUUID)), Host: rv.Host,
	}
	if rv.Thumbnail != "" {
		c.Thumbnail = rv.Thumbnail
		c.ThumbnailWidth, c.ThumbnailHeight = layout.ThumbnailWidth, layout.ThumbnailHeight
	}
	return c
}

// remotePlayer plays a followed video from its instance over plain HTTP:
// P2P off and no tracker, because its instance's tracker would refuse the
// swarm hashes this page's player computes (and block the viewer's
// address for minutes), and the node's tracker knows no remote video.
func (w *Web) remotePlayer(rv origin.RemoteVideo) playerData {
	return playerData{
		UUID:           rv.UUID,
		Master:         rv.Master,
		SegmentsSHA256: rv.SegmentsSHA256,
		Trackers:       "[]",
		Config:         w.cfg.URLs.Local(layout.ConfigPath),
		P2P:            "0",
		Built:          w.assets.has(playerScript),
		Script:         w.assetURL(playerScript),
	}
}

func (w *Web) watchRemote(ctx *fasthttp.RequestCtx, rv origin.RemoteVideo) {
	u := w.cfg.URLs
	data := watchPage{
		Video:    w.remoteCard(rv),
		UUID:     rv.UUID,
		Player:   w.remotePlayer(rv),
		Embed:    u.Embed(rv.UUID),
		Privacy:  u.Local(layout.PrivacyPath()),
		Original: rv.APID,
		origins:  remoteOrigins(rv, true),
	}
	for _, f := range rv.Files {
		if f.TorrentURL != "" {
			data.Torrents = append(data.Torrents, torrentLink{Label: strconv.Itoa(f.Height) + "p", URL: f.TorrentURL})
		}
	}
	w.render(ctx, http.StatusOK, "watch", framed, data)
}

func (w *Web) embedRemote(ctx *fasthttp.RequestCtx, rv origin.RemoteVideo) {
	w.render(ctx, http.StatusOK, "embed", embedded, embedPage{
		Video:   w.remoteCard(rv),
		Player:  w.remotePlayer(rv),
		Watch:   w.cfg.URLs.Watch(rv.ShortUUID),
		Privacy: w.cfg.URLs.Base() + layout.PrivacyPath(),
		origins: remoteOrigins(rv, true),
	})
}
