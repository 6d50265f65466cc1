package tracker

import (
	"hash/maphash"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// alarmBook counts, per address, the distinct videos announced within a
// window (an info hash not tied to a video counts on its own), and holds
// the block list. Memory is bounded: at most capacity addresses, each with
// at most `distinct` 32-bit fingerprints; when full, expired windows go
// first, then the oldest of a sample.
type alarmBook struct {
	distinct int
	window   int64 // nanos
	shardCap int
	seed     maphash.Seed
	shards   [addrShards]alarmShard
}

type alarmShard struct {
	mu      sync.Mutex
	watches map[netip.Addr]*watch
	blocks  map[netip.Addr]int64 // address → unix nanos the block ends
}

type watch struct {
	start   int64    // unix nanos the window began
	hashes  []uint32 // fingerprints of distinct videos or lone hashes, ≤ distinct
	alarmed bool     // this window already raised its alarm
}

func newAlarmBook(distinct int, window time.Duration, capacity int) *alarmBook {
	a := &alarmBook{
		distinct: distinct,
		window:   int64(window),
		shardCap: max(capacity/addrShards, 1),
		seed:     maphash.MakeSeed(),
	}
	for i := range a.shards {
		a.shards[i].watches = make(map[netip.Addr]*watch)
		a.shards[i].blocks = make(map[netip.Addr]int64)
	}
	return a
}

func (a *alarmBook) shard(key netip.Addr) *alarmShard {
	return &a.shards[shardIndex(a.seed, key)]
}

// record notes that key announced ih, of video (or "" when it stands
// alone), at now. It returns the distinct count and whether this announce
// made key cross the threshold (once per window).
func (a *alarmBook) record(key netip.Addr, video string, ih InfoHash, now int64) (distinct int, crossed bool) {
	// Keyed fingerprints: a client cannot choose hashes that collide to
	// stay under the threshold.
	var fp uint32
	if video != "" {
		fp = uint32(maphash.String(a.seed, video))
	} else {
		fp = uint32(maphash.Comparable(a.seed, ih))
	}
	sh := a.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	w := sh.watches[key]
	switch {
	case w == nil:
		if len(sh.watches) >= a.shardCap {
			a.evict(sh, now)
		}
		w = &watch{start: now, hashes: make([]uint32, 0, 4)}
		sh.watches[key] = w
	case now-w.start > a.window:
		w.start, w.hashes, w.alarmed = now, w.hashes[:0], false
	}
	if len(w.hashes) < a.distinct && !slices.Contains(w.hashes, fp) {
		w.hashes = append(w.hashes, fp)
	}
	if len(w.hashes) >= a.distinct && !w.alarmed {
		w.alarmed = true
		return len(w.hashes), true
	}
	return len(w.hashes), false
}

func (a *alarmBook) evict(sh *alarmShard, now int64) {
	var oldest netip.Addr
	oldestAt, seen, freed := int64(0), 0, false
	for k, w := range sh.watches {
		if now-w.start > a.window {
			delete(sh.watches, k)
			freed = true
		} else if seen == 0 || w.start < oldestAt {
			oldest, oldestAt = k, w.start
		}
		if seen++; seen >= evictSample {
			break
		}
	}
	if !freed && seen > 0 {
		delete(sh.watches, oldest)
	}
}

// block refuses key until the given unix nanos.
func (a *alarmBook) block(key netip.Addr, until int64) {
	sh := a.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if len(sh.blocks) >= a.shardCap {
		// Drop the block ending soonest of a sample.
		var soonest netip.Addr
		at, seen := int64(0), 0
		for k, end := range sh.blocks {
			if seen == 0 || end < at {
				soonest, at = k, end
			}
			if seen++; seen >= evictSample {
				break
			}
		}
		delete(sh.blocks, soonest)
	}
	sh.blocks[key] = until
}

// blocked reports whether key is blocked at now.
func (a *alarmBook) blocked(key netip.Addr, now int64) bool {
	sh := a.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	until, ok := sh.blocks[key]
	if !ok {
		return false
	}
	if now >= until {
		delete(sh.blocks, key)
		return false
	}
	return true
}

// prune drops expired windows and blocks.
func (a *alarmBook) prune(now int64) {
	for i := range a.shards {
		sh := &a.shards[i]
		sh.mu.Lock()
		for k, w := range sh.watches {
			if now-w.start > a.window {
				delete(sh.watches, k)
			}
		}
		for k, until := range sh.blocks {
			if now >= until {
				delete(sh.blocks, k)
			}
		}
		sh.mu.Unlock()
	}
}
