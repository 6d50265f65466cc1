package tracker

import (
	"sync"
	"sync/atomic"
)

// InfoHash is a torrent's v1 info hash (SHA-1 of the info dictionary).
type InfoHash = [20]byte

// PeerID is a client's self-chosen 20-byte peer id.
type PeerID = [20]byte

// Registry is the set of info hashes the node tracks (its published
// torrents, later mirrored ones), with the completions each has seen.
// Safe for concurrent use.
type Registry struct {
	mu sync.RWMutex
	// Completions live here, not with the peers, so that the count a
	// scrape reports survives the swarm emptying (overnight, say).
	hashes map[InfoHash]*atomic.Uint64
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{hashes: make(map[InfoHash]*atomic.Uint64)}
}

// Add starts tracking the given info hashes (a known one keeps its count).
func (r *Registry) Add(ih ...InfoHash) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, h := range ih {
		if r.hashes[h] == nil {
			r.hashes[h] = new(atomic.Uint64)
		}
	}
}

// Remove stops tracking ih; its peers are dropped by the next expiry sweep.
func (r *Registry) Remove(ih InfoHash) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.hashes, ih)
}

// Known reports whether ih is tracked.
func (r *Registry) Known(ih InfoHash) bool {
	r.mu.RLock()
	_, ok := r.hashes[ih]
	r.mu.RUnlock()
	return ok
}

// completed counts a "completed" event for ih, over both protocols.
func (r *Registry) completed(ih InfoHash) {
	r.mu.RLock()
	if n := r.hashes[ih]; n != nil {
		n.Add(1)
	}
	r.mu.RUnlock()
}

// downloaded is the number of completions ih has seen since it was added.
func (r *Registry) downloaded(ih InfoHash) uint64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if n := r.hashes[ih]; n != nil {
		return n.Load()
	}
	return 0
}

// Len is the number of tracked info hashes.
func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.hashes)
}
