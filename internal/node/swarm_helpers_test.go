package node

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
	"github.com/fasthttp/websocket"

	"github.com/peeredge/peeredge/internal/testmedia"
	"github.com/peeredge/peeredge/swarm"
	"github.com/peeredge/peeredge/swarm/tracker"
)

// swarmRung is one published rung as a BitTorrent client meets it.
type swarmRung struct {
	name       string // {uuid}-{height}-fragmented.mp4
	path       string // the file under DATA/media/...
	torrentURL string
	ih         metainfo.Hash
	size       int64
}

// adminStats is GET /api/v1/admin/tracker.
type adminStats struct {
	P2PEnabled bool                `json:"p2pEnabled"`
	HTTP       tracker.Stats       `json:"http"`
	WebSocket  tracker.SocketStats `json:"webSocket"`
	Seeder     *struct {
		Torrents      int
		BytesUploaded int64
		Peers         int
		WebRTCConns   int64 `json:"webrtcConnections"`
	} `json:"seeder"`
}

func (n *testNode) adminStats(t *testing.T) adminStats {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, n.base+"/api/v1/admin/tracker", nil)
	req.Header.Set("Authorization", "Bearer "+n.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var st adminStats
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &st) != nil {
		t.Fatalf("GET /api/v1/admin/tracker: %s %s", resp.Status, b)
	}
	return st
}

// waitStats polls the admin stats until ok, for at most 15 s.
func (n *testNode) waitStats(t *testing.T, what string, ok func(adminStats) bool) adminStats {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		st := n.adminStats(t)
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; stats %+v seeder %+v", what, st, st.Seeder)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// publishForSwarm uploads a clip, waits until it is published, seeded and
// announced (the seeder is a peer of every rung on both trackers), and
// returns its rungs.
func (n *testNode) publishForSwarm(t *testing.T, clip testmedia.Clip) []swarmRung {
	t.Helper()
	path := testmedia.Make(t, t.TempDir(), clip)
	body, ct := multipartBody(t, map[string]string{"name": "swarm"}, path)
	resp, b := n.upload(t, n.token, body, ct)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("upload: %s %s", resp.Status, b)
	}
	var up struct{ Video struct{ UUID string } }
	if err := json.Unmarshal(b, &up); err != nil {
		t.Fatal(err)
	}
	v, _ := n.waitPublished(t, up.Video.UUID)
	var rungs []swarmRung
	for _, f := range v.StreamingPlaylists[0].Files {
		mi := n.servedTorrent(t, f.TorrentURL)
		info, err := mi.UnmarshalInfo()
		if err != nil {
			t.Fatal(err)
		}
		rungs = append(rungs, swarmRung{
			name:       info.Name,
			path:       filepath.Join(n.data, "media", "streaming-playlists", "hls", v.UUID, info.Name),
			torrentURL: f.TorrentURL,
			ih:         mi.HashInfoBytes(),
			size:       f.Size,
		})
	}
	// Publishing marks the video before the tracker and seeder learn of
	// it; clients started earlier would miss the seeder until their next
	// announce, minutes later.
	n.waitStats(t, "the seeder on both trackers", func(st adminStats) bool {
		return st.Seeder != nil && st.Seeder.Torrents >= len(rungs) &&
			st.HTTP.Peers >= len(rungs) && st.WebSocket.Peers >= len(rungs)
	})
	return rungs
}

// servedTorrent downloads and parses a torrent from the node.
func (n *testNode) servedTorrent(t *testing.T, url string) *metainfo.MetaInfo {
	t.Helper()
	path := filepath.Join(t.TempDir(), "served.torrent")
	fetch(t, url, path)
	mi, _, err := swarm.ReadTorrentFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return mi
}

// writeTorrent writes mi to a temp file for a client to read.
func writeTorrent(t *testing.T, mi *metainfo.MetaInfo) string {
	t.Helper()
	b, err := bencode.Marshal(mi)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "client.torrent")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// onlyTrackers keeps the announce URLs with the given scheme prefix, each in
// its own tier, and drops every WebSeed. The info dict, hence the info
// hash, is untouched.
func onlyTrackers(mi *metainfo.MetaInfo, prefix string) *metainfo.MetaInfo {
	out := *mi
	out.UrlList = nil
	out.AnnounceList = nil
	out.Announce = ""
	for _, tier := range mi.AnnounceList {
		for _, u := range tier {
			if strings.HasPrefix(u, prefix) {
				out.AnnounceList = append(out.AnnounceList, []string{u})
				if out.Announce == "" {
					out.Announce = u
				}
			}
		}
	}
	return &out
}

// announceReply is a decoded HTTP announce answer.
type announceReply struct {
	FailureReason string `bencode:"failure reason"`
	Interval      int    `bencode:"interval"`
	Complete      int    `bencode:"complete"`
	Incomplete    int    `bencode:"incomplete"`
	Peers         []byte `bencode:"peers"`
}

// peerCount is the number of compact IPv4 peers in the answer.
func (r announceReply) peerCount() int { return len(r.Peers) / 6 }

// httpAnnounce sends a BEP 3 announce to the node's tracker from the
// loopback address src (127.0.0.0/8 is all ours, so every address there
// is a distinct client to the tracker).
func (n *testNode) httpAnnounce(t *testing.T, src netip.Addr, ih metainfo.Hash, peerID [20]byte, port, numwant int) announceReply {
	t.Helper()
	q := url.Values{
		"info_hash":  {string(ih[:])},
		"peer_id":    {string(peerID[:])},
		"port":       {strconv.Itoa(port)},
		"uploaded":   {"0"},
		"downloaded": {"0"},
		"left":       {"1000"},
		"compact":    {"1"},
		"event":      {"started"},
		"numwant":    {strconv.Itoa(numwant)},
	}
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: src.AsSlice()}, Timeout: 5 * time.Second}
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{DialContext: dialer.DialContext, DisableKeepAlives: true},
	}
	resp, err := client.Get(n.base + "/tracker/announce?" + q.Encode())
	if err != nil {
		t.Fatalf("announce from %s: %v", src, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	var r announceReply
	if resp.StatusCode != http.StatusOK || bencode.Unmarshal(b, &r) != nil {
		t.Fatalf("announce from %s: %s %q", src, resp.Status, b)
	}
	return r
}

// wsAnnounce sends one WebTorrent announce (no offers) over a fresh socket
// to the node's /tracker/socket and returns the first reply.
func (n *testNode) wsAnnounce(t *testing.T, ih metainfo.Hash, peerID [20]byte) map[string]any {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(n.base, "http")+"/tracker/socket", nil)
	if err != nil {
		t.Fatalf("dial /tracker/socket: %v", err)
	}
	resp.Body.Close()
	defer conn.Close()
	msg := map[string]any{
		"action": "announce", "info_hash": binaryString(ih[:]), "peer_id": binaryString(peerID[:]),
		"numwant": 0, "uploaded": 0, "downloaded": 0, "left": 1000, "event": "started",
	}
	conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := conn.WriteJSON(msg); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var reply map[string]any
	if err := conn.ReadJSON(&reply); err != nil {
		t.Fatalf("read announce reply: %v", err)
	}
	return reply
}

// binaryString is WebTorrent's encoding of binary ids: one rune per byte.
func binaryString(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// testPeerID is a distinct 20-byte peer id per i.
func testPeerID(i int) [20]byte {
	var id [20]byte
	copy(id[:], fmt.Sprintf("-PE0001-%012d", i))
	return id
}

// slowWebSeed is a throttling reverse proxy in front of the node's WebSeed:
// on loopback the node's WebSeed is so fast that aria2c has the whole file
// from it before it has even connected to a peer, so the test puts this in
// the torrent's url-list to give the seeder a share.
type slowWebSeed struct {
	node            string // the node's base URL
	chunk           int
	pause           time.Duration
	requests, bytes atomic.Int64
}

func startSlowWebSeed(t *testing.T, node string, chunk int, pause time.Duration) (*slowWebSeed, string) {
	t.Helper()
	s := &slowWebSeed{node: node, chunk: chunk, pause: pause}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL
}

func (s *slowWebSeed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	up, err := http.NewRequestWithContext(r.Context(), r.Method, s.node+r.URL.Path, nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if rg := r.Header.Get("Range"); rg != "" {
		up.Header.Set("Range", rg)
	}
	resp, err := http.DefaultClient.Do(up)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for _, h := range []string{"Content-Type", "Content-Length", "Content-Range", "Accept-Ranges"} {
		if v := resp.Header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	buf := make([]byte, s.chunk)
	for {
		n, err := io.ReadFull(resp.Body, buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			s.bytes.Add(int64(n))
			w.(http.Flusher).Flush()
		}
		if err != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(s.pause):
		}
	}
}
