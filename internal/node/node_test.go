package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image/jpeg"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/internal/testmedia"
	"github.com/peeredge/peeredge/origin"
)

// testNode is a node serving on a loopback port for the length of a test.
type testNode struct {
	*Node
	base  string
	token string
	data  string
	stop  func() // stops the node and closes its data directory (also at cleanup)
}

const testToken = "test-admin-token-0123456789"

func startNode(t *testing.T, cfg Config) *testNode {
	t.Helper()
	// A restarted node keeps its address (cfg.Listen), and so its public
	// URL and its actors' ids; a new one takes any free port.
	addr := cfg.Listen
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	cfg.Listen = ln.Addr().String()
	cfg.SeedPort = 0 // any free port: tests run side by side
	if cfg.DiskReserve == 0 {
		cfg.DiskReserve = origin.MinDiskReserve // many nodes side by side; each keeps a ballast of half
	}
	cfg.AdminToken = testToken
	cfg.Logger = slog.New(slog.NewTextHandler(newTestWriter(t), &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithCancel(context.Background())
	n, err := Open(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- n.Serve(ctx, ln) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Serve: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("node did not stop within 30 s")
			}
			if err := n.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return &testNode{Node: n, base: "http://" + ln.Addr().String(), token: testToken, data: cfg.DataDir, stop: stop}
}

// testWriter sends log lines to the test's log until the test ends; the
// BitTorrent client's goroutines may still log a moment after the node
// closed, and testing panics on a log after completion.
type testWriter struct {
	t    *testing.T
	mu   *sync.Mutex
	done *bool
}

func newTestWriter(t *testing.T) testWriter {
	w := testWriter{t: t, mu: new(sync.Mutex), done: new(bool)}
	t.Cleanup(func() { // registered first, so it runs after every other cleanup
		w.mu.Lock()
		*w.done = true
		w.mu.Unlock()
	})
	return w
}

func (w testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !*w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// multipartBody builds PeerTube's legacy upload form.
func multipartBody(t *testing.T, fields map[string]string, file string) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if file != "" {
		fw, err := mw.CreateFormFile("videofile", filepath.Base(file))
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := io.Copy(fw, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

func (n *testNode) upload(t *testing.T, token string, body io.Reader, contentType string) (*http.Response, []byte) {
	t.Helper()
	return n.request(t, http.MethodPost, "/api/v1/videos/upload", token, body, map[string]string{"Content-Type": contentType})
}

// request sends a request to the node and returns the answer with its
// body read.
func (n *testNode) request(t *testing.T, method, path, token string, body io.Reader, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, n.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// getJSON decodes the 200 answer of url into v and returns its
// Content-Type.
func getJSON(t *testing.T, url string, v any) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s: %s", url, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.Header.Get("Content-Type")
}

// apiVideo is the part of the video JSON the tests read.
type apiVideo struct {
	ID        int64  `json:"id"`
	UUID      string `json:"uuid"`
	ShortUUID string `json:"shortUUID"`
	Name      string `json:"name"`
	Duration  int64  `json:"duration"`
	State     struct {
		ID    int
		Label string
	} `json:"state"`
	StateReason         string   `json:"stateReason"`
	TranscodingProgress *float64 `json:"transcodingProgress"`
	ThumbnailPath       *string  `json:"thumbnailPath"`
	PreviewPath         *string  `json:"previewPath"`
	StreamingPlaylists  []struct {
		PlaylistURL       string `json:"playlistUrl"`
		SegmentsSha256URL string `json:"segmentsSha256Url"`
		Files             []struct {
			Resolution struct {
				ID    int
				Label string
			} `json:"resolution"`
			Size       int64   `json:"size"`
			FPS        float64 `json:"fps"`
			FileURL    string  `json:"fileUrl"`
			TorrentURL string  `json:"torrentUrl"`
			MagnetURI  string  `json:"magnetUri"`
		} `json:"files"`
	} `json:"streamingPlaylists"`
}

// waitPublished polls the API until the video is published (or fails the
// test when it fails or 3 minutes pass), and reports whether progress was
// ever seen between 0 and 100 %.
func (n *testNode) waitPublished(t *testing.T, ref string) (apiVideo, bool) {
	t.Helper()
	sawProgress := false
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		var v apiVideo
		getJSON(t, n.base+"/api/v1/videos/"+ref, &v)
		switch v.State.ID {
		case 1:
			return v, sawProgress
		case 7:
			t.Fatalf("video failed: %s", v.StateReason)
		}
		if p := v.TranscodingProgress; p != nil && *p > 0 && *p < 100 {
			sawProgress = true
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("video %s not published within 3 minutes", ref)
	return apiVideo{}, false
}

func rangeGet(t *testing.T, url string, start, end int64) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", start, end))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusPartialContent {
		t.Fatalf("GET %s %d-%d: %s", url, start, end, resp.Status)
	}
	if want := fmt.Sprintf("bytes %d-%d/", start, end); !strings.HasPrefix(resp.Header.Get("Content-Range"), want) {
		t.Fatalf("Content-Range %q, want prefix %q", resp.Header.Get("Content-Range"), want)
	}
	return b
}

// probeDuration decodes a URL fully with ffmpeg and returns the decoded
// duration in seconds, from ffmpeg's final progress report.
func probeDuration(t *testing.T, url string) float64 {
	t.Helper()
	cmd := exec.Command("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error",
		"-protocol_whitelist", "http,tcp,file,crypto", "-i", url,
		"-map", "0:v:0", "-f", "null", "-progress", "pipe:1", "-")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("ffmpeg -i %s: %v: %s", url, err, ee.Stderr)
		}
		t.Fatal(err)
	}
	last := 0.0
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "out_time_us="); ok {
			if us, err := strconv.ParseFloat(v, 64); err == nil {
				last = us / 1e6
			}
		}
	}
	return last
}

func TestUploadSegmentPublishServe(t *testing.T) {
	for _, tool := range []string{"ffmpeg", "ffprobe", "aria2c"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (scripts/test.sh installs it)", tool)
		}
	}
	n := startNode(t, Config{})
	clip := testmedia.Make(t, t.TempDir(), testmedia.Clip{Width: 640, Height: 360, Seconds: 10, Audio: true})
	body, ct := multipartBody(t, map[string]string{"name": "lavfi clip", "channelId": "1"}, clip)
	resp, b := n.upload(t, n.token, body, ct)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("upload: %s: %s", resp.Status, b)
	}
	var up struct {
		Video struct {
			ID        int64  `json:"id"`
			UUID      string `json:"uuid"`
			ShortUUID string `json:"shortUUID"`
		} `json:"video"`
	}
	if err := json.Unmarshal(b, &up); err != nil || up.Video.UUID == "" || up.Video.ShortUUID == "" || up.Video.ID == 0 {
		t.Fatalf("upload answer %s: %v", b, err)
	}

	v, _ := n.waitPublished(t, up.Video.ShortUUID)
	if v.Name != "lavfi clip" || v.UUID != up.Video.UUID || v.Duration != 10 {
		t.Errorf("video = %+v", v)
	}
	if len(v.StreamingPlaylists) != 1 {
		t.Fatalf("streamingPlaylists = %+v", v.StreamingPlaylists)
	}
	sp := v.StreamingPlaylists[0]
	var heights []int
	for _, f := range sp.Files {
		heights = append(heights, f.Resolution.ID)
	}
	if fmt.Sprint(heights) != "[360 240]" {
		t.Errorf("rungs = %v, want [360 240]", heights)
	}

	// Every rung decodes over HTTP from the master playlist with the
	// source's duration.
	for i := range sp.Files {
		url := strings.TrimSuffix(sp.PlaylistURL, "master.m3u8") + fmt.Sprintf("%s-%d.m3u8", v.UUID, heights[i])
		if d := probeDuration(t, url); d < 9.5 || d > 10.5 {
			t.Errorf("rung %dp decodes to %.2f s, want 10", heights[i], d)
		}
	}
	if d := probeDuration(t, sp.PlaylistURL); d < 9.5 || d > 10.5 {
		t.Errorf("master playlist decodes to %.2f s, want 10", d)
	}

	// Every listed byte range hashes to its value.
	var hashes map[string]map[string]string
	getJSON(t, sp.SegmentsSha256URL, &hashes)
	if len(hashes) != len(sp.Files) {
		t.Fatalf("segments-sha256.json has %d files, want %d", len(hashes), len(sp.Files))
	}
	checked := 0
	for file, ranges := range hashes {
		for r, want := range ranges {
			var start, end int64
			if _, err := fmt.Sscanf(r, "%d-%d", &start, &end); err != nil {
				t.Fatalf("range %q: %v", r, err)
			}
			sum := sha256.Sum256(rangeGet(t, strings.TrimSuffix(sp.PlaylistURL, "master.m3u8")+file, start, end))
			if got := hex.EncodeToString(sum[:]); got != want {
				t.Errorf("%s %s: sha256 %s, want %s", file, r, got, want)
			}
			checked++
		}
	}
	if checked < 2*len(sp.Files) {
		t.Errorf("only %d ranges checked", checked)
	}

	// aria2c fetches a rung through its torrent from the WebSeed alone:
	// there is no peer, and the tracker is not there yet.
	f := sp.Files[0]
	dir := t.TempDir()
	tor := filepath.Join(dir, "rung.torrent")
	fetch(t, f.TorrentURL, tor)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "aria2c", "--no-conf", "--enable-dht=false", "--enable-dht6=false",
		"--bt-enable-lpd=false", "--enable-peer-exchange=false", "--seed-time=0", "--console-log-level=warn",
		"--summary-interval=0", "--bt-tracker-connect-timeout=2", "--bt-tracker-timeout=2",
		"--follow-torrent=mem", "-d", filepath.Join(dir, "out"), tor)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("aria2c: %v\n%s", err, out)
	}
	name := v.UUID + "-" + strconv.Itoa(heights[0]) + "-fragmented.mp4"
	got, err := os.ReadFile(filepath.Join(dir, "out", name))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(n.data, "media", "streaming-playlists", "hls", v.UUID, name))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) || int64(len(got)) != f.Size {
		t.Errorf("aria2c got %d bytes, want the %d-byte rung file (API size %d)", len(got), len(want), f.Size)
	}
	if !strings.HasPrefix(f.MagnetURI, "magnet:?xt=urn:btih:") || !strings.Contains(f.MagnetURI, "ws=") {
		t.Errorf("magnet %q", f.MagnetURI)
	}

	checkImages(t, n.base, v)

	// The list shows it.
	var list struct {
		Total int        `json:"total"`
		Data  []apiVideo `json:"data"`
	}
	getJSON(t, n.base+"/api/v1/videos?start=0&count=10", &list)
	if list.Total != 1 || len(list.Data) != 1 || list.Data[0].UUID != v.UUID {
		t.Errorf("list = %+v", list)
	}
}

// checkImages: the API lists the video's thumbnail and preview under
// PeerTube's paths, and the node serves them as cacheable-forever JPEGs of
// PeerTube's sizes, ranges included.
func checkImages(t *testing.T, base string, v apiVideo) {
	t.Helper()
	for _, img := range []struct {
		path   *string
		prefix string
		w, h   int
	}{{v.ThumbnailPath, layout.ThumbnailsPrefix, layout.ThumbnailWidth, layout.ThumbnailHeight}, {v.PreviewPath, layout.PreviewsPrefix, layout.PreviewWidth, layout.PreviewHeight}} {
		if img.path == nil || !strings.HasPrefix(*img.path, img.prefix+v.UUID+"-") {
			t.Errorf("image path %v, want one under %s", img.path, img.prefix)
			continue
		}
		resp, err := http.Get(base + *img.path)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s %v", *img.path, resp.Status, err)
		}
		if ct, cc := resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"); ct != "image/jpeg" || !strings.Contains(cc, "immutable") {
			t.Errorf("GET %s: Content-Type %q, Cache-Control %q", *img.path, ct, cc)
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
		if err != nil || cfg.Width != img.w || cfg.Height != img.h {
			t.Errorf("%s: %dx%d (%v), want %dx%d", *img.path, cfg.Width, cfg.Height, err, img.w, img.h)
		}
		if got := rangeGet(t, base+*img.path, 2, 101); !bytes.Equal(got, data[2:102]) {
			t.Errorf("%s: range 2-101 differs from the file's bytes", *img.path)
		}
	}
}

func fetch(t *testing.T, url, path string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	b, _ := io.ReadAll(resp.Body)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSecondNodeLeavesDataInUseAlone: a second node started on a data
// directory in use fails on the catalogue's lock before it touches
// anything, such as the first node's uploads in flight in tmp/.
func TestSecondNodeLeavesDataInUseAlone(t *testing.T) {
	data := t.TempDir()
	ctx := context.Background()
	cfg := Config{DataDir: data, AdminToken: "x", DiskReserve: origin.MinDiskReserve, Logger: slog.New(slog.NewTextHandler(newTestWriter(t), nil))}
	first, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	inFlight := filepath.Join(data, "tmp", "upload-in-flight")
	if err := os.WriteFile(inFlight, []byte("half a video"), 0o644); err != nil {
		t.Fatal(err)
	}
	if second, err := Open(ctx, cfg); err == nil {
		second.Close()
		t.Fatal("a second node opened a data directory in use")
	}
	if _, err := os.Stat(inFlight); err != nil {
		t.Errorf("the second node removed the first one's upload in flight: %v", err)
	}
}
