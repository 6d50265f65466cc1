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
		a.record(addr, "", trkHash(i), now)
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

// The scan alarm counts videos: a viewer whose player joins a swarm per
// rung of a few videos is no scanner, while the same number of lone
// torrents (or videos) from one address is.
func TestAlarmCountsVideosNotHashes(t *testing.T) {
	t.Parallel()
	reg := NewRegistry()
	// Two videos, each with a torrent and a player swarm for 4 rungs.
	var videoA, videoB []InfoHash
	for i := range 8 {
		videoA = append(videoA, trkHash(100+i))
		videoB = append(videoB, trkHash(200+i))
	}
	reg.AddVideo("a", videoA...)
	reg.AddVideo("b", videoB...)
	lone := []InfoHash{trkHash(1), trkHash(2), trkHash(3)}
	reg.Add(lone...)
	tr := New(Config{AlarmDistinct: 3, AlarmBlock: time.Minute}, reg)

	viewer := netip.MustParseAddr("192.0.2.1")
	for _, ih := range append(videoA, videoB...) {
		if err := tr.Admit(viewer, ih); err != nil {
			t.Fatalf("viewer of two videos (16 hashes) refused: %v", err)
		}
	}
	if st := tr.Stats(); st.Alarms != 0 {
		t.Fatalf("alarm raised for a viewer of two videos: %+v", st)
	}

	scanner := netip.MustParseAddr("192.0.2.2")
	var errs []error
	for _, ih := range lone {
		errs = append(errs, tr.Admit(scanner, ih))
	}
	if errs[0] != nil || errs[1] != nil || errs[2] != ErrBlocked {
		t.Fatalf("three lone torrents: %v, want the third blocked", errs)
	}

	// A third video's hash makes three videos: the alarm.
	reg.AddVideo("c", trkHash(300))
	if err := tr.Admit(viewer, trkHash(300)); err != ErrBlocked {
		t.Fatalf("third video: %v, want blocked", err)
	}

	// Unknown hashes still count, each on its own.
	prober := netip.MustParseAddr("192.0.2.3")
	for i := range 3 {
		err := tr.Admit(prober, trkHash(900+i))
		if want := map[bool]error{true: ErrBlocked, false: ErrUnknownTorrent}[i == 2]; err != want {
			t.Fatalf("probe %d: %v, want %v", i, err, want)
		}
	}
	if st := tr.Stats(); st.Unknown != 2 {
		t.Fatalf("unknown info hashes counted %d, want the 2 that reached the check: %+v", st.Unknown, st)
	}
}

func TestRegistryRemoveVideo(t *testing.T) {
	t.Parallel()
	reg := NewRegistry()
	reg.AddVideo("a", trkHash(1), trkHash(2))
	reg.AddVideo("b", trkHash(3))
	reg.Add(trkHash(4))
	reg.RemoveVideo("a")
	reg.RemoveVideo("") // no video: removes nothing
	for i, want := range map[int]bool{1: false, 2: false, 3: true, 4: true} {
		if reg.Known(trkHash(i)) != want {
			t.Errorf("hash %d known = %v, want %v", i, !want, want)
		}
	}
}
