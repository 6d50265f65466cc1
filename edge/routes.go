package edge

import (
	"bytes"
	"net/http"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/internal/problem"
)

var (
	prefixHLS     = []byte(layout.HLSPrefix)
	prefixWebSeed = []byte(layout.WebSeedPrefix)
	prefixTorrent = []byte(layout.TorrentPrefix)
	prefixThumb   = []byte(layout.ThumbnailsPrefix)
	prefixPreview = []byte(layout.PreviewsPrefix)
	prefixDLFile  = []byte(layout.DownloadFilePrefix)
	prefixDLTorr  = []byte(layout.DownloadTorrentPrefix)
)

// route serves the media paths itself (the hot path, checked first) and
// hands every other path to its mount.
func (s *Server) route(ctx *fasthttp.RequestCtx) {
	path := ctx.Path() // decoded and normalised by fasthttp
	switch {
	case bytes.HasPrefix(path, prefixHLS):
		s.files.Serve(ctx, layout.HLSMediaPath(string(path[len(prefixHLS):])))
		return
	case bytes.HasPrefix(path, prefixWebSeed):
		if rel, ok := layout.WebSeedMediaPath(string(path[len(prefixWebSeed):])); ok {
			s.files.Serve(ctx, rel)
			return
		}
	case bytes.HasPrefix(path, prefixTorrent):
		// While P2P is off the same URL answers the WebSeed-only form:
		// clients may have cached the full form for a while, but the
		// tracker refuses them anyway, and WebSeeds keep working.
		p2p := s.cfg.P2PEnabled == nil || s.cfg.P2PEnabled()
		if rel, ok := layout.TorrentMediaPath(string(path[len(prefixTorrent):]), p2p); ok {
			s.files.Serve(ctx, rel)
			return
		}
	case bytes.HasPrefix(path, prefixThumb):
		if rel, ok := layout.ThumbnailMediaPath(string(path[len(prefixThumb):])); ok {
			s.files.Serve(ctx, rel)
			return
		}
	case bytes.HasPrefix(path, prefixPreview):
		if rel, ok := layout.PreviewMediaPath(string(path[len(prefixPreview):])); ok {
			s.files.Serve(ctx, rel)
			return
		}
	case bytes.HasPrefix(path, prefixDLFile):
		name := string(path[len(prefixDLFile):])
		if rel, ok := layout.DownloadFileMediaPath(name); ok {
			s.serveDownload(ctx, rel, name)
			return
		}
	case bytes.HasPrefix(path, prefixDLTorr):
		name := string(path[len(prefixDLTorr):])
		if rel, ok := layout.DownloadTorrentMediaPath(name, s.cfg.P2PEnabled == nil || s.cfg.P2PEnabled()); ok {
			s.serveDownload(ctx, rel, name)
			return
		}
	default:
		if h, ok := s.exact[string(path)]; ok {
			h(ctx)
			return
		}
		for _, m := range s.prefix {
			if bytes.HasPrefix(path, m.prefix) {
				m.handler(ctx)
				return
			}
		}
	}
	problem.Write(ctx, http.StatusNotFound, "not found")
}

// serveDownload serves a media file as an attachment named name (a
// layout name: no quotes or path), which browsers save rather than play.
// Errors keep their problem body without it.
func (s *Server) serveDownload(ctx *fasthttp.RequestCtx, rel, name string) {
	s.files.Serve(ctx, rel)
	if st := ctx.Response.StatusCode(); st == fasthttp.StatusOK || st == fasthttp.StatusPartialContent ||
		st == fasthttp.StatusNotModified {
		ctx.Response.Header.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	}
}
