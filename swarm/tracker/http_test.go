package tracker

import (
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// A space (0x20) and a '+' (0x2B) in the info hash exercise form decoding.
var trkSpaceyHash = InfoHash{' ', '+', 0, 0xff, '%', '&', '=', 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}

func TestAnnounceExchangesPeers(t *testing.T) {
	ih := trkSpaceyHash
	tt := startHTTPTracker(t, Config{}, ih)
	clients := make([]*httpClient, 4)
	for i := range clients {
		clients[i] = newHTTPClient(t, fmt.Sprintf("127.0.0.%d", i+2), i)
	}
	for i, c := range clients {
		left := 1000
		if i == 0 {
			left = 0 // the seeder
		}
		r := c.announce(t, tt.base, ih, left, "event=started")
		if r.Failure != "" {
			t.Fatalf("client %d refused: %s", i, r.Failure)
		}
		if got := len(r.peers(t)); got != i {
			t.Fatalf("client %d got %d peers, want %d (everyone before it)", i, got, i)
		}
		if r.Interval != 600 || r.MinInterval != 120 {
			t.Fatalf("interval %d min %d", r.Interval, r.MinInterval)
		}
	}
	r := clients[3].announce(t, tt.base, ih, 1000, "")
	if r.Complete != 1 || r.Incomplete != 3 {
		t.Fatalf("complete %d incomplete %d, want 1 and 3", r.Complete, r.Incomplete)
	}
	want := []netip.AddrPort{
		netip.MustParseAddrPort("127.0.0.2:6000"),
		netip.MustParseAddrPort("127.0.0.3:6001"),
		netip.MustParseAddrPort("127.0.0.4:6002"),
	}
	got := r.peers(t)
	slices.SortFunc(got, func(a, b netip.AddrPort) int { return a.Compare(b) })
	if !slices.Equal(got, want) {
		t.Fatalf("peers %v, want %v (never the requester itself)", got, want)
	}
	// The seeder is not given the other seeders, only leechers.
	r = clients[0].announce(t, tt.base, ih, 0, "")
	if len(r.peers(t)) != 3 {
		t.Fatalf("seeder got %v", r.peers(t))
	}

	// stopped removes the peer.
	if r := clients[1].announce(t, tt.base, ih, 1000, "event=stopped"); r.Failure != "" || len(r.peers(t)) != 0 {
		t.Fatalf("stopped: %+v", r)
	}
	r = clients[3].announce(t, tt.base, ih, 1000, "")
	if slices.Contains(r.peers(t), want[1]) || r.Incomplete != 2 {
		t.Fatalf("stopped peer still listed: %v incomplete %d", r.peers(t), r.Incomplete)
	}
	// completed: becomes a seeder and is counted as a download.
	r = clients[2].announce(t, tt.base, ih, 0, "event=completed")
	if r.Complete != 2 || r.Incomplete != 1 || r.Downloaded != 1 {
		t.Fatalf("after completed: %+v", r)
	}
	if s := tt.Stats(); s.Peers != 3 || s.Torrents != 1 || s.Announces < 9 {
		t.Fatalf("stats %+v", s)
	}
}

func TestAnnounceIPv6GoesToPeers6(t *testing.T) {
	ih := trkHash(1)
	tt := startHTTPTracker(t, Config{}, ih)
	if tt.base6 == "" {
		t.Skip("no IPv6 loopback")
	}
	a, b := newHTTPClient(t, "", 1), newHTTPClient(t, "127.0.0.9", 2)
	if r := a.announce(t, tt.base6, ih, 10, ""); r.Failure != "" {
		t.Fatal(r.Failure)
	}
	r := b.announce(t, tt.base, ih, 10, "")
	if len(r.Peers) != 0 || len(r.Peers6) != 18 {
		t.Fatalf("peers %q peers6 %q", r.Peers, r.Peers6)
	}
	if got := r.peers(t)[0]; got != netip.MustParseAddrPort("[::1]:6001") {
		t.Fatalf("peers6 entry %v", got)
	}
	r = a.announce(t, tt.base6, ih, 10, "")
	if got := r.peers(t); len(got) != 1 || got[0] != netip.MustParseAddrPort("127.0.0.9:6002") {
		t.Fatalf("IPv6 client got %v", got)
	}
}

func TestAnnounceNumwantCap(t *testing.T) {
	ih := trkHash(2)
	tt := startHTTPTracker(t, Config{}, ih)
	// 40 peers stored directly; the cap is what's under test.
	for i := range 40 {
		id := trkPeerID(100 + i)
		addr := trkAddr4(i)
		a := peerAnnounce{infoHash: ih, key: peerKey(&id, addr), addr: addr, port: 7000}
		tt.peers.announce(&a, tt.storeTime(tt.clock.Now()), nil, nil)
	}
	c := newHTTPClient(t, "", 1)
	tests := []struct {
		numwant string
		want    int
	}{
		{"numwant=200", 20},
		{"numwant=5", 5},
		{"numwant=0", 0},
		{"numwant=-1", 20},
		{"", 20},
	}
	for _, tc := range tests {
		r := c.announce(t, tt.base, ih, 1, tc.numwant)
		if r.Failure != "" || len(r.peers(t)) != tc.want {
			t.Errorf("%q: %d peers (%s), want %d", tc.numwant, len(r.peers(t)), r.Failure, tc.want)
		}
	}
}

func TestAnnounceMalformed(t *testing.T) {
	ih := trkHash(3)
	tt := startHTTPTracker(t, Config{}, ih)
	c := newHTTPClient(t, "", 1)
	esc := func(s string) string { return url.QueryEscape(s) }
	ih20, id20 := esc(string(ih[:])), esc("-TT0001-abcdefghijkl")
	good := "info_hash=" + ih20 + "&peer_id=" + id20 + "&port=6881"
	tests := []struct {
		name, query string
		want        error
	}{
		{"info_hash 19 bytes", "info_hash=" + esc(string(ih[:19])) + "&peer_id=" + id20 + "&port=1", errInfoHash},
		{"info_hash 21 bytes", "info_hash=" + ih20 + "x&peer_id=" + id20 + "&port=1", errInfoHash},
		{"bad percent escape", "info_hash=%zz" + ih20[3:] + "&peer_id=" + id20 + "&port=1", errInfoHash},
		{"truncated escape", "info_hash=" + esc(string(ih[:19])) + "%4&peer_id=" + id20 + "&port=1", errInfoHash},
		{"missing info_hash", "peer_id=" + id20 + "&port=1", errInfoHash},
		{"peer_id short", "info_hash=" + ih20 + "&peer_id=abc&port=1", errPeerID},
		{"missing port", "info_hash=" + ih20 + "&peer_id=" + id20, errPort},
		{"port not numeric", "info_hash=" + ih20 + "&peer_id=" + id20 + "&port=http", errPort},
		{"port 0", "info_hash=" + ih20 + "&peer_id=" + id20 + "&port=0", errPort},
		{"port 70000", "info_hash=" + ih20 + "&peer_id=" + id20 + "&port=70000", errPort},
		{"port negative", "info_hash=" + ih20 + "&peer_id=" + id20 + "&port=-5", errPort},
		{"numwant not numeric", good + "&numwant=lots", errNumwant},
		{"left not numeric", good + "&left=1e9", errNumber},
		{"uploaded negative", good + "&uploaded=-1", errNumber},
		{"unknown event", good + "&event=bored", errEvent},
		{"duplicate port", good + "&port=6882", errDuplicate},
		{"duplicate info_hash", good + "&info_hash=" + ih20, errDuplicate},
		{"huge query", good + "&key=" + strings.Repeat("a", maxQueryLen), errQueryTooLong},
		{"unknown torrent", "info_hash=" + esc(strings.Repeat("u", 20)) + "&peer_id=" + id20 + "&port=1", ErrUnknownTorrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := c.rawAnnounce(t, tt.base, tc.query)
			if r.Failure != tc.want.Error() {
				t.Fatalf("failure reason %q, want %q", r.Failure, tc.want)
			}
			// The tracker keeps serving well-formed announces.
			if r := c.rawAnnounce(t, tt.base, good); r.Failure != "" {
				t.Fatalf("good announce after bad one refused: %s", r.Failure)
			}
		})
	}
}

func TestAnnounceRateLimit(t *testing.T) {
	ih := trkHash(4)
	tt := startHTTPTracker(t, Config{Rate: 1, Burst: 5}, ih)
	c := newHTTPClient(t, "127.0.0.5", 1)
	for i := range 5 {
		if r := c.announce(t, tt.base, ih, 1, ""); r.Failure != "" {
			t.Fatalf("announce %d within burst refused: %s", i, r.Failure)
		}
	}
	if r := c.announce(t, tt.base, ih, 1, ""); r.Failure != ErrRateLimited.Error() {
		t.Fatalf("6th announce: %q", r.Failure)
	}
	// Reconnecting does not help: the bucket belongs to the address.
	again := newHTTPClient(t, "127.0.0.5", 2)
	if r := again.announce(t, tt.base, ih, 1, ""); r.Failure != ErrRateLimited.Error() {
		t.Fatalf("new connection from same address: %q", r.Failure)
	}
	// Another address is not affected.
	if r := newHTTPClient(t, "127.0.0.6", 3).announce(t, tt.base, ih, 1, ""); r.Failure != "" {
		t.Fatalf("other address refused: %s", r.Failure)
	}
	// Tokens come back with time.
	tt.clock.Advance(2e9)
	for range 2 {
		if r := again.announce(t, tt.base, ih, 1, ""); r.Failure != "" {
			t.Fatalf("after refill: %s", r.Failure)
		}
	}
	if r := again.announce(t, tt.base, ih, 1, ""); r.Failure != ErrRateLimited.Error() {
		t.Fatalf("after 2 refilled tokens: %q", r.Failure)
	}
	if s := tt.Stats(); s.RateLimited != 3 {
		t.Fatalf("RateLimited %d, want 3", s.RateLimited)
	}
}

func TestAnnounceAlarm(t *testing.T) {
	hashes := make([]InfoHash, 40)
	for i := range hashes {
		hashes[i] = trkHash(100 + i)
	}
	t.Run("normal viewer", func(t *testing.T) {
		tt := startHTTPTracker(t, Config{AlarmDistinct: 30, AlarmBlock: 60e9}, hashes...)
		c := newHTTPClient(t, "127.0.0.7", 1)
		for round := range 15 {
			for _, ih := range hashes[:4] { // a few renditions, re-announced
				if r := c.announce(t, tt.base, ih, 1, ""); r.Failure != "" {
					t.Fatalf("round %d refused: %s", round, r.Failure)
				}
			}
		}
		if s := tt.Stats(); s.Alarms != 0 || s.Blocked != 0 {
			t.Fatalf("normal viewer alarmed: %+v", s)
		}
		if strings.Contains(tt.logs.String(), "level=WARN") {
			t.Fatalf("warning logged: %s", tt.logs.String())
		}
	})
	t.Run("scanner warned only", func(t *testing.T) {
		tt := startHTTPTracker(t, Config{AlarmDistinct: 30}, hashes...)
		c := newHTTPClient(t, "127.0.0.8", 1)
		for i, ih := range hashes {
			if r := c.announce(t, tt.base, ih, 1, ""); r.Failure != "" {
				t.Fatalf("announce %d refused without AlarmBlock: %s", i, r.Failure)
			}
		}
		if s := tt.Stats(); s.Alarms != 1 {
			t.Fatalf("Alarms %d, want 1", s.Alarms)
		}
		log := tt.logs.String()
		if !strings.Contains(log, "level=WARN") || !strings.Contains(log, "addr=127.0.0.8") || !strings.Contains(log, "distinct=30") {
			t.Fatalf("alarm log: %s", log)
		}
	})
	t.Run("scanner blocked", func(t *testing.T) {
		tt := startHTTPTracker(t, Config{AlarmDistinct: 30, AlarmBlock: 60e9}, hashes...)
		scanner := newHTTPClient(t, "127.0.0.9", 1)
		refusedAt := -1
		for i, ih := range hashes {
			if r := scanner.announce(t, tt.base, ih, 1, ""); r.Failure != "" {
				if r.Failure != ErrBlocked.Error() {
					t.Fatalf("announce %d: %s", i, r.Failure)
				}
				if refusedAt < 0 {
					refusedAt = i
				}
			}
		}
		if refusedAt != 29 {
			t.Fatalf("first refusal at announce %d, want 29 (the 30th distinct hash)", refusedAt)
		}
		if r := newHTTPClient(t, "127.0.0.10", 2).announce(t, tt.base, hashes[0], 1, ""); r.Failure != "" {
			t.Fatalf("bystander refused: %s", r.Failure)
		}
		tt.clock.Advance(61e9)
		if r := scanner.announce(t, tt.base, hashes[0], 1, ""); r.Failure != "" {
			t.Fatalf("block did not end: %s", r.Failure)
		}
	})
}

func TestAnnounceP2PSwitch(t *testing.T) {
	ih := trkHash(5)
	tt := startHTTPTracker(t, Config{}, ih)
	c := newHTTPClient(t, "", 1)
	tt.SetP2P(false)
	if r := c.announce(t, tt.base, ih, 1, ""); r.Failure != ErrP2PDisabled.Error() {
		t.Fatalf("P2P off: %q", r.Failure)
	}
	tt.SetP2P(true)
	if r := c.announce(t, tt.base, ih, 1, ""); r.Failure != "" {
		t.Fatalf("P2P on again: %s", r.Failure)
	}
}

func TestAnnounceForwardedFor(t *testing.T) {
	ih := trkHash(6)
	tests := []struct {
		name    string
		trusted []netip.Prefix
		want    netip.Addr
	}{
		{"untrusted proxy: header ignored", nil, netip.MustParseAddr("127.0.0.11")},
		{"trusted proxy: header used", []netip.Prefix{netip.MustParsePrefix("127.0.0.11/32")}, netip.MustParseAddr("203.0.113.9")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tt := startHTTPTracker(t, Config{TrustedProxies: tc.trusted}, ih)
			proxy := newHTTPClient(t, "127.0.0.11", 1)
			r := proxy.get(t, tt.base+"/tracker/announce?"+proxy.announceQuery(ih, 1, "ip=198.51.100.1"),
				map[string][]string{"X-Forwarded-For": {"203.0.113.9"}})
			if r.Failure != "" {
				t.Fatal(r.Failure)
			}
			r = newHTTPClient(t, "127.0.0.12", 2).announce(t, tt.base, ih, 1, "")
			got := r.peers(t)
			if len(got) != 1 || got[0].Addr() != tc.want {
				t.Fatalf("peer seen as %v, want %v (and never the ip parameter)", got, tc.want)
			}
		})
	}
}

func TestExpirySweep(t *testing.T) {
	ih := trkHash(7)
	tt := startHTTPTracker(t, Config{}, ih)
	old, fresh, asker := newHTTPClient(t, "127.0.0.13", 1), newHTTPClient(t, "127.0.0.14", 2), newHTTPClient(t, "127.0.0.15", 3)
	old.announce(t, tt.base, ih, 1, "")
	tt.clock.Advance(tt.cfg.PeerTTL - 60e9)
	fresh.announce(t, tt.base, ih, 1, "")
	tt.clock.Advance(61e9) // old is now past the TTL, fresh is not
	tt.sweep()
	if s := tt.Stats(); s.Peers != 1 {
		t.Fatalf("%d peers after sweep, want 1", s.Peers)
	}
	r := asker.announce(t, tt.base, ih, 1, "")
	if got := r.peers(t); len(got) != 1 || got[0].Addr() != netip.MustParseAddr("127.0.0.14") {
		t.Fatalf("after expiry got %v", got)
	}
	tt.Registry().Remove(ih)
	tt.sweep()
	if s := tt.Stats(); s.Peers != 0 || s.Torrents != 0 {
		t.Fatalf("removed torrent still tracked: %+v", s)
	}
}

func TestScrape(t *testing.T) {
	a, b := trkHash(8), trkHash(9)
	unknown := trkHash(10)
	q := func(hs ...InfoHash) string {
		var parts []string
		for _, h := range hs {
			parts = append(parts, "info_hash="+url.QueryEscape(string(h[:])))
		}
		return strings.Join(parts, "&")
	}
	t.Run("disabled by default", func(t *testing.T) {
		tt := startHTTPTracker(t, Config{}, a)
		r := newHTTPClient(t, "", 1).get(t, tt.base+"/tracker/scrape?"+q(a), nil)
		if r.Failure != errScrapeDisabled.Error() {
			t.Fatalf("failure %q", r.Failure)
		}
	})
	t.Run("enabled", func(t *testing.T) {
		tt := startHTTPTracker(t, Config{Scrape: true}, a, b)
		newHTTPClient(t, "127.0.0.2", 1).announce(t, tt.base, a, 0, "")
		newHTTPClient(t, "127.0.0.3", 2).announce(t, tt.base, a, 5, "")
		newHTTPClient(t, "127.0.0.4", 3).announce(t, tt.base, a, 5, "")
		body := httpScrapeBody(t, tt.base+"/tracker/scrape?"+q(b, a, unknown, a))
		var got struct {
			Files map[string]struct {
				Complete   int `bencode:"complete"`
				Downloaded int `bencode:"downloaded"`
				Incomplete int `bencode:"incomplete"`
			} `bencode:"files"`
		}
		if err := trkDecodeBencode(body, &got); err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		if len(got.Files) != 2 {
			t.Fatalf("files %v, want a and b only", got.Files)
		}
		if f := got.Files[string(a[:])]; f.Complete != 1 || f.Incomplete != 2 {
			t.Fatalf("a: %+v", f)
		}
		if f, ok := got.Files[string(b[:])]; !ok || f.Complete != 0 {
			t.Fatalf("b: %+v", f)
		}
		if r := newHTTPClient(t, "", 9).get(t, tt.base+"/tracker/scrape", nil); r.Failure != errScrapeNoHash.Error() {
			t.Fatalf("empty scrape: %q", r.Failure)
		}

		// A completion is still counted once everyone has left the swarm.
		finisher := newHTTPClient(t, "127.0.0.5", 4)
		finisher.announce(t, tt.base, a, 0, "event=completed")
		for i, c := range []*httpClient{finisher, newHTTPClient(t, "127.0.0.2", 1), newHTTPClient(t, "127.0.0.3", 2), newHTTPClient(t, "127.0.0.4", 3)} {
			if r := c.announce(t, tt.base, a, 0, "event=stopped"); r.Failure != "" {
				t.Fatalf("stop %d: %q", i, r.Failure)
			}
		}
		body = httpScrapeBody(t, tt.base+"/tracker/scrape?"+q(a))
		if err := trkDecodeBencode(body, &got); err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		if f := got.Files[string(a[:])]; f.Complete != 0 || f.Incomplete != 0 || f.Downloaded != 1 {
			t.Fatalf("empty swarm a: %+v, want downloaded 1 and nobody", f)
		}
	})
}
