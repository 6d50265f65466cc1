package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/federation/activitypub"
	"github.com/peeredge/peeredge/internal/layout"
)

// ServerFollows is the follow machinery the server follow endpoints use
// (activitypub.Follows).
type ServerFollows interface {
	// Followers lists the followers of the local actor at local.
	Followers(ctx context.Context, local string) ([]activitypub.FollowRecord, error)
	// Following lists the instances the node follows.
	Following(ctx context.Context) ([]activitypub.FollowRecord, error)
	Follow(ctx context.Context, host string) error
	Unfollow(ctx context.Context, host string) error
	// Decide accepts or rejects a follower of the instance actor, named
	// name@host.
	Decide(ctx context.Context, handle string, accept bool) error
	// RemoveFollower ends a follower's follow (sending it a Reject).
	RemoveFollower(ctx context.Context, handle string) error
}

// maxFollowHosts is PeerTube's limit of hosts in one follow request.
const maxFollowHosts = 100

// Allow headers of the follow endpoints.
const (
	allowFollowing = "GET, HEAD, POST, OPTIONS"
	allowDecide    = "POST, OPTIONS"
)

// routeServerFollows serves PeerTube's server follow endpoints; false when
// path is none of them.
func (a *API) routeServerFollows(ctx *fasthttp.RequestCtx, path string) bool {
	switch {
	case path == layout.ServerFollowersPath:
		if a.method(ctx, allowRead, isRead(ctx)) {
			a.listFollows(ctx, true)
		}
	case path == layout.ServerFollowingPath:
		switch {
		case ctx.IsPost():
			a.followHosts(ctx)
		case a.method(ctx, allowFollowing, isRead(ctx)):
			a.listFollows(ctx, false)
		}
	case strings.HasPrefix(path, layout.ServerFollowingPath+"/"):
		if a.method(ctx, allowDelete, ctx.IsDelete()) {
			a.unfollowHost(ctx, path[len(layout.ServerFollowingPath)+1:])
		}
	case strings.HasPrefix(path, layout.ServerFollowersPath+"/"):
		handle, verb, hasVerb := strings.Cut(path[len(layout.ServerFollowersPath)+1:], "/")
		switch {
		case !hasVerb:
			if a.method(ctx, allowDelete, ctx.IsDelete()) {
				a.answerFollower(ctx, handle, a.cfg.Follows.RemoveFollower)
			}
		case verb == "accept" || verb == "reject":
			if a.method(ctx, allowDecide, ctx.IsPost()) {
				accept := verb == "accept"
				a.answerFollower(ctx, handle, func(ctx context.Context, handle string) error {
					return a.cfg.Follows.Decide(ctx, handle, accept)
				})
			}
		default:
			return false
		}
	default:
		return false
	}
	return true
}

// followActorJSON is PeerTube's Actor in a follow.
type followActorJSON struct {
	ID                    int64     `json:"id"`
	URL                   string    `json:"url"`
	Name                  string    `json:"name"`
	Host                  string    `json:"host"`
	HostRedundancyAllowed *bool     `json:"hostRedundancyAllowed"`
	FollowingCount        int       `json:"followingCount"`
	FollowersCount        int       `json:"followersCount"`
	CreatedAt             time.Time `json:"createdAt"`
	UpdatedAt             time.Time `json:"updatedAt"`
	Avatars               []string  `json:"avatars"`
	Banners               []string  `json:"banners"`
}

// followJSON is PeerTube's ActorFollow.
type followJSON struct {
	ID        int64           `json:"id"`
	Follower  followActorJSON `json:"follower"`
	Following followActorJSON `json:"following"`
	Score     int             `json:"score"`
	State     string          `json:"state"`
	CreatedAt time.Time       `json:"createdAt"`
	UpdatedAt time.Time       `json:"updatedAt"`
}

// listFollows answers GET /api/v1/server/followers (the instance actor's
// followers) or /following (the instances it follows): public, paged by
// start and count, filtered by state, newest first unless sort=createdAt.
func (a *API) listFollows(ctx *fasthttp.RequestCtx, followers bool) {
	q := ctx.QueryArgs()
	start, count, ok := pageArgs(ctx)
	if !ok {
		return
	}
	inst := a.cfg.URLs.InstanceActor()
	var rs []activitypub.FollowRecord
	var err error
	if followers {
		rs, err = a.cfg.Follows.Followers(ctx, inst)
	} else {
		rs, err = a.cfg.Follows.Following(ctx)
	}
	if err != nil {
		a.logger.Error("list follows", "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "the follows could not be read")
		return
	}
	if st := string(q.Peek("state")); st != "" {
		rs = slices.DeleteFunc(rs, func(r activitypub.FollowRecord) bool { return string(r.State) != st })
	}
	if string(q.Peek("sort")) != "createdAt" {
		slices.Reverse(rs)
	}
	total := len(rs)
	rs = rs[min(start, total):min(start+count, total)]
	local := followActorJSON{URL: inst, Name: layout.InstanceActorName, Host: a.cfg.URLs.Host(), Avatars: []string{}, Banners: []string{}}
	// The node's own counts are known; a remote actor's stay 0 (PeerTube
	// reads them from the actor's collections, which the node does not
	// fetch for this).
	if local.FollowersCount, local.FollowingCount, err = a.acceptedFollows(ctx, inst); err != nil {
		a.logger.Error("count follows", "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "the follows could not be read")
		return
	}
	data := make([]followJSON, 0, len(rs))
	for _, r := range rs {
		remote := followActorJSON{ID: r.ID, URL: r.Remote, Name: r.Name, Host: r.Host, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
			Avatars: []string{}, Banners: []string{}}
		f := followJSON{ID: r.ID, Follower: remote, Following: local, Score: 20, State: string(r.State), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
		if !followers {
			f.Follower, f.Following = local, remote
		}
		data = append(data, f)
	}
	writeJSON(ctx, http.StatusOK, struct {
		Total int          `json:"total"`
		Data  []followJSON `json:"data"`
	}{total, data})
}

// acceptedFollows counts the accepted followers of the instance actor
// inst and the accepted followings.
func (a *API) acceptedFollows(ctx context.Context, inst string) (followers, following int, err error) {
	counts, err := a.followerCounts(ctx)
	if err != nil {
		return 0, 0, err
	}
	states, err := byState(a.cfg.Follows.Following(ctx))
	if err != nil {
		return 0, 0, err
	}
	return counts[inst], states[string(activitypub.StateAccepted)], nil
}

// pageArgs reads start (default 0) and count (default 15, at most 100),
// PeerTube's paging, or answers 400.
func pageArgs(ctx *fasthttp.RequestCtx) (start, count int, ok bool) {
	start, count = 0, 15
	for _, p := range []struct {
		name string
		v    *int
		max  int
	}{{"start", &start, 1 << 30}, {"count", &count, 100}} {
		raw := ctx.QueryArgs().Peek(p.name)
		if raw == nil {
			continue
		}
		n, err := strconv.Atoi(string(raw))
		if err != nil || n < 0 || n > p.max {
			writeProblem(ctx, http.StatusBadRequest, p.name+" is a number from 0 to "+strconv.Itoa(p.max))
			return 0, 0, false
		}
		*p.v = n
	}
	return start, count, true
}

// followHosts answers POST /api/v1/server/following {"hosts":[…]}: the
// admin's node follows each host's instance actor. It answers 204 once
// every Follow is on its way (PeerTube answers before trying; here an
// unreachable host is told at once, 502).
func (a *API) followHosts(ctx *fasthttp.RequestCtx) {
	if !a.authorize(ctx) {
		return
	}
	body, ok := a.readBody(ctx, 64<<10, "the follow request")
	if !ok {
		return
	}
	var req struct {
		Hosts   []string `json:"hosts"`
		Handles []string `json:"handles"`
	}
	if err := json.Unmarshal(body, &req); err != nil || len(req.Hosts) == 0 || len(req.Hosts) > maxFollowHosts {
		writeProblem(ctx, http.StatusBadRequest, `want {"hosts": ["host", …]} with 1 to 100 hosts`)
		return
	}
	if len(req.Handles) > 0 {
		writeProblem(ctx, http.StatusBadRequest, "this node follows instances (hosts), not channels (handles)")
		return
	}
	for _, h := range req.Hosts {
		if _, err := activitypub.NormalizeHost(h); err != nil {
			writeProblem(ctx, http.StatusBadRequest, "not a host: "+strconv.Quote(h))
			return
		}
	}
	var failed []string
	for _, h := range req.Hosts {
		err := a.cfg.Follows.Follow(ctx, h)
		switch {
		case errors.Is(err, activitypub.ErrOwnHost):
			writeProblem(ctx, http.StatusBadRequest, "a node does not follow itself")
			return
		case err != nil:
			a.logger.Warn("follow a host", "host", h, "err", err)
			failed = append(failed, h)
		}
	}
	if len(failed) > 0 {
		writeProblem(ctx, http.StatusBadGateway, "could not follow "+strings.Join(failed, ", ")+": the host did not answer as a PeerTube instance (see the node's log)")
		return
	}
	ctx.SetStatusCode(http.StatusNoContent)
}

// unfollowHost answers DELETE /api/v1/server/following/{host}.
func (a *API) unfollowHost(ctx *fasthttp.RequestCtx, host string) {
	if !a.authorize(ctx) {
		return
	}
	err := a.cfg.Follows.Unfollow(ctx, host)
	switch {
	case errors.Is(err, activitypub.ErrInvalid):
		writeProblem(ctx, http.StatusBadRequest, "not a host: "+strconv.Quote(host))
	case errors.Is(err, activitypub.ErrNoSuchObject):
		writeProblem(ctx, http.StatusNotFound, "this node does not follow "+strconv.Quote(host))
	case err != nil:
		// The follow is gone; only telling the host failed.
		a.logger.Warn("unfollow a host", "host", host, "err", err)
		ctx.SetStatusCode(http.StatusNoContent)
	default:
		ctx.SetStatusCode(http.StatusNoContent)
	}
}

// answerFollower answers POST /api/v1/server/followers/{handle}/accept|reject
// and DELETE /api/v1/server/followers/{handle} with what do did.
func (a *API) answerFollower(ctx *fasthttp.RequestCtx, handle string, do func(context.Context, string) error) {
	if !a.authorize(ctx) {
		return
	}
	err := do(ctx, handle)
	switch {
	case errors.Is(err, activitypub.ErrNoSuchObject):
		writeProblem(ctx, http.StatusNotFound, "no follower "+strconv.Quote(handle))
	case errors.Is(err, activitypub.ErrInvalid):
		writeProblem(ctx, http.StatusBadRequest, "a follower is named name@host")
	case err != nil:
		a.logger.Error("answer a follower", "handle", handle, "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "could not record the decision")
	default:
		ctx.SetStatusCode(http.StatusNoContent)
	}
}
