package edge

import (
	"bytes"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/layout"
)

// CORS header values. Browsers' P2P loaders (hls.js, WebTorrent) fetch
// segments and WebSeed ranges cross-origin and must read Content-Range and
// friends, which are not CORS-safelisted response headers. Authorization
// is not among the allowed request headers: what takes it answers no other
// origin (see private).
const (
	corsAllowOrigin    = "*"
	corsExposeHeaders  = "Content-Range, Content-Length, ETag, Accept-Ranges"
	corsAllowMethods   = "GET, HEAD, OPTIONS, POST"
	corsAllowHeaders   = "Range, Content-Type, If-Range, If-None-Match, If-Modified-Since"
	corsMaxAge         = "86400"
	allowedFileMethods = "GET, HEAD, OPTIONS"
)

var (
	adminPrefix = []byte(layout.AdminPrefix)
	uploadPath  = []byte(layout.UploadPath)
)

// CORS wraps a handler so every public response carries
// Access-Control-Allow-Origin: * and exposes the range headers, and answers
// OPTIONS (preflight or not) itself with 204. Headers are added after next
// runs so a handler that resets the response (ctx.Error) does not lose them;
// a value next set itself is kept.
//
// The admin's requests get no CORS at all (see private): a page of another
// site can neither read their answers nor pass a preflight for them.
func CORS(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		h := &ctx.Response.Header
		priv := private(ctx)
		if ctx.IsOptions() {
			h.Set(fasthttp.HeaderAllow, corsAllowMethods)
			ctx.SetStatusCode(fasthttp.StatusNoContent)
			if priv {
				return
			}
			h.Set(fasthttp.HeaderAccessControlAllowMethods, corsAllowMethods)
			h.Set(fasthttp.HeaderAccessControlAllowHeaders, corsAllowHeaders)
			h.Set(fasthttp.HeaderAccessControlMaxAge, corsMaxAge)
		} else {
			next(ctx)
		}
		if priv {
			// The same URL is public without Authorization: a cache must
			// not hand this answer to a request without it.
			if len(ctx.Request.Header.Peek(fasthttp.HeaderAuthorization)) > 0 {
				h.Add(fasthttp.HeaderVary, fasthttp.HeaderAuthorization)
			}
			return
		}
		if len(h.Peek(fasthttp.HeaderAccessControlAllowOrigin)) == 0 {
			h.Set(fasthttp.HeaderAccessControlAllowOrigin, corsAllowOrigin)
		}
		if len(h.Peek(fasthttp.HeaderAccessControlExposeHeaders)) == 0 {
			h.Set(fasthttp.HeaderAccessControlExposeHeaders, corsExposeHeaders)
		}
	}
}

// private tells the admin's requests: the admin endpoints, the upload
// (which takes the admin token) and anything sent with credentials.
func private(ctx *fasthttp.RequestCtx) bool {
	p := ctx.Path()
	return bytes.HasPrefix(p, adminPrefix) || bytes.Equal(p, uploadPath) ||
		len(ctx.Request.Header.Peek(fasthttp.HeaderAuthorization)) > 0
}
