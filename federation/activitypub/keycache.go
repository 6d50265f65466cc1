package activitypub

import (
	"context"
	"crypto/rsa"
	"sync"
	"time"
)

// Key cache defaults.
const (
	DefaultKeyTTL  = 6 * time.Hour
	DefaultKeyKeep = 10_000
	// A key is fetched afresh at most this often, so forged requests
	// naming an actor cannot make the node hammer its server.
	DefaultKeyRefetch = time.Minute
)

// KeyCache keeps fetched actor keys for a while. Its Lookup and Refresh
// are the Verifier's Lookup and Refresh.
type KeyCache struct {
	fetch   KeyLookup
	ttl     time.Duration
	keep    int
	refetch time.Duration
	now     func() time.Time

	mu      sync.Mutex
	entries map[string]keyEntry
}

type keyEntry struct {
	owner   string
	pub     *rsa.PublicKey
	fetched time.Time
}

// NewKeyCache caches what fetch returns (ActorKeyFetcher in the node);
// zero values take the defaults.
func NewKeyCache(fetch KeyLookup, ttl time.Duration, keep int) *KeyCache {
	if ttl <= 0 {
		ttl = DefaultKeyTTL
	}
	if keep <= 0 {
		keep = DefaultKeyKeep
	}
	return &KeyCache{fetch: fetch, ttl: ttl, keep: keep, refetch: DefaultKeyRefetch, now: time.Now, entries: map[string]keyEntry{}}
}

// Lookup returns the cached key, fetching it when absent or expired.
func (c *KeyCache) Lookup(ctx context.Context, keyID string) (string, *rsa.PublicKey, error) {
	c.mu.Lock()
	e, ok := c.entries[keyID]
	c.mu.Unlock()
	if ok && c.now().Sub(e.fetched) < c.ttl {
		return e.owner, e.pub, nil
	}
	return c.load(ctx, keyID)
}

// Refresh fetches the key again (the actor may have rotated it), unless
// it was fetched within the refetch interval: then the cached key stands.
func (c *KeyCache) Refresh(ctx context.Context, keyID string) (string, *rsa.PublicKey, error) {
	c.mu.Lock()
	e, ok := c.entries[keyID]
	c.mu.Unlock()
	if ok && c.now().Sub(e.fetched) < c.refetch {
		return e.owner, e.pub, nil
	}
	return c.load(ctx, keyID)
}

func (c *KeyCache) load(ctx context.Context, keyID string) (string, *rsa.PublicKey, error) {
	owner, pub, err := c.fetch(ctx, keyID)
	if err != nil {
		return "", nil, err
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[keyID]; !ok && len(c.entries) >= c.keep {
		c.evict(now)
	}
	c.entries[keyID] = keyEntry{owner: owner, pub: pub, fetched: now}
	return owner, pub, nil
}

// evict drops expired entries, or, if none, the oldest one. It is called
// only when the cache is full, so its scan is rare.
func (c *KeyCache) evict(now time.Time) {
	var oldestID string
	var oldest time.Time
	dropped := false
	for id, e := range c.entries {
		if now.Sub(e.fetched) >= c.ttl {
			delete(c.entries, id)
			dropped = true
			continue
		}
		if oldestID == "" || e.fetched.Before(oldest) {
			oldestID, oldest = id, e.fetched
		}
	}
	if !dropped && oldestID != "" {
		delete(c.entries, oldestID)
	}
}

// Len is the number of keys cached.
func (c *KeyCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
