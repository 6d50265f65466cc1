package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/problem"
)

// cacheControl is the one caching rule of every API answer (see the
// package doc).
const cacheControl = "no-cache"

// writeJSON sends v as a JSON answer with status.
func writeJSON(ctx *fasthttp.RequestCtx, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeProblem(ctx, http.StatusInternalServerError, "could not encode the answer")
		return
	}
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json; charset=utf-8")
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, cacheControl)
	ctx.SetBody(append(b, '\n'))
}

// writeProblem sends an error answer in PeerTube's problem shape.
func writeProblem(ctx *fasthttp.RequestCtx, status int, detail string) {
	problem.Write(ctx, status, detail)
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, cacheControl)
}

var bearerPrefix = []byte("Bearer ")

// authorize checks the admin bearer token and answers 401 when it fails.
func (a *API) authorize(ctx *fasthttp.RequestCtx) bool {
	token, ok := bytes.CutPrefix(ctx.Request.Header.Peek(fasthttp.HeaderAuthorization), bearerPrefix)
	if ok {
		if token = bytes.TrimSpace(token); len(token) > 0 && a.cfg.Tokens.CheckToken(ctx, string(token)) {
			return true
		}
	}
	ctx.Response.Header.Set(fasthttp.HeaderWWWAuthenticate, `Bearer realm="peeredge"`)
	writeProblem(ctx, http.StatusUnauthorized, "a valid admin bearer token is required")
	return false
}

// errBodyTooLarge is readSmallBody's refusal of a body over its limit.
var errBodyTooLarge = errors.New("request body too large")

// readSmallBody reads a request body of at most limit bytes; the server
// streams bodies, so the limit is ours to enforce.
func readSmallBody(ctx *fasthttp.RequestCtx, limit int64) ([]byte, error) {
	if int64(ctx.Request.Header.ContentLength()) > limit {
		return nil, fmt.Errorf("%w: over %d bytes", errBodyTooLarge, limit)
	}
	b, err := io.ReadAll(io.LimitReader(ctx.RequestBodyStream(), limit+1))
	if err == nil && int64(len(b)) > limit {
		err = fmt.Errorf("%w: over %d bytes", errBodyTooLarge, limit)
	}
	return b, err
}
