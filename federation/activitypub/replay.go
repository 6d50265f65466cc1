package activitypub

import (
	"sync"
	"time"
)

// Replay guard defaults: ids are kept twice the Date window, so a replay
// with a still-valid Date always finds its id; 100,000 ids is a few MB.
const (
	DefaultReplayTTL  = 2 * DateWindow
	DefaultReplayKeep = 100_000
)

// ReplayGuard remembers activity ids seen recently. Memory is bounded:
// beyond Keep ids the oldest is forgotten early, so Keep must cover the
// traffic of one TTL for the guard to be exact.
type ReplayGuard struct {
	ttl  time.Duration
	keep int

	mu    sync.Mutex
	seen  map[string]time.Time // id → when first seen
	order []replayEntry        // ring, oldest at head
	head  int
}

type replayEntry struct {
	id string
	at time.Time
}

// NewReplayGuard makes a guard; zero values take the defaults.
func NewReplayGuard(ttl time.Duration, keep int) *ReplayGuard {
	if ttl <= 0 {
		ttl = DefaultReplayTTL
	}
	if keep <= 0 {
		keep = DefaultReplayKeep
	}
	return &ReplayGuard{ttl: ttl, keep: keep, seen: map[string]time.Time{}}
}

// Seen records id at now and reports whether it had been seen within the
// TTL (then the activity is a replay and is refused).
func (g *ReplayGuard) Seen(id string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.expire(now)
	if at, ok := g.seen[id]; ok && now.Sub(at) < g.ttl {
		return true
	}
	if len(g.order)-g.head >= g.keep {
		g.dropOldest()
	}
	g.seen[id] = now
	g.order = append(g.order, replayEntry{id, now})
	return false
}

// Len is the number of ids remembered.
func (g *ReplayGuard) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.seen)
}

func (g *ReplayGuard) expire(now time.Time) {
	for g.head < len(g.order) && now.Sub(g.order[g.head].at) >= g.ttl {
		g.dropOldest()
	}
	// Compact once the dead prefix is half the slice.
	if g.head > 0 && g.head*2 >= len(g.order) {
		g.order = append(g.order[:0], g.order[g.head:]...)
		g.head = 0
	}
}

func (g *ReplayGuard) dropOldest() {
	e := g.order[g.head]
	g.order[g.head] = replayEntry{}
	g.head++
	if at, ok := g.seen[e.id]; ok && at.Equal(e.at) {
		delete(g.seen, e.id)
	}
}
