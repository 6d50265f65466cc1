package node

import (
	"bytes"
	"cmp"
	"context"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/peeredge/peeredge/internal/netns"

	"github.com/anacrolix/torrent"
	"github.com/anacrolix/torrent/storage"

	"github.com/peeredge/peeredge/internal/btclient"
	"github.com/peeredge/peeredge/internal/testmedia"
	"github.com/peeredge/peeredge/swarm/tracker"
)

// End-to-end tests of the node's swarm side: real clients meet the node's
// seeder through the node's own trackers, on loopback.

// smallClip publishes one 240p rung quickly.
var smallClip = testmedia.Clip{Width: 320, Height: 240, Seconds: 2}

// requireSameFile fails unless path holds exactly the bytes of want.
func requireSameFile(t *testing.T, client, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s's file: %v", client, err)
	}
	wantBytes, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, wantBytes) {
		t.Fatalf("%s's file (%d bytes) differs from the published %d-byte file", client, len(got), len(wantBytes))
	}
}

// TestQBittorrentDownloadsFromNodeSeeder: a desktop client with nothing
// but the node's HTTP tracker (no WebSeed, no ws://) finds the node's
// seeder there and gets every byte from it.
func TestQBittorrentDownloadsFromNodeSeeder(t *testing.T) {
	btclient.NeedBinary(t, "qbittorrent-nox")
	n := startNode(t, Config{})
	r := n.publishForSwarm(t, smallClip)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	mi := onlyTrackers(n.servedTorrent(t, r.torrentURL), "http://")
	if len(mi.AnnounceList) != 1 || !strings.HasSuffix(mi.Announce, "/tracker/announce") {
		t.Fatalf("served torrent has no HTTP tracker of the node: %q %v", mi.Announce, mi.AnnounceList)
	}
	if mi.HashInfoBytes() != r.ih {
		t.Fatal("rewriting the torrent changed its info hash")
	}
	before := n.adminStats(t)
	qb := btclient.StartQBittorrent(t, ctx)
	qb.AddTorrent(t, ctx, writeTorrent(t, mi))
	qb.WaitComplete(t, ctx, r.ih)
	requireSameFile(t, "qBittorrent", filepath.Join(qb.SaveDir, r.name), r.path)

	after := n.adminStats(t)
	if up := after.Seeder.BytesUploaded - before.Seeder.BytesUploaded; up < r.size {
		t.Errorf("seeder uploaded %d bytes during the download, want at least the file's %d", up, r.size)
	}
	if after.HTTP.Announces <= before.HTTP.Announces {
		t.Errorf("qBittorrent never announced to the node's tracker: %+v", after.HTTP)
	}
}

// TestAria2DownloadsFromNodeSeederAndWebSeed: aria2c with the torrent as
// served (the node's HTTP tracker, a ws:// tier it ignores, the WebSeed)
// gets the file from the seeder and the WebSeed together.
//
// Observed: with the node's WebSeed at full loopback speed aria2c has even
// a 0.9 MB rung from it before it connects to the seeder (the seeder sent
// 0 bytes). So the url-list points at a throttling proxy in front of the
// node's own WebSeed URL (about 80 KiB/s); then both sources contribute
// (about 70 % from the seeder here).
func TestAria2DownloadsFromNodeSeederAndWebSeed(t *testing.T) {
	btclient.NeedBinary(t, "aria2c")
	n := startNode(t, Config{})
	rungs := n.publishForSwarm(t, testmedia.Clip{Width: 640, Height: 360, Seconds: 4})
	r := slices.MaxFunc(rungs, func(a, b swarmRung) int { return cmp.Compare(a.size, b.size) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	mi := n.servedTorrent(t, r.torrentURL)
	if len(mi.UrlList) != 1 || len(mi.AnnounceList) != 2 {
		t.Fatalf("served torrent has WebSeeds %v and trackers %v, want one and two", mi.UrlList, mi.AnnounceList)
	}
	webSeed, err := url.Parse(mi.UrlList[0])
	if err != nil || webSeed.Scheme+"://"+webSeed.Host != n.base {
		t.Fatalf("WebSeed %q is not on the node: %v", mi.UrlList[0], err)
	}
	slow, slowBase := startSlowWebSeed(t, n.base, 8<<10, 100*time.Millisecond)
	mi.UrlList = []string{slowBase + webSeed.Path}

	before := n.adminStats(t)
	out := t.TempDir()
	start := time.Now()
	if err := btclient.Aria2Download(t, ctx, writeTorrent(t, mi), out); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	requireSameFile(t, "aria2c", filepath.Join(out, r.name), r.path)
	after := n.adminStats(t)
	up := after.Seeder.BytesUploaded - before.Seeder.BytesUploaded
	t.Logf("%d-byte file in %v: seeder uploaded %d bytes, WebSeed sent %d bytes in %d requests",
		r.size, took.Round(time.Millisecond), up, slow.bytes.Load(), slow.requests.Load())
	if up == 0 {
		t.Error("the seeder uploaded nothing: aria2c used only the WebSeed")
	}
	if slow.bytes.Load() == 0 {
		t.Error("aria2c never used the WebSeed")
	}
}

// TestWebRTCDownloadFromNodeSeeder: an anacrolix client that can only
// speak WebRTC meets the node's seeder through /tracker/socket (the
// torrent keeps only its ws:// tracker) and downloads the rung.
func TestWebRTCDownloadFromNodeSeeder(t *testing.T) {
	if !netns.Isolate(t) {
		return // ran in a namespace of its own: WebRTC skips loopback
	}
	n := startNode(t, Config{})
	r := n.publishForSwarm(t, smallClip)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	mi := onlyTrackers(n.servedTorrent(t, r.torrentURL), "ws://")
	if len(mi.AnnounceList) != 1 || !strings.HasSuffix(mi.Announce, "/tracker/socket") {
		t.Fatalf("served torrent has no ws:// tracker of the node: %q %v", mi.Announce, mi.AnnounceList)
	}
	before := n.adminStats(t)

	dir := t.TempDir()
	cc := torrent.NewDefaultClientConfig()
	cc.DataDir = dir
	cc.DefaultStorage = storage.NewFileWithCompletion(dir, storage.NewMapPieceCompletion())
	cc.DisableTCP, cc.DisableUTP = true, true // WebRTC is the only way left
	cc.DisableWebseeds = true
	cc.NoDHT, cc.DisablePEX, cc.NoDefaultPortForwarding = true, true, true
	cc.Slogger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	cl, err := torrent.NewClient(cc)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	tor, err := cl.AddTorrent(mi)
	if err != nil {
		t.Fatal(err)
	}
	<-tor.GotInfo()
	tor.DownloadAll()
	select {
	case <-tor.Complete().On():
	case <-ctx.Done():
		t.Fatalf("WebRTC download incomplete: %v (%d of %d bytes); stats %+v",
			ctx.Err(), tor.BytesCompleted(), tor.Length(), n.adminStats(t).WebSocket)
	}
	rd := tor.NewReader()
	got, err := io.ReadAll(rd)
	rd.Close()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(r.path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("WebRTC download (%d bytes) differs from the published %d-byte file", len(got), len(want))
	}
	after := n.adminStats(t)
	ws := after.WebSocket
	if ws.OffersRelayed <= before.WebSocket.OffersRelayed || ws.AnswersRelayed <= before.WebSocket.AnswersRelayed {
		t.Errorf("no offer/answer relayed through /tracker/socket: before %+v after %+v", before.WebSocket, ws)
	}
	if up := after.Seeder.BytesUploaded - before.Seeder.BytesUploaded; up < r.size {
		t.Errorf("seeder uploaded %d bytes, want at least the file's %d", up, r.size)
	}
	if after.Seeder.WebRTCConns <= before.Seeder.WebRTCConns {
		t.Errorf("the seeder opened no WebRTC data channel: before %+v after %+v", before.Seeder, after.Seeder)
	}
}

// TestP2POffClosesTheTrackers: the admin switch refuses both tracker
// protocols for published torrents, and switching back restores them.
func TestP2POffClosesTheTrackers(t *testing.T) {
	n := startNode(t, Config{})
	rungs := n.publishForSwarm(t, smallClip)
	ih := rungs[0].ih
	viewer := netip.MustParseAddr("127.0.0.2")

	check := func(on bool) {
		t.Helper()
		hr := n.httpAnnounce(t, viewer, ih, testPeerID(1), 6881, 10)
		wr := n.wsAnnounce(t, ih, testPeerID(2))
		wsReason, _ := wr["failure reason"].(string)
		if on {
			if hr.FailureReason != "" || hr.Interval <= 0 {
				t.Errorf("P2P on: HTTP announce %+v", hr)
			}
			if wsReason != "" || wr["interval"] == nil {
				t.Errorf("P2P on: WebSocket announce %v", wr)
			}
			return
		}
		if !strings.Contains(hr.FailureReason, "peer-to-peer") || hr.peerCount() != 0 {
			t.Errorf("P2P off: HTTP announce %+v, want a failure reason about peer-to-peer and no peers", hr)
		}
		if !strings.Contains(wsReason, "peer-to-peer") || wr["action"] != "announce" {
			t.Errorf("P2P off: WebSocket announce %v, want a failure reason about peer-to-peer", wr)
		}
	}
	check(true)
	if code, b := n.setP2P(t, n.token, `{"enabled":false}`); code != 200 {
		t.Fatalf("switch off: %d %s", code, b)
	}
	check(false)
	if st := n.adminStats(t); st.P2PEnabled || st.HTTP.Refused == 0 || st.WebSocket.Refused == 0 {
		t.Errorf("admin stats after refusals: p2p %v http %+v ws %+v", st.P2PEnabled, st.HTTP, st.WebSocket)
	}
	if code, b := n.setP2P(t, n.token, `{"enabled":true}`); code != 200 {
		t.Fatalf("switch on: %d %s", code, b)
	}
	check(true)
}

// TestTrackerPrivacyLimitsThroughNode: through the node's port, no
// announce learns more than the peer cap, and an address sweeping many
// info hashes raises the alarm while a normal viewer does not.
func TestTrackerPrivacyLimitsThroughNode(t *testing.T) {
	const alarmDistinct = 5
	n := startNode(t, Config{Tracker: tracker.Config{AlarmDistinct: alarmDistinct}})
	rungs := n.publishForSwarm(t, testmedia.Clip{Width: 640, Height: 360, Seconds: 2})
	if len(rungs) < 2 {
		t.Fatalf("want two rungs, got %d", len(rungs))
	}
	ih := rungs[0].ih

	// 30 viewers, each from its own loopback address.
	const viewers = 30
	for i := range viewers {
		src := netip.AddrFrom4([4]byte{127, 0, 1, byte(i + 1)})
		if r := n.httpAnnounce(t, src, ih, testPeerID(i), 6881, 0); r.FailureReason != "" {
			t.Fatalf("viewer %d: %s", i, r.FailureReason)
		}
	}
	probe := netip.MustParseAddr("127.0.2.1")
	for _, numwant := range []int{-1, 1, 19, 20, 21, 50, 1000} {
		r := n.httpAnnounce(t, probe, ih, testPeerID(1000), 6881, numwant)
		want := tracker.DefaultMaxPeers
		if numwant > 0 && numwant < want {
			want = numwant
		}
		if r.FailureReason != "" || r.peerCount() != want || len(r.Peers)%6 != 0 {
			t.Errorf("numwant %d: %d peers (%d bytes, %q), want %d of the %d in the swarm",
				numwant, r.peerCount(), len(r.Peers), r.FailureReason, want, viewers)
		}
	}

	// A normal viewer announces every rung, several times.
	viewer := netip.MustParseAddr("127.0.3.1")
	for range 3 {
		for _, r := range rungs {
			if a := n.httpAnnounce(t, viewer, r.ih, testPeerID(2000), 6881, 5); a.FailureReason != "" {
				t.Fatalf("viewer refused: %s", a.FailureReason)
			}
		}
	}
	if st := n.adminStats(t); st.HTTP.Alarms != 0 {
		t.Fatalf("alarm raised by normal viewers: %+v", st.HTTP)
	}

	// A scanner sweeps two known and many unknown info hashes.
	scanner := netip.MustParseAddr("127.0.4.1")
	for i := range 2 * alarmDistinct {
		target := rungs[i%len(rungs)].ih
		if i >= len(rungs) {
			target[0], target[19] = 0xEE, byte(i)
		}
		n.httpAnnounce(t, scanner, target, testPeerID(3000), 6881, 50)
	}
	if st := n.adminStats(t); st.HTTP.Alarms < 1 {
		t.Errorf("scanner raised no alarm: %+v", st.HTTP)
	}
}

// TestSeederNotLimitedByItsOwnTracker: the seeder announces every torrent
// of the node at once, over HTTP and WebSocket, which from a stranger
// would be rate limited and taken for a scan; the node's secret header
// exempts it, so even under limits this strict it joins every swarm.
func TestSeederNotLimitedByItsOwnTracker(t *testing.T) {
	n := startNode(t, Config{Tracker: tracker.Config{Rate: 1e-9, Burst: 1, AlarmDistinct: 1, AlarmBlock: time.Hour}})
	rungs := n.publishForSwarm(t, testmedia.Clip{Width: 640, Height: 360, Seconds: 2}) // waits for both trackers
	if len(rungs) < 2 {
		t.Fatalf("want two rungs, got %d", len(rungs))
	}
	if st := n.adminStats(t); st.HTTP.RateLimited != 0 || st.HTTP.Alarms != 0 || st.HTTP.Blocked != 0 {
		t.Fatalf("the seeder was limited by its own tracker: %+v", st.HTTP)
	}
	// The limits still hold for everyone else on the same address.
	viewer := netip.MustParseAddr("127.0.0.1")
	n.httpAnnounce(t, viewer, rungs[0].ih, testPeerID(1), 6881, 5)
	if r := n.httpAnnounce(t, viewer, rungs[1].ih, testPeerID(1), 6881, 5); r.FailureReason == "" {
		t.Fatal("a viewer on the seeder's address was not limited")
	}
}
