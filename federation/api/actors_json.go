package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/federation/activitypub"
	"github.com/peeredge/peeredge/origin"
)

// accountJSON is PeerTube's Account. What the node does not keep for an
// account answers PeerTube's value for an account that never set it:
// no description (null), no avatars, following nobody (only the instance
// actor follows), never edited (updatedAt is createdAt), and
// hostRedundancyAllowed false (the node does no redundancy).
type accountJSON struct {
	accountSummaryJSON
	Description           *string   `json:"description"`
	FollowingCount        int       `json:"followingCount"`
	FollowersCount        int       `json:"followersCount"`
	HostRedundancyAllowed bool      `json:"hostRedundancyAllowed"`
	CreatedAt             time.Time `json:"createdAt"`
	UpdatedAt             time.Time `json:"updatedAt"`
	UserID                int64     `json:"userId"`
}

// channelJSON is PeerTube's VideoChannel; neutral fields as accountJSON's,
// and a channel never follows anyone in PeerTube either.
type channelJSON struct {
	ID                    int64       `json:"id"`
	Name                  string      `json:"name"`
	DisplayName           string      `json:"displayName"`
	Description           *string     `json:"description"`
	Support               *string     `json:"support"`
	IsLocal               bool        `json:"isLocal"`
	URL                   string      `json:"url"`
	Host                  string      `json:"host"`
	FollowingCount        int         `json:"followingCount"`
	FollowersCount        int         `json:"followersCount"`
	HostRedundancyAllowed bool        `json:"hostRedundancyAllowed"`
	CreatedAt             time.Time   `json:"createdAt"`
	UpdatedAt             time.Time   `json:"updatedAt"`
	Avatars               []string    `json:"avatars"`
	Banners               []string    `json:"banners"`
	OwnerAccount          accountJSON `json:"ownerAccount"`
}

// followerCounts counts the accepted followers of each local actor, by
// actor URL: remote accounts may follow the node's accounts and channels,
// not only its instance actor. Empty without follow machinery.
type followerCounts map[string]int

func (a *API) followerCounts(ctx context.Context) (followerCounts, error) {
	counts := followerCounts{}
	if a.cfg.Follows == nil {
		return counts, nil
	}
	rs, err := a.cfg.Follows.Followers(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("followers: %w", err)
	}
	for _, r := range rs {
		if r.State == activitypub.StateAccepted {
			counts[r.Local]++
		}
	}
	return counts, nil
}

// countsOrProblem is followerCounts, answering 500 when it fails.
func (a *API) countsOrProblem(ctx *fasthttp.RequestCtx) (followerCounts, bool) {
	counts, err := a.followerCounts(ctx)
	if err != nil {
		a.logger.Error("follower counts", "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "catalogue unavailable")
		return nil, false
	}
	return counts, true
}

// nullIfEmpty is PeerTube's null for a text never set.
func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (a *API) account(u origin.User, counts followerCounts) accountJSON {
	sum := a.accountSummary(u)
	return accountJSON{accountSummaryJSON: sum, FollowersCount: counts[sum.URL],
		CreatedAt: u.CreatedAt, UpdatedAt: u.CreatedAt, UserID: u.ID}
}

func (a *API) channel(ch origin.Channel, owner origin.User, counts followerCounts) channelJSON {
	url := a.cfg.URLs.Channel(ch.Name)
	return channelJSON{
		ID: ch.ID, Name: ch.Name, DisplayName: ch.DisplayName,
		Description: nullIfEmpty(ch.Description), Support: nullIfEmpty(ch.Support),
		IsLocal: true, URL: url, Host: a.cfg.URLs.Host(), FollowersCount: counts[url],
		CreatedAt: ch.CreatedAt, UpdatedAt: ch.CreatedAt, Avatars: []string{}, Banners: []string{},
		OwnerAccount: a.account(owner, counts),
	}
}
