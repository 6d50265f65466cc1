package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/peeredge/peeredge/internal/netns"
	"github.com/peeredge/peeredge/internal/testmedia"
)

// browserDir holds the browser test's npm packages (playwright-core to
// drive Debian's Chromium, webtorrent's browser bundle); scripts/test.sh
// installs them.
const browserDir = "testdata/browser"

// requireBrowser skips unless Chromium, node and the npm packages are
// here; scripts/test.sh sets PEEREDGE_REQUIRE_BROWSER=1, which turns a
// missing piece into a failure rather than a skip.
func requireBrowser(t *testing.T) {
	t.Helper()
	var missing []string
	if _, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node")
	}
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		missing = append(missing, "/usr/bin/chromium (scripts/deps.sh installs it)")
	}
	for _, f := range []string{"node_modules/playwright-core", "node_modules/webtorrent/dist/webtorrent.min.js"} {
		if _, err := os.Stat(filepath.Join(browserDir, f)); err != nil {
			missing = append(missing, filepath.Join(browserDir, f)+" (npm install --ignore-scripts there)")
		}
	}
	if len(missing) == 0 {
		return
	}
	if os.Getenv("PEEREDGE_REQUIRE_BROWSER") == "1" {
		t.Fatalf("browser test needs %v", missing)
	}
	t.Skipf("browser test needs %v", missing)
}

// runBrowser runs one of browserDir's scripts under node, bounded by
// timeout, and decodes the JSON it prints into v.
func runBrowser(t *testing.T, timeout time.Duration, v any, script string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{script}, args...)...)
	cmd.Dir = browserDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("browser run of %s: %v\n%s\n%s", script, err, out, stderr.Bytes())
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), v); err != nil {
		t.Fatalf("browser output of %s %q: %v", script, out, err)
	}
}

// browserResult is what download.mjs prints.
type browserResult struct {
	SHA256   string   `json:"sha256"`
	Bytes    int64    `json:"bytes"`
	Peers    []string `json:"peers"`
	Error    string   `json:"error"`
	Progress any      `json:"progress"`
	Logs     []string `json:"logs"`
}

// TestBrowserDownloadsFromNodeSeeder: WebTorrent in a real Chromium, given
// a published rung's torrent with only the node's ws:// tracker (no
// url-list), meets the node's seeder through /tracker/socket and
// downloads the file over WebRTC; its bytes hash to the published file's.
func TestBrowserDownloadsFromNodeSeeder(t *testing.T) {
	requireBrowser(t)
	if !netns.Isolate(t) {
		return // ran in a namespace of its own: WebRTC skips loopback
	}
	n := startNode(t, Config{})
	// Most of a megabyte: dozens of pieces, hundreds of block messages.
	r := n.publishForSwarm(t, testmedia.Clip{Width: 640, Height: 360, Seconds: 10})[0]
	mi := onlyTrackers(n.servedTorrent(t, r.torrentURL), "ws://")
	var torrentFile bytes.Buffer
	if err := mi.Write(&torrentFile); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, req *http.Request) {
		http.ServeFile(w, req, filepath.Join(browserDir, "page.html"))
	})
	mux.HandleFunc("GET /webtorrent.min.js", func(w http.ResponseWriter, req *http.Request) {
		http.ServeFile(w, req, filepath.Join(browserDir, "node_modules/webtorrent/dist/webtorrent.min.js"))
	})
	mux.HandleFunc("GET /rung.torrent", func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "application/x-bittorrent")
		_, _ = w.Write(torrentFile.Bytes())
	})
	page := httptest.NewServer(mux)
	defer page.Close()
	before := n.adminStats(t)

	var res browserResult
	runBrowser(t, 90*time.Second, &res, "download.mjs", page.URL+"/", "60000")
	if res.Error != "" {
		t.Fatalf("browser: %s; progress %v; node %+v\nconsole: %q", res.Error, res.Progress, n.adminStats(t).WebSocket, res.Logs)
	}
	want, err := os.ReadFile(r.path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(want)
	if res.SHA256 != hex.EncodeToString(sum[:]) || res.Bytes != int64(len(want)) {
		t.Fatalf("browser got %d bytes hashing to %s, want the published %d bytes, %x", res.Bytes, res.SHA256, len(want), sum)
	}
	after := n.adminStats(t)
	if after.Seeder.WebRTCConns <= before.Seeder.WebRTCConns || after.Seeder.BytesUploaded-before.Seeder.BytesUploaded < r.size {
		t.Errorf("seeder before %+v after %+v: want a WebRTC connection and the file uploaded", before.Seeder, after.Seeder)
	}
	t.Logf("Chromium downloaded %d bytes over %v from the seeder", res.Bytes, res.Peers)
}
