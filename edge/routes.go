package edge

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/peeredge/peeredge/internal/problem"
	"github.com/peeredge/peeredge/internal/urls"
)

const uploadPath = "/api/v1/videos/upload"

// Files on disk under the media directory.
const (
	hlsDir      = "streaming-playlists/hls/"
	torrentsDir = "torrents/"
	// WebSeedOnlyDir holds each torrent again without announce URLs, served
	// while P2P is switched off (same info hash: only trackers differ).
	WebSeedOnlyDir = "webseed-only"
)

// uuidLen is the length of a canonical UUID, the prefix of every rendition
// file name ({uuid}-{height}-fragmented.mp4).
const uuidLen = 36

var (
	prefixHLS     = []byte(urls.HLSPrefix)
	prefixWebSeed = []byte(urls.WebSeedPrefix)
	prefixTorrent = []byte(urls.TorrentPrefix)
	prefixAPI     = []byte("/api/")
)

func (s *Server) route(ctx *fasthttp.RequestCtx) {
	path := ctx.Path() // decoded and normalised by fasthttp
	if h, ok := s.cfg.Handlers[string(path)]; ok {
		h(ctx)
		return
	}
	switch {
	case bytes.HasPrefix(path, prefixHLS):
		s.files.Serve(ctx, hlsDir+string(path[len(prefixHLS):]))
	case bytes.HasPrefix(path, prefixWebSeed):
		s.serveWebSeed(ctx, string(path[len(prefixWebSeed):]))
	case bytes.HasPrefix(path, prefixTorrent):
		s.serveTorrent(ctx, string(path[len(prefixTorrent):]))
	case string(path) == uploadPath:
		s.upload(ctx)
	case bytes.HasPrefix(path, prefixAPI):
		s.api(ctx)
	default:
		writeProblem(ctx, http.StatusNotFound, "not found")
	}
}

func (s *Server) serveTorrent(ctx *fasthttp.RequestCtx, name string) {
	if strings.Contains(name, "/") {
		writeProblem(ctx, http.StatusNotFound, "not found")
		return
	}
	if s.cfg.P2PEnabled != nil && !s.cfg.P2PEnabled() {
		// Clients may have cached the full form for a year; the tracker
		// refuses them anyway, and WebSeeds keep working.
		s.files.Serve(ctx, torrentsDir+WebSeedOnlyDir+"/"+name)
		return
	}
	s.files.Serve(ctx, torrentsDir+name)
}

// serveWebSeed maps a WebSeed file name to the rendition file it names:
// {uuid}-{height}-fragmented.mp4 lives in the HLS directory of {uuid}.
func (s *Server) serveWebSeed(ctx *fasthttp.RequestCtx, name string) {
	if len(name) <= uuidLen || name[uuidLen] != '-' || strings.ContainsAny(name, "/\\") {
		writeProblem(ctx, http.StatusNotFound, "not found")
		return
	}
	s.files.Serve(ctx, hlsDir+name[:uuidLen]+"/"+name)
}

func (s *Server) api(ctx *fasthttp.RequestCtx) {
	if s.apiHandler == nil {
		writeProblem(ctx, http.StatusNotFound, "no API on this node")
		return
	}
	// The adaptor reads whole bodies into memory; the read side needs none.
	if !ctx.IsGet() && !ctx.IsHead() {
		ctx.Response.Header.Set("Allow", "GET, HEAD, OPTIONS")
		writeProblem(ctx, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	s.apiHandler(ctx)
}

var writeProblem = problem.WriteFast

// mountAPI adapts the net/http API once; it only ever sees small bodies.
func mountAPI(h http.Handler) fasthttp.RequestHandler {
	if h == nil {
		return nil
	}
	return fasthttpadaptor.NewFastHTTPHandler(h)
}
