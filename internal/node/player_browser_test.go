package node

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peeredge/peeredge/internal/btclient"
	"github.com/peeredge/peeredge/internal/netns"
	"github.com/peeredge/peeredge/internal/testmedia"
)

// playerBundle is what scripts/web.sh builds; the node embeds it.
const playerBundle = "../../web/assets/dist/player.js"

// requirePlayer is requireBrowser plus the player bundle.
func requirePlayer(t *testing.T) {
	t.Helper()
	requireBrowser(t)
	if _, err := os.Stat(playerBundle); err != nil {
		if os.Getenv("PEEREDGE_REQUIRE_BROWSER") == "1" {
			t.Fatalf("player test needs %s (scripts/web.sh builds it)", playerBundle)
		}
		t.Skipf("player test needs %s (scripts/web.sh builds it)", playerBundle)
	}
}

// browser is one Chromium driven by testdata/browser/player.mjs: pages
// (each in a context of its own, like separate viewers) are opened and
// read by command.
type browser struct {
	t      *testing.T
	in     io.WriteCloser
	lines  chan []byte
	stderr *btclient.Output // the script's, for failure messages
	seq    int
}

func startBrowser(t *testing.T) *browser {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	cmd := exec.CommandContext(ctx, "node", "player.mjs")
	cmd.Dir = browserDir
	b := &browser{t: t, lines: make(chan []byte), stderr: new(btclient.Output)}
	cmd.Stderr = b.stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	b.in = in
	go func() {
		defer close(b.lines)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			b.lines <- bytes.Clone(sc.Bytes())
		}
	}()
	t.Cleanup(func() {
		_ = in.Close() // the script closes the browser at end of input
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Errorf("player.mjs did not end within 20 s; stderr:\n%s", b.stderr)
		}
		cancel()
	})
	return b
}

// do sends one command and returns its value; an error answer, a
// dead script or no answer within timeout+15 s is returned as an error.
func (b *browser) do(op, page string, args map[string]any, timeout time.Duration) (json.RawMessage, error) {
	b.seq++
	cmd := map[string]any{"seq": b.seq, "op": op, "page": page}
	for k, v := range args {
		cmd[k] = v
	}
	line, err := json.Marshal(cmd)
	if err != nil {
		return nil, err
	}
	if _, err := b.in.Write(append(line, '\n')); err != nil {
		return nil, fmt.Errorf("%s: player.mjs: %w; stderr:\n%s", op, err, b.stderr)
	}
	timer := time.NewTimer(timeout + 15*time.Second)
	defer timer.Stop()
	for {
		select {
		case l, ok := <-b.lines:
			if !ok {
				return nil, fmt.Errorf("%s: player.mjs ended; stderr:\n%s", op, b.stderr)
			}
			var ans struct {
				Seq   int             `json:"seq"`
				Value json.RawMessage `json:"value"`
				Error string          `json:"error"`
			}
			if err := json.Unmarshal(l, &ans); err != nil {
				return nil, fmt.Errorf("%s: answer %q: %w", op, l, err)
			}
			if ans.Seq < b.seq {
				continue // the late answer of a command that timed out
			}
			if ans.Error != "" {
				return nil, fmt.Errorf("%s on %s: %s", op, page, ans.Error)
			}
			return ans.Value, nil
		case <-timer.C:
			return nil, fmt.Errorf("%s on %s: no answer within %v", op, page, timeout+15*time.Second)
		}
	}
}

// must is do for commands the test cannot go on without; a failure
// shows the page's console.
func (b *browser) must(op, page string, args map[string]any, timeout time.Duration) json.RawMessage {
	b.t.Helper()
	v, err := b.do(op, page, args, timeout)
	if err != nil {
		b.t.Fatalf("%v\n%s", err, b.console(page))
	}
	return v
}

// console is the page's console and uncaught errors, for failure messages.
func (b *browser) console(page string) string {
	v, err := b.do("log", page, nil, 5*time.Second)
	if err != nil {
		return "(no console: " + err.Error() + ")"
	}
	var lines []string
	_ = json.Unmarshal(v, &lines)
	if len(lines) > 60 {
		lines = lines[len(lines)-60:]
	}
	return page + " console:\n  " + strings.Join(lines, "\n  ")
}

// noPageErrors fails the test for each uncaught error the pages had:
// none is the rule, as a viewer sees nothing go wrong.
func (b *browser) noPageErrors(pages ...string) {
	b.t.Helper()
	for _, page := range pages {
		var lines []string
		if err := json.Unmarshal(b.must("log", page, nil, 5*time.Second), &lines); err != nil {
			b.t.Fatal(err)
		}
		for _, l := range lines {
			if strings.HasPrefix(l, "pageerror:") {
				b.t.Errorf("%s: %s", page, l)
			}
		}
	}
}

type pageOptions struct {
	storage map[string]string // localStorage set before the page's scripts run
	core    map[string]any    // window.peeredgePlayerOptions.core
	init    string            // more script run before the page's own
	phone   bool              // 390×844, mobile, touch (else 1280×800)
	noWS    bool              // every WebSocket closed as it opens (a tracker that is down)
}

// open loads url in a new context as a new viewer.
func (b *browser) open(page, url string, o pageOptions) {
	b.t.Helper()
	var init strings.Builder
	for k, v := range o.storage {
		fmt.Fprintf(&init, "localStorage.setItem(%q, %q);\n", k, v)
	}
	if o.core != nil {
		c, err := json.Marshal(map[string]any{"core": o.core})
		if err != nil {
			b.t.Fatal(err)
		}
		fmt.Fprintf(&init, "window.peeredgePlayerOptions = %s;\n", c)
	}
	init.WriteString(o.init)
	args := map[string]any{"url": url, "init": init.String(), "viewport": map[string]int{"width": 1280, "height": 800}}
	if o.phone {
		args["viewport"] = map[string]int{"width": 390, "height": 844}
		args["isMobile"], args["hasTouch"] = true, true
	}
	args["closeSockets"] = o.noWS
	b.must("open", page, args, 30*time.Second)
}

// eval returns the value of a JS expression in the page.
func (b *browser) eval(page, expr string, v any) {
	b.t.Helper()
	raw := b.must("eval", page, map[string]any{"expr": expr}, 10*time.Second)
	if v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			b.t.Fatalf("eval %s: %s: %v", expr, raw, err)
		}
	}
}

// wait waits until a JS expression is truthy in the page.
func (b *browser) wait(page, what, expr string, timeout time.Duration) {
	b.t.Helper()
	if _, err := b.do("wait", page, map[string]any{"expr": expr, "timeout": timeout.Milliseconds()}, timeout); err != nil {
		b.t.Fatalf("waiting for %s: %v\nstats %+v\n%s", what, err, b.stats(page), b.console(page))
	}
}

// playerStats is #p2p-stats's data attributes and the video's state.
type playerStats struct {
	P2PBytes    int64   `json:"p2pBytes"`
	HTTPBytes   int64   `json:"httpBytes"`
	Peers       int     `json:"peers"`
	P2PSegments int     `json:"p2pSegments"`
	P2PRejected int     `json:"p2pRejected"`
	Mode        string  `json:"mode"`
	Time        float64 `json:"time"`
	Duration    float64 `json:"duration"`
	Paused      bool    `json:"paused"`
	Ended       bool    `json:"ended"`
	SHA256      string  `json:"sha256"`
}

const statsExpr = `(() => {
  const s = document.getElementById('p2p-stats').dataset
  const v = document.querySelector('#player video')
  return {
    p2pBytes: +s.p2pBytes, httpBytes: +s.httpBytes, peers: +s.peers,
    p2pSegments: +s.p2pSegments, p2pRejected: +s.p2pRejected, mode: s.mode,
    time: v.currentTime, duration: v.duration || 0, paused: v.paused, ended: v.ended,
    sha256: window.peeredgePlayer?.sha256 || ''
  }
})()`

func (b *browser) stats(page string) playerStats {
	var st playerStats
	v, err := b.do("eval", page, map[string]any{"expr": statsExpr}, 10*time.Second)
	if err == nil {
		err = json.Unmarshal(v, &st)
	}
	if err != nil {
		b.t.Logf("stats of %s: %v", page, err)
	}
	return st
}

// play starts the video muted at rate (the test's clock: a 24 s clip at
// 4× plays in 6 s) once the player has attached it (a play() before that
// is interrupted by the player's load, as for a viewer who clicks early).
func (b *browser) play(page string, rate float64) {
	b.t.Helper()
	b.wait(page, "the player", `document.getElementById('p2p-stats').dataset.mode !== ''`, 15*time.Second)
	b.eval(page, fmt.Sprintf(`(() => {
  const v = document.querySelector('#player video')
  v.muted = true
  v.defaultPlaybackRate = v.playbackRate = %g
  v.play().catch(e => console.log('test: play: ' + e))
  return true
})()`, rate), nil)
}

// playerClip is long enough for several 4 s segments and small enough to
// transcode in a few seconds: one 240p rung.
var playerClip = testmedia.Clip{Width: 320, Height: 240, Seconds: 24}

// publishVideo uploads a clip and waits until it is published.
func (n *testNode) publishVideo(t *testing.T, clip testmedia.Clip) apiVideo {
	t.Helper()
	path := testmedia.Make(t, t.TempDir(), clip)
	body, ct := multipartBody(t, map[string]string{"name": "player test clip"}, path)
	resp, b := n.upload(t, n.token, body, ct)
	if resp.StatusCode != 200 {
		t.Fatalf("upload: %s %s", resp.Status, b)
	}
	var up struct{ Video struct{ UUID string } }
	if err := json.Unmarshal(b, &up); err != nil {
		t.Fatal(err)
	}
	v, _ := n.waitPublished(t, up.Video.UUID)
	return v
}

// startPlayerTest starts a player test (in parallel with the others) on
// a node of its own with playerClip published. Browsers talk WebRTC with
// each other, so the test runs in a network namespace of its own: ok is
// false outside it (the caller returns; the run inside reports).
func startPlayerTest(t *testing.T) (n *testNode, v apiVideo, ok bool) {
	t.Helper()
	t.Parallel()
	requirePlayer(t)
	if !netns.Isolate(t) {
		return nil, apiVideo{}, false
	}
	n = startNode(t, Config{})
	v = n.publishVideo(t, playerClip)
	n.waitSeederSwarms(t, 1)
	return n, v, true
}

// waitSeederSwarms waits until the node's own seeder has joined its
// swarms on the WebSocket tracker (it announces on its own schedule after
// a video is published), so that tests comparing the tracker's counts
// before and after viewers see only the viewers' doing.
func (n *testNode) waitSeederSwarms(t *testing.T, swarms int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := n.adminStats(t).WebSocket
		if st.Swarms >= swarms && st.Peers >= swarms {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the node's seeder did not join its %d swarm(s) on the tracker: %+v", swarms, st)
		}
		time.Sleep(50 * time.Millisecond) // polling the admin API; bounded by the deadline
	}
}

// watchURL is the video's watch page.
func (n *testNode) watchURL(v apiVideo) string { return n.base + "/w/" + v.ShortUUID }

// embedURL is the video's player for other sites; query may be "".
func (n *testNode) embedURL(v apiVideo, query string) string {
	return n.base + "/videos/embed/" + v.UUID + query
}

// waitPlaying waits until the video's time passes at.
func (b *browser) waitPlaying(page string, at float64, timeout time.Duration) {
	b.t.Helper()
	b.wait(page, fmt.Sprintf("playback past %gs", at), fmt.Sprintf(`document.querySelector('#player video').currentTime > %g`, at), timeout)
}

// waitEnded waits until the video played to its end.
func (b *browser) waitEnded(page string, timeout time.Duration) {
	b.t.Helper()
	b.wait(page, "the end of the video", `document.querySelector('#player video').ended`, timeout)
}

// TestPlayerViewerSwitch: a viewer who turned P2P off (localStorage,
// before the page loads) gets the video over plain HTTP: it plays, nothing
// comes from peers, no peer connects, no privacy reminder. Turning the
// switch on rebuilds the player with P2P where it was, still playing, and
// shows the reminder; dismissing it hides it for good and leaves the
// keyboard focus on the switch. The view is counted.
func TestPlayerViewerSwitch(t *testing.T) {
	n, v, ok := startPlayerTest(t)
	if !ok {
		return
	}
	b := startBrowser(t)
	b.open("viewer", n.watchURL(v), pageOptions{storage: map[string]string{"peeredge-p2p": "0"}})
	b.play("viewer", 1)
	b.waitPlaying("viewer", 3, 30*time.Second)
	var ui struct {
		Checked, Disabled, Reminder bool
	}
	const uiExpr = `(() => ({
  checked: document.getElementById('p2p-switch').checked,
  disabled: document.getElementById('p2p-switch').disabled,
  reminder: !document.getElementById('privacy-reminder').hidden
}))()`
	b.eval("viewer", uiExpr, &ui)
	st := b.stats("viewer")
	if st.Mode != "http" || st.P2PBytes != 0 || st.Peers != 0 || st.HTTPBytes == 0 || ui.Checked || ui.Disabled || ui.Reminder {
		t.Errorf("viewer with P2P off: %+v, switch and reminder %+v; want mode http, bytes over HTTP only, no peers, the switch off but usable, no reminder", st, ui)
	}
	// The player reported its view once playback started (PeerTube's
	// POST /views), and the node counted it.
	n.waitViews(t, v.UUID, 1)

	at := st.Time
	b.eval("viewer", `(() => { document.getElementById('p2p-switch').click(); return true })()`, nil)
	b.wait("viewer", "P2P after the switch", `document.getElementById('p2p-stats').dataset.mode === 'p2p'`, 10*time.Second)
	b.waitPlaying("viewer", at+1, 20*time.Second)
	var stored string
	b.eval("viewer", `localStorage.getItem('peeredge-p2p')`, &stored)
	b.eval("viewer", uiExpr, &ui)
	if st := b.stats("viewer"); st.Mode != "p2p" || stored != "1" || !ui.Checked || !ui.Reminder {
		t.Errorf("after turning P2P on at %.1fs: %+v, stored %q, switch and reminder %+v; want P2P, \"1\" stored, the reminder shown", at, st, stored, ui)
	}

	var after struct {
		Hidden  bool
		Stored  string
		Focused string
	}
	b.eval("viewer", `(() => {
  document.getElementById('privacy-dismiss').click()
  return {
    hidden: document.getElementById('privacy-reminder').hidden,
    stored: localStorage.getItem('peeredge-privacy-reminder-dismissed'),
    focused: document.activeElement && document.activeElement.id
  }
})()`, &after)
	if !after.Hidden || after.Stored != "1" || after.Focused != "p2p-switch" {
		t.Errorf("after dismissing the reminder: %+v; want it hidden, remembered, focus on the switch", after)
	}
	b.noPageErrors("viewer")
}

// TestPlayerEmbedAndScreenshots: the embed page opened with ?p2p=0 (as
// PeerTube's embeds take it) plays over plain HTTP; screenshots of the
// watch and embed pages, playing, at desktop and phone sizes go to the
// test's artifact directory.
func TestPlayerEmbedAndScreenshots(t *testing.T) {
	n, v, ok := startPlayerTest(t)
	if !ok {
		return
	}
	b := startBrowser(t)

	b.open("embed", n.embedURL(v, "?p2p=0"), pageOptions{})
	b.play("embed", 1)
	b.waitPlaying("embed", 3, 30*time.Second)
	if st := b.stats("embed"); st.Mode != "http" || st.P2PBytes != 0 || st.Peers != 0 || st.HTTPBytes == 0 {
		t.Errorf("embed with ?p2p=0: %+v; want mode http, everything over HTTP, no peers", st)
	}
	b.noPageErrors("embed")

	dir := t.ArtifactDir()
	shots := []struct {
		name, url string
		phone     bool
	}{
		{"watch-desktop", n.watchURL(v), false},
		{"watch-phone", n.watchURL(v), true},
		{"embed-desktop", n.embedURL(v, ""), false},
		{"embed-phone", n.embedURL(v, ""), true},
	}
	for _, s := range shots {
		b.open(s.name, s.url, pageOptions{phone: s.phone})
		b.play(s.name, 1)
		b.waitPlaying(s.name, 2, 30*time.Second)
		// A still frame for the picture: paused, the live figures shown.
		b.eval(s.name, `(() => { document.querySelector('#player video').pause(); return true })()`, nil)
		b.wait(s.name, "the figures", `+document.getElementById('p2p-stats').dataset.httpBytes > 0`, 5*time.Second)
		path := filepath.Join(dir, s.name+".png")
		b.must("screenshot", s.name, map[string]any{"path": path}, 20*time.Second)
		if fi, err := os.Stat(path); err != nil || fi.Size() < 10_000 {
			t.Errorf("screenshot %s: %v (%v bytes)", path, err, fi)
		}
		b.must("close", s.name, nil, 10*time.Second)
	}
	t.Logf("screenshots in %s: watch and embed pages, playing with P2P on, at 1280×800 and 390×844", dir)
}

// corruptPeer is an init script that makes a page a bad peer, from
// outside the product: every segment chunk it sends over a WebRTC data
// channel has one byte flipped. p2p-media-loader 2.3.1 sends its commands
// framed by "cstr"/"dstr" … "cend"/"dend" and segment data as bare binary
// chunks (up to 64 KiB - 1); the commands pass untouched, so the other
// side accepts the transfer and only the hash check can tell.
const corruptPeer = `(() => {
  const send = RTCDataChannel.prototype.send
  window.corruptedChunks = 0
  RTCDataChannel.prototype.send = function (data) {
    let bytes
    if (data instanceof ArrayBuffer) bytes = new Uint8Array(data)
    else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    if (bytes && bytes.byteLength >= 16) {
      const head = String.fromCharCode(...bytes.subarray(0, 4))
      if (head !== 'cstr' && head !== 'dstr') {
        const bad = bytes.slice()
        bad[bad.length >> 1] ^= 0xff
        window.corruptedChunks++
        return send.call(this, bad)
      }
    }
    return send.call(this, data)
  }
})();
`

// preferPeers gives the second viewer's peers time to answer before its
// first segments go over HTTP (p2p-media-loader's
// httpDownloadInitialTimeoutMs, through the player's tuning hook).
var preferPeers = map[string]any{"httpDownloadInitialTimeoutMs": 8000}

// TestPlayerPeersShareSegments: two viewers of the same video. The first
// plays it through over HTTP; the second, from the start, gets most of
// its segment bytes from the first over WebRTC, every one of them checked
// against segments-sha256.json (here in a page without crypto.subtle, so
// by the JS SHA-256), and the node's tracker counted the swarm and
// refused nothing.
func TestPlayerPeersShareSegments(t *testing.T) {
	n, v, ok := startPlayerTest(t)
	if !ok {
		return
	}
	before := n.adminStats(t)
	b := startBrowser(t)

	b.open("first", n.watchURL(v), pageOptions{})
	b.play("first", 4)
	b.waitEnded("first", 60*time.Second)
	first := b.stats("first")
	if first.Mode != "p2p" || first.HTTPBytes == 0 {
		t.Fatalf("first viewer: %+v; want mode p2p and the video over HTTP", first)
	}
	b.eval("first", `(() => { const v = document.querySelector('#player video'); v.pause(); v.currentTime = 0; return true })()`, nil)

	b.open("second", insecureOrigin(n.watchURL(v)), pageOptions{core: preferPeers})
	b.play("second", 4)
	b.waitEnded("second", 60*time.Second)
	second := b.stats("second")
	during := n.adminStats(t)
	t.Logf("first viewer %+v", first)
	t.Logf("second viewer %+v", second)

	total := second.P2PBytes + second.HTTPBytes
	share := 0.0
	if total > 0 {
		share = float64(second.P2PBytes) / float64(total)
	}
	t.Logf("P2P share of the second viewer: %.1f %% (%d of %d segment bytes from peers, %d segments checked)",
		100*share, second.P2PBytes, total, second.P2PSegments)
	if second.Mode != "p2p" || share <= 0.5 {
		t.Errorf("second viewer got %.1f %% of its segment bytes from peers; want more than half", 100*share)
	}
	if second.P2PSegments == 0 || second.P2PRejected != 0 {
		t.Errorf("second viewer: %d peer segments passed the hash check, %d failed; want some and none", second.P2PSegments, second.P2PRejected)
	}
	if second.SHA256 != "js" {
		t.Errorf("second viewer hashed with %q; want the JS SHA-256 (its page is not a secure context)", second.SHA256)
	}
	if during.WebSocket.Swarms <= before.WebSocket.Swarms || during.WebSocket.Peers < before.WebSocket.Peers+2 {
		t.Errorf("tracker before %+v, with both viewers %+v: want the players' swarm with both of them", before.WebSocket, during.WebSocket)
	}
	if during.HTTP.Unknown != 0 || during.WebSocket.Refused != 0 || during.HTTP.Refused != 0 {
		t.Errorf("tracker refused %d unknown info hashes, %d WebSocket and %d requests in all; want none (the players' info hashes are known)", during.HTTP.Unknown, during.WebSocket.Refused, during.HTTP.Refused)
	}
	b.noPageErrors("first", "second")
}

// TestPlayerRejectsCorruptPeer: the first viewer's browser corrupts every
// segment it uploads; the second viewer's hash check refuses them, and
// the second viewer still plays the whole video (over HTTP).
func TestPlayerRejectsCorruptPeer(t *testing.T) {
	n, v, ok := startPlayerTest(t)
	if !ok {
		return
	}
	b := startBrowser(t)

	b.open("bad", n.watchURL(v), pageOptions{init: corruptPeer})
	b.play("bad", 4)
	b.waitEnded("bad", 60*time.Second)

	b.open("viewer", n.watchURL(v), pageOptions{core: preferPeers})
	b.play("viewer", 4)
	b.wait("viewer", "a refused peer segment", `+document.getElementById('p2p-stats').dataset.p2pRejected > 0`, 30*time.Second)
	// Well before hls.js would give up on a stalled segment (the fix in
	// web/player/build.mjs).
	b.waitEnded("viewer", 40*time.Second)
	st := b.stats("viewer")
	var corrupted int
	b.eval("bad", `window.corruptedChunks`, &corrupted)
	t.Logf("viewer %+v; the bad peer corrupted %d chunks", st, corrupted)
	if st.P2PRejected == 0 || st.P2PSegments != 0 || st.HTTPBytes == 0 || st.Mode != "p2p" {
		t.Errorf("viewer: %+v; want peer segments refused, none accepted, the video over HTTP, P2P still on", st)
	}
	if st.SHA256 != "subtle" {
		t.Errorf("viewer hashed with %q; want WebCrypto (a secure context)", st.SHA256)
	}
	b.noPageErrors("viewer")
}

// TestPlayerBrowserFallbacks: a browser without WebRTC streams the video
// plainly over HTTP with the switch explaining why and no error; one
// without MediaSource hands the master playlist to its own player (what
// Safari on iOS does with HLS). Neither reaches the tracker.
func TestPlayerBrowserFallbacks(t *testing.T) {
	n, v, ok := startPlayerTest(t)
	if !ok {
		return
	}
	before := n.adminStats(t)
	b := startBrowser(t)

	b.open("no-webrtc", n.watchURL(v), pageOptions{init: `
delete window.RTCPeerConnection; delete window.webkitRTCPeerConnection;
delete window.RTCDataChannel;`})
	b.play("no-webrtc", 4)
	b.waitEnded("no-webrtc", 40*time.Second)
	st := b.stats("no-webrtc")
	var sw struct {
		Disabled bool   `json:"disabled"`
		Title    string `json:"title"`
	}
	b.eval("no-webrtc", `(() => { const s = document.getElementById('p2p-switch'); return {disabled: s.disabled, title: s.title || s.closest('[title]')?.title || ''} })()`, &sw)
	if st.Mode != "http" || st.P2PBytes != 0 || st.Peers != 0 || st.HTTPBytes == 0 || !sw.Disabled {
		t.Errorf("browser without WebRTC: %+v, switch %+v; want mode http, everything over HTTP, the switch disabled", st, sw)
	}
	b.noPageErrors("no-webrtc")

	b.open("no-mse", n.watchURL(v), pageOptions{init: `
delete window.MediaSource; delete window.ManagedMediaSource; delete window.WebKitMediaSource;`})
	b.wait("no-mse", "the native player's mode", `document.getElementById('p2p-stats').dataset.mode === 'native'`, 20*time.Second)
	var src string
	b.eval("no-mse", `document.querySelector('#player video').src`, &src)
	if want := n.base + "/static/streaming-playlists/hls/" + v.UUID + "/master.m3u8"; src != want {
		t.Errorf("browser without MediaSource: video src %q, want the master playlist %q", src, want)
	}
	b.noPageErrors("no-mse")

	if after := n.adminStats(t); after.WebSocket.Swarms != before.WebSocket.Swarms || after.HTTP.Refused != before.HTTP.Refused {
		t.Errorf("tracker before %+v, after %+v: a viewer that cannot share reached it", before.WebSocket, after.WebSocket)
	}
}

// TestPlayerAdminSwitchOff: with the node's P2P switch off, two viewers
// both stream plainly and never meet.
func TestPlayerAdminSwitchOff(t *testing.T) {
	n, v, ok := startPlayerTest(t)
	if !ok {
		return
	}
	if code, body := n.setP2P(t, n.token, `{"enabled":false}`); code != 200 && code != 204 {
		t.Fatalf("PUT /api/v1/admin/p2p: %d %s", code, body)
	}
	b := startBrowser(t)
	for _, p := range []string{"first", "second"} {
		b.open(p, n.watchURL(v), pageOptions{})
		b.play(p, 4)
	}
	for _, p := range []string{"first", "second"} {
		b.waitEnded(p, 60*time.Second)
		st := b.stats(p)
		var disabled bool
		b.eval(p, `document.getElementById('p2p-switch').disabled`, &disabled)
		if st.Mode != "http" || st.Peers != 0 || st.P2PBytes != 0 || st.HTTPBytes == 0 || !disabled {
			t.Errorf("%s with the node's P2P off: %+v, switch disabled %v; want mode http, no peers, all over HTTP, the switch disabled", p, st, disabled)
		}
		b.noPageErrors(p)
	}
}

// TestPlayerTrackerDown: when the tracker cannot be reached (every
// WebSocket the page opens is closed at once), the viewer still gets the
// whole video over HTTP, with no error.
func TestPlayerTrackerDown(t *testing.T) {
	n, v, ok := startPlayerTest(t)
	if !ok {
		return
	}
	before := n.adminStats(t)
	b := startBrowser(t)
	b.open("viewer", n.watchURL(v), pageOptions{noWS: true})
	b.play("viewer", 4)
	b.waitEnded("viewer", 40*time.Second)
	if st := b.stats("viewer"); st.Mode != "p2p" || st.Peers != 0 || st.P2PBytes != 0 || st.HTTPBytes == 0 {
		t.Errorf("viewer without a tracker: %+v; want P2P on, everything over HTTP, no peers", st)
	}
	b.noPageErrors("viewer")
	// The player did try the tracker (and kept trying, quietly).
	if log := b.console("viewer"); !strings.Contains(log, "test: closed WebSocket ws://"+strings.TrimPrefix(n.base, "http://")+"/tracker/socket") {
		t.Errorf("the player never tried the tracker:\n%s", log)
	}
	if after := n.adminStats(t); after.WebSocket.Swarms != before.WebSocket.Swarms {
		t.Errorf("tracker before %+v, after %+v: the viewer reached it", before.WebSocket, after.WebSocket)
	}
}

// insecureOrigin moves a loopback URL to a host name Chromium maps to
// 127.0.0.1 (player.mjs): the same node, but not a secure context.
func insecureOrigin(u string) string {
	return strings.Replace(u, "://127.0.0.1:", "://insecure.peeredge.test:", 1)
}
