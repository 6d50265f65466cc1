package tracker

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"
)

func TestClientAddr(t *testing.T) {
	tr := New(Config{TrustedProxies: []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("fd00::/8"),
	}}, nil)
	tests := []struct {
		name, remote, xff, want string
	}{
		{"no header", "10.0.0.1", "", "10.0.0.1"},
		{"untrusted remote ignores header", "192.0.2.1", "203.0.113.5", "192.0.2.1"},
		{"trusted remote uses header", "10.0.0.1", "203.0.113.5", "203.0.113.5"},
		{"last untrusted hop wins", "10.0.0.1", "198.51.100.1, 203.0.113.5, 10.0.0.2", "203.0.113.5"},
		{"spoofed leftmost ignored", "10.0.0.1", "1.1.1.1,203.0.113.5", "203.0.113.5"},
		{"all trusted: leftmost", "10.0.0.1", "10.1.1.1, 10.2.2.2", "10.1.1.1"},
		{"garbage hop stops the walk", "10.0.0.1", "203.0.113.5, bogus", "10.0.0.1"},
		{"garbage after trusted hop", "10.0.0.1", "bogus, 10.0.0.9", "10.0.0.9"},
		{"with port", "10.0.0.1", "203.0.113.5:4711", "203.0.113.5"},
		{"ipv6 with port", "fd00::1", "[2001:db8::5]:4711", "2001:db8::5"},
		{"mapped remote", "::ffff:10.0.0.1", "203.0.113.5", "203.0.113.5"},
		{"mapped hop", "10.0.0.1", "::ffff:203.0.113.5", "203.0.113.5"},
		{"empty hops", "10.0.0.1", ",,", "10.0.0.1"},
		{"huge hop", "10.0.0.1", string(make([]byte, 300)), "10.0.0.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tr.ClientAddr(netip.MustParseAddr(tc.remote), []byte(tc.xff))
			if got != netip.MustParseAddr(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPeerCapAndDefaults(t *testing.T) {
	tr := New(Config{}, nil)
	for _, tc := range []struct{ in, want int }{{-1, 20}, {0, 20}, {1, 1}, {20, 20}, {200, 20}} {
		if got := tr.PeerCap(tc.in); got != tc.want {
			t.Errorf("PeerCap(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
	if tr.SocketInterval() != 2*time.Minute || tr.cfg.PeerTTL != 21*time.Minute {
		t.Fatalf("socket interval %v, ttl %v", tr.SocketInterval(), tr.cfg.PeerTTL)
	}
}

func TestAdmitIPv6AccountedPerSlash64(t *testing.T) {
	ih := trkHash(1)
	reg := NewRegistry()
	reg.Add(ih)
	tr := New(Config{Rate: 1e-9, Burst: 2}, reg)
	a := netip.MustParseAddr("2001:db8:1:2::1")
	b := netip.MustParseAddr("2001:db8:1:2:ffff::9") // same /64
	c := netip.MustParseAddr("2001:db8:1:3::1")      // another /64
	if tr.Admit(a, ih) != nil || tr.Admit(b, ih) != nil {
		t.Fatal("burst refused")
	}
	if err := tr.Admit(a, ih); err != ErrRateLimited {
		t.Fatalf("same /64: %v", err)
	}
	if err := tr.Admit(c, ih); err != nil {
		t.Fatalf("other /64: %v", err)
	}
}

// The per-address tables stay bounded however many addresses show up.
func TestAddressTablesBounded(t *testing.T) {
	const capacity = 256
	l := newRateLimiter(1, 5, capacity)
	a := newAlarmBook(30, time.Hour, capacity)
	now := time.Now().UnixNano()
	for i := range 20_000 {
		addr := trkAddr4(i)
		l.allow(addr, now)
		a.record(addr, trkHash(i), now)
		a.block(addr, now+int64(time.Hour))
	}
	nl, nw, nb := 0, 0, 0
	for i := range l.shards {
		nl += len(l.shards[i].buckets)
		nw += len(a.shards[i].watches)
		nb += len(a.shards[i].blocks)
	}
	if nl > capacity || nw > capacity || nb > capacity {
		t.Fatalf("tables grew to %d buckets, %d watches, %d blocks (cap %d)", nl, nw, nb, capacity)
	}
	// Recent addresses are still limited after the flood.
	last := trkAddr4(19_999)
	for l.allow(last, now) {
	}
	if l.allow(last, now) {
		t.Fatal("recent address not limited")
	}
}

func TestRunStopsWithContext(t *testing.T) {
	tr := New(Config{PeerTTL: 4 * time.Millisecond}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := tr.Run(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run returned %v", err)
	}
}
