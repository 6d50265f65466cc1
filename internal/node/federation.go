package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/edge"
	"github.com/peeredge/peeredge/federation/activitypub"
	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
)

// Catalogue namespaces of federation's state.
const (
	kvActorKeys  = "activitypub-keys"
	kvFollows    = "activitypub-follows"
	kvDeliveries = "deliveries"
)

// federation is the node's ActivityPub side, opened with the catalogue:
// the actors and their keys, the persistent delivery queue, the server
// blocklist, the follows, the local videos' objects and the followed
// instances' videos. Serve adds the inbox and the fan-out (serving).
type federation struct {
	actors     *activitypub.Actors
	deliveries *activitypub.DeliveryQueue
	blocklist  *origin.Blocklist
	follows    *activitypub.Follows
	local      *activitypub.LocalVideoObjects
	remote     *activitypub.RemoteVideoIndex
	fetcher    *activitypub.Fetcher
}

// openFederation builds the federation over the catalogue. The actors'
// keys are made here, at the first start, not on a remote's first
// request; deliveries a previous run left are sent once Serve runs the
// queue.
func (n *Node) openFederation(ctx context.Context) error {
	root, err := n.catalog.UserByName(ctx, origin.AdminUsername)
	if err != nil {
		return fmt.Errorf("federation: the admin user: %w", err)
	}
	bl, err := origin.OpenBlocklist(ctx, n.catalog)
	if err != nil {
		return err
	}
	actors := activitypub.NewActors(catalogDirectory{n.catalog}, activitypub.NewKeyStore(n.catalog.KV(kvActorKeys)), n.urls, root.CreatedAt)
	if err := ensureKeys(ctx, actors, n.catalog, root); err != nil {
		return err
	}
	fetcher := activitypub.NewFetcher(n.cfg.FederationAllowPrivate)
	queue, err := activitypub.NewDeliveryQueue(ctx, activitypub.QueueConfig{
		Store:     n.catalog.KV(kvDeliveries),
		Keys:      actors,
		Blocklist: bl,
		Client:    fetcher.Client(),
		RetryBase: n.cfg.DeliveryRetry,
		UserAgent: "peeredge/" + Version() + " (+" + n.urls.Base() + ")",
		Logger:    n.logger,
	})
	if err != nil {
		return err
	}
	remote, err := activitypub.NewRemoteVideos(activitypub.RemoteVideosConfig{Store: n.catalog, Fetcher: fetcher, Blocklist: bl, Logger: n.logger})
	if err != nil {
		return err
	}
	local, err := n.localVideoObjects()
	if err != nil {
		return err
	}
	scheme := "https"
	if strings.HasPrefix(n.urls.Base(), "http://") {
		scheme = "http" // as PeerTube's REMOTE_SCHEME outside production
	}
	follows := activitypub.NewFollows(activitypub.FollowsConfig{
		Actors:         actors,
		Store:          n.catalog.KV(kvFollows),
		Fetcher:        fetcher,
		Deliver:        queue,
		Remote:         remote,
		ManualApproval: n.cfg.FollowersManualApproval,
		Scheme:         scheme,
		Logger:         n.logger,
	})
	// A blocked host's videos leave the node's lists at once.
	bl.OnBlock = remote.ForgetHost
	n.fed = &federation{actors: actors, deliveries: queue, blocklist: bl, follows: follows, local: local, remote: remote, fetcher: fetcher}
	return nil
}

// serving is the federation's part while the node serves: the inbox and
// the ActivityPub documents, and the fan-out of the local videos' changes.
type serving struct {
	server    *activitypub.Server
	federator *activitypub.Federator
}

func (f *federation) serve(logger *slog.Logger) *serving {
	keyCache := activitypub.NewKeyCache(activitypub.ActorKeyFetcher(f.fetcher), 0, 0)
	inbox := activitypub.NewInbox(activitypub.InboxConfig{
		Verifier:  &activitypub.Verifier{Lookup: keyCache.Lookup, Refresh: keyCache.Refresh},
		Replay:    activitypub.NewReplayGuard(0, 0),
		Blocklist: f.blocklist,
		Follows:   f.follows,
		Remote:    f.remote,
		Logger:    logger,
	})
	return &serving{
		server:    activitypub.NewServer(f.actors, f.follows, inbox, f.local, logger),
		federator: activitypub.NewFederator(f.actors, f.follows, f.local, f.deliveries, origin.AdminUsername),
	}
}

// mounts are the ActivityPub paths for the edge.
func (s *serving) mounts() []edge.Mount {
	var ms []edge.Mount
	for p, h := range s.server.Mounts() {
		ms = append(ms, edge.Mount{Path: p, Handler: h})
	}
	return ms
}

// withVideoCollections sends the local videos' collections, below the
// watch URLs the pages own, to the ActivityPub server.
func (s *serving) withVideoCollections(pages []edge.Mount) []edge.Mount {
	for i, m := range pages {
		if m.Path != layout.PeerTubeWatchPrefix {
			continue
		}
		page := m.Handler
		pages[i].Handler = func(ctx *fasthttp.RequestCtx) {
			if activitypub.IsVideoCollection(string(ctx.Path())) {
				s.server.VideoCollection(ctx)
				return
			}
			page(ctx)
		}
	}
	return pages
}

// run handles the inbox and sends the queued deliveries until ctx is
// done.
func (f *federation) run(ctx context.Context, s *serving) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.deliveries.Run(ctx)
	}()
	s.server.Run(ctx)
	<-done
}

// DeliveryStats are the delivery queue's counters, for the admin.
func (n *Node) DeliveryStats() activitypub.QueueStats { return n.fed.deliveries.Stats() }

func ensureKeys(ctx context.Context, actors *activitypub.Actors, c *origin.Catalog, root origin.User) error {
	account, err := actors.Lookup(ctx, activitypub.KindAccount, root.Username)
	if err != nil {
		return fmt.Errorf("federation: %w", err)
	}
	want := []activitypub.LocalActor{actors.Instance(), account}
	chs, err := c.UserChannels(ctx, root.ID)
	if err != nil {
		return fmt.Errorf("federation: %w", err)
	}
	for _, ch := range chs {
		want = append(want, activitypub.LocalActor{Kind: activitypub.KindChannel, Name: ch.Name})
	}
	for _, a := range want {
		if _, err := actors.Key(a); err != nil {
			return fmt.Errorf("federation: key of %s: %w", a.Name, err)
		}
	}
	return nil
}

// catalogDirectory finds accounts (users) and channels in the catalogue.
type catalogDirectory struct{ c *origin.Catalog }

func (d catalogDirectory) Account(ctx context.Context, name string) (activitypub.LocalActor, error) {
	u, err := d.c.UserByName(ctx, name)
	if errors.Is(err, origin.ErrNotFound) || (err == nil && u.Username != name) {
		return activitypub.LocalActor{}, fmt.Errorf("%w: account %q", activitypub.ErrNoSuchObject, name)
	}
	if err != nil {
		return activitypub.LocalActor{}, err
	}
	return activitypub.LocalActor{Kind: activitypub.KindAccount, Type: "Person", Name: u.Username, DisplayName: u.Username, Published: u.CreatedAt}, nil
}

func (d catalogDirectory) Channel(ctx context.Context, name string) (activitypub.LocalActor, error) {
	ch, err := d.c.Channel(ctx, name)
	// Channel also takes numeric ids: only the name names an actor.
	if errors.Is(err, origin.ErrNotFound) || (err == nil && ch.Name != name) {
		return activitypub.LocalActor{}, fmt.Errorf("%w: channel %q", activitypub.ErrNoSuchObject, name)
	}
	if err != nil {
		return activitypub.LocalActor{}, err
	}
	owner, err := d.c.User(ctx, ch.AccountID)
	if err != nil {
		return activitypub.LocalActor{}, fmt.Errorf("owner of channel %q: %w", name, err)
	}
	return activitypub.LocalActor{Kind: activitypub.KindChannel, Type: "Group", Name: ch.Name, DisplayName: ch.DisplayName,
		Summary: ch.Description, Published: ch.CreatedAt, Owner: owner.Username}, nil
}
