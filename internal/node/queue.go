package node

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"

	"github.com/peeredge/peeredge/federation/activitypub"
	"github.com/peeredge/peeredge/origin"
)

// deliveriesNS is the catalogue KV namespace of the delivery queue.
const deliveriesNS = "deliveries"

// federation is what the node keeps of ActivityPub between Open and
// Serve: the persistent delivery queue (run while serving) and the
// server blocklist (read by the inbox, managed through the API).
type federation struct {
	deliveries *activitypub.DeliveryQueue
	blocklist  *origin.Blocklist
}

// openFederation opens the blocklist and the delivery queue over the
// catalogue; keys signs the deliveries. Deliveries a previous run left
// are sent once Serve runs the queue.
func (n *Node) openFederation(ctx context.Context, keys activitypub.Keys) error {
	bl, err := origin.OpenBlocklist(ctx, n.catalog)
	if err != nil {
		return err
	}
	q, err := activitypub.NewDeliveryQueue(ctx, activitypub.QueueConfig{
		Store:     n.catalog.KV(deliveriesNS),
		Keys:      keys,
		Blocklist: bl,
		Client:    activitypub.NewFetcher(n.cfg.AllowPrivateFederation).Client(),
		UserAgent: "peeredge/" + Version() + " (+" + n.urls.Base() + ")",
		Logger:    n.logger,
	})
	if err != nil {
		return err
	}
	n.fed = federation{deliveries: q, blocklist: bl}
	return nil
}

// Deliverer takes the activities the node sends (a persistent queue).
func (n *Node) Deliverer() activitypub.Deliverer { return n.fed.deliveries }

// DeliveryStats are the delivery queue's counters, for the admin.
func (n *Node) DeliveryStats() activitypub.QueueStats { return n.fed.deliveries.Stats() }

// Blocklist is the server blocklist (an activitypub.Blocklist). Its
// OnBlock is where the node forgets a blocked host's remote videos.
func (n *Node) Blocklist() *origin.Blocklist { return n.fed.blocklist }

// errNoActorKeys: the actors' keys are not wired in yet.
var errNoActorKeys = errors.New("the node's actor keys are not available")

// noActorKeys stands in until the actors' key store is plugged in: a
// delivery then waits (retried with backoff) rather than being lost.
type noActorKeys struct{}

func (noActorKeys) PrivateKey(keyID string) (*rsa.PrivateKey, error) {
	return nil, fmt.Errorf("%w: %s", errNoActorKeys, keyID)
}
