package activitypub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ErrOwnHost refuses following the node itself.
var ErrOwnHost = errors.New("activitypub: that is this node's own host")

// activityContext is the @context of the activities the node sends.
var activityContext = []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"}

// FollowsConfig is what the follow machinery works with.
type FollowsConfig struct {
	Actors  *Actors
	Store   Store
	Fetcher *Fetcher
	Deliver Deliverer
	// Remote keeps the followed instances' videos; nil: none are kept.
	Remote RemoteVideos
	// ManualApproval leaves new followers of the instance actor pending
	// until the admin accepts them (PeerTube's
	// followers.instance.manual_approval); otherwise they are accepted.
	ManualApproval bool
	// Scheme reaches remote hosts: "https", or "http" for a node that
	// itself runs on http (tests, development), as PeerTube's REMOTE_SCHEME.
	Scheme string
	Logger *slog.Logger
}

// Follows keeps who follows the node's actors and whom the instance
// actor follows, and speaks Follow, Accept, Reject and Undo.
type Follows struct {
	cfg   FollowsConfig
	store followStore
	// crawls are the outboxes of newly accepted followings, read by Run.
	crawls chan string
}

// crawlQueue bounds the outboxes waiting to be crawled.
const crawlQueue = 64

// NewFollows makes the follow machinery.
func NewFollows(cfg FollowsConfig) *Follows {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Scheme == "" {
		cfg.Scheme = "https"
	}
	return &Follows{cfg: cfg, store: followStore{store: cfg.Store}, crawls: make(chan string, crawlQueue)}
}

// Run crawls the outboxes of instances that accepted the node's follow
// (their older videos), one at a time, until ctx is done.
func (f *Follows) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case outbox := <-f.crawls:
			if f.cfg.Remote == nil || outbox == "" {
				continue
			}
			if err := f.cfg.Remote.Crawl(ctx, outbox); err != nil && ctx.Err() == nil {
				f.cfg.Logger.Warn("activitypub: crawl outbox", "outbox", outbox, "err", err)
			}
		}
	}
}

func (f *Follows) now() time.Time { return time.Now().UTC() }

// Followers lists the followers of the local actor at local (all local
// actors' when empty), oldest first.
func (f *Follows) Followers(ctx context.Context, local string) ([]FollowRecord, error) {
	return f.store.list(ctx, followerPrefix, func(r FollowRecord) bool { return local == "" || r.Local == local })
}

// Following lists the instances the node follows, oldest first.
func (f *Follows) Following(ctx context.Context) ([]FollowRecord, error) {
	return f.store.list(ctx, followingPrefix, nil)
}

// FollowsHost reports whether the node follows host and was accepted:
// only such hosts' videos are taken.
func (f *Follows) FollowsHost(host string) bool {
	r, ok, err := f.store.get(followingKey(strings.ToLower(host)))
	return err == nil && ok && r.State == StateAccepted
}

// FollowerInboxes are the shared inboxes of the accepted followers of all
// local actors, each once: where broadcasts go.
func (f *Follows) FollowerInboxes(ctx context.Context) ([]string, error) {
	rs, err := f.Followers(ctx, "")
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, r := range rs {
		inbox := r.SharedInbox
		if inbox == "" {
			inbox = r.Inbox
		}
		if r.State == StateAccepted && !seen[inbox] {
			seen[inbox] = true
			out = append(out, inbox)
		}
	}
	return out, nil
}

// followObject is a Follow as it is embedded in Accept, Reject and Undo.
type followObject struct {
	Type   string `json:"type"`
	ID     string `json:"id"`
	Actor  string `json:"actor"`
	Object string `json:"object"`
}

// outActivity is an outgoing activity.
type outActivity struct {
	Context []any    `json:"@context,omitempty"`
	Type    string   `json:"type"`
	ID      string   `json:"id"`
	Actor   string   `json:"actor"`
	Object  any      `json:"object"`
	To      []string `json:"to,omitempty"`
	CC      []string `json:"cc,omitempty"`
}

// send delivers act, signed by the local actor a, to inbox.
func (f *Follows) send(ctx context.Context, a LocalActor, inbox string, act outActivity) error {
	body, err := act.encode()
	if err != nil {
		return err
	}
	if err := f.cfg.Deliver.Deliver(ctx, Delivery{Inbox: inbox, KeyID: f.cfg.Actors.KeyID(a), Body: body}); err != nil {
		return fmt.Errorf("activitypub: delivering %s to %s: %w", act.Type, inbox, err)
	}
	return nil
}

// encode is the activity's JSON, with the @context.
func (act outActivity) encode() ([]byte, error) {
	act.Context = activityContext
	body, err := json.Marshal(act)
	if err != nil {
		return nil, fmt.Errorf("activitypub: encoding %s: %w", act.Type, err)
	}
	return body, nil
}

func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

// Follow makes the instance actor follow host's instance actor: found by
// WebFinger, stored pending, sent a Follow to its own inbox. Following a
// host already followed and accepted changes nothing.
func (f *Follows) Follow(ctx context.Context, host string) error {
	host, err := NormalizeHost(host)
	if err != nil {
		return err
	}
	if host == strings.ToLower(f.cfg.Actors.urls.Host()) {
		return ErrOwnHost
	}
	actorURL, err := f.cfg.Fetcher.ResolveInstanceActor(ctx, f.cfg.Scheme, host)
	if err != nil {
		return err
	}
	remote, err := f.cfg.Fetcher.FetchActor(ctx, actorURL)
	if err != nil {
		return err
	}
	inst := f.cfg.Actors.Instance()
	instURL := f.cfg.Actors.URL(inst)
	now := f.now()
	send := false
	rec, err := f.store.update(followingKey(host), func(r *FollowRecord, existed bool) bool {
		if existed && r.State == StateAccepted && r.Remote == remote.ID {
			return false
		}
		if !existed {
			r.CreatedAt = now
		}
		*r = FollowRecord{ID: r.ID, Local: instURL, Remote: remote.ID, Name: remote.PreferredUsername, Host: host,
			Inbox: remote.Inbox, SharedInbox: remote.SharedInbox(), Outbox: remote.Outbox, State: StatePending,
			ActivityID: f.cfg.Actors.urls.Activity(instURL, "follows", uuid.NewString()), CreatedAt: r.CreatedAt, UpdatedAt: now}
		send = true
		return true
	})
	if err != nil || !send {
		return err
	}
	return f.send(ctx, inst, rec.Inbox, outActivity{Type: TypeFollow, ID: rec.ActivityID, Actor: instURL, Object: rec.Remote, To: []string{rec.Remote}})
}

// Unfollow stops following host: Undo{Follow} to its inbox, its record
// and its videos removed. ErrNoSuchObject when host is not followed.
func (f *Follows) Unfollow(ctx context.Context, host string) error {
	host, err := NormalizeHost(host)
	if err != nil {
		return err
	}
	rec, ok, err := f.store.remove(followingKey(host))
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: not following %s", ErrNoSuchObject, host)
	}
	inst := f.cfg.Actors.Instance()
	follow := followObject{Type: TypeFollow, ID: rec.ActivityID, Actor: rec.Local, Object: rec.Remote}
	sendErr := f.send(ctx, inst, rec.Inbox, outActivity{Type: TypeUndo, ID: rec.ActivityID + "/undo", Actor: rec.Local, Object: follow, To: []string{rec.Remote}})
	var forgetErr error
	if f.cfg.Remote != nil {
		forgetErr = f.cfg.Remote.ForgetHost(ctx, host)
	}
	return errors.Join(sendErr, forgetErr)
}

// Decide accepts or rejects the pending (or earlier decided) follower of
// the instance actor named handle (name@host), and tells it.
func (f *Follows) Decide(ctx context.Context, handle string, accept bool) error {
	r, err := f.follower(ctx, handle)
	if err != nil {
		return err
	}
	state := StateRejected
	if accept {
		state = StateAccepted
	}
	rec, err := f.store.update(followerKey(r.Local, r.Remote), func(x *FollowRecord, existed bool) bool {
		if !existed {
			return false
		}
		x.State, x.UpdatedAt = state, f.now()
		return true
	})
	if err != nil {
		return err
	}
	return f.answerFollow(ctx, f.cfg.Actors.Instance(), rec, accept)
}

// RemoveFollower ends the follow of the instance actor's follower named
// handle (name@host), as PeerTube's admin removes one: the record goes
// and the follower is sent a Reject, so it stops counting on the node's
// activities. It may follow again later.
func (f *Follows) RemoveFollower(ctx context.Context, handle string) error {
	r, err := f.follower(ctx, handle)
	if err != nil {
		return err
	}
	if _, _, err := f.store.remove(followerKey(r.Local, r.Remote)); err != nil {
		return err
	}
	return f.answerFollow(ctx, f.cfg.Actors.Instance(), r, false)
}

// follower finds the instance actor's follower named handle (name@host).
func (f *Follows) follower(ctx context.Context, handle string) (FollowRecord, error) {
	name, host, ok := strings.Cut(handle, "@")
	if !ok || name == "" || host == "" {
		return FollowRecord{}, fmt.Errorf("%w: handle %q (want name@host)", ErrInvalid, handle)
	}
	host = strings.ToLower(host)
	rs, err := f.Followers(ctx, f.cfg.Actors.InstanceURL())
	if err != nil {
		return FollowRecord{}, err
	}
	for _, r := range rs {
		if r.Name == name && r.Host == host {
			return r, nil
		}
	}
	return FollowRecord{}, fmt.Errorf("%w: no follower %s", ErrNoSuchObject, handle)
}

// answerFollow sends Accept or Reject{Follow} to the follower's own inbox
// (PeerTube refuses an Accept on its shared inbox).
func (f *Follows) answerFollow(ctx context.Context, local LocalActor, rec FollowRecord, accept bool) error {
	kind, verb := TypeReject, "rejects"
	if accept {
		kind, verb = TypeAccept, "accepts"
	}
	follow := followObject{Type: TypeFollow, ID: rec.ActivityID, Actor: rec.Remote, Object: rec.Local}
	return f.send(ctx, local, rec.Inbox, outActivity{Type: kind, ID: f.cfg.Actors.urls.Activity(rec.Local, verb, uuid.NewString()),
		Actor: rec.Local, Object: follow, To: []string{rec.Remote}})
}

// onFollow takes a Follow signed by its actor: a follower of a local
// actor, accepted at once unless the admin approves instance followers.
func (f *Follows) onFollow(ctx context.Context, act *Activity) error {
	local, err := f.cfg.Actors.Resolve(ctx, act.Object.ID)
	if err != nil {
		return err
	}
	remote, err := f.cfg.Fetcher.FetchActor(ctx, act.Actor.ID)
	if err != nil {
		return err
	}
	localURL := f.cfg.Actors.URL(local)
	manual := f.cfg.ManualApproval && localURL == f.cfg.Actors.InstanceURL()
	now := f.now()
	rec, err := f.store.update(followerKey(localURL, remote.ID), func(r *FollowRecord, existed bool) bool {
		state := StateAccepted
		if manual && (!existed || r.State != StateAccepted) {
			state = StatePending
		}
		if !existed {
			r.CreatedAt = now
		}
		*r = FollowRecord{ID: r.ID, Local: localURL, Remote: remote.ID, Name: remote.PreferredUsername, Host: hostOf(remote.ID),
			Inbox: remote.Inbox, SharedInbox: remote.SharedInbox(), Outbox: remote.Outbox, State: state,
			ActivityID: act.ID, CreatedAt: r.CreatedAt, UpdatedAt: now}
		return true
	})
	if err != nil {
		return err
	}
	if rec.State != StateAccepted {
		f.cfg.Logger.Info("activitypub: follower waits for approval", "follower", rec.Remote, "of", localURL)
		return nil
	}
	f.cfg.Logger.Info("activitypub: new follower", "follower", rec.Remote, "of", localURL)
	return f.answerFollow(ctx, local, rec, true)
}

// followOf reads the Follow an Accept, Reject or Undo carries: its id, and
// when embedded its actor and object.
func followOf(ref Ref) (followObject, bool) {
	if !ref.Embedded() {
		return followObject{ID: ref.ID}, ref.ID != ""
	}
	if ref.Type != TypeFollow {
		return followObject{}, false
	}
	var fo struct {
		ID     string `json:"id"`
		Actor  Ref    `json:"actor"`
		Object Ref    `json:"object"`
	}
	if err := json.Unmarshal(ref.Raw, &fo); err != nil {
		return followObject{}, false
	}
	return followObject{Type: TypeFollow, ID: fo.ID, Actor: fo.Actor.ID, Object: fo.Object.ID}, true
}

// onAnswer takes an Accept or Reject of the node's Follow, from the
// followed actor itself.
func (f *Follows) onAnswer(ctx context.Context, act *Activity, accepted bool) error {
	fo, ok := followOf(act.Object)
	if !ok {
		return nil // an Accept of something else (an offer): not ours to handle
	}
	host := hostOf(act.Actor.ID)
	state := StateRejected
	if accepted {
		state = StateAccepted
	}
	changed := false
	rec, err := f.store.update(followingKey(host), func(r *FollowRecord, existed bool) bool {
		if !existed || r.Remote != act.Actor.ID {
			return false
		}
		ours := fo.ID == r.ActivityID || (fo.Actor == r.Local && fo.Object == r.Remote)
		if !ours || r.State == state {
			return false
		}
		r.State, r.UpdatedAt = state, f.now()
		changed = true
		return true
	})
	if err != nil || !changed {
		return err
	}
	f.cfg.Logger.Info("activitypub: follow answered", "host", host, "state", state)
	if accepted {
		select {
		case f.crawls <- rec.Outbox:
		default:
			f.cfg.Logger.Warn("activitypub: too many outboxes waiting to be crawled; skipped", "outbox", rec.Outbox)
		}
	}
	return nil
}

// onUndo takes an Undo{Follow} from the follower: it follows no more.
func (f *Follows) onUndo(ctx context.Context, act *Activity) error {
	fo, ok := followOf(act.Object)
	if !ok {
		return nil // an Undo of something else (Like, Announce): ignored
	}
	if fo.Actor != "" && fo.Actor != act.Actor.ID {
		return fmt.Errorf("%w: Undo of %q's Follow by %q", ErrSignerMismatch, fo.Actor, act.Actor.ID)
	}
	if fo.Object != "" {
		_, _, err := f.store.remove(followerKey(fo.Object, act.Actor.ID))
		return err
	}
	rs, err := f.Followers(ctx, "")
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.Remote == act.Actor.ID && r.ActivityID == fo.ID {
			_, _, err := f.store.remove(followerKey(r.Local, r.Remote))
			return err
		}
	}
	return nil
}
