package tracker

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// BenchmarkRelayOffers runs real sockets on loopback: wsBenchClients peers in
// one swarm, each announcing with 5 offers (what WebTorrent sends) and
// waiting for its reply before the next; every peer counts the offers it
// receives. One op is one announce; the metric is offers delivered per second.
func BenchmarkRelayOffers(b *testing.B) {
	const wsBenchClients = 16
	const offersPerAnnounce = 5
	h := newWSHarness(b, wsTestConfig(), SocketConfig{}, wsHashA)
	sdp := strings.Repeat("a=candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host\r\n", 16) // ~1 KiB like a browser offer

	type benchPeer struct {
		c       *wsClient
		msg     []byte
		replies chan struct{}
	}
	var delivered atomic.Uint64
	peers := make([]*benchPeer, wsBenchClients)
	var readers sync.WaitGroup
	for i := range peers {
		c := h.dial(b)
		id := wsID(byte(i), 0xB0)
		offers := make([]map[string]any, offersPerAnnounce)
		for k := range offers {
			offers[k] = map[string]any{"offer_id": wsBinStr(wsID(byte(i), byte(k))), "offer": map[string]any{"type": "offer", "sdp": sdp}}
		}
		msg, _ := json.Marshal(wsAnnounceMsg(wsHashA, id, map[string]any{"numwant": offersPerAnnounce, "offers": offers}))
		p := &benchPeer{c: c, msg: msg, replies: make(chan struct{}, 1)}
		peers[i] = p
		// Join without offers so that every peer is in the swarm before timing.
		c.expectReply(c.announce(wsHashA, id, nil), wsHashA)
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				_ = c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
				_, data, err := c.conn.ReadMessage()
				if err != nil {
					return
				}
				if bytes.Contains(data, []byte(`"offer":`)) {
					delivered.Add(1)
				} else {
					p.replies <- struct{}{}
				}
			}
		}()
	}

	b.ResetTimer()
	start := time.Now()
	var senders sync.WaitGroup
	for i, p := range peers {
		n := b.N / wsBenchClients
		if i < b.N%wsBenchClients {
			n++
		}
		senders.Add(1)
		_ = p.c.conn.SetWriteDeadline(time.Time{}) // the join left a 5 s deadline
		go func() {
			defer senders.Done()
			for range n {
				if err := p.c.conn.WriteMessage(websocket.TextMessage, p.msg); err != nil {
					b.Error(err)
					return
				}
				<-p.replies
			}
		}()
	}
	senders.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for delivered.Load() < h.srv.Stats().OffersRelayed && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()

	st := h.srv.Stats()
	if got := delivered.Load(); got != st.OffersRelayed || st.SlowDropped != 0 {
		b.Fatalf("delivered %d of %d relayed offers, %d slow drops", got, st.OffersRelayed, st.SlowDropped)
	}
	b.ReportMetric(float64(delivered.Load())/elapsed.Seconds(), "offers/s")
	for _, p := range peers {
		_ = p.c.conn.Close()
	}
	readers.Wait()
}
