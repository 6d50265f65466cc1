package tracker

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"
)

// wsHarness is a real tracker behind a real fasthttp server on loopback.
type wsHarness struct {
	tracker *Tracker
	reg     *Registry
	srv     *SocketServer
	url     string
}

// wsTestConfig never rate limits: every test client shares 127.0.0.1.
func wsTestConfig() Config {
	return Config{Rate: 1e6, Burst: 1e6, AlarmDistinct: 1000, Logger: slog.New(slog.DiscardHandler)}
}

func newWSHarness(t testing.TB, cfg Config, scfg SocketConfig, known ...InfoHash) *wsHarness {
	t.Helper()
	reg := NewRegistry()
	reg.Add(known...)
	tr := New(cfg, reg)
	srv := NewSocketServer(tr, scfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpSrv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/tracker/socket" {
			srv.Serve(ctx)
			return
		}
		ctx.NotFound()
	}}
	go func() { _ = httpSrv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		_ = httpSrv.Shutdown()
	})
	return &wsHarness{tracker: tr, reg: reg, srv: srv, url: "ws://" + ln.Addr().String() + "/tracker/socket"}
}

// waitStats polls the server's stats until ok or a 5 s deadline.
func (h *wsHarness) waitStats(t testing.TB, what string, ok func(SocketStats) bool) SocketStats {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := h.srv.Stats()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; stats %+v", what, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// wsClient is a real WebSocket client speaking JSON.
type wsClient struct {
	t    testing.TB
	conn *websocket.Conn
}

func (h *wsHarness) dial(t testing.TB) *wsClient {
	t.Helper()
	return h.dialWith(t, nil)
}

// dialWith dials with extra request headers.
func (h *wsHarness) dialWith(t testing.TB, header http.Header) *wsClient {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial(h.url, header)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	_ = resp.Body.Close()
	t.Cleanup(func() { _ = conn.Close() })
	return &wsClient{t: t, conn: conn}
}

func (c *wsClient) send(msg map[string]any) {
	c.t.Helper()
	data, err := json.Marshal(msg)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(websocket.TextMessage, data)
}

func (c *wsClient) sendRaw(kind int, data []byte) {
	c.t.Helper()
	_ = c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := c.conn.WriteMessage(kind, data); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// readMsg returns the next message, or an error (closed socket, timeout).
func (c *wsClient) readMsg() (map[string]any, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := c.conn.ReadMessage()
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	return m, nil
}

func (c *wsClient) read() map[string]any {
	c.t.Helper()
	m, err := c.readMsg()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return m
}

// expectFailure reads a message that must be a failure containing want.
func (c *wsClient) expectFailure(want string) map[string]any {
	c.t.Helper()
	m := c.read()
	reason, _ := m["failure reason"].(string)
	if !strings.Contains(reason, want) {
		c.t.Fatalf("want failure containing %q, got %v", want, m)
	}
	if m["action"] != "announce" && m["action"] != "scrape" {
		c.t.Fatalf("failure without a valid action (the JS client would reconnect): %v", m)
	}
	return m
}

// expectClosed reads until the server closes the socket.
func (c *wsClient) expectClosed() {
	c.t.Helper()
	for range 10 {
		if _, err := c.readMsg(); err != nil {
			var closeErr *websocket.CloseError
			if !errors.As(err, &closeErr) && !strings.Contains(err.Error(), "EOF") && !strings.Contains(err.Error(), "reset") {
				c.t.Fatalf("want the server to close, got %v", err)
			}
			return
		}
	}
	c.t.Fatal("socket still open")
}

// announce sends an announce and returns its reply.
func (c *wsClient) announce(ih InfoHash, peer PeerID, extra map[string]any) map[string]any {
	c.t.Helper()
	c.send(wsAnnounceMsg(ih, peer, extra))
	return c.read()
}

// expectReply reads an announce reply for ih and returns (complete, incomplete).
func (c *wsClient) expectReply(m map[string]any, ih InfoHash) (int, int) {
	c.t.Helper()
	if m["action"] != "announce" || m["failure reason"] != nil || m["interval"] == nil {
		c.t.Fatalf("want an announce reply, got %v", m)
	}
	if got := wsBytes(c.t, m["info_hash"]); got != ih {
		c.t.Fatalf("reply info_hash %x, want %x", got, ih)
	}
	return int(m["complete"].(float64)), int(m["incomplete"].(float64))
}

func wsAnnounceMsg(ih InfoHash, peer PeerID, extra map[string]any) map[string]any {
	m := map[string]any{
		"action": "announce", "info_hash": wsBinStr(ih), "peer_id": wsBinStr(peer),
		"uploaded": 0, "downloaded": 0, "left": 1000,
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// wsOffers builds n offers whose ids start with base.
func wsOffers(n int, base byte) ([]map[string]any, [][20]byte) {
	offers := make([]map[string]any, n)
	ids := make([][20]byte, n)
	for i := range n {
		ids[i] = wsID(base, byte(i))
		offers[i] = map[string]any{"offer_id": wsBinStr(ids[i]), "offer": map[string]any{"type": "offer", "sdp": "v=0 offer " + string(rune('a'+i%26))}}
	}
	return offers, ids
}

// wsID is an id with bytes that exercise the encoding: ≥ 0x80, NUL, quote, backslash.
func wsID(a, b byte) [20]byte {
	return [20]byte{a, b, 0x80, 0xFF, 0x00, '"', '\\', 0x7F, 0xC3, 0xA9, 0x1F, 'x', 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 0xFE}
}

// wsBinStr is how the JS client writes an id: one code point per byte.
func wsBinStr(id [20]byte) string {
	r := make([]rune, len(id))
	for i, b := range id {
		r[i] = rune(b)
	}
	return string(r)
}

func wsBytes(t testing.TB, v any) [20]byte {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("id %v is not a string", v)
	}
	var id [20]byte
	n := 0
	for _, r := range s {
		if r > 0xFF || n == 20 {
			t.Fatalf("id %q is not a 20-byte binary string", s)
		}
		id[n] = byte(r)
		n++
	}
	if n != 20 {
		t.Fatalf("id %q has %d characters", s, n)
	}
	return id
}
