package activitypub

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"
)

// FollowState is where a follow stands, in PeerTube's words.
type FollowState string

// The states of a follow.
const (
	StatePending  FollowState = "pending"
	StateAccepted FollowState = "accepted"
	StateRejected FollowState = "rejected"
)

// FollowRecord is one follow between a local actor and a remote one: a
// follower of a local actor, or an instance the node follows.
type FollowRecord struct {
	// ID numbers follows for the admin API, in creation order.
	ID int64 `json:"id"`
	// Local is the local actor's URL (the followed one for a follower,
	// the instance actor for a following).
	Local string `json:"local"`
	// Remote is the remote actor's URL, Name its preferredUsername and
	// Host its URL's host.
	Remote string `json:"remote"`
	Name   string `json:"name"`
	Host   string `json:"host"`
	// Inbox is the remote actor's own inbox (follows and their answers go
	// there), SharedInbox where broadcasts go, Outbox what a new
	// following crawls.
	Inbox       string      `json:"inbox"`
	SharedInbox string      `json:"sharedInbox"`
	Outbox      string      `json:"outbox,omitempty"`
	State       FollowState `json:"state"`
	// ActivityID is the Follow activity's id.
	ActivityID string    `json:"activityId"`
	CreatedAt  time.Time `json:"createdAt"`
	UpdatedAt  time.Time `json:"updatedAt"`
}

// Key prefixes in the follow store.
const (
	followerPrefix  = "follower/"  // follower/<local URL> <remote URL>
	followingPrefix = "following/" // following/<host>
	followSeqKey    = "seq"
)

// followStore keeps the follows in a Store; its lock makes each
// read-modify-write whole.
type followStore struct {
	store Store
	mu    sync.Mutex
}

func followerKey(local, remote string) []byte { return []byte(followerPrefix + local + " " + remote) }
func followingKey(host string) []byte         { return []byte(followingPrefix + host) }

func (s *followStore) get(key []byte) (FollowRecord, bool, error) {
	raw, ok, err := s.store.Get(key)
	if err != nil || !ok {
		return FollowRecord{}, false, err
	}
	var r FollowRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return FollowRecord{}, false, fmt.Errorf("activitypub: follow record %s: %w", key, err)
	}
	return r, true, nil
}

func (s *followStore) put(key []byte, r FollowRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := s.store.Set(key, b); err != nil {
		return fmt.Errorf("activitypub: storing follow: %w", err)
	}
	return nil
}

// nextID numbers a new follow; called with the lock held.
func (s *followStore) nextID() (int64, error) {
	raw, _, err := s.store.Get([]byte(followSeqKey))
	if err != nil {
		return 0, err
	}
	n, _ := strconv.ParseInt(string(raw), 10, 64)
	n++
	if err := s.store.Set([]byte(followSeqKey), []byte(strconv.FormatInt(n, 10))); err != nil {
		return 0, err
	}
	return n, nil
}

// update reads the record at key, lets fn change it (ok=false when there
// was none; fn returns false to leave it) and stores it, numbering a new one.
func (s *followStore) update(key []byte, fn func(r *FollowRecord, existed bool) bool) (FollowRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok, err := s.get(key)
	if err != nil {
		return FollowRecord{}, err
	}
	if !fn(&r, ok) {
		return r, nil
	}
	if r.ID == 0 {
		if r.ID, err = s.nextID(); err != nil {
			return FollowRecord{}, err
		}
	}
	return r, s.put(key, r)
}

func (s *followStore) remove(key []byte) (FollowRecord, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok, err := s.get(key)
	if err != nil || !ok {
		return r, ok, err
	}
	if err := s.store.Delete(key); err != nil {
		return r, false, fmt.Errorf("activitypub: removing follow: %w", err)
	}
	return r, true, nil
}

// list returns the records under prefix that keep accepts, oldest first.
func (s *followStore) list(ctx context.Context, prefix string, keep func(FollowRecord) bool) ([]FollowRecord, error) {
	var out []FollowRecord
	err := s.store.Each(ctx, func(key, value []byte) error {
		if len(key) < len(prefix) || string(key[:len(prefix)]) != prefix {
			return nil
		}
		var r FollowRecord
		if err := json.Unmarshal(value, &r); err != nil {
			return fmt.Errorf("activitypub: follow record %s: %w", key, err)
		}
		if keep == nil || keep(r) {
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("activitypub: listing follows: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
