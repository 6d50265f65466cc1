package activitypub

import (
	"context"
	"encoding/json"
	"errors"
)

// ErrNoSuchObject reports an object the node does not have (or does not
// show: not published, private).
var ErrNoSuchObject = errors.New("activitypub: no such object")

// The seams between the inbox (and the follow machinery), the delivery
// queue and the videos, so each can be built and tested on its own. The
// node wires the real ones together (internal/node).

// Delivery is one signed POST of an activity to an inbox.
type Delivery struct {
	// Inbox is the URL the activity is POSTed to.
	Inbox string `json:"inbox"`
	// KeyID names the local actor's key that signs it (actor URL +
	// "#main-key"); the queue finds the private key with its Keys.
	KeyID string `json:"keyId"`
	// Body is the activity, exactly the bytes sent and digested.
	Body json.RawMessage `json:"body"`
}

// Deliverer takes deliveries: once Deliver returned nil the delivery is
// stored and will be attempted until it succeeds or its retries run out,
// across restarts.
type Deliverer interface {
	Deliver(ctx context.Context, d Delivery) error
}

// RemoteVideos keeps the videos of followed instances. The inbox calls it
// with what it verified came from the video's own host.
type RemoteVideos interface {
	// Upsert takes a Video object received whole (Create, Update) from
	// the host that owns its id; raw is its JSON as received.
	Upsert(ctx context.Context, v *Video, raw []byte) error
	// Fetch gets the Video object at id from its own host and upserts it
	// (Announce carries only the id).
	Fetch(ctx context.Context, id string) error
	// Delete removes the video with ActivityPub id id, if kept.
	Delete(ctx context.Context, id string) error
	// Crawl reads an outbox (paged OrderedCollection) and fetches the
	// videos it announces or creates: the older videos of an instance
	// the node just started following.
	Crawl(ctx context.Context, outbox string) error
	// ForgetHost removes every video of host (unfollowed or blocked).
	ForgetHost(ctx context.Context, host string) error
}

// LocalVideos answers the Video objects of the node's own published
// videos (the watch URL's ActivityPub answer, the outbox, Create and
// Update activities).
type LocalVideos interface {
	// VideoObject is the JSON of the Video object (with its @context) of
	// the local published video uuid, or an error wrapping
	// ErrNoSuchObject.
	VideoObject(ctx context.Context, uuid string) (json.RawMessage, error)
	// PublishedUUIDs lists the published local videos' uuids, oldest
	// first, for the outbox.
	PublishedUUIDs(ctx context.Context) ([]string, error)
}

// Blocklist says which hosts the admin blocked: their activities are
// refused and their videos hidden.
type Blocklist interface {
	Blocked(host string) bool
}
