package node

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/edge"
	"github.com/peeredge/peeredge/internal/problem"
)

// settingP2P is the catalogue setting behind the admin P2P switch.
const settingP2P = "p2p"

// adminP2PPath is where the admin reads and flips the switch.
const adminP2PPath = "/api/v1/admin/p2p"

// P2PEnabled reports the admin switch: when off, the tracker refuses,
// torrents and magnets carry WebSeeds only, and /api/v1/config tells
// players to stream over plain HTTP.
func (n *Node) P2PEnabled() bool { return n.p2p.Load() }

// SetP2P flips the switch and persists it.
func (n *Node) SetP2P(ctx context.Context, enabled bool) error {
	if err := n.catalog.SetBoolSetting(ctx, settingP2P, enabled); err != nil {
		return fmt.Errorf("persist P2P switch: %w", err)
	}
	n.p2p.Store(enabled)
	if n.tracker != nil {
		n.tracker.SetP2P(enabled)
	}
	n.logger.Warn("P2P switched", "enabled", enabled)
	return nil
}

func (n *Node) loadP2P(ctx context.Context, override *bool) error {
	if override != nil {
		return n.SetP2P(ctx, *override)
	}
	on, err := n.catalog.BoolSetting(ctx, settingP2P, true)
	if err != nil {
		return fmt.Errorf("read P2P switch: %w", err)
	}
	n.p2p.Store(on)
	return nil
}

// handlers are the exact paths the node answers beside the edge's own.
func (n *Node) handlers() map[string]fasthttp.RequestHandler {
	return map[string]fasthttp.RequestHandler{
		adminP2PPath: n.serveAdminP2P,
	}
}

// serveAdminP2P answers GET (read) and PUT {"enabled":bool} (flip), both
// with the admin bearer token.
func (n *Node) serveAdminP2P(ctx *fasthttp.RequestCtx) {
	if !n.authorized(ctx) {
		return
	}
	switch {
	case ctx.IsGet():
	case ctx.IsPut() || ctx.IsPost():
		var req struct {
			Enabled *bool `json:"enabled"`
		}
		body, err := readSmallBody(ctx, 4<<10)
		if err == nil {
			err = json.Unmarshal(body, &req)
		}
		if err != nil || req.Enabled == nil {
			writeProblem(ctx, http.StatusBadRequest, `want a JSON body {"enabled": true|false}`)
			return
		}
		if err := n.SetP2P(ctx, *req.Enabled); err != nil {
			n.logger.Error("admin P2P switch", "err", err)
			writeProblem(ctx, http.StatusInternalServerError, "could not save the switch")
			return
		}
	default:
		ctx.Response.Header.Set("Allow", "GET, PUT, OPTIONS")
		writeProblem(ctx, http.StatusMethodNotAllowed, "use GET or PUT")
		return
	}
	writeJSON(ctx, struct {
		Enabled bool `json:"enabled"`
	}{n.P2PEnabled()})
}

// authorized checks the admin bearer token and answers 401 when it fails.
func (n *Node) authorized(ctx *fasthttp.RequestCtx) bool {
	if token := edge.BearerToken(ctx); token != "" && n.catalog.CheckToken(ctx, token) {
		return true
	}
	ctx.Response.Header.Set(fasthttp.HeaderWWWAuthenticate, `Bearer realm="peeredge"`)
	writeProblem(ctx, http.StatusUnauthorized, "a valid admin bearer token is required")
	return false
}

// readSmallBody reads a request body of at most limit bytes; the server
// streams bodies, so the limit is ours to enforce.
func readSmallBody(ctx *fasthttp.RequestCtx, limit int64) ([]byte, error) {
	if int64(ctx.Request.Header.ContentLength()) > limit {
		return nil, fmt.Errorf("body over %d bytes", limit)
	}
	b, err := io.ReadAll(io.LimitReader(ctx.RequestBodyStream(), limit+1))
	if err == nil && int64(len(b)) > limit {
		err = fmt.Errorf("body over %d bytes", limit)
	}
	return b, err
}

func writeJSON(ctx *fasthttp.RequestCtx, v any) {
	b, _ := json.Marshal(v)
	ctx.SetContentType("application/json; charset=utf-8")
	ctx.Response.Header.Set("Cache-Control", "no-store")
	ctx.SetBody(append(b, '\n'))
}

var writeProblem = problem.WriteFast
