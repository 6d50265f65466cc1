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
// torrents and the swarms its players join, later mirrored ones), each
// with the video it belongs to and the completions it has seen. Safe for
// concurrent use.
type Registry struct {
	mu     sync.RWMutex
	hashes map[InfoHash]*tracked
}

type tracked struct {
	// video groups the hashes of one video (a torrent per rung, a player
	// swarm per rung): the scan alarm counts videos, not hashes, or a
	// viewer of a few videos would look like a scanner. "" stands alone.
	video string
	// Completions live here, not with the peers, so that the count a
	// scrape reports survives the swarm emptying (overnight, say).
	completions atomic.Uint64
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{hashes: make(map[InfoHash]*tracked)}
}

// Add starts tracking the given info hashes, each counted on its own by
// the scan alarm (a known one keeps its count and video).
func (r *Registry) Add(ih ...InfoHash) { r.AddVideo("", ih...) }

// AddVideo starts tracking the info hashes of one video, which the scan
// alarm counts as one (a known hash keeps its count and joins video).
func (r *Registry) AddVideo(video string, ih ...InfoHash) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, h := range ih {
		if t := r.hashes[h]; t != nil {
			t.video = video
			continue
		}
		r.hashes[h] = &tracked{video: video}
	}
}

// Remove stops tracking ih; its peers are dropped by the next expiry sweep.
func (r *Registry) Remove(ih InfoHash) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.hashes, ih)
}

// RemoveVideo stops tracking every info hash added for video.
func (r *Registry) RemoveVideo(video string) {
	if video == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for h, t := range r.hashes {
		if t.video == video {
			delete(r.hashes, h)
		}
	}
}

// Known reports whether ih is tracked.
func (r *Registry) Known(ih InfoHash) bool {
	_, ok := r.lookup(ih)
	return ok
}

// lookup reports whether ih is tracked and the video it belongs to.
func (r *Registry) lookup(ih InfoHash) (video string, ok bool) {
	r.mu.RLock()
	t := r.hashes[ih]
	if t != nil {
		video = t.video
	}
	r.mu.RUnlock()
	return video, t != nil
}

// completed counts a "completed" event for ih, over both protocols.
func (r *Registry) completed(ih InfoHash) {
	r.mu.RLock()
	if t := r.hashes[ih]; t != nil {
		t.completions.Add(1)
	}
	r.mu.RUnlock()
}

// downloaded is the number of completions ih has seen since it was added.
func (r *Registry) downloaded(ih InfoHash) uint64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if t := r.hashes[ih]; t != nil {
		return t.completions.Load()
	}
	return 0
}

// Len is the number of tracked info hashes.
func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.hashes)
}
