package api

import (
	"net/netip"
	"sync"
	"time"
)

// RateLimit allows Count requests per Window from one client (an IPv4
// address or an IPv6 /64).
type RateLimit struct {
	Count  int
	Window time.Duration
}

// The contact form's default limit (Config.ContactLimit): a person writes
// one message, maybe corrects it; nobody needs more.
const (
	DefaultContactCount  = 3
	DefaultContactWindow = 10 * time.Minute
)

// maxLimitedClients bounds the limiter's table: 4096 clients of a few
// dozen bytes each. A flood from more addresses than that evicts the
// oldest, which lets through no more than those addresses could send.
const maxLimitedClients = 4096

// limiter keeps, per client, the times of its last Count requests within
// the window (a sliding log: exactly Count per any Window).
type limiter struct {
	limit RateLimit
	mu    sync.Mutex
	seen  map[netip.Addr][]time.Time // oldest first
}

func newLimiter(l RateLimit) *limiter {
	return &limiter{limit: l, seen: make(map[netip.Addr][]time.Time)}
}

// allow counts a request of key at now, or, when key has used up its
// requests, returns how long until the oldest of them leaves the window.
// A refused request does not count.
func (l *limiter) allow(key netip.Addr, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	log := l.live(l.seen[key], now)
	if len(log) >= l.limit.Count {
		l.seen[key] = log
		return false, log[0].Add(l.limit.Window).Sub(now)
	}
	if _, known := l.seen[key]; !known && len(l.seen) >= maxLimitedClients {
		l.evict(now)
	}
	l.seen[key] = append(log, now)
	return true, 0
}

// wait reports, without counting anything, how long key must wait
// before its next request is allowed (0: it may go now).
func (l *limiter) wait(key netip.Addr, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	log := l.live(l.seen[key], now)
	if len(log) < l.limit.Count {
		return 0
	}
	return log[0].Add(l.limit.Window).Sub(now)
}

// live drops the times that left the window.
func (l *limiter) live(log []time.Time, now time.Time) []time.Time {
	for len(log) > 0 && now.Sub(log[0]) >= l.limit.Window {
		log = log[1:]
	}
	return log
}

// evict makes room in a full table: the clients whose requests all left
// the window, or else the one whose last request is the oldest.
func (l *limiter) evict(now time.Time) {
	var oldest netip.Addr
	var oldestAt time.Time
	freed := false
	for k, log := range l.seen {
		last := log[len(log)-1]
		switch {
		case now.Sub(last) >= l.limit.Window:
			delete(l.seen, k)
			freed = true
		case !oldest.IsValid() || last.Before(oldestAt):
			oldest, oldestAt = k, last
		}
	}
	if !freed {
		delete(l.seen, oldest)
	}
}
