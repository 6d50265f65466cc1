package tracker

import "sync"

// InfoHash is a torrent's v1 info hash (SHA-1 of the info dictionary).
type InfoHash = [20]byte

// PeerID is a client's self-chosen 20-byte peer id.
type PeerID = [20]byte

// Registry is the set of info hashes the node tracks (its published
// torrents, later mirrored ones). Safe for concurrent use.
type Registry struct {
	mu     sync.RWMutex
	hashes map[InfoHash]struct{}
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{hashes: make(map[InfoHash]struct{})}
}

// Add starts tracking the given info hashes.
func (r *Registry) Add(ih ...InfoHash) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, h := range ih {
		r.hashes[h] = struct{}{}
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

// Len is the number of tracked info hashes.
func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.hashes)
}
