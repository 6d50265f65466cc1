package seeder

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/peeredge/peeredge/swarm/wtmsg"
)

// stubTrackers serves an HTTP announce endpoint (an empty peer list) and a
// WebSocket endpoint that records the first message of each connection.
// They stand in for the node's tracker, which is built elsewhere.
type stubTrackers struct {
	httpAnnounces atomic.Int64
	wsConns       atomic.Int64
	wsAnnounces   chan wtmsg.ClientMessage
	// The X-Test-Secret header of the latest HTTP announce and WebSocket upgrade.
	httpSecret, wsSecret atomic.Value
}

func startStubTrackers(t *testing.T) (*stubTrackers, string) {
	t.Helper()
	st := &stubTrackers{wsAnnounces: make(chan wtmsg.ClientMessage, 16)}
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	mux := http.NewServeMux()
	mux.HandleFunc("/tracker/announce", func(w http.ResponseWriter, r *http.Request) {
		st.httpSecret.Store(r.Header.Get("X-Test-Secret"))
		st.httpAnnounces.Add(1)
		w.Write([]byte("d8:intervali1800e5:peers0:e"))
	})
	mux.HandleFunc("/tracker/socket", func(w http.ResponseWriter, r *http.Request) {
		st.wsSecret.Store(r.Header.Get("X-Test-Secret"))
		st.wsConns.Add(1)
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		for {
			a, ok := readClientMessage(c)
			if !ok {
				return
			}
			select {
			case st.wsAnnounces <- a:
			default:
			}
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return st, strings.TrimPrefix(srv.URL, "http://")
}

// readClientMessage reads a message from the seeder as the node's tracker
// reads it; false when the connection ended or the message was refused.
func readClientMessage(c *websocket.Conn) (wtmsg.ClientMessage, bool) {
	_, data, err := c.ReadMessage()
	if err != nil {
		return wtmsg.ClientMessage{}, false
	}
	m, perr := wtmsg.ParseClientMessage(data, 1)
	return m, perr == nil
}

// listenSTUN records whether a STUN binding request arrives on a loopback UDP
// socket, which is what a seeder wired to that STUN server sends.
func listenSTUN(t *testing.T) (string, <-chan struct{}) {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	got := make(chan struct{})
	go func() {
		buf := make([]byte, 1500)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			// RFC 5389: type 0x0001 (binding request), magic cookie 0x2112A442.
			if n >= 20 && binary.BigEndian.Uint16(buf) == 0x0001 && binary.BigEndian.Uint32(buf[4:]) == 0x2112A442 {
				close(got)
				return
			}
		}
	}()
	return "stun:" + pc.LocalAddr().String(), got
}

func TestWebRTCAnnouncesToWebSocketTracker(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	trackers, host := startStubTrackers(t)
	stunURL, stunHit := listenSTUN(t)
	p := publish(t, "uuid-240-fragmented.mp4", 300_000, 9,
		[][]string{{"http://" + host + "/tracker/announce"}, {"ws://" + host + "/tracker/socket"}}, nil)
	s := startSeeder(t, Config{ICEServers: []string{stunURL}})
	if _, err := s.Seed(ctx, p.torrentPath, p.dataDir); err != nil {
		t.Fatal(err)
	}
	var a wtmsg.ClientMessage
	select {
	case a = <-trackers.wsAnnounces:
	case <-ctx.Done():
		t.Fatalf("no WebTorrent announce: %v", ctx.Err())
	}
	if a.Action != wtmsg.ActionAnnounce || a.InfoHash != wtmsg.ID(p.ih) {
		t.Errorf("announce action %d info hash %x, want announce of %s", a.Action, a.InfoHash, p.ih)
	}
	var offer wtmsg.SessionDescription
	if len(a.Offers) > 0 {
		_ = json.Unmarshal(a.Offers[0].SDP, &offer)
	}
	if offer.Type != "offer" || !strings.Contains(offer.SDP, "webrtc-datachannel") {
		t.Errorf("announce carries no data-channel offer: %d offers, first %+v", len(a.Offers), offer)
	}
	if a.Event != wtmsg.EventStarted || !a.Seeder {
		t.Errorf("first announce: event %v seeder %v, want started as a seeder (left 0)", a.Event, a.Seeder)
	}
	select {
	case <-stunHit:
	case <-ctx.Done():
		t.Fatalf("the configured STUN server got no binding request: %v", ctx.Err())
	}
	// Dropping the torrent tells the tracker at once.
	if err := s.Drop(p.ih); err != nil {
		t.Fatal(err)
	}
	for a.Event != wtmsg.EventStopped {
		select {
		case a = <-trackers.wsAnnounces:
		case <-ctx.Done():
			t.Fatalf("no stopped announce after Drop: %v", ctx.Err())
		}
	}
	if a.InfoHash != wtmsg.ID(p.ih) || len(a.Offers) != 0 {
		t.Errorf("stopped announce for %x with %d offers", a.InfoHash, len(a.Offers))
	}
}

func TestDisableWebRTCSkipsWebSocketTracker(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	trackers, host := startStubTrackers(t)
	// The ws tracker is listed first so it would be dialled no later than
	// the HTTP one.
	p := publish(t, "uuid-240-fragmented.mp4", 300_000, 10,
		[][]string{{"ws://" + host + "/tracker/socket"}, {"http://" + host + "/tracker/announce"}}, nil)
	s := startSeeder(t, Config{DisableWebRTC: true})
	if _, err := s.Seed(ctx, p.torrentPath, p.dataDir); err != nil {
		t.Fatal(err)
	}
	for trackers.httpAnnounces.Load() == 0 {
		select {
		case <-ctx.Done():
			t.Fatalf("no HTTP announce: %v", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	time.Sleep(300 * time.Millisecond) // grace for a (wrong) ws dial started alongside
	if n := trackers.wsConns.Load(); n != 0 {
		t.Errorf("WebRTC disabled, yet %d WebSocket tracker connections", n)
	}
}

// TestTrackerHeaderOnlyToOwnTrackers: the node's secret header goes with
// announces to its own tracker, HTTP and WebSocket, and never to another
// tracker named in the same torrent.
func TestTrackerHeaderOnlyToOwnTrackers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	own, ownHost := startStubTrackers(t)
	other, otherHost := startStubTrackers(t)
	p := publish(t, "uuid-240-fragmented.mp4", 300_000, 11, [][]string{
		{"http://" + ownHost + "/tracker/announce"}, {"ws://" + ownHost + "/tracker/socket"},
		{"http://" + otherHost + "/tracker/announce"}, {"ws://" + otherHost + "/tracker/socket"},
	}, nil)
	s := startSeeder(t, Config{TrackerHeader: http.Header{"X-Test-Secret": {"s3cret"}}, TrackerHeaderHosts: []string{ownHost}})
	if _, err := s.Seed(ctx, p.torrentPath, p.dataDir); err != nil {
		t.Fatal(err)
	}
	for _, st := range []*stubTrackers{own, other} {
		for st.httpAnnounces.Load() == 0 || st.wsConns.Load() == 0 {
			select {
			case <-ctx.Done():
				t.Fatalf("announces: own %d/%d, other %d/%d", own.httpAnnounces.Load(), own.wsConns.Load(),
					other.httpAnnounces.Load(), other.wsConns.Load())
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	if own.httpSecret.Load() != "s3cret" || own.wsSecret.Load() != "s3cret" {
		t.Errorf("own tracker got %q (HTTP) and %q (WebSocket), want the secret", own.httpSecret.Load(), own.wsSecret.Load())
	}
	if other.httpSecret.Load() != "" || other.wsSecret.Load() != "" {
		t.Errorf("another tracker got the secret: %q (HTTP), %q (WebSocket)", other.httpSecret.Load(), other.wsSecret.Load())
	}
}

// TestWebSocketTrackerReconnects: when the tracker drops the connection,
// the seeder dials again and announces its torrents as started anew.
func TestWebSocketTrackerReconnects(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	announces := make(chan wtmsg.ClientMessage, 16)
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close() // after the first message: the seeder must come back
		if a, ok := readClientMessage(c); ok {
			announces <- a
		}
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	p := publish(t, "uuid-240-fragmented.mp4", 300_000, 12, [][]string{{"ws://" + host + "/tracker/socket"}}, nil)
	s := startSeeder(t, Config{})
	if _, err := s.Seed(ctx, p.torrentPath, p.dataDir); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		select {
		case a := <-announces:
			if a.Event != wtmsg.EventStarted || a.InfoHash != wtmsg.ID(p.ih) {
				t.Fatalf("connection %d: announce %+v, want started for %s", i+1, a, p.ih)
			}
		case <-ctx.Done():
			t.Fatalf("connection %d: no announce: %v", i+1, ctx.Err())
		}
	}
}
