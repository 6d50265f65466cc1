package tracker

import (
	"hash/maphash"
	"net/netip"
	"sync"
)

// addrShards splits the per-address tables so announces on different
// addresses rarely share a mutex.
const addrShards = 16

// evictSample is how many entries a full table looks at to pick one to
// evict (sampled approximation of "oldest", as Redis does for LRU).
const evictSample = 32

// rateLimiter is a per-address token bucket with bounded memory: at most
// capacity addresses are tracked; when full, idle buckets (refilled to the
// brim: they carry no state) go first, then the least recently used of a
// sample. A client that reconnects is the same address and so is still
// limited.
type rateLimiter struct {
	perNano  float64 // tokens per nanosecond
	burst    float64
	shardCap int
	seed     maphash.Seed
	shards   [addrShards]limiterShard
}

type limiterShard struct {
	mu      sync.Mutex
	buckets map[netip.Addr]bucket
}

type bucket struct {
	tokens float64
	last   int64 // unix nanos of the last refill
}

func newRateLimiter(perSecond float64, burst, capacity int) *rateLimiter {
	l := &rateLimiter{
		perNano:  perSecond / 1e9,
		burst:    float64(burst),
		shardCap: max(capacity/addrShards, 1),
		seed:     maphash.MakeSeed(),
	}
	for i := range l.shards {
		l.shards[i].buckets = make(map[netip.Addr]bucket)
	}
	return l
}

func shardIndex(seed maphash.Seed, key netip.Addr) int {
	return int(maphash.Comparable(seed, key) % addrShards)
}

// allow takes one token from key's bucket at time now (unix nanos).
func (l *rateLimiter) allow(key netip.Addr, now int64) bool {
	sh := &l.shards[shardIndex(l.seed, key)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b, ok := sh.buckets[key]
	if ok {
		b = l.refill(b, now)
	} else {
		if len(sh.buckets) >= l.shardCap {
			l.evict(sh, now)
		}
		b = bucket{tokens: l.burst, last: now}
	}
	allowed := b.tokens >= 1
	if allowed {
		b.tokens--
	}
	sh.buckets[key] = b
	return allowed
}

func (l *rateLimiter) refill(b bucket, now int64) bucket {
	if now > b.last {
		b.tokens = min(l.burst, b.tokens+float64(now-b.last)*l.perNano)
		b.last = now
	}
	return b
}

func (l *rateLimiter) idle(b bucket, now int64) bool {
	return l.refill(b, now).tokens >= l.burst
}

// evict frees room in a full shard: every idle bucket of a sample, or else
// the least recently refilled one.
func (l *rateLimiter) evict(sh *limiterShard, now int64) {
	var oldest netip.Addr
	oldestAt, seen, freed := int64(0), 0, false
	for k, b := range sh.buckets {
		if l.idle(b, now) {
			delete(sh.buckets, k)
			freed = true
		} else if seen == 0 || b.last < oldestAt {
			oldest, oldestAt = k, b.last
		}
		if seen++; seen >= evictSample {
			break
		}
	}
	if !freed && seen > 0 {
		delete(sh.buckets, oldest)
	}
}

// prune drops every idle bucket.
func (l *rateLimiter) prune(now int64) {
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		for k, b := range sh.buckets {
			if l.idle(b, now) {
				delete(sh.buckets, k)
			}
		}
		sh.mu.Unlock()
	}
}
