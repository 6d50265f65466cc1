package web

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
)

// Paging of the home page.
const (
	perPage = 24
	// maxPage bounds how far the home page scans the catalogue.
	maxPage = 10000
	// scanBatch is how many catalogue entries one read takes while
	// looking for published videos.
	scanBatch = 100
)

// errorPage is the data of the error template (404, 405, 500…).
type errorPage struct {
	Title   string
	Message string
}

// videoCard is a video as the pages show it.
type videoCard struct {
	Name     string
	Duration string // m:ss or h:mm:ss
	Watch    string // the watch page's local path
	// Thumbnail is the thumbnail's local path; "" for a video without one,
	// which keeps the CSS tile.
	Thumbnail                       string
	ThumbnailWidth, ThumbnailHeight int
	// Host is the instance a followed video comes from; "" for the
	// node's own.
	Host string
}

func (w *Web) card(v origin.Video) videoCard {
	c := videoCard{Name: v.Name, Duration: formatDuration(v.Duration), Watch: w.cfg.URLs.Local(layout.WatchPath(v.ShortUUID))}
	if v.Thumbnail != "" {
		c.Thumbnail = w.cfg.URLs.Local(layout.ThumbnailPath(v.Thumbnail))
		c.ThumbnailWidth, c.ThumbnailHeight = layout.ThumbnailWidth, layout.ThumbnailHeight
	}
	return c
}

type homePage struct {
	Videos       []videoCard
	Page         int
	Prev, Next   string // local paths of the neighbouring pages, if any
	EmptyCatalog bool
	origins      []string // of the followed videos' thumbnails
}

func (h homePage) remoteOrigins() []string { return h.origins }

func (w *Web) home(ctx *fasthttp.RequestCtx) {
	page := 1
	if s := ctx.QueryArgs().Peek("page"); len(s) > 0 {
		n, err := strconv.Atoi(string(s))
		if err != nil || n < 1 || n > maxPage {
			w.render(ctx, http.StatusBadRequest, "error", framed, errorPage{
				Title:   "No such page",
				Message: "The page number must be a whole number from 1 to " + strconv.Itoa(maxPage) + ".",
			})
			return
		}
		page = n
	}
	videos, more, err := w.published(ctx, (page-1)*perPage, perPage)
	if err != nil {
		w.unavailable(ctx, "list videos", err)
		return
	}
	if len(videos) == 0 && page > 1 {
		w.render(ctx, http.StatusNotFound, "error", framed, errorPage{
			Title:   "No such page",
			Message: "There are fewer videos than that; the list starts on the first page.",
		})
		return
	}
	data := homePage{Page: page, EmptyCatalog: len(videos) == 0}
	for _, v := range videos {
		if v.Remote != nil {
			data.Videos = append(data.Videos, w.remoteCard(*v.Remote))
			data.origins = append(data.origins, remoteOrigins(*v.Remote, false)...)
			continue
		}
		data.Videos = append(data.Videos, w.card(*v.Local))
	}
	if page > 1 {
		data.Prev = w.pagePath(page - 1)
	}
	if more {
		data.Next = w.pagePath(page + 1)
	}
	w.render(ctx, http.StatusOK, "home", framed, data)
}

func (w *Web) pagePath(page int) string {
	if page == 1 {
		return w.cfg.URLs.Local(layout.HomePath)
	}
	return w.cfg.URLs.Local(layout.HomePath) + "?page=" + strconv.Itoa(page)
}

// published returns up to count published videos (the node's own and,
// with Remote, followed instances') after skipping skip of them, newest
// first, and whether more follow. The catalogue lists every local video,
// so the ones being transcoded or that failed are passed over here.
func (w *Web) published(ctx *fasthttp.RequestCtx, skip, count int) ([]origin.Listed, bool, error) {
	var out []origin.Listed
	for start := 0; ; start += scanBatch {
		batch, total, err := w.list(ctx, start, scanBatch)
		if err != nil {
			return nil, false, err
		}
		for _, v := range batch {
			switch {
			case v.Local != nil && v.Local.State != origin.StatePublished:
			case skip > 0:
				skip--
			case len(out) == count:
				return out, true, nil
			default:
				out = append(out, v)
			}
		}
		if len(batch) == 0 || start+len(batch) >= total {
			return out, false, nil
		}
	}
}

// list is one batch of the catalogue's videos, remote ones included when
// the node keeps them.
func (w *Web) list(ctx context.Context, start, count int) ([]origin.Listed, int, error) {
	if w.cfg.Remote != nil {
		return w.cfg.Remote.Listing(ctx, start, count)
	}
	videos, total, err := w.cfg.Videos.ListedVideos(ctx, start, count)
	return origin.LocalListing(videos), total, err
}

// playerData is the watch and embed pages' player element (see the
// contract in the package's pages: the player bundle reads these).
type playerData struct {
	UUID           string
	Master         string
	SegmentsSHA256 string
	Trackers       string // JSON array
	Config         string
	Views          string // where to report a view; "" for none (remote videos: their origin counts)
	P2P            string // "1" or "0"
	Built          bool   // dist/player.js is in the binary
	Script         string // its URL
}

type torrentLink struct {
	Label string
	URL   string
}

type watchPage struct {
	Video    videoCard
	UUID     string
	Player   playerData
	Torrents []torrentLink
	Embed    string // the embed's absolute URL, for other sites
	Privacy  string // the about page's privacy section
	// Original is a followed video's page on its instance; "" for the
	// node's own.
	Original string
	origins  []string
}

func (p watchPage) remoteOrigins() []string { return p.origins }

type preparingPage struct {
	Video    videoCard
	Progress string // "42 %" while transcoding, else ""
}

// lookup finds the video a page is about: the node's own, or else a
// followed instance's (remote non-nil); it answers the 404 (or 500)
// itself and reports false when there is none to show.
func (w *Web) lookup(ctx *fasthttp.RequestCtx, ref string) (v origin.Video, remote *origin.RemoteVideo, ok bool) {
	// Pages name videos by shortUUID or uuid: numeric ids would make the
	// catalogue easy to walk.
	if len(ref) != layout.ShortUUIDLen {
		if _, err := layout.CanonicalUUID(ref); err != nil {
			w.notFound(ctx)
			return origin.Video{}, nil, false
		}
	}
	v, err := w.cfg.Videos.Video(ctx, ref)
	if errors.Is(err, origin.ErrNotFound) && w.cfg.Remote != nil {
		rv, rerr := w.cfg.Remote.RemoteVideo(ctx, ref)
		if rerr == nil {
			return origin.Video{}, &rv, true
		}
		if !errors.Is(rerr, origin.ErrNotFound) {
			err = rerr
		}
	}
	switch {
	case errors.Is(err, origin.ErrNotFound):
		w.notFound(ctx)
		return origin.Video{}, nil, false
	case err != nil:
		w.unavailable(ctx, "look a video up", err)
		return origin.Video{}, nil, false
	case v.State == origin.StateTranscodingFailed || v.Visibility() == origin.PrivacyPrivate:
		// Its reason is for the uploader (the API has it); viewers have
		// nothing to watch. A private video is its owner's, whose token
		// the API wants: pages carry none.
		w.notFound(ctx)
		return origin.Video{}, nil, false
	}
	return v, nil, true
}

// watch is the watch page. A video not yet published gets a page saying
// so, with status 200 as PeerTube's watch page has for any video it
// knows (its 404 is for unknown and private videos).
func (w *Web) watch(ctx *fasthttp.RequestCtx, ref string) {
	v, remote, ok := w.playable(ctx, ref, framed)
	if !ok {
		return
	}
	if remote != nil {
		w.watchRemote(ctx, *remote)
		return
	}
	u := w.cfg.URLs
	data := watchPage{
		Video:   w.card(v),
		UUID:    v.UUID,
		Player:  w.player(v, true),
		Embed:   u.Embed(v.UUID),
		Privacy: u.Local(layout.PrivacyPath()),
	}
	for _, r := range v.Renditions {
		data.Torrents = append(data.Torrents, torrentLink{Label: strconv.Itoa(r.Height) + "p", URL: u.Torrent(r.TorrentName)})
	}
	w.render(ctx, http.StatusOK, "watch", framed, data)
}

// playable finds a published video for a player; for one not published
// yet it answers the page saying so, and for none the 404.
func (w *Web) playable(ctx *fasthttp.RequestCtx, ref string, f frame) (origin.Video, *origin.RemoteVideo, bool) {
	v, remote, ok := w.lookup(ctx, ref)
	if ok && remote == nil && v.State != origin.StatePublished {
		w.preparing(ctx, v, f)
		return origin.Video{}, nil, false
	}
	return v, remote, ok
}

func (w *Web) preparing(ctx *fasthttp.RequestCtx, v origin.Video, f frame) {
	data := preparingPage{Video: w.card(v)}
	if v.Transcoding {
		data.Progress = strconv.Itoa(int(math.Floor(v.Progress*100))) + " %"
	}
	w.render(ctx, http.StatusOK, "preparing", f, data)
}

func (w *Web) player(v origin.Video, p2p bool) playerData {
	u := w.cfg.URLs
	trackers, _ := json.Marshal(w.trackers) // a []string always encodes
	d := playerData{
		UUID:           v.UUID,
		Master:         u.MasterPlaylist(v.UUID),
		SegmentsSHA256: u.SegmentsSHA256(v.UUID),
		Trackers:       string(trackers),
		Config:         u.Local(layout.ConfigPath),
		Views:          u.VideoViews(v.UUID),
		P2P:            "1",
		Built:          w.assets.has(playerScript),
		Script:         w.assetURL(playerScript),
	}
	if !p2p {
		d.P2P = "0"
	}
	return d
}

// peerTubeWatch answers PeerTube's watch URL, which is also a video's
// ActivityPub id: ActivityPub clients (Accept: application/activity+json
// or ld+json) get the Video object, browsers a redirect to the watch
// page keeping the query (PeerTube's ?start= and friends).
func (w *Web) peerTubeWatch(ctx *fasthttp.RequestCtx, ref string) {
	ctx.Response.Header.Set(fasthttp.HeaderVary, "Accept")
	if w.cfg.VideoObjects != nil && wantsActivityPub(ctx.Request.Header.Peek(fasthttp.HeaderAccept)) {
		w.videoObject(ctx, ref)
		return
	}
	v, remote, ok := w.lookup(ctx, ref)
	if !ok {
		return
	}
	short := v.ShortUUID
	if remote != nil {
		short = remote.ShortUUID
	}
	target := w.cfg.URLs.Local(layout.WatchPath(short))
	if q := ctx.URI().QueryString(); len(q) > 0 {
		target += "?" + string(q)
	}
	// A path, not fasthttp's Redirect: that would build an absolute URL
	// from the request's Host header, which the client chose.
	ctx.Response.Header.Set(fasthttp.HeaderLocation, target)
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, "no-cache")
	ctx.SetStatusCode(http.StatusFound)
}

// activityContentType is ActivityPub's media type as PeerTube answers it.
const activityContentType = "application/activity+json; charset=utf-8"

// videoObject answers the Video object of a published video, by uuid
// only (an id is a URL with the uuid); anything else is a 404, for
// ActivityPub as for people.
func (w *Web) videoObject(ctx *fasthttp.RequestCtx, ref string) {
	notFound := func() {
		ctx.SetStatusCode(http.StatusNotFound)
		ctx.SetContentType("text/plain; charset=utf-8")
		ctx.SetBodyString("no such video\n")
	}
	uuid, err := layout.CanonicalUUID(ref)
	if err != nil {
		notFound()
		return
	}
	v, err := w.cfg.Videos.Video(ctx, uuid)
	switch {
	case errors.Is(err, origin.ErrNotFound) || (err == nil && (v.State != origin.StatePublished || v.Visibility() == origin.PrivacyPrivate)):
		notFound()
		return
	case err != nil:
		w.logger.Error("web: look a video up", "err", err)
		ctx.Error("the node could not read its videos", http.StatusInternalServerError)
		return
	}
	obj, err := w.cfg.VideoObjects.VideoObject(ctx, v.UUID)
	if err != nil {
		w.logger.Error("web: video object", "video", v.UUID, "err", err)
		ctx.Error("the node could not make the video object", http.StatusInternalServerError)
		return
	}
	ctx.SetStatusCode(http.StatusOK)
	ctx.SetContentType(activityContentType)
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, "no-cache")
	ctx.SetBody(obj)
}

// wantsActivityPub reports whether an Accept header names one of
// ActivityPub's media types (ld+json with any profile: PeerTube and
// Mastodon send the ActivityStreams one, some servers none).
func wantsActivityPub(accept []byte) bool {
	for _, part := range strings.Split(string(accept), ",") {
		mt, _, _ := strings.Cut(part, ";")
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "application/activity+json", "application/ld+json":
			return true
		}
	}
	return false
}

type embedPage struct {
	Video   videoCard
	Player  playerData
	Watch   string // the watch page's absolute URL
	Privacy string // the about page's privacy section, absolute
	origins []string
}

func (p embedPage) remoteOrigins() []string { return p.origins }

// embed is the bare player other sites put in an iframe; ?p2p=0 (or
// false), as PeerTube's embeds take it, turns sharing off.
func (w *Web) embed(ctx *fasthttp.RequestCtx, ref string) {
	v, remote, ok := w.playable(ctx, ref, embedded)
	if !ok {
		return
	}
	if remote != nil {
		w.embedRemote(ctx, *remote)
		return
	}
	p2p := true
	switch string(ctx.QueryArgs().Peek("p2p")) {
	case "0", "false":
		p2p = false
	}
	w.render(ctx, http.StatusOK, "embed", embedded, embedPage{
		Video:   w.card(v),
		Player:  w.player(v, p2p),
		Watch:   w.cfg.URLs.Watch(v.ShortUUID),
		Privacy: w.cfg.URLs.Base() + layout.PrivacyPath(),
	})
}

type contactPage struct {
	Endpoint string
	Script   string
}

func (w *Web) contact(ctx *fasthttp.RequestCtx) {
	w.render(ctx, http.StatusOK, "contact", framed, contactPage{
		Endpoint: w.cfg.URLs.Local(layout.ContactAPIPath),
		Script:   w.assetURL("contact.js"),
	})
}

func (w *Web) notFound(ctx *fasthttp.RequestCtx) {
	w.render(ctx, http.StatusNotFound, "error", framed, errorPage{
		Title:   "Not found",
		Message: "There is nothing at this address: the video may have been removed, or the link is mistyped.",
	})
}

// unavailable answers 500 when the catalogue fails; the error goes to the
// log only.
func (w *Web) unavailable(ctx *fasthttp.RequestCtx, what string, err error) {
	w.logger.Error("web: "+what, "err", err)
	w.render(ctx, http.StatusInternalServerError, "error", framed, errorPage{
		Title:   "Something went wrong",
		Message: "The node could not read its list of videos. Please try again in a moment.",
	})
}

// formatDuration writes seconds as m:ss, or h:mm:ss from an hour on.
func formatDuration(seconds float64) string {
	if seconds < 0 || math.IsNaN(seconds) || math.IsInf(seconds, 0) {
		seconds = 0
	}
	s := int64(math.Round(min(seconds, 1e12)))
	h, m, sec := s/3600, s/60%60, s%60
	two := func(n int64) string {
		if n < 10 {
			return "0" + strconv.FormatInt(n, 10)
		}
		return strconv.FormatInt(n, 10)
	}
	if h > 0 {
		return strconv.FormatInt(h, 10) + ":" + two(m) + ":" + two(sec)
	}
	return strconv.FormatInt(m, 10) + ":" + two(sec)
}
