package tracker

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

var (
	wsHashA = wsID(0xA1, 1)
	wsHashB = wsID(0xB2, 2)
)

func TestSocketOfferAnswerExchange(t *testing.T) {
	h := newWSHarness(t, wsTestConfig(), SocketConfig{}, wsHashA)
	a, b := h.dial(t), h.dial(t)
	peerA, peerB := wsID(0x81, 0xAA), wsID(0x82, 0xBB)

	if c, i := b.expectReply(b.announce(wsHashA, peerB, map[string]any{"event": "started", "left": 0}), wsHashA); c != 1 || i != 0 {
		t.Fatalf("first seeder: complete=%d incomplete=%d", c, i)
	}
	offers, offerIDs := wsOffers(1, 0xC0)
	if c, i := a.expectReply(a.announce(wsHashA, peerA, map[string]any{"event": "started", "numwant": 1, "offers": offers}), wsHashA); c != 1 || i != 1 {
		t.Fatalf("after leecher: complete=%d incomplete=%d", c, i)
	}

	got := b.read()
	if got["action"] != "announce" || wsBytes(t, got["offer_id"]) != offerIDs[0] ||
		wsBytes(t, got["peer_id"]) != peerA || wsBytes(t, got["info_hash"]) != wsHashA {
		t.Fatalf("relayed offer ids not exact: %v", got)
	}
	if sdp := got["offer"].(map[string]any)["sdp"]; sdp != offers[0]["offer"].(map[string]any)["sdp"] {
		t.Fatalf("offer payload changed: %v", got["offer"])
	}

	answer := map[string]any{"type": "answer", "sdp": "v=0 answer"}
	b.send(wsAnnounceMsg(wsHashA, peerB, map[string]any{
		"to_peer_id": wsBinStr(peerA), "offer_id": wsBinStr(offerIDs[0]), "answer": answer,
	}))
	got = a.read()
	if wsBytes(t, got["offer_id"]) != offerIDs[0] || wsBytes(t, got["peer_id"]) != peerB ||
		wsBytes(t, got["info_hash"]) != wsHashA || got["answer"].(map[string]any)["sdp"] != "v=0 answer" {
		t.Fatalf("relayed answer not exact: %v", got)
	}
	// No reply to the answer: B's next message is the reply to its next announce.
	b.expectReply(b.announce(wsHashA, peerB, map[string]any{"left": 0}), wsHashA)

	st := h.srv.Stats()
	if st.OffersRelayed != 1 || st.AnswersRelayed != 1 || st.Swarms != 1 || st.Peers != 2 || st.Sockets != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestSocketOffersCappedByPeerCap(t *testing.T) {
	cfg := wsTestConfig()
	cfg.MaxPeers = 4
	h := newWSHarness(t, cfg, SocketConfig{}, wsHashA)
	receivers := make([]*wsClient, 10)
	for i := range receivers {
		receivers[i] = h.dial(t)
		receivers[i].expectReply(receivers[i].announce(wsHashA, wsID(byte(i), 1), nil), wsHashA)
	}
	sender := h.dial(t)
	offers, _ := wsOffers(50, 0xD0)
	sender.expectReply(sender.announce(wsHashA, wsID(0xEE, 0xEE), map[string]any{"numwant": 50, "offers": offers}), wsHashA)

	st := h.waitStats(t, "offers relayed", func(s SocketStats) bool { return s.OffersRelayed > 0 })
	if st.OffersRelayed != uint64(h.tracker.PeerCap(50)) {
		t.Fatalf("relayed %d offers, want PeerCap = %d", st.OffersRelayed, h.tracker.PeerCap(50))
	}
	// Each chosen receiver got exactly one offer, each offer went once: check
	// by letting every receiver announce and seeing what arrives first.
	seen := map[[20]byte]bool{}
	for i, r := range receivers {
		r.send(wsAnnounceMsg(wsHashA, wsID(byte(i), 1), nil))
		m := r.read()
		if m["offer"] != nil {
			id := wsBytes(t, m["offer_id"])
			if seen[id] {
				t.Fatalf("offer %x relayed twice", id)
			}
			seen[id] = true
			m = r.read()
		}
		r.expectReply(m, wsHashA)
	}
	if len(seen) != h.tracker.PeerCap(50) {
		t.Fatalf("%d receivers got an offer, want %d", len(seen), h.tracker.PeerCap(50))
	}
}

func TestSocketStoppedAndCloseLeaveTheSwarm(t *testing.T) {
	h := newWSHarness(t, wsTestConfig(), SocketConfig{}, wsHashA, wsHashB)
	a, b, c := h.dial(t), h.dial(t), h.dial(t)
	peerA, peerB, peerC := wsID(1, 0xA0), wsID(2, 0xB0), wsID(3, 0xC0)
	a.expectReply(a.announce(wsHashA, peerA, nil), wsHashA)
	b.expectReply(b.announce(wsHashA, peerB, nil), wsHashA)
	// One socket, two swarms (as p2p-media-loader does).
	b.expectReply(b.announce(wsHashB, peerB, nil), wsHashB)
	if _, i := c.expectReply(c.announce(wsHashA, peerC, map[string]any{"left": 0}), wsHashA); i != 2 {
		t.Fatalf("incomplete=%d, want 2", i)
	}

	if comp, inc := c.expectReply(c.announce(wsHashA, peerC, map[string]any{"event": "stopped", "left": 0}), wsHashA); comp != 0 || inc != 2 {
		t.Fatalf("after stopped: complete=%d incomplete=%d", comp, inc)
	}
	_ = b.conn.Close()
	h.waitStats(t, "closed socket to leave both swarms", func(s SocketStats) bool { return s.Peers == 1 && s.Swarms == 1 })
	// An answer to the peer that left is refused, and the answerer carries on.
	a.send(wsAnnounceMsg(wsHashA, peerA, map[string]any{"to_peer_id": wsBinStr(peerB), "offer_id": wsBinStr(peerB), "answer": map[string]any{"type": "answer", "sdp": "x"}}))
	a.expectFailure(errPeerGone.Error())

	offers, _ := wsOffers(5, 0xE0)
	if _, inc := a.expectReply(a.announce(wsHashA, peerA, map[string]any{"offers": offers}), wsHashA); inc != 1 {
		t.Fatalf("incomplete=%d after the others left, want 1", inc)
	}
	// C stopped but kept its socket: it must receive no offer. Its next
	// message is the reply to its own scrape-free announce.
	c.expectReply(c.announce(wsHashB, peerC, nil), wsHashB)
	if st := h.srv.Stats(); st.OffersRelayed != 0 {
		t.Fatalf("offers relayed to departed peers: %+v", st)
	}
}

func TestSocketScrape(t *testing.T) {
	h := newWSHarness(t, wsTestConfig(), SocketConfig{Scrape: true}, wsHashA, wsHashB)
	a, b, s := h.dial(t), h.dial(t), h.dial(t)
	a.expectReply(a.announce(wsHashA, wsID(1, 1), map[string]any{"left": 0, "event": "completed"}), wsHashA)
	b.expectReply(b.announce(wsHashA, wsID(2, 2), nil), wsHashA)

	s.send(map[string]any{"action": "scrape", "info_hash": []string{wsBinStr(wsHashA), wsBinStr(wsHashB)}})
	m := s.read()
	files, ok := m["files"].(map[string]any)
	if m["action"] != "scrape" || !ok || len(files) != 2 {
		t.Fatalf("scrape reply %v", m)
	}
	fa := files[wsBinStr(wsHashA)].(map[string]any)
	if fa["complete"] != 1.0 || fa["incomplete"] != 1.0 || fa["downloaded"] != 1.0 {
		t.Fatalf("counts for A: %v", fa)
	}
	if fb := files[wsBinStr(wsHashB)].(map[string]any); fb["complete"] != 0.0 || fb["incomplete"] != 0.0 {
		t.Fatalf("counts for B: %v", fb)
	}
	if bytes.Contains(mustJSON(t, m), []byte("peer_id")) {
		t.Fatalf("scrape reveals peer ids: %v", m)
	}

	s.send(map[string]any{"action": "scrape", "info_hash": wsBinStr(wsHashA)})
	if files := s.read()["files"].(map[string]any); len(files) != 1 {
		t.Fatalf("single-hash scrape: %v", files)
	}
	// Once both have left, the swarm is gone but its completion is not.
	a.expectReply(a.announce(wsHashA, wsID(1, 1), map[string]any{"event": "stopped"}), wsHashA)
	b.expectReply(b.announce(wsHashA, wsID(2, 2), map[string]any{"event": "stopped"}), wsHashA)
	s.send(map[string]any{"action": "scrape", "info_hash": wsBinStr(wsHashA)})
	fa = s.read()["files"].(map[string]any)[wsBinStr(wsHashA)].(map[string]any)
	if fa["complete"] != 0.0 || fa["incomplete"] != 0.0 || fa["downloaded"] != 1.0 {
		t.Fatalf("counts for A after everyone left: %v", fa)
	}
	s.send(map[string]any{"action": "scrape", "info_hash": wsBinStr(wsID(9, 9))})
	s.expectFailure(ErrUnknownTorrent.Error())
	s.send(map[string]any{"action": "scrape"})
	s.expectFailure("info_hash is required")

	off := newWSHarness(t, wsTestConfig(), SocketConfig{}, wsHashA)
	o := off.dial(t)
	o.send(map[string]any{"action": "scrape", "info_hash": wsBinStr(wsHashA)})
	o.expectFailure("scrape is disabled")
}

func TestSocketRefusalsKeepTheSocket(t *testing.T) {
	h := newWSHarness(t, wsTestConfig(), SocketConfig{}, wsHashA)
	c := h.dial(t)
	peer := wsID(5, 5)

	c.send(wsAnnounceMsg(wsID(0x99, 0x99), peer, nil))
	if m := c.expectFailure(ErrUnknownTorrent.Error()); wsBytes(t, m["info_hash"]) != wsID(0x99, 0x99) {
		t.Fatalf("failure does not echo info_hash: %v", m)
	}
	c.expectReply(c.announce(wsHashA, peer, nil), wsHashA)

	h.tracker.SetP2P(false)
	c.send(wsAnnounceMsg(wsHashA, peer, nil))
	c.expectFailure(ErrP2PDisabled.Error())
	c.send(wsAnnounceMsg(wsHashA, peer, map[string]any{"to_peer_id": wsBinStr(peer), "offer_id": wsBinStr(peer), "answer": map[string]any{"type": "answer"}}))
	c.expectFailure("peer-to-peer is disabled")
	h.tracker.SetP2P(true)
	c.expectReply(c.announce(wsHashA, peer, nil), wsHashA)

	// Another connection may not take over a peer id that is in use.
	thief := h.dial(t)
	thief.send(wsAnnounceMsg(wsHashA, peer, nil))
	thief.expectFailure(errPeerIDInUse.Error())

	if st := h.srv.Stats(); st.Refused != 4 {
		t.Fatalf("refused = %d, want 4", st.Refused)
	}
}

func TestSocketRateLimited(t *testing.T) {
	cfg := wsTestConfig()
	cfg.Rate, cfg.Burst = 0.001, 2
	h := newWSHarness(t, cfg, SocketConfig{}, wsHashA)
	c := h.dial(t)
	c.expectReply(c.announce(wsHashA, wsID(1, 1), nil), wsHashA)
	c.expectReply(c.announce(wsHashA, wsID(1, 1), nil), wsHashA)
	c.send(wsAnnounceMsg(wsHashA, wsID(1, 1), nil))
	c.expectFailure(ErrRateLimited.Error())
	// Leaving is never rate limited: a peer must be able to say goodbye.
	if comp, inc := c.expectReply(c.announce(wsHashA, wsID(1, 1), map[string]any{"event": "stopped"}), wsHashA); comp+inc != 0 {
		t.Fatalf("stopped while rate limited left %d peers", comp+inc)
	}
	h.waitStats(t, "the swarm to empty", func(s SocketStats) bool { return s.Peers == 0 })
}

func TestSocketSwarmLimitPerConnection(t *testing.T) {
	hashes := []InfoHash{wsID(0x10, 1), wsID(0x10, 2), wsID(0x10, 3)}
	h := newWSHarness(t, wsTestConfig(), SocketConfig{MaxSwarms: 2}, hashes...)
	c := h.dial(t)
	peer := wsID(3, 3)
	c.expectReply(c.announce(hashes[0], peer, nil), hashes[0])
	c.expectReply(c.announce(hashes[1], peer, nil), hashes[1])
	c.send(wsAnnounceMsg(hashes[2], peer, nil))
	c.expectFailure(errTooManySwarms.Error())
	c.expectReply(c.announce(hashes[0], peer, map[string]any{"event": "stopped"}), hashes[0])
	c.expectReply(c.announce(hashes[2], peer, nil), hashes[2])
	// Scrapes are bounded by the same number.
	c.send(map[string]any{"action": "scrape", "info_hash": []string{wsBinStr(hashes[0]), wsBinStr(hashes[1]), wsBinStr(hashes[2])}})
	c.expectFailure("too many info_hash values")
}

// TestSocketMalformedInput sends each bad input on its own socket, checks the
// failure (and the close for protocol abuse), and that another client is
// still served afterwards.
func TestSocketMalformedInput(t *testing.T) {
	h := newWSHarness(t, wsTestConfig(), SocketConfig{MaxMessageBytes: 4096}, wsHashA)
	witness := h.dial(t)
	witnessPeer := wsID(0x77, 0x77)
	witness.expectReply(witness.announce(wsHashA, witnessPeer, nil), wsHashA)

	ih := wsBinStr(wsHashA)
	peer := wsBinStr(wsID(0x42, 0x42))
	gone := wsBinStr(wsID(0x43, 0x43))
	cases := []struct {
		name  string
		kind  int
		data  string
		want  string
		close bool
	}{
		{"garbage JSON", websocket.TextMessage, `{"action":"announce",`, "not valid JSON", true},
		{"not an object", websocket.TextMessage, `["announce"]`, "not a JSON object", true},
		{"plain text", websocket.TextMessage, `hello`, "not a JSON object", true},
		{"oversize", websocket.TextMessage, `{"action":"announce","pad":"` + strings.Repeat("x", 5000) + `"}`, "message too large", true},
		{"binary frame", websocket.BinaryMessage, `{"action":"announce"}`, "binary frames", true},
		{"info_hash 19 chars", websocket.TextMessage, `{"action":"announce","info_hash":"` + strings.Repeat("a", 19) + `","peer_id":` + jsonStr(peer) + `}`, "invalid info_hash", false},
		{"info_hash 21 chars", websocket.TextMessage, `{"action":"announce","info_hash":"` + strings.Repeat("a", 21) + `","peer_id":` + jsonStr(peer) + `}`, "invalid info_hash", false},
		{"code point above 0xFF", websocket.TextMessage, `{"action":"announce","info_hash":"` + strings.Repeat("a", 19) + `\u0100","peer_id":` + jsonStr(peer) + `}`, "invalid info_hash", false},
		{"peer_id wrong length", websocket.TextMessage, `{"action":"announce","info_hash":` + jsonStr(ih) + `,"peer_id":"short"}`, "invalid peer_id", false},
		{"info_hash a number", websocket.TextMessage, `{"action":"announce","info_hash":12,"peer_id":` + jsonStr(peer) + `}`, "invalid info_hash", false},
		{"missing action", websocket.TextMessage, `{"info_hash":` + jsonStr(ih) + `}`, "missing action", false},
		{"unknown action", websocket.TextMessage, `{"action":"dance"}`, "unknown action", false},
		{"offers not an array", websocket.TextMessage, `{"action":"announce","info_hash":` + jsonStr(ih) + `,"peer_id":` + jsonStr(peer) + `,"offers":{"offer_id":"x"}}`, "offers must be an array", false},
		{"offer without payload", websocket.TextMessage, `{"action":"announce","info_hash":` + jsonStr(ih) + `,"peer_id":` + jsonStr(peer) + `,"offers":[{"offer_id":` + jsonStr(peer) + `}]}`, "offer must be an object", false},
		{"answer to a peer that left", websocket.TextMessage, `{"action":"announce","info_hash":` + jsonStr(ih) + `,"peer_id":` + jsonStr(peer) + `,"to_peer_id":` + jsonStr(gone) + `,"offer_id":` + jsonStr(gone) + `,"answer":{"type":"answer","sdp":"x"}}`, errPeerGone.Error(), false},
		{"answer before announcing", websocket.TextMessage, `{"action":"announce","info_hash":` + jsonStr(ih) + `,"peer_id":` + jsonStr(gone) + `,"to_peer_id":` + jsonStr(wsBinStr(witnessPeer)) + `,"offer_id":` + jsonStr(gone) + `,"answer":{"type":"answer","sdp":"x"}}`, errNotInSwarm.Error(), false},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := h.dial(t)
			self := wsID(0x42, 0x42)
			// Join first so that the answer cases are judged on their target.
			if strings.Contains(tc.name, "left") {
				c.expectReply(c.announce(wsHashA, self, nil), wsHashA)
			}
			c.sendRaw(tc.kind, []byte(tc.data))
			c.expectFailure(tc.want)
			if tc.close {
				c.expectClosed()
			} else {
				c.expectReply(c.announce(wsHashA, self, nil), wsHashA)
				c.send(wsAnnounceMsg(wsHashA, self, map[string]any{"event": "stopped"}))
				c.read()
			}
			// The tracker keeps serving everybody else.
			witness.expectReply(witness.announce(wsHashA, witnessPeer, map[string]any{"uploaded": i}), wsHashA)
		})
	}
}

func TestSocketAcceptsAnacrolixRegularEvent(t *testing.T) {
	h := newWSHarness(t, wsTestConfig(), SocketConfig{}, wsHashA)
	c := h.dial(t)
	// The shape anacrolix/torrent v1.61.0 sends when it means "no event".
	msg := `{"action":"announce","info_hash":` + jsonStr(wsBinStr(wsHashA)) + `,"peer_id":` + jsonStr(wsBinStr(wsID(0x2D, 0x47))) +
		`,"numwant":0,"uploaded":0,"downloaded":0,"left":-1,"event":"<regular>","offers":[]}`
	c.sendRaw(websocket.TextMessage, []byte(msg))
	if comp, inc := c.expectReply(c.read(), wsHashA); comp != 0 || inc != 1 {
		t.Fatalf("complete=%d incomplete=%d", comp, inc)
	}
}

func TestSocketCloseDropsEverySocket(t *testing.T) {
	h := newWSHarness(t, wsTestConfig(), SocketConfig{}, wsHashA)
	a, b := h.dial(t), h.dial(t)
	a.expectReply(a.announce(wsHashA, wsID(1, 1), nil), wsHashA)
	b.expectReply(b.announce(wsHashA, wsID(2, 2), nil), wsHashA)
	h.srv.Close()
	for _, c := range []*wsClient{a, b} {
		if _, err := c.readMsg(); err == nil {
			t.Fatal("socket still open after Close")
		}
	}
	if st := h.srv.Stats(); st.Sockets != 0 || st.Peers != 0 || st.Swarms != 0 {
		t.Fatalf("stats after Close %+v", st)
	}
}

// TestSocketSlowConsumerIsDropped checks that a client that stops reading is
// disconnected instead of holding up the peers that relay to it.
func TestSocketSlowConsumerIsDropped(t *testing.T) {
	h := newWSHarness(t, wsTestConfig(), SocketConfig{SendQueue: 2, MaxMessageBytes: 1 << 20, WriteTimeout: time.Second}, wsHashA)
	sleeper := h.dial(t)
	sleeper.expectReply(sleeper.announce(wsHashA, wsID(1, 1), nil), wsHashA)
	sender := h.dial(t)
	big := strings.Repeat("s", 200<<10)
	for i := 0; ; i++ {
		offers := []map[string]any{{"offer_id": wsBinStr(wsID(2, byte(i))), "offer": map[string]any{"type": "offer", "sdp": big}}}
		sender.expectReply(sender.announce(wsHashA, wsID(2, 2), map[string]any{"offers": offers}), wsHashA)
		if h.srv.Stats().SlowDropped > 0 {
			break
		}
		if i > 500 {
			t.Fatal("a client that never reads was never dropped")
		}
	}
	h.waitStats(t, "the slow client to leave", func(s SocketStats) bool { return s.Peers == 1 && s.Sockets == 1 })
}

// TestSocketFrameLengths relays offers across the three frame length
// encodings (7-bit, 16-bit, 64-bit) and checks the client reads them intact.
func TestSocketFrameLengths(t *testing.T) {
	h := newWSHarness(t, wsTestConfig(), SocketConfig{MaxMessageBytes: 1 << 20}, wsHashA)
	a, b := h.dial(t), h.dial(t)
	a.expectReply(a.announce(wsHashA, wsID(1, 1), nil), wsHashA)
	for i, size := range []int{1, 60, 125, 126, 65535 - 150, 65536, 300 << 10} {
		sdp := strings.Repeat("z", size)
		offers := []map[string]any{{"offer_id": wsBinStr(wsID(9, byte(i))), "offer": map[string]any{"sdp": sdp}}}
		b.expectReply(b.announce(wsHashA, wsID(2, 2), map[string]any{"offers": offers}), wsHashA)
		m := a.read()
		if got := m["offer"].(map[string]any)["sdp"]; got != sdp || wsBytes(t, m["offer_id"]) != wsID(9, byte(i)) {
			t.Fatalf("offer of %d bytes arrived damaged", size)
		}
	}
}

// TestSocketKeepalive: a client that answers pings (any reading client does)
// stays; one that has gone silent is dropped after PongTimeout.
func TestSocketKeepalive(t *testing.T) {
	h := newWSHarness(t, wsTestConfig(), SocketConfig{PongTimeout: 200 * time.Millisecond}, wsHashA)
	alive, silent := h.dial(t), h.dial(t)
	alive.expectReply(alive.announce(wsHashA, wsID(1, 1), nil), wsHashA)
	silent.expectReply(silent.announce(wsHashA, wsID(2, 2), nil), wsHashA)
	go func() { // reading makes the client library answer pings
		for {
			_ = alive.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, _, err := alive.conn.ReadMessage(); err != nil {
				return
			}
		}
	}()
	h.waitStats(t, "the silent client to be dropped", func(s SocketStats) bool { return s.Sockets == 1 && s.Peers == 1 })
	time.Sleep(time.Second) // five pong timeouts
	if st := h.srv.Stats(); st.Sockets != 1 || st.Peers != 1 {
		t.Fatalf("the client answering pings was dropped: %+v", st)
	}
}

func TestSocketPlainGETIsRefused(t *testing.T) {
	h := newWSHarness(t, wsTestConfig(), SocketConfig{}, wsHashA)
	resp, err := http.Get("http" + strings.TrimPrefix(h.url, "ws"))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("plain GET: status %d, want 400", resp.StatusCode)
	}
	c := h.dial(t)
	c.expectReply(c.announce(wsHashA, wsID(1, 1), nil), wsHashA)
}

func jsonStr(s string) string {
	data, _ := json.Marshal(s)
	return string(data)
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestSocketCap refuses sockets beyond MaxSockets before the upgrade and
// takes new ones again once others have left.
func TestSocketCap(t *testing.T) {
	h := newWSHarness(t, wsTestConfig(), SocketConfig{MaxSockets: 2}, wsHashA)
	first := h.dial(t)
	h.dial(t)
	h.waitStats(t, "two sockets", func(s SocketStats) bool { return s.Sockets == 2 })
	_, resp, err := websocket.DefaultDialer.Dial(h.url, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("third socket: err %v, status %d; want 503 with Retry-After", err, status)
	}
	_ = resp.Body.Close()
	_ = first.conn.Close()
	h.waitStats(t, "one socket left", func(s SocketStats) bool { return s.Sockets == 1 })
	third := h.dial(t)
	third.expectReply(third.announce(wsHashA, wsID(0x33, 0x01), nil), wsHashA)
}

// TestSocketPeersExpire drops a peer whose socket stays open but which
// stopped announcing, and takes it back when it announces again.
func TestSocketPeersExpire(t *testing.T) {
	h := newWSHarness(t, wsTestConfig(), SocketConfig{}, wsHashA)
	var skew atomic.Int64
	h.srv.now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	idle, active := h.dial(t), h.dial(t)
	idle.expectReply(idle.announce(wsHashA, wsID(0x41, 1), nil), wsHashA)
	active.expectReply(active.announce(wsHashA, wsID(0x42, 1), nil), wsHashA)
	if n := h.srv.expire(); n != 0 {
		t.Fatalf("expired %d fresh peers", n)
	}
	// Past the TTL for the idle one only: the active one announces late.
	skew.Store(int64(h.srv.PeerTTL() + time.Second))
	active.expectReply(active.announce(wsHashA, wsID(0x42, 1), nil), wsHashA)
	if n := h.srv.expire(); n != 1 {
		t.Fatalf("expired %d peers, want the idle one", n)
	}
	if st := h.srv.Stats(); st.Peers != 1 || st.Sockets != 2 {
		t.Fatalf("after expiry: %+v, want 1 peer on 2 open sockets", st)
	}
	complete, incomplete := idle.expectReply(idle.announce(wsHashA, wsID(0x41, 1), nil), wsHashA)
	if complete+incomplete != 2 {
		t.Errorf("idle peer announcing again: swarm counts %d+%d, want 2", complete, incomplete)
	}
}
