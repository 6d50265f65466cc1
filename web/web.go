package web

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
)

// Videos reads the catalogue (origin.Catalog).
type Videos interface {
	Video(ctx context.Context, ref string) (origin.Video, error)
	// Videos lists every video, newest first, with the total count.
	ListedVideos(ctx context.Context, start, count int) ([]origin.Video, int, error) // public ones only
}

// Privacy is what the about page tells viewers about the tracker: the
// limits the running node applies, never values written into the page.
type Privacy struct {
	// MaxPeers is the most other viewers one request is told of.
	MaxPeers int
	// Rate and Burst are the per-address request budget (per second).
	Rate  float64
	Burst int
	// The alarm: AlarmDistinct different videos asked about from one
	// address within AlarmWindow; AlarmBlock > 0 also refuses the address
	// that long.
	AlarmDistinct int
	AlarmWindow   time.Duration
	AlarmBlock    time.Duration
	// How long the trackers keep a viewer who stopped announcing: browsers
	// (WebSocket) and BitTorrent programs (HTTP); and how often browsers
	// announce.
	SocketPeerTTL  time.Duration
	SocketInterval time.Duration
	PeerTTL        time.Duration
	// Scrape: the tracker tells anyone how many watch a video.
	Scrape bool
}

// VideoObjects answers ActivityPub's form of a published local video
// (federation/activitypub's LocalVideos): the JSON of its Video object.
type VideoObjects interface {
	VideoObject(ctx context.Context, uuid string) (json.RawMessage, error)
}

// Config is what the pages are rendered from. Videos, URLs and P2P are
// required.
type Config struct {
	Videos Videos
	URLs   layout.URLs
	// P2P reports the admin's switch, live.
	P2P     func() bool
	Privacy Privacy
	// Remote, if set, adds the videos of followed instances to the list
	// and the watch pages.
	Remote RemoteVideos
	// VideoObjects, if set, answers PeerTube's watch URL to ActivityPub
	// clients; without it they get the browsers' redirect.
	VideoObjects VideoObjects
	Logger       *slog.Logger
}

// Web serves the pages.
type Web struct {
	cfg    Config
	logger *slog.Logger
	pages  map[string]*template.Template
	assets *assets
	// csp is every page's Content-Security-Policy but its frame-ancestors.
	csp string
	// trackers are the WebSocket trackers players announce to.
	trackers []string
}

//go:embed templates
var templateFS embed.FS

// New parses the templates and hashes the assets.
func New(cfg Config) (*Web, error) {
	if cfg.Videos == nil || cfg.P2P == nil || cfg.URLs.Base() == "" {
		return nil, fmt.Errorf("web: Videos, P2P and URLs are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	a, err := loadAssets()
	if err != nil {
		return nil, err
	}
	w := &Web{cfg: cfg, logger: cfg.Logger, assets: a}
	for _, t := range cfg.URLs.Trackers() {
		if strings.HasPrefix(t, "ws://") || strings.HasPrefix(t, "wss://") {
			w.trackers = append(w.trackers, t)
		}
	}
	w.csp = contentSecurityPolicy(cfg.URLs, w.trackers, nil)
	w.pages, err = parsePages(w.funcs())
	if err != nil {
		return nil, err
	}
	return w, nil
}

// Handler answers every path below the web's mounts (see Mounts).
func (w *Web) Handler(ctx *fasthttp.RequestCtx) {
	path := ctx.Path() // decoded and normalised by fasthttp
	if bytes.HasPrefix(path, []byte(layout.AssetsPrefix)) {
		if w.method(ctx) {
			w.serveAsset(ctx, string(path[len(layout.AssetsPrefix):]))
		}
		return
	}
	if !w.method(ctx) {
		return
	}
	switch p := string(path); {
	case p == layout.HomePath:
		w.home(ctx)
	case p == layout.AboutPath:
		w.about(ctx)
	case p == layout.ContactPath:
		w.contact(ctx)
	case strings.HasPrefix(p, layout.WatchPrefix):
		w.watch(ctx, p[len(layout.WatchPrefix):])
	case strings.HasPrefix(p, layout.PeerTubeWatchPrefix):
		w.peerTubeWatch(ctx, p[len(layout.PeerTubeWatchPrefix):])
	case strings.HasPrefix(p, layout.EmbedPrefix):
		w.embed(ctx, p[len(layout.EmbedPrefix):])
	default:
		w.notFound(ctx)
	}
}

// Mounts are the paths (exact, or prefixes ending in "/") the node mounts
// Handler on.
func Mounts() []string {
	return []string{
		layout.HomePath, layout.AboutPath, layout.ContactPath,
		layout.WatchPrefix, layout.PeerTubeWatchPrefix, layout.EmbedPrefix,
		layout.AssetsPrefix,
	}
}

const allowPages = "GET, HEAD"

// method answers 405 with Allow to anything but GET and HEAD (the edge
// answers OPTIONS itself).
func (w *Web) method(ctx *fasthttp.RequestCtx) bool {
	if ctx.IsGet() || ctx.IsHead() {
		return true
	}
	ctx.Response.Header.Set(fasthttp.HeaderAllow, allowPages)
	w.render(ctx, http.StatusMethodNotAllowed, "error", framed, errorPage{
		Title:   "Method not allowed",
		Message: "This address only answers GET and HEAD.",
	})
	return false
}

// frame says who may show a page in a frame.
type frame bool

const (
	framed   frame = false // only this node's own pages
	embedded frame = true  // any site: the embed is made for it
)

// view is what a page template gets: the page's name (the navigation
// marks the current page) and its data.
type view struct {
	Name string
	D    any
}

// render executes page with data and sends it with the pages' headers.
func (w *Web) render(ctx *fasthttp.RequestCtx, status int, page string, f frame, data any) {
	var buf bytes.Buffer
	if err := w.pages[page].ExecuteTemplate(&buf, "page", view{Name: page, D: data}); err != nil {
		w.logger.Error("web: render page", "page", page, "err", err)
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString("<!doctype html><title>Error</title><p>The page could not be rendered.</p>\n")
	}
	csp := w.csp
	if r, ok := data.(remoteSources); ok {
		if origins := r.remoteOrigins(); len(origins) > 0 {
			csp = contentSecurityPolicy(w.cfg.URLs, w.trackers, origins)
		}
	}
	h := &ctx.Response.Header
	ctx.SetStatusCode(status)
	ctx.SetContentType("text/html; charset=utf-8")
	h.Set(fasthttp.HeaderCacheControl, "no-cache")
	h.Set(fasthttp.HeaderXContentTypeOptions, "nosniff")
	h.Set(fasthttp.HeaderReferrerPolicy, "same-origin")
	if f == embedded {
		h.Set(fasthttp.HeaderContentSecurityPolicy, csp+"; frame-ancestors *")
	} else {
		h.Set(fasthttp.HeaderContentSecurityPolicy, csp+"; frame-ancestors 'self'")
		h.Set(fasthttp.HeaderXFrameOptions, "SAMEORIGIN") // browsers without CSP 2
	}
	ctx.SetBody(buf.Bytes())
}

// contentSecurityPolicy holds the pages to the node: scripts and styles
// from its own assets only (no inline code), media and connections to
// the node (its public URL may name another host than the one a viewer
// typed) and the trackers players announce to. hls.js plays through
// MediaSource, whose blob: URLs media-src must allow, and may run its
// transmuxer in a blob: worker. A page showing followed instances'
// videos also allows their origins (remote: scheme://host[:port]) for
// images, media and connections: their files stay there.
func contentSecurityPolicy(u layout.URLs, trackers, remote []string) string {
	self := "'self' " + originOf(u.Base())
	connect := []string{self}
	for _, t := range trackers {
		connect = append(connect, originOf(t))
	}
	extra := ""
	if len(remote) > 0 {
		extra = " " + strings.Join(remote, " ")
	}
	return strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data:" + extra,
		"media-src " + self + " blob:" + extra,
		"connect-src " + strings.Join(connect, " ") + extra,
		"worker-src 'self' blob:",
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
	}, "; ")
}

// originOf is scheme://host[:port] of an absolute URL.
func originOf(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	host, _, _ := strings.Cut(rest, "/")
	return scheme + "://" + host
}
