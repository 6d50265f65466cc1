package seeder

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// Real desktop clients get a published file from the seeder, meeting it
// through Debian's opentracker on loopback.

func needBinary(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed: %v", name, err)
	}
	return path
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startProcess runs a command until the test ends, keeping its output for
// failure messages.
func startProcess(t *testing.T, name string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
	})
	return cmd, &out
}

// startOpentracker runs /usr/bin/opentracker on 127.0.0.1:port, allowing
// only the given info hashes, and returns its announce URL. opentracker
// chroots into its root dir and drops to "nobody", so the whitelist path is
// relative to that root, which must be world-readable.
func startOpentracker(t *testing.T, port int, ihs ...metainfo.Hash) string {
	t.Helper()
	bin := needBinary(t, "opentracker")
	if os.Geteuid() != 0 {
		t.Skip("opentracker needs root to chroot and drop privileges")
	}
	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	var wl strings.Builder
	for _, ih := range ihs {
		wl.WriteString(ih.HexString() + "\n")
	}
	if err := os.WriteFile(filepath.Join(root, "whitelist"), []byte(wl.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf("listen.tcp_udp 127.0.0.1:%d\naccess.whitelist /whitelist\ntracker.rootdir %s\ntracker.user nobody\n", port, root)
	confPath := filepath.Join(t.TempDir(), "opentracker.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	_, out := startProcess(t, bin, "-f", confPath)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("opentracker did not listen on %s: %v\n%s", addr, err, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "http://" + addr + "/announce"
}

// waitForSeederOnTracker scrapes the tracker until it counts a seeder of ih,
// so a client starting next gets the seeder in its first announce answer.
func waitForSeederOnTracker(t *testing.T, ctx context.Context, announce string, ih metainfo.Hash) {
	t.Helper()
	scrape := strings.TrimSuffix(announce, "/announce") + "/scrape?info_hash=" + url.QueryEscape(string(ih.Bytes()))
	for {
		var complete int
		if resp, err := http.Get(scrape); err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
			var r struct {
				Files map[string]struct {
					Complete int `bencode:"complete"`
				} `bencode:"files"`
			}
			if bencode.Unmarshal(body, &r) == nil {
				complete = r.Files[string(ih.Bytes())].Complete
			}
		}
		if complete > 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("seeder never showed up on %s: %v", scrape, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitForFile polls until path holds want.
func waitForFile(t *testing.T, ctx context.Context, path string, want []byte, out *bytes.Buffer) {
	t.Helper()
	for {
		if got, err := os.ReadFile(path); err == nil && bytes.Equal(got, want) {
			return
		}
		select {
		case <-ctx.Done():
			got, _ := os.ReadFile(path)
			t.Fatalf("%s never matched the published file (%d of %d bytes): %v\n%s",
				path, len(got), len(want), ctx.Err(), tail(out.String(), 3000))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// qBittorrent (libtorrent) stands in for a desktop client. transmission-cli
// 3.00 cannot: it drops tracker-given peers on 127.0.0.0/8 as "martian", so
// on loopback it never connects to anyone.
func TestQBittorrentDownloadsViaOpentracker(t *testing.T) {
	bin := needBinary(t, "qbittorrent-nox")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	trackerPort := freePort(t)
	announce := fmt.Sprintf("http://127.0.0.1:%d/announce", trackerPort)
	// Only the tracker: no url-list, so every byte comes from the seeder.
	const name = "uuid-360-fragmented.mp4"
	p := publish(t, name, 6<<20+99, 7, [][]string{{announce}}, nil)
	startOpentracker(t, trackerPort, p.ih)
	s := startSeeder(t, Config{})
	if _, err := s.Seed(ctx, p.torrentPath, p.dataDir); err != nil {
		t.Fatal(err)
	}
	waitForSeederOnTracker(t, ctx, announce, p.ih)

	profile, outDir := t.TempDir(), t.TempDir()
	confDir := filepath.Join(profile, "qBittorrent", "config")
	if err := os.MkdirAll(confDir, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`[LegalNotice]
Accepted=true

[BitTorrent]
Session\DHTEnabled=false
Session\LSDEnabled=false
Session\PeXEnabled=false
Session\Port=%d
Session\Interface=lo
Session\InterfaceName=lo
Session\InterfaceAddress=127.0.0.1

[Preferences]
Connection\UPnP=false
WebUI\Address=127.0.0.1
WebUI\Port=%d
`, freePort(t), freePort(t))
	if err := os.WriteFile(filepath.Join(confDir, "qBittorrent.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	_, out := startProcess(t, bin, "--profile="+profile, "--save-path="+outDir, "--skip-dialog=true", p.torrentPath)
	waitForFile(t, ctx, filepath.Join(outDir, name), p.content, out)
	if st := s.Stats(); st.BytesUploaded < int64(len(p.content)) {
		t.Errorf("seeder uploaded %d bytes, want at least %d", st.BytesUploaded, len(p.content))
	}
	if names := dirNames(t, p.dataDir); len(names) != 1 || names[0] != name {
		t.Errorf("data dir holds %q, want only the data file", names)
	}
}

// slowFile serves a file at about 16 KiB per 25 ms (640 KiB/s), so the web
// seed alone would take over ten seconds and the BitTorrent seeder, on
// loopback, gets a share of the download.
// It wraps the file in a named field so os.File's WriteTo/ReadFrom fast
// paths (sendfile) cannot bypass Read.
type slowFile struct{ f *os.File }

func (s slowFile) Read(b []byte) (int, error) {
	time.Sleep(25 * time.Millisecond)
	return s.f.Read(b[:min(len(b), 16<<10)])
}

func (s slowFile) Seek(offset int64, whence int) (int64, error) { return s.f.Seek(offset, whence) }

func TestAria2DownloadsFromSeederAndWebSeed(t *testing.T) {
	bin := needBinary(t, "aria2c")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	const name = "uuid-1080-fragmented.mp4"
	webSeedListener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	webSeedURL := "http://" + webSeedListener.Addr().String() + "/static/streaming-playlists/hls/uuid/" + name
	trackerPort := freePort(t)
	announce := fmt.Sprintf("http://127.0.0.1:%d/announce", trackerPort)
	p := publish(t, name, 8<<20+3, 8, [][]string{{announce}}, []string{webSeedURL})

	var webSeedRequests atomicCounter
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/"+name) {
			http.NotFound(w, r)
			return
		}
		webSeedRequests.add()
		f, err := os.Open(p.dataPath)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer f.Close()
		http.ServeContent(w, r, name, time.Time{}, slowFile{f})
	})}
	go srv.Serve(webSeedListener)
	t.Cleanup(func() { srv.Close() })

	startOpentracker(t, trackerPort, p.ih)
	s := startSeeder(t, Config{})
	if _, err := s.Seed(ctx, p.torrentPath, p.dataDir); err != nil {
		t.Fatal(err)
	}
	waitForSeederOnTracker(t, ctx, announce, p.ih)

	outDir := t.TempDir()
	cmd, out := startProcess(t, bin,
		"--dir="+outDir, "--seed-time=0", "--enable-dht=false", "--enable-dht6=false",
		"--bt-enable-lpd=false", "--enable-peer-exchange=false", "--disable-ipv6=true",
		"--listen-port="+strconv.Itoa(freePort(t)), "--summary-interval=0",
		"--console-log-level=warn", "--file-allocation=none", "--auto-save-interval=0",
		p.torrentPath)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("aria2c: %v\n%s", err, tail(out.String(), 3000))
		}
	case <-ctx.Done():
		t.Fatalf("aria2c did not finish: %v\n%s", ctx.Err(), tail(out.String(), 3000))
	}
	got, err := os.ReadFile(filepath.Join(outDir, name))
	if err != nil || !bytes.Equal(got, p.content) {
		t.Fatalf("aria2c's file (%d bytes, %v) differs from the published %d bytes", len(got), err, len(p.content))
	}
	st := s.Stats()
	t.Logf("seeder uploaded %d bytes, web seed answered %d requests", st.BytesUploaded, webSeedRequests.load())
	if st.BytesUploaded == 0 {
		t.Error("seeder uploaded nothing: aria2c used only the web seed")
	}
	if webSeedRequests.load() == 0 {
		t.Error("aria2c never used the web seed")
	}
}
