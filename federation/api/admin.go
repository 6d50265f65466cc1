package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/origin"
	"github.com/peeredge/peeredge/swarm/seeder"
	"github.com/peeredge/peeredge/swarm/tracker"
)

// adminP2P answers GET (read) and PUT {"enabled":bool} (flip), both with
// the admin bearer token.
func (a *API) adminP2P(ctx *fasthttp.RequestCtx) {
	if !a.authorize(ctx) {
		return
	}
	if !isRead(ctx) {
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
		if err := a.cfg.P2P.SetP2P(ctx, *req.Enabled); err != nil {
			a.logger.Error("admin P2P switch", "err", err)
			if errors.Is(err, origin.ErrNoSpace) {
				writeProblem(ctx, http.StatusInsufficientStorage, "could not save the switch: the node's disk is full")
				return
			}
			writeProblem(ctx, http.StatusInternalServerError, "could not save the switch")
			return
		}
	}
	writeJSON(ctx, http.StatusOK, struct {
		Enabled bool `json:"enabled"`
	}{a.cfg.P2P.P2PEnabled()})
}

// SwarmReport is what the admin sees of the tracker and the seeder.
type SwarmReport struct {
	P2PEnabled  bool                `json:"p2pEnabled"`
	HTTP        tracker.Stats       `json:"http"`
	WebSocket   tracker.SocketStats `json:"webSocket"`
	Seeder      *seeder.Stats       `json:"seeder,omitempty"`      // nil when the node does not seed
	SeederAddrs []string            `json:"seederAddrs,omitempty"` // network://address
}

func (a *API) adminSwarm(ctx *fasthttp.RequestCtx) {
	if !a.authorize(ctx) {
		return
	}
	writeJSON(ctx, http.StatusOK, a.cfg.Swarm.SwarmStats())
}
