package edge

import "github.com/valyala/fasthttp"

// CORS header values. Browsers' P2P loaders (hls.js, WebTorrent) fetch
// segments and WebSeed ranges cross-origin and must read Content-Range and
// friends, which are not CORS-safelisted response headers.
const (
	corsAllowOrigin    = "*"
	corsExposeHeaders  = "Content-Range, Content-Length, ETag, Accept-Ranges"
	corsAllowMethods   = "GET, HEAD, OPTIONS, POST"
	corsAllowHeaders   = "Range, Authorization, Content-Type, If-Range, If-None-Match, If-Modified-Since"
	corsMaxAge         = "86400"
	allowedFileMethods = "GET, HEAD, OPTIONS"
)

// CORS wraps a handler so every response carries
// Access-Control-Allow-Origin: * and exposes the range headers, and answers
// OPTIONS (preflight or not) itself with 204. Headers are added after next
// runs so a handler that resets the response (ctx.Error) does not lose them;
// a value next set itself is kept.
func CORS(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		h := &ctx.Response.Header
		if ctx.IsOptions() {
			h.Set(fasthttp.HeaderAccessControlAllowMethods, corsAllowMethods)
			h.Set(fasthttp.HeaderAccessControlAllowHeaders, corsAllowHeaders)
			h.Set(fasthttp.HeaderAccessControlMaxAge, corsMaxAge)
			h.Set(fasthttp.HeaderAllow, corsAllowMethods)
			ctx.SetStatusCode(fasthttp.StatusNoContent)
		} else {
			next(ctx)
		}
		if len(h.Peek(fasthttp.HeaderAccessControlAllowOrigin)) == 0 {
			h.Set(fasthttp.HeaderAccessControlAllowOrigin, corsAllowOrigin)
		}
		if len(h.Peek(fasthttp.HeaderAccessControlExposeHeaders)) == 0 {
			h.Set(fasthttp.HeaderAccessControlExposeHeaders, corsExposeHeaders)
		}
	}
}
