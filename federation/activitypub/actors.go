package activitypub

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/peeredge/peeredge/internal/layout"
)

// ActorKind tells accounts (the instance actor and users) from channels.
type ActorKind string

// The kinds of local actors, as their URLs say: /accounts/{name} and
// /video-channels/{name}.
const (
	KindAccount ActorKind = "account"
	KindChannel ActorKind = "channel"
)

// LocalActor is one of the node's actors.
type LocalActor struct {
	Kind ActorKind
	// Type is ActivityPub's: Application (the instance actor), Person
	// (an account), Group (a channel).
	Type        string
	Name        string // preferredUsername, the last part of its URL
	DisplayName string
	Summary     string
	Published   time.Time
	// Owner is the name of a channel's account (its attributedTo).
	Owner string
}

func (a LocalActor) handle() string { return string(a.Kind) + "/" + a.Name }

// Directory finds the node's accounts and channels (the catalogue's users
// and channels in the node). An unknown name is an error wrapping
// ErrNoSuchObject.
type Directory interface {
	Account(ctx context.Context, name string) (LocalActor, error)
	Channel(ctx context.Context, name string) (LocalActor, error)
}

// Actors are the node's ActivityPub actors: the instance actor
// (peertube, an Application), the accounts and the channels, each with
// its key.
type Actors struct {
	dir  Directory
	keys *KeyStore
	urls layout.URLs
	// since is the instance actor's published time.
	since time.Time
}

// NewActors serves the actors of dir with keys from keys; since is when
// the instance began (the instance actor's published).
func NewActors(dir Directory, keys *KeyStore, urls layout.URLs, since time.Time) *Actors {
	return &Actors{dir: dir, keys: keys, urls: urls, since: since.UTC()}
}

// Instance is the instance actor.
func (as *Actors) Instance() LocalActor {
	return LocalActor{Kind: KindAccount, Type: "Application", Name: layout.InstanceActorName, DisplayName: layout.InstanceActorName, Published: as.since}
}

// InstanceURL is the instance actor's URL.
func (as *Actors) InstanceURL() string { return as.urls.InstanceActor() }

// Lookup finds the local actor of kind named name; the instance actor's
// name is its own even if a user took it.
func (as *Actors) Lookup(ctx context.Context, kind ActorKind, name string) (LocalActor, error) {
	switch kind {
	case KindAccount:
		if name == layout.InstanceActorName {
			return as.Instance(), nil
		}
		return as.dir.Account(ctx, name)
	case KindChannel:
		return as.dir.Channel(ctx, name)
	}
	return LocalActor{}, fmt.Errorf("%w: actor kind %q", ErrNoSuchObject, kind)
}

// URL is the actor's URL.
func (as *Actors) URL(a LocalActor) string {
	if a.Kind == KindChannel {
		return as.urls.Channel(a.Name)
	}
	return as.urls.Account(a.Name)
}

// ParseURL reads a local actor's URL (without fragment) back into its
// kind and name; false for any other URL.
func (as *Actors) ParseURL(actorURL string) (ActorKind, string, bool) {
	rest, ok := strings.CutPrefix(actorURL, as.urls.Base())
	if !ok {
		return "", "", false
	}
	for _, k := range []struct {
		prefix string
		kind   ActorKind
	}{{layout.AccountPrefix, KindAccount}, {layout.ChannelPrefix, KindChannel}} {
		if name, ok := strings.CutPrefix(rest, k.prefix); ok && name != "" && !strings.ContainsAny(name, "/?#") {
			return k.kind, name, true
		}
	}
	return "", "", false
}

// Resolve finds the local actor at actorURL.
func (as *Actors) Resolve(ctx context.Context, actorURL string) (LocalActor, error) {
	kind, name, ok := as.ParseURL(actorURL)
	if !ok {
		return LocalActor{}, fmt.Errorf("%w: %q is not a local actor", ErrNoSuchObject, actorURL)
	}
	return as.Lookup(ctx, kind, name)
}

// PrivateKey is the key named keyID (a local actor's URL + "#main-key"):
// what the delivery queue signs with.
func (as *Actors) PrivateKey(keyID string) (*rsa.PrivateKey, error) {
	actorURL, ok := strings.CutSuffix(keyID, layout.KeyFragment)
	if !ok {
		return nil, fmt.Errorf("%w: key id %q", ErrNoSuchObject, keyID)
	}
	// The queue calls this without a context; the lookup reads the
	// catalogue only.
	a, err := as.Resolve(context.Background(), actorURL)
	if err != nil {
		return nil, err
	}
	return as.keys.Key(a.handle())
}

// Key is the actor's key (made the first time).
func (as *Actors) Key(a LocalActor) (*rsa.PrivateKey, error) { return as.keys.Key(a.handle()) }

// KeyID names the actor's key.
func (as *Actors) KeyID(a LocalActor) string { return as.URL(a) + layout.KeyFragment }

// actorContext is PeerTube's actor @context, trimmed to what the fields
// used here need.
var actorContext = []any{
	"https://www.w3.org/ns/activitystreams",
	"https://w3id.org/security/v1",
	map[string]string{"RsaSignature2017": "https://w3id.org/security#RsaSignature2017"},
}

type localActorDoc struct {
	Context           []any         `json:"@context"`
	Type              string        `json:"type"`
	ID                string        `json:"id"`
	Following         string        `json:"following"`
	Followers         string        `json:"followers"`
	Inbox             string        `json:"inbox"`
	Outbox            string        `json:"outbox"`
	PreferredUsername string        `json:"preferredUsername"`
	URL               string        `json:"url"`
	Name              string        `json:"name"`
	Summary           *string       `json:"summary"`
	Endpoints         Endpoints     `json:"endpoints"`
	PublicKey         PublicKey     `json:"publicKey"`
	Published         string        `json:"published"`
	AttributedTo      []attribution `json:"attributedTo,omitempty"`
}

type attribution struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Document is the actor's JSON in PeerTube's shape.
func (as *Actors) Document(a LocalActor) ([]byte, error) {
	key, err := as.Key(a)
	if err != nil {
		return nil, err
	}
	pub, err := PublicKeyPEM(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	id := as.URL(a)
	doc := localActorDoc{
		Context:           actorContext,
		Type:              a.Type,
		ID:                id,
		Following:         as.urls.Following(id),
		Followers:         as.urls.Followers(id),
		Inbox:             as.urls.Inbox(id),
		Outbox:            as.urls.Outbox(id),
		PreferredUsername: a.Name,
		URL:               id,
		Name:              a.DisplayName,
		Endpoints:         Endpoints{SharedInbox: as.urls.SharedInbox()},
		PublicKey:         PublicKey{ID: id + layout.KeyFragment, Owner: id, PublicKeyPem: pub},
		Published:         a.Published.UTC().Format(time.RFC3339Nano),
	}
	if doc.Name == "" {
		doc.Name = a.Name
	}
	if a.Summary != "" {
		doc.Summary = &a.Summary
	}
	if a.Kind == KindChannel && a.Owner != "" {
		doc.AttributedTo = []attribution{{Type: "Person", ID: as.urls.Account(a.Owner)}}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("activitypub: encoding actor: %w", err)
	}
	return b, nil
}

// noSuchObject reports whether err says the object does not exist.
func noSuchObject(err error) bool { return errors.Is(err, ErrNoSuchObject) }
