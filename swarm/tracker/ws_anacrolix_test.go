package tracker

import (
	"testing"
	"time"

	"github.com/peeredge/peeredge/internal/netns"

	alog "github.com/anacrolix/log"
	"github.com/anacrolix/torrent/tracker"
	"github.com/anacrolix/torrent/webtorrent"
	gorilla "github.com/gorilla/websocket"
)

// TestSocketAnacrolixClientsConnect runs two real anacrolix/torrent v1.61.0
// WebTorrent tracker clients (real pion WebRTC offers and answers) against
// the tracker on loopback and waits for their data channel to open: the
// whole signalling path, with that client's own JSON and id encoding.
func TestSocketAnacrolixClientsConnect(t *testing.T) {
	if testing.Short() {
		t.Skip("WebRTC handshake")
	}
	if !netns.Isolate(t) {
		return // ran in a namespace of its own: WebRTC skips loopback
	}
	h := newWSHarness(t, wsTestConfig(), SocketConfig{}, wsHashA)
	opened := make(chan [20]byte, 4)
	newClient := func(peerID [20]byte) *webtorrent.TrackerClient {
		tc := &webtorrent.TrackerClient{
			Url:    h.url,
			PeerId: peerID,
			Logger: alog.Default,
			Dialer: gorilla.DefaultDialer,
			GetAnnounceRequest: func(ev tracker.AnnounceEvent, _ [20]byte) (tracker.AnnounceRequest, error) {
				return tracker.AnnounceRequest{Event: ev, Left: 1 << 20}, nil
			},
			// The channel is left open: closing it at once races anacrolix
			// v1.61.0's initDataChannel on the other side, which then calls
			// End on a nil span and crashes the process (an upstream bug the
			// node cannot guard against; see the seeder's package doc).
			OnConn: func(dc webtorrent.DataChannelConn, _ webtorrent.DataChannelContext) {
				opened <- peerID
			},
			OnConnected:          func(error) {},
			OnDisconnected:       func(error) {},
			OnAnnounceSuccessful: func(string) {},
			OnAnnounceError:      func(string, error) {},
		}
		tc.Start(func(error) {})
		t.Cleanup(func() { _ = tc.Close() })
		return tc
	}
	// Peer ids with bytes ≥ 0x80, as anacrolix encodes them itself.
	first, second := newClient(wsID(0xF1, 0x01)), newClient(wsID(0xF2, 0x02))
	if err := first.Announce(tracker.Started, wsHashA); err != nil {
		t.Fatal(err)
	}
	h.waitStats(t, "the first client to join", func(s SocketStats) bool { return s.Peers == 1 })
	if err := second.Announce(tracker.None, wsHashA); err != nil { // sends "<regular>"
		t.Fatal(err)
	}
	h.waitStats(t, "offer and answer relayed", func(s SocketStats) bool {
		return s.Peers == 2 && s.OffersRelayed >= 1 && s.AnswersRelayed >= 1
	})
	seen := map[[20]byte]bool{}
	timeout := time.After(20 * time.Second)
	for len(seen) < 2 {
		select {
		case id := <-opened:
			seen[id] = true
		case <-timeout:
			t.Fatalf("WebRTC data channel opened for %d of 2 peers; stats %+v", len(seen), h.srv.Stats())
		}
	}
}
