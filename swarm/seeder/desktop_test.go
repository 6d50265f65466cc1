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
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"

	"github.com/peeredge/peeredge/internal/btclient"
)

// Real desktop clients get a published file from the seeder, meeting it
// through Debian's opentracker on loopback.

// startOpentracker runs /usr/bin/opentracker on 127.0.0.1:port, allowing
// only the given info hashes, and returns its announce URL. opentracker
// chroots into its root dir and drops to "nobody", so the whitelist path is
// relative to that root, which must be world-readable.
func startOpentracker(t *testing.T, port int, ihs ...metainfo.Hash) string {
	t.Helper()
	bin := btclient.NeedBinary(t, "opentracker")
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
	ot := btclient.StartProcess(t, bin, "-f", confPath)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("opentracker did not listen on %s: %v\n%s", addr, err, ot.Output())
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

// qBittorrent (libtorrent) stands in for a desktop client (see
// btclient.QBittorrent for why not transmission-cli).
func TestQBittorrentDownloadsViaOpentracker(t *testing.T) {
	btclient.NeedBinary(t, "qbittorrent-nox")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	trackerPort := btclient.FreePort(t)
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

	qb := btclient.StartQBittorrent(t, ctx)
	qb.AddTorrent(t, ctx, p.torrentPath)
	qb.WaitComplete(t, ctx, p.ih)
	if got, err := os.ReadFile(filepath.Join(qb.SaveDir, name)); err != nil || !bytes.Equal(got, p.content) {
		t.Fatalf("qBittorrent's file (%d bytes, %v) differs from the published %d bytes", len(got), err, len(p.content))
	}
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
	btclient.NeedBinary(t, "aria2c")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	const name = "uuid-1080-fragmented.mp4"
	webSeedListener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	webSeedURL := "http://" + webSeedListener.Addr().String() + "/static/streaming-playlists/hls/uuid/" + name
	trackerPort := btclient.FreePort(t)
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
	if err := btclient.Aria2Download(t, ctx, p.torrentPath, outDir); err != nil {
		t.Fatal(err)
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
