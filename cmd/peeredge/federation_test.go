package main

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anacrolix/torrent/metainfo"

	"github.com/peeredge/peeredge/internal/testmedia"
)

// The tests here run two nodes as separate processes, each with its own
// data directory and loopback port, federating as two instances would.

const fedToken = "fed-admin-token"

// fedNode is a peeredge process serving ActivityPub on a loopback port.
type fedNode struct {
	addr, data string
	flags      []string
	p          *process
}

// startFedNode starts a node on addr (empty: a free port) over data
// (empty: a new directory) with the admin token fedToken.
func startFedNode(t testing.TB, addr, data string, flags ...string) *fedNode {
	t.Helper()
	if addr == "" {
		addr = freeAddr(t)
	}
	if data == "" {
		data = t.TempDir()
	}
	n := &fedNode{addr: addr, data: data, flags: flags}
	n.start(t)
	return n
}

func (n *fedNode) start(t testing.TB) {
	t.Helper()
	// Many nodes side by side: the smallest disk reserve keeps each
	// ballast file small; no seeder, the WebSeeds suffice.
	args := append([]string{"serve", "--data", n.data, "--listen", n.addr, "--admin-token", fedToken,
		"--federation-allow-private", "--no-seed", "--disk-reserve", "48MiB"}, n.flags...)
	n.p = start(t, nil, args...)
	waitHTTP(t, n.p, n.addr)
}

func (n *fedNode) base() string { return "http://" + n.addr }

// call sends a request with the admin token and a JSON body (empty: none)
// and returns the status and the answer.
func (n *fedNode) call(t testing.TB, method, path, body string) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, n.base()+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+fedToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return do(t, req)
}

func (n *fedNode) getJSON(t testing.TB, path string, v any) {
	t.Helper()
	status, b := n.call(t, http.MethodGet, path, "")
	if status != http.StatusOK {
		t.Fatalf("GET %s%s: %d %s", n.base(), path, status, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s%s: %v in %s", n.base(), path, err, b)
	}
}

// follow makes n's admin follow other, and waits until both ends see the
// follow accepted.
func (n *fedNode) follow(t testing.TB, other *fedNode) {
	t.Helper()
	if status, b := n.call(t, http.MethodPost, "/api/v1/server/following", `{"hosts":["`+other.addr+`"]}`); status != http.StatusNoContent {
		t.Fatalf("follow: %d %s", status, b)
	}
	accepted := func(node *fedNode, which, url string) func() bool {
		return func() bool {
			var f struct {
				Data []struct {
					State               string
					Follower, Following struct{ URL string }
				}
			}
			node.getJSON(t, "/api/v1/server/"+which, &f)
			for _, d := range f.Data {
				if d.State == "accepted" && (d.Follower.URL == url || d.Following.URL == url) {
					return true
				}
			}
			return false
		}
	}
	waitUntil(t, "the follow accepted by "+other.addr, 20*time.Second, accepted(n, "following", other.base()+"/accounts/peertube"))
	waitUntil(t, "the follower listed by "+other.addr, 20*time.Second, accepted(other, "followers", n.base()+"/accounts/peertube"))
}

// publish uploads a one-rung clip and waits until it is published.
func (n *fedNode) publish(t testing.TB, clip string) string {
	t.Helper()
	uuid := upload(t, n.addr, fedToken, clip)
	n.waitPublished(t, uuid)
	return uuid
}

func (n *fedNode) waitPublished(t testing.TB, uuid string) {
	t.Helper()
	waitUntil(t, "video "+uuid+" published", 2*time.Minute, func() bool {
		var v videoState
		n.getJSON(t, "/api/v1/videos/"+uuid, &v)
		if v.State.ID == 7 {
			t.Fatalf("transcoding failed: %+v", v)
		}
		return v.State.ID == 1
	})
}

// fedVideo is what the tests read of a video in the API.
type fedVideo struct {
	UUID    string
	Name    string
	IsLocal bool `json:"isLocal"`
	URL     string
	Account struct{ Name, Host, URL string }
	Channel struct{ Name, Host, URL string }
	State   struct{ ID int }

	StreamingPlaylists []struct {
		PlaylistURL       string `json:"playlistUrl"`
		SegmentsSha256URL string `json:"segmentsSha256Url"`
		Files             []struct {
			FileURL    string `json:"fileUrl"`
			TorrentURL string `json:"torrentUrl"`
			MagnetURI  string `json:"magnetUri"`
			Resolution struct{ ID int }
		}
	} `json:"streamingPlaylists"`
}

// videos lists n's videos (at most 100: PeerTube's page limit).
func (n *fedNode) videos(t testing.TB) []fedVideo {
	t.Helper()
	var list struct {
		Total int
		Data  []fedVideo
	}
	n.getJSON(t, "/api/v1/videos?count=100", &list)
	if list.Total != len(list.Data) {
		t.Fatalf("%s lists %d of %d videos", n.addr, len(list.Data), list.Total)
	}
	return list.Data
}

func (n *fedNode) video(t testing.TB, uuid string) fedVideo {
	t.Helper()
	var v fedVideo
	n.getJSON(t, "/api/v1/videos/"+uuid, &v)
	return v
}

// names maps the uuids of the videos n lists to their names.
func (n *fedNode) names(t testing.TB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, v := range n.videos(t) {
		out[v.UUID] = v.Name
	}
	return out
}

// waitUntil polls cond until it holds or within passed.
func waitUntil(t testing.TB, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkRemoteCopy checks that b shows a's video uuid as a remote one with
// a's URLs and swarm data: the same master playlist, segment hashes,
// files, torrents and magnets as a shows, and magnets whose info hash is
// that of the torrent a serves.
func checkRemoteCopy(t *testing.T, a, b *fedNode, uuid string) {
	t.Helper()
	own, got := a.video(t, uuid), b.video(t, uuid)
	if got.IsLocal || got.Name != own.Name || got.URL != a.base()+"/videos/watch/"+uuid || got.State.ID != 1 ||
		got.Account.Host != a.addr || got.Account.URL != a.base()+"/accounts/root" || got.Channel.Host != a.addr {
		t.Errorf("b shows %+v", got)
	}
	if len(own.StreamingPlaylists) != 1 || len(got.StreamingPlaylists) != 1 {
		t.Fatalf("playlists: a %+v, b %+v", own.StreamingPlaylists, got.StreamingPlaylists)
	}
	op, gp := own.StreamingPlaylists[0], got.StreamingPlaylists[0]
	if !strings.HasPrefix(op.PlaylistURL, a.base()+"/static/streaming-playlists/hls/"+uuid+"/") || gp.PlaylistURL != op.PlaylistURL ||
		gp.SegmentsSha256URL != op.SegmentsSha256URL || len(gp.Files) != len(op.Files) || len(op.Files) == 0 {
		t.Fatalf("b's playlist %+v, a's %+v", gp, op)
	}
	for i, f := range gp.Files {
		of := op.Files[i]
		if f.FileURL != of.FileURL || f.TorrentURL != of.TorrentURL || f.MagnetURI != of.MagnetURI || f.Resolution.ID != of.Resolution.ID {
			t.Errorf("file %d: b %+v, a %+v", i, f, of)
		}
		if !strings.HasPrefix(f.TorrentURL, a.base()+"/lazy-static/torrents/") {
			t.Errorf("torrent %s is not a's", f.TorrentURL)
		}
		resp, err := http.Get(f.TorrentURL)
		if err != nil {
			t.Fatal(err)
		}
		mi, err := metainfo.Load(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("torrent %s: %v", f.TorrentURL, err)
		}
		m, err := url.Parse(f.MagnetURI)
		if err != nil || m.Query().Get("xt") != "urn:btih:"+mi.HashInfoBytes().HexString() {
			t.Errorf("magnet %s: not the info hash %s of a's torrent", f.MagnetURI, mi.HashInfoBytes().HexString())
		}
	}
}

// TestTwoNodesFederate: B's admin follows A through B's REST API; a video
// A publishes, its new name and its deletion reach B, which lists the
// video as remote with A's URLs and swarm data meanwhile.
func TestTwoNodesFederate(t *testing.T) {
	t.Parallel()
	clip := testmedia.Make(t, t.TempDir(), testmedia.Clip{Seconds: 1})
	a, b := startFedNode(t, "", ""), startFedNode(t, "", "")
	began := time.Now()
	b.follow(t, a)
	t.Logf("follow accepted in %v", time.Since(began).Round(time.Millisecond))

	uuid := a.publish(t, clip)
	published := time.Now()
	waitUntil(t, "B to list A's video", 20*time.Second, func() bool { return b.names(t)[uuid] != "" })
	t.Logf("B lists the video %v after A published it", time.Since(published).Round(time.Millisecond))
	checkRemoteCopy(t, a, b, uuid)

	if status, body := a.call(t, http.MethodPut, "/api/v1/videos/"+uuid, `{"name":"Renamed on A"}`); status != http.StatusNoContent {
		t.Fatalf("rename: %d %s", status, body)
	}
	waitUntil(t, "the new name on B", 20*time.Second, func() bool { return b.names(t)[uuid] == "Renamed on A" })
	checkRemoteCopy(t, a, b, uuid)

	if status, body := a.call(t, http.MethodDelete, "/api/v1/videos/"+uuid, ""); status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", status, body)
	}
	waitUntil(t, "the deletion on B", 20*time.Second, func() bool { return len(b.videos(t)) == 0 })
	if status, _ := b.call(t, http.MethodGet, "/api/v1/videos/"+uuid, ""); status != http.StatusNotFound {
		t.Errorf("B still shows the deleted video: %d", status)
	}
}

// TestFederationSurvivesRestart: B is killed; while it is down A
// publishes, renames and deletes videos (one renamed, then deleted), and
// its queue keeps retrying; B started again on the same port and data
// directory ends with exactly A's videos, also once A's queue is empty
// (a retried Update that arrives after its video's Delete does not bring
// the video back).
func TestFederationSurvivesRestart(t *testing.T) {
	t.Parallel()
	clip := testmedia.Make(t, t.TempDir(), testmedia.Clip{Seconds: 1})
	a := startFedNode(t, "", "", "--delivery-retry", "200ms")
	b := startFedNode(t, "", "")
	b.follow(t, a)
	v0, v1 := a.publish(t, clip), a.publish(t, clip)
	waitUntil(t, "B to list A's two videos", 20*time.Second, func() bool { return maps.Equal(b.names(t), a.names(t)) })

	// Killed, not stopped: B has no chance to finish anything.
	if err := b.p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-b.p.done
	down := time.Now()
	retriesBefore := strings.Count(a.p.stderr.String(), "delivery failed; will retry")
	v2 := a.publish(t, clip)
	for _, c := range []struct{ method, uuid, body string }{
		{http.MethodPut, v2, `{"name":"New while B was down"}`},
		{http.MethodPut, v1, `{"name":"Renamed while B was down"}`},
		{http.MethodPut, v0, `{"name":"Renamed, then deleted"}`},
		{http.MethodDelete, v0, ""},
	} {
		if status, body := a.call(t, c.method, "/api/v1/videos/"+c.uuid, c.body); status != http.StatusNoContent {
			t.Fatalf("%s %s: %d %s", c.method, c.uuid, status, body)
		}
	}
	// Six deliveries wait for B (Create and Announce of v2, three
	// Updates, a Delete): each has failed at least once before B comes
	// back.
	waitUntil(t, "A's deliveries to fail", 20*time.Second, func() bool {
		return strings.Count(a.p.stderr.String(), "delivery failed; will retry")-retriesBefore >= 6
	})
	want := a.names(t)
	if len(want) != 2 || want[v2] != "New while B was down" || want[v1] != "Renamed while B was down" {
		t.Fatalf("A lists %v", want)
	}

	b.start(t)
	back := time.Now()
	waitUntil(t, "B to catch up with A", time.Minute, func() bool { return maps.Equal(b.names(t), want) })
	t.Logf("B down %v; caught up %v after its restart", back.Sub(down).Round(time.Millisecond), time.Since(back).Round(time.Millisecond))
	waitUntil(t, "A's queue to empty", time.Minute, func() bool {
		var r struct{ Deliveries struct{ Queued int } }
		status, body := a.call(t, http.MethodGet, "/api/v1/admin/federation", "")
		return status == http.StatusOK && json.Unmarshal(body, &r) == nil && r.Deliveries.Queued == 0
	})
	if got := b.names(t); !maps.Equal(got, want) {
		t.Errorf("once A's queue is empty, B lists %v; want %v", got, want)
	}
	for uuid := range want {
		checkRemoteCopy(t, a, b, uuid)
	}
	if err := b.p.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("B's exit: %v", err)
	}
	if err := a.p.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("A's exit: %v", err)
	}
}

// TestFederationFlags: --followers-manual-approval keeps a follower
// pending until the admin accepts it, and without
// --federation-allow-private a node does not reach another on loopback.
func TestFederationFlags(t *testing.T) {
	t.Parallel()
	a := startFedNode(t, "", "", "--followers-manual-approval")
	b := startFedNode(t, "", "")
	if status, body := b.call(t, http.MethodPost, "/api/v1/server/following", `{"hosts":["`+a.addr+`"]}`); status != http.StatusNoContent {
		t.Fatalf("follow: %d %s", status, body)
	}
	state := func(n *fedNode, which string) string {
		var f struct{ Data []struct{ State string } }
		n.getJSON(t, "/api/v1/server/"+which, &f)
		if len(f.Data) != 1 {
			return ""
		}
		return f.Data[0].State
	}
	waitUntil(t, "B's follow pending on A", 20*time.Second, func() bool { return state(a, "followers") == "pending" })
	if s := state(b, "following"); s != "pending" {
		t.Fatalf("B's follow is %q before A's admin decided", s)
	}
	if status, body := a.call(t, http.MethodPost, "/api/v1/server/followers/peertube@"+b.addr+"/accept", ""); status != http.StatusNoContent {
		t.Fatalf("accept: %d %s", status, body)
	}
	waitUntil(t, "B's follow accepted", 20*time.Second, func() bool { return state(b, "following") == "accepted" })

	// The same follow from a node that keeps to public addresses.
	strict := freeAddr(t)
	p := start(t, nil, "serve", "--data", t.TempDir(), "--listen", strict, "--admin-token", fedToken, "--no-seed", "--disk-reserve", "48MiB")
	waitHTTP(t, p, strict)
	c := &fedNode{addr: strict, p: p}
	if status, body := c.call(t, http.MethodPost, "/api/v1/server/following", `{"hosts":["`+a.addr+`"]}`); status != http.StatusBadGateway {
		t.Errorf("follow of a loopback host without --federation-allow-private: %d %s", status, body)
	}
	if !strings.Contains(a.p.stderr.String(), "for tests and closed networks only") {
		t.Error("no warning at the start of a node allowed private addresses")
	}
}
