package node

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/peeredge/peeredge/edge"
	"github.com/peeredge/peeredge/federation/activitypub"
	"github.com/peeredge/peeredge/origin"
)

// Catalogue namespaces of federation's state.
const (
	kvActorKeys = "activitypub-keys"
	kvFollows   = "activitypub-follows"
)

// nodeFederation is the node's ActivityPub side: its actors and their
// keys, the inbox, the follows and the fan-out of local videos.
type nodeFederation struct {
	actors    *activitypub.Actors
	follows   *activitypub.Follows
	server    *activitypub.Server
	federator *activitypub.Federator
	deliver   *interimDeliverer
}

// startFederation loads (or makes) the actors' keys and builds the
// ActivityPub side; run runs it.
func (n *Node) startFederation(ctx context.Context) (*nodeFederation, error) {
	root, err := n.catalog.UserByName(ctx, origin.AdminUsername)
	if err != nil {
		return nil, fmt.Errorf("federation: the admin user: %w", err)
	}
	keys := activitypub.NewKeyStore(n.catalog.KV(kvActorKeys))
	actors := activitypub.NewActors(catalogDirectory{n.catalog}, keys, n.urls, root.CreatedAt)
	// Keys are made once, at the first start, not on a remote's first
	// request.
	if err := ensureKeys(ctx, actors, n.catalog, root); err != nil {
		return nil, err
	}
	fetcher := activitypub.NewFetcher(n.cfg.FederationAllowPrivate)
	deliver := newInterimDeliverer(actors, fetcher.Client(), n.logger)
	scheme := "https"
	if strings.HasPrefix(n.urls.Base(), "http://") {
		scheme = "http" // as PeerTube's REMOTE_SCHEME outside production
	}
	follows := activitypub.NewFollows(activitypub.FollowsConfig{
		Actors:         actors,
		Store:          n.catalog.KV(kvFollows),
		Fetcher:        fetcher,
		Deliver:        deliver,
		Remote:         nil, // INTERIM: the remote videos' keeper plugs in here (activitypub.RemoteVideos)
		ManualApproval: n.cfg.FollowersManualApproval,
		Scheme:         scheme,
		Logger:         n.logger,
	})
	keyCache := activitypub.NewKeyCache(activitypub.ActorKeyFetcher(fetcher), 0, 0)
	inbox := activitypub.NewInbox(activitypub.InboxConfig{
		Verifier: &activitypub.Verifier{Lookup: keyCache.Lookup, Refresh: keyCache.Refresh},
		Replay:   activitypub.NewReplayGuard(0, 0),
		Follows:  follows,
		Logger:   n.logger,
		// INTERIM: Remote (the remote videos' keeper) and Blocklist plug in here.
	})
	local := interimLocalVideos{n.catalog}
	return &nodeFederation{
		actors:    actors,
		follows:   follows,
		server:    activitypub.NewServer(actors, follows, inbox, local, n.logger),
		federator: activitypub.NewFederator(actors, follows, local, deliver, origin.AdminUsername),
		deliver:   deliver,
	}, nil
}

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

// mounts are the ActivityPub paths for the edge.
func (f *nodeFederation) mounts() []edge.Mount {
	var ms []edge.Mount
	for p, h := range f.server.Mounts() {
		ms = append(ms, edge.Mount{Path: p, Handler: h})
	}
	return ms
}

// run handles the inbox and new followings until ctx is done, then waits
// for the deliveries under way.
func (f *nodeFederation) run(ctx context.Context) {
	f.server.Run(ctx)
	f.deliver.stop()
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

// interimLocalVideos lists the published videos for the outboxes.
// INTERIM: the Video object builder (activitypub.LocalVideos) replaces it;
// until then VideoObject knows no video, so nothing is fanned out.
type interimLocalVideos struct{ c *origin.Catalog }

func (l interimLocalVideos) VideoObject(ctx context.Context, uuid string) (json.RawMessage, error) {
	return nil, fmt.Errorf("%w: video objects are not built yet", activitypub.ErrNoSuchObject)
}

func (l interimLocalVideos) PublishedUUIDs(ctx context.Context) ([]string, error) {
	const page = 100
	var out []string
	for start := 0; ; start += page {
		vs, total, err := l.c.Videos(ctx, start, page)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			if v.State == origin.StatePublished {
				out = append(out, v.UUID)
			}
		}
		if start+page >= total || len(vs) == 0 {
			break
		}
	}
	// Videos lists newest first; the outbox wants oldest first.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// interimDeliverer signs and POSTs each delivery once, in the background,
// with the federation fetcher's guarded client.
// INTERIM: the lead replaces it with the persistent delivery queue (it
// retries, survives restarts and limits each host's concurrency; this
// does none of that).
type interimDeliverer struct {
	keys interface {
		PrivateKey(string) (*rsa.PrivateKey, error)
	}
	client *http.Client
	logger *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newInterimDeliverer(keys interface {
	PrivateKey(string) (*rsa.PrivateKey, error)
}, client *http.Client, logger *slog.Logger) *interimDeliverer {
	ctx, cancel := context.WithCancel(context.Background())
	return &interimDeliverer{keys: keys, client: client, logger: logger, ctx: ctx, cancel: cancel}
}

func (d *interimDeliverer) Deliver(_ context.Context, dl activitypub.Delivery) error {
	key, err := d.keys.PrivateKey(dl.KeyID)
	if err != nil {
		return err
	}
	d.wg.Go(func() {
		ctx, cancel := context.WithTimeout(d.ctx, 30*time.Second)
		defer cancel()
		if err := activitypub.PostDelivery(ctx, d.client, key, dl); err != nil && ctx.Err() == nil {
			d.logger.Warn("activitypub: delivery failed", "inbox", dl.Inbox, "err", err)
		}
	})
	return nil
}

func (d *interimDeliverer) stop() {
	d.cancel()
	d.wg.Wait()
}
