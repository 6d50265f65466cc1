package tracker

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/testclock"
)

// trkLogs collects a tracker's log lines.
type trkLogs struct {
	mu sync.Mutex
	sb strings.Builder
}

func (l *trkLogs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sb.Write(p)
}

func (l *trkLogs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sb.String()
}

type httpTracker struct {
	*Tracker
	clock *testclock.Clock
	logs  *trkLogs
	base  string // http://127.0.0.1:port
	base6 string // http://[::1]:port, "" without IPv6
}

// startHTTPTracker serves a tracker for hashes on loopback (IPv4 and, when the
// host has it, IPv6) with the handlers mounted where the edge mounts them.
func startHTTPTracker(t *testing.T, cfg Config, hashes ...InfoHash) *httpTracker {
	t.Helper()
	logs := &trkLogs{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	reg := NewRegistry()
	reg.Add(hashes...)
	tr := New(cfg, reg)
	clock := testclock.New(time.Unix(1_800_000_000, 0))
	tr.now, tr.epoch = clock.Now, clock.Now().Add(-time.Second)
	srv := &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) {
			switch string(ctx.Path()) {
			case "/tracker/announce":
				tr.ServeAnnounce(ctx)
			case "/tracker/scrape":
				tr.ServeScrape(ctx)
			default:
				ctx.NotFound()
			}
		},
		ReadTimeout: 5 * time.Second,
	}
	tt := &httpTracker{Tracker: tr, clock: clock, logs: logs}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln) //nolint:errcheck // ends with Shutdown
	tt.base = "http://" + ln.Addr().String()
	if ln6, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		go srv.Serve(ln6) //nolint:errcheck
		tt.base6 = "http://" + ln6.Addr().String()
	}
	t.Cleanup(func() { _ = srv.Shutdown() })
	return tt
}

// httpAnnounceReply is the decoded answer; Peers and Peers6 are compact.
type httpAnnounceReply struct {
	Failure     string `bencode:"failure reason"`
	Complete    int    `bencode:"complete"`
	Incomplete  int    `bencode:"incomplete"`
	Downloaded  int    `bencode:"downloaded"`
	Interval    int    `bencode:"interval"`
	MinInterval int    `bencode:"min interval"`
	Peers       string `bencode:"peers"`
	Peers6      string `bencode:"peers6"`
}

// peers decodes both compact lists.
func (r httpAnnounceReply) peers(t *testing.T) []netip.AddrPort {
	t.Helper()
	if len(r.Peers)%6 != 0 || len(r.Peers6)%18 != 0 {
		t.Fatalf("compact lists of %d and %d bytes", len(r.Peers), len(r.Peers6))
	}
	var out []netip.AddrPort
	for i := 0; i < len(r.Peers); i += 6 {
		b := []byte(r.Peers[i : i+6])
		out = append(out, netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[:4])), uint16(b[4])<<8|uint16(b[5])))
	}
	for i := 0; i < len(r.Peers6); i += 18 {
		b := []byte(r.Peers6[i : i+18])
		out = append(out, netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[:16])), uint16(b[16])<<8|uint16(b[17])))
	}
	return out
}

// httpClient is one simulated BitTorrent client: its own source address (any
// 127.0.0.0/8 address works on Linux loopback) and its own connections.
type httpClient struct {
	http *http.Client
	id   PeerID
	port int
}

func newHTTPClient(t *testing.T, source string, n int) *httpClient {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	if source != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(source)}
	}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &httpClient{
		http: &http.Client{Transport: tr, Timeout: 5 * time.Second},
		id:   trkPeerID(n),
		port: 6000 + n,
	}
}

// announceQuery is the query a real client sends (Go's QueryEscape encodes
// 0x20 as '+', which the tracker must read back as a space).
func (c *httpClient) announceQuery(ih InfoHash, left int, extra string) string {
	q := fmt.Sprintf("info_hash=%s&peer_id=%s&port=%d&uploaded=0&downloaded=0&left=%d&compact=1",
		url.QueryEscape(string(ih[:])), url.QueryEscape(string(c.id[:])), c.port, left)
	if extra != "" {
		q += "&" + extra
	}
	return q
}

func (c *httpClient) get(t *testing.T, rawURL string, header http.Header) httpAnnounceReply {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var r httpAnnounceReply
	if err := bencode.Unmarshal(body, &r); err != nil {
		t.Fatalf("bad bencode %q: %v", body, err)
	}
	return r
}

func (c *httpClient) announce(t *testing.T, base string, ih InfoHash, left int, extra string) httpAnnounceReply {
	t.Helper()
	return c.get(t, base+"/tracker/announce?"+c.announceQuery(ih, left, extra), nil)
}

func (c *httpClient) rawAnnounce(t *testing.T, base, query string) httpAnnounceReply {
	t.Helper()
	return c.get(t, base+"/tracker/announce?"+query, nil)
}

func httpScrapeBody(t *testing.T, rawURL string) []byte {
	t.Helper()
	resp, err := http.Get(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func trkDecodeBencode(b []byte, v any) error { return bencode.Unmarshal(b, v) }
