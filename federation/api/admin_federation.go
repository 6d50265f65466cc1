package api

import (
	"context"
	"net/http"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/federation/activitypub"
	"github.com/peeredge/peeredge/internal/layout"
)

// adminFederationPath reports what the node's federation is doing.
const adminFederationPath = layout.AdminPrefix + "federation"

// FederationStats reports the delivery queue's counters (the node's
// activitypub.DeliveryQueue).
type FederationStats interface {
	DeliveryStats() activitypub.QueueStats
}

// federationReport is the admin's view of federation: the deliveries
// waiting, retrying and done since the start, and the follows by state.
type federationReport struct {
	Deliveries activitypub.QueueStats `json:"deliveries"`
	Followers  map[string]int         `json:"followers"`
	Following  map[string]int         `json:"following"`
}

func (a *API) adminFederation(ctx *fasthttp.RequestCtx) {
	if !a.authorize(ctx) {
		return
	}
	rep := federationReport{Deliveries: a.cfg.Federation.DeliveryStats(), Followers: map[string]int{}, Following: map[string]int{}}
	if a.cfg.Follows != nil {
		if err := a.countFollows(ctx, &rep); err != nil {
			a.logger.Error("admin federation report", "err", err)
			writeProblem(ctx, http.StatusInternalServerError, "the follows could not be read")
			return
		}
	}
	writeJSON(ctx, http.StatusOK, rep)
}

func (a *API) countFollows(ctx context.Context, rep *federationReport) (err error) {
	if rep.Followers, err = byState(a.cfg.Follows.Followers(ctx, "")); err != nil {
		return err
	}
	rep.Following, err = byState(a.cfg.Follows.Following(ctx))
	return err
}

// byState counts follow records by state.
func byState(rs []activitypub.FollowRecord, err error) (map[string]int, error) {
	if err != nil {
		return nil, err
	}
	n := map[string]int{}
	for _, r := range rs {
		n[string(r.State)]++
	}
	return n, nil
}
