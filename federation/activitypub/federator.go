package activitypub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Federator tells the followers about the local videos: a new one is
// created by its account and announced by the instance actor (PeerTube's
// instance followers take the Announce, others the Create), an edited one
// updated, a removed one deleted. Everything goes to the accepted
// followers' shared inboxes.
type Federator struct {
	actors  *Actors
	follows *Follows
	local   LocalVideos
	deliver Deliverer
	// account names the account that speaks for a video whose object no
	// longer exists (Delete): the admin's.
	account string
}

// NewFederator fans out through deliver; account is the account deletes
// are sent by.
func NewFederator(actors *Actors, follows *Follows, local LocalVideos, deliver Deliverer, account string) *Federator {
	return &Federator{actors: actors, follows: follows, local: local, deliver: deliver, account: account}
}

// VideoPublished sends Create{Video} from the video's account and
// Announce{video id} from the instance actor.
// Unlisted and private videos are not federated.
func (fd *Federator) VideoPublished(ctx context.Context, uuid string) error {
	obj, owner, err := fd.object(ctx, uuid)
	if errors.Is(err, errNotFederated) || (err == nil && !addressedToPublic(obj)) {
		return nil // private or unlisted
	}
	if err != nil {
		return err
	}
	ownerURL := fd.actors.URL(owner)
	urls := fd.actors.urls
	create := outActivity{Type: TypeCreate, ID: urls.VideoActivity(uuid, "activity"), Actor: ownerURL, Object: obj,
		To: []string{Public}, CC: []string{urls.Followers(ownerURL)}}
	inst := fd.actors.Instance()
	instURL := fd.actors.URL(inst)
	ann := announce(urls.VideoActivity(uuid, "announces/"+string(inst.Kind)+"/"+inst.Name), instURL, urls.VideoObject(uuid), urls.Followers(instURL))
	return errors.Join(fd.broadcast(ctx, owner, create), fd.broadcast(ctx, inst, ann))
}

// VideoUpdated sends Update{Video} from the video's account. A video
// made public is sent the same way (PeerTube and the node take an Update
// of a video they do not have as its creation); one made unlisted or
// private is deleted from the followers' indexes.
func (fd *Federator) VideoUpdated(ctx context.Context, uuid string) error {
	obj, owner, err := fd.object(ctx, uuid)
	if errors.Is(err, errNotFederated) || (err == nil && !addressedToPublic(obj)) {
		return fd.withdraw(ctx, uuid)
	}
	if err != nil {
		return err
	}
	ownerURL := fd.actors.URL(owner)
	urls := fd.actors.urls
	// Each update has its own id: receivers refuse an id seen before.
	id := urls.VideoActivity(uuid, "updates/"+time.Now().UTC().Format(time.RFC3339Nano))
	return fd.broadcast(ctx, owner, outActivity{Type: TypeUpdate, ID: id, Actor: ownerURL, Object: obj,
		To: []string{Public}, CC: []string{urls.Followers(ownerURL)}})
}

// VideoDeleted sends Delete{video id} from the admin's account.
func (fd *Federator) VideoDeleted(ctx context.Context, uuid string) error {
	return fd.sendDelete(ctx, uuid, "delete")
}

// withdraw sends Delete{video id} for a video that stays on the node but
// no longer federates; each has its own id, as a video may be withdrawn,
// published and withdrawn again.
func (fd *Federator) withdraw(ctx context.Context, uuid string) error {
	return fd.sendDelete(ctx, uuid, "withdrawals/"+time.Now().UTC().Format(time.RFC3339Nano))
}

// sendDelete sends Delete{video id} from the admin's account, with the
// activity id named by suffix.
func (fd *Federator) sendDelete(ctx context.Context, uuid, suffix string) error {
	owner, err := fd.actors.Lookup(ctx, KindAccount, fd.account)
	if err != nil {
		return err
	}
	ownerURL := fd.actors.URL(owner)
	urls := fd.actors.urls
	return fd.broadcast(ctx, owner, outActivity{Type: TypeDelete, ID: urls.VideoActivity(uuid, suffix), Actor: ownerURL,
		Object: urls.VideoObject(uuid), To: []string{Public}, CC: []string{urls.Followers(ownerURL)}})
}

// addressedToPublic says whether a Video object is public: PeerTube's
// unlisted ones name no audience.
func addressedToPublic(obj map[string]json.RawMessage) bool {
	var to Refs
	_ = json.Unmarshal(obj["to"], &to) // absent: not public
	for _, r := range to {
		if r.ID == Public {
			return true
		}
	}
	return false
}

// object is the video's object without its @context (the activity
// carries one) and the local account it is attributed to.
func (fd *Federator) object(ctx context.Context, uuid string) (map[string]json.RawMessage, LocalActor, error) {
	if fd.local == nil {
		return nil, LocalActor{}, fmt.Errorf("%w: no local videos", ErrNoSuchObject)
	}
	raw, err := fd.local.VideoObject(ctx, uuid)
	if err != nil {
		return nil, LocalActor{}, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, LocalActor{}, fmt.Errorf("activitypub: video object of %s: %w", uuid, err)
	}
	delete(obj, "@context")
	var attributed Refs
	_ = json.Unmarshal(obj["attributedTo"], &attributed) // absent or odd: the default account speaks
	for _, r := range attributed {
		if a, err := fd.actors.Resolve(ctx, r.ID); err == nil && a.Kind == KindAccount {
			return obj, a, nil
		}
	}
	a, err := fd.actors.Lookup(ctx, KindAccount, fd.account)
	return obj, a, err
}

// broadcast delivers act, signed by a, to every accepted follower's
// shared inbox.
func (fd *Federator) broadcast(ctx context.Context, a LocalActor, act outActivity) error {
	inboxes, err := fd.follows.FollowerInboxes(ctx)
	if err != nil {
		return err
	}
	body, err := act.encode()
	if err != nil {
		return err
	}
	keyID := fd.actors.KeyID(a)
	var errs []error
	for _, inbox := range inboxes {
		if err := fd.deliver.Deliver(ctx, Delivery{Inbox: inbox, KeyID: keyID, Body: body}); err != nil {
			errs = append(errs, fmt.Errorf("activitypub: delivering %s to %s: %w", act.Type, inbox, err))
		}
	}
	return errors.Join(errs...)
}
