package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/problem"
	"github.com/peeredge/peeredge/origin"
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

// Caller is who made an authorized request. With the admin token the
// caller is the admin user (root) when the node keeps accounts, and
// AdminToken is set; with an OAuth access token it is that token's user.
type Caller struct {
	User       origin.User
	AdminToken bool
}

// caller tells who the request's bearer token belongs to: the admin
// token's holder or an OAuth access token's user.
func (a *API) caller(ctx *fasthttp.RequestCtx) (Caller, bool) {
	token, ok := bearer(ctx)
	if !ok {
		return Caller{}, false
	}
	if a.cfg.Tokens.CheckToken(ctx, token) {
		c := Caller{AdminToken: true, User: origin.User{Role: origin.RoleAdministrator}}
		if a.cfg.Accounts != nil {
			if u, err := a.cfg.Accounts.UserByName(ctx, origin.AdminUsername); err == nil {
				c.User = u
			}
		}
		return c, true
	}
	if a.cfg.Accounts == nil {
		return Caller{}, false
	}
	u, err := a.cfg.Accounts.TokenUser(ctx, token)
	if err != nil {
		if !errors.Is(err, origin.ErrBadToken) {
			a.logger.Error("check an access token", "err", err)
		}
		return Caller{}, false
	}
	return Caller{User: u}, true
}

// authorize checks that an administrator calls (the admin bearer token,
// or an OAuth access token of an administrator) and answers 401 or 403
// when not.
func (a *API) authorize(ctx *fasthttp.RequestCtx) bool {
	_, ok := a.authorizeAdmin(ctx)
	return ok
}

// authorizeAdmin is authorize that also tells who calls.
func (a *API) authorizeAdmin(ctx *fasthttp.RequestCtx) (Caller, bool) {
	c, ok := a.caller(ctx)
	switch {
	case !ok:
		a.unauthorized(ctx)
		return Caller{}, false
	case c.User.Role != origin.RoleAdministrator:
		writeProblem(ctx, http.StatusForbidden, "only an administrator may do this")
		return Caller{}, false
	}
	return c, true
}

// unauthorized answers 401 with WWW-Authenticate.
func (a *API) unauthorized(ctx *fasthttp.RequestCtx) {
	ctx.Response.Header.Set(fasthttp.HeaderWWWAuthenticate, `Bearer realm="peeredge"`)
	writeProblem(ctx, http.StatusUnauthorized, "a valid admin bearer token or OAuth access token is required")
}

// tooMany answers 429 with Retry-After: wait, rounded up to seconds.
func (a *API) tooMany(ctx *fasthttp.RequestCtx, wait time.Duration, why string) {
	secs := strconv.Itoa(int(math.Ceil(max(wait, time.Second).Seconds())))
	ctx.Response.Header.Set(fasthttp.HeaderRetryAfter, secs)
	a.refuse(ctx, http.StatusTooManyRequests, why+": try again in "+secs+" seconds")
}

// readBody reads a small request body (readSmallBody), or answers 413,
// 408 or 400 naming what the body is and returns false.
func (a *API) readBody(ctx *fasthttp.RequestCtx, limit int64, what string) ([]byte, bool) {
	body, err := readSmallBody(ctx, limit)
	switch {
	case errors.Is(err, errBodyTooLarge):
		a.refuse(ctx, http.StatusRequestEntityTooLarge, what+" larger than "+strconv.Itoa(int(limit>>10))+" KiB")
	case errors.Is(err, os.ErrDeadlineExceeded):
		a.refuse(ctx, http.StatusRequestTimeout, what+" stalled: no data arrived for too long")
	case err != nil:
		a.refuse(ctx, http.StatusBadRequest, what+" interrupted")
	default:
		return body, true
	}
	return nil, false
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
