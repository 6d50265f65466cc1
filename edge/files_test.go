package edge

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// serveFast runs h on a real fasthttp server on loopback and returns its base URL.
func serveFast(t testing.TB, h fasthttp.RequestHandler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: h}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Shutdown()
		<-done
	})
	return "http://" + ln.Addr().String()
}

// serveNetHTTP runs h on a real net/http server on loopback.
func serveNetHTTP(t testing.TB, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

// fileHandler serves fs at the URL path without its leading "/".
func fileHandler(fs *FileServer) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		fs.Serve(ctx, strings.TrimPrefix(string(ctx.Path()), "/"))
	}
}

var testClient = &http.Client{
	Transport: &http.Transport{DisableCompression: true},
	Timeout:   10 * time.Second,
}

type result struct {
	status       int
	contentRange string
	length       string // Content-Length header
	contentType  string
	body         []byte
	header       http.Header
}

func do(t *testing.T, method, url string, hdr map[string]string) result {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return result{
		status:       resp.StatusCode,
		contentRange: resp.Header.Get("Content-Range"),
		length:       resp.Header.Get("Content-Length"),
		contentType:  resp.Header.Get("Content-Type"),
		body:         body,
		header:       resp.Header,
	}
}

type part struct {
	contentType, contentRange string
	data                      []byte
}

// decodeParts decodes a multipart/byteranges body, or returns nil if r is not one.
func decodeParts(t *testing.T, r result) []part {
	t.Helper()
	mt, params, err := mime.ParseMediaType(r.contentType)
	if err != nil || mt != "multipart/byteranges" {
		return nil
	}
	mr := multipart.NewReader(bytes.NewReader(r.body), params["boundary"])
	var parts []part
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return parts
		}
		if err != nil {
			t.Fatalf("multipart: %v", err)
		}
		data, err := io.ReadAll(p)
		if err != nil {
			t.Fatalf("multipart part: %v", err)
		}
		parts = append(parts, part{p.Header.Get("Content-Type"), p.Header.Get("Content-Range"), data})
	}
}

// writeTestFile writes size random bytes to dir/name with a modification
// time that has sub-second precision.
func writeTestFile(t testing.TB, dir, name string, size int) ([]byte, time.Time) {
	t.Helper()
	data := make([]byte, size)
	rng := rand.New(rand.NewPCG(1, uint64(size)))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.UTC)
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	return data, mtime
}

// TestServeMatchesServeContent sends the same requests to FileServer and to
// net/http.ServeContent serving the same file with the same ETag and
// modification time, and compares status, Content-Range, Content-Length and
// body (decoded parts for multipart). Cases where FileServer intentionally
// differs carry the reason and FileServer's expected answer.
func TestServeMatchesServeContent(t *testing.T) {
	const size = 10000
	dir := t.TempDir()
	const name = "video-720.mp4"
	data, mtime := writeTestFile(t, dir, name, size)

	fs := NewFileServer(FileServerConfig{Root: dir})
	t.Cleanup(func() { _ = fs.Close() })
	ours := serveFast(t, fileHandler(fs)) + "/" + name

	etag := do(t, "HEAD", ours, nil).header.Get("ETag")
	if len(etag) != etagLen || etag[0] != '"' {
		t.Fatalf("ETag %q is not a strong 16-hex-digit tag", etag)
	}
	ref := refServer(t, dir, name, etag, mtime)

	lastMod := mtime.UTC().Format(http.TimeFormat)
	before := mtime.Add(-time.Hour).UTC().Format(http.TimeFormat)
	after := mtime.Add(time.Hour).UTC().Format(http.TimeFormat)
	manySmall := "bytes=0-0"
	for i := 1; i <= maxRangeSpecs; i++ {
		manySmall += fmt.Sprintf(",%d-%d", i*10, i*10)
	}
	overlapAbuse := "bytes=0-" + strings.Repeat(",0-", 20)

	type want struct {
		status       int
		contentRange string
		body         []byte   // for 200/206 single
		parts        []string // Content-Range of each part, for multipart
	}
	tests := []struct {
		name   string
		method string
		hdr    map[string]string
		differ string // why FileServer intentionally differs; then want applies
		want   want
	}{
		{name: "full", method: "GET"},
		{name: "head", method: "HEAD"},
		{name: "first 100", method: "GET", hdr: map[string]string{"Range": "bytes=0-99"}},
		{name: "single byte", method: "GET", hdr: map[string]string{"Range": "bytes=0-0"}},
		{name: "last byte", method: "GET", hdr: map[string]string{"Range": "bytes=9999-9999"}},
		{name: "middle", method: "GET", hdr: map[string]string{"Range": "bytes=1234-5678"}},
		{name: "open-ended", method: "GET", hdr: map[string]string{"Range": "bytes=9000-"}},
		{name: "suffix", method: "GET", hdr: map[string]string{"Range": "bytes=-500"}},
		{name: "suffix beyond size", method: "GET", hdr: map[string]string{"Range": "bytes=-20000"}},
		{name: "end beyond size", method: "GET", hdr: map[string]string{"Range": "bytes=9500-20000"}},
		{name: "start at size", method: "GET", hdr: map[string]string{"Range": "bytes=10000-"}},
		{name: "start beyond size", method: "GET", hdr: map[string]string{"Range": "bytes=20000-30000"}},
		{name: "whitespace", method: "GET", hdr: map[string]string{"Range": "bytes= 10-19 , 30-39"}},
		{name: "head range", method: "HEAD", hdr: map[string]string{"Range": "bytes=100-199"}},
		{name: "multi", method: "GET", hdr: map[string]string{"Range": "bytes=0-9,100-199,-50"}},
		{name: "multi out of order", method: "GET", hdr: map[string]string{"Range": "bytes=500-599,0-9"}},
		{name: "multi one satisfiable", method: "GET", hdr: map[string]string{"Range": "bytes=0-9,20000-"}},
		{name: "overlap abuse", method: "GET", hdr: map[string]string{"Range": overlapAbuse}},
		{name: "if-range etag match", method: "GET", hdr: map[string]string{"Range": "bytes=0-99", "If-Range": etag}},
		{name: "if-range etag mismatch", method: "GET", hdr: map[string]string{"Range": "bytes=0-99", "If-Range": `"other"`}},
		{name: "if-range weak etag", method: "GET", hdr: map[string]string{"Range": "bytes=0-99", "If-Range": "W/" + etag}},
		{name: "if-range date match", method: "GET", hdr: map[string]string{"Range": "bytes=0-99", "If-Range": lastMod}},
		{name: "if-range date before", method: "GET", hdr: map[string]string{"Range": "bytes=0-99", "If-Range": before}},
		{name: "if-range date after", method: "GET", hdr: map[string]string{"Range": "bytes=0-99", "If-Range": after}},
		{name: "if-none-match", method: "GET", hdr: map[string]string{"If-None-Match": etag}},
		{name: "if-none-match head", method: "HEAD", hdr: map[string]string{"If-None-Match": etag}},
		{name: "if-none-match star", method: "GET", hdr: map[string]string{"If-None-Match": "*"}},
		{name: "if-none-match list", method: "GET", hdr: map[string]string{"If-None-Match": `"a", ` + etag + `, "b"`}},
		{name: "if-none-match weak", method: "GET", hdr: map[string]string{"If-None-Match": "W/" + etag}},
		{name: "if-none-match other", method: "GET", hdr: map[string]string{"If-None-Match": `"a", "b"`}},
		{name: "if-none-match other with range", method: "GET", hdr: map[string]string{"If-None-Match": `"a"`, "Range": "bytes=5-9"}},
		{name: "if-modified-since equal", method: "GET", hdr: map[string]string{"If-Modified-Since": lastMod}},
		{name: "if-modified-since before", method: "GET", hdr: map[string]string{"If-Modified-Since": before}},
		{name: "if-modified-since after", method: "GET", hdr: map[string]string{"If-Modified-Since": after}},
		{name: "inm mismatch beats ims", method: "GET", hdr: map[string]string{"If-None-Match": `"a"`, "If-Modified-Since": after}},
		{name: "if-match", method: "GET", hdr: map[string]string{"If-Match": etag}},
		{name: "if-match other", method: "GET", hdr: map[string]string{"If-Match": `"a"`}},
		{name: "if-unmodified-since before", method: "GET", hdr: map[string]string{"If-Unmodified-Since": before}},
		{name: "if-unmodified-since after", method: "GET", hdr: map[string]string{"If-Unmodified-Since": after}},

		{name: "zero suffix", method: "GET", hdr: map[string]string{"Range": "bytes=-0"},
			differ: "RFC 9110 §14.1.1: a suffix-length of 0 is unsatisfiable; net/http answers 206 'bytes 10000-9999/10000' with no body",
			want:   want{status: 416, contentRange: "bytes */10000"}},
		{name: "reversed", method: "GET", hdr: map[string]string{"Range": "bytes=5-2"},
			differ: "RFC 9110 §14.2: an invalid range-set may be ignored; net/http answers 416",
			want:   want{status: 200, body: data}},
		{name: "unknown unit", method: "GET", hdr: map[string]string{"Range": "items=0-1"},
			differ: "RFC 9110 §14.2: a server MUST ignore a Range with a unit it does not understand; net/http answers 416",
			want:   want{status: 200, body: data}},
		{name: "garbage", method: "GET", hdr: map[string]string{"Range": "bytes=abc"},
			differ: "invalid Range is ignored, net/http answers 416",
			want:   want{status: 200, body: data}},
		{name: "unit case", method: "GET", hdr: map[string]string{"Range": "Bytes=0-9"},
			differ: "RFC 9110 §14.1: range units are case-insensitive; net/http answers 416",
			want:   want{status: 206, contentRange: "bytes 0-9/10000", body: data[:10]}},
		{name: "multi overlapping", method: "GET", hdr: map[string]string{"Range": "bytes=0-99,50-149"},
			differ: "overlapping ranges are merged (RFC 9110 §15.3.7.2); net/http sends both parts",
			want:   want{status: 206, contentRange: "bytes 0-149/10000", body: data[:150]}},
		{name: "multi adjacent", method: "GET", hdr: map[string]string{"Range": "bytes=0-9,10-19,40-49"},
			differ: "touching ranges are merged; net/http sends three parts",
			want:   want{status: 206, parts: []string{"bytes 0-19/10000", "bytes 40-49/10000"}}},
		{name: "too many ranges", method: "GET", hdr: map[string]string{"Range": manySmall},
			differ: "more than 32 ranges are ignored; net/http sends every part",
			want:   want{status: 200, body: data}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := do(t, tt.method, ours, tt.hdr)
			if tt.method == "HEAD" && len(got.body) != 0 {
				t.Fatalf("HEAD answered with %d body bytes", len(got.body))
			}
			if tt.differ != "" {
				checkWant(t, got, tt.want.status, tt.want.contentRange, tt.want.body, tt.want.parts)
				exp := do(t, tt.method, ref, tt.hdr)
				if exp.status == got.status && exp.contentRange == got.contentRange &&
					len(decodeParts(t, exp)) == len(decodeParts(t, got)) {
					t.Errorf("documented difference is gone, net/http answers the same: %s", tt.differ)
				}
				t.Logf("differs from net/http on purpose: %s (net/http: %d %q)", tt.differ, exp.status, exp.contentRange)
				return
			}
			compareWithRef(t, got, do(t, tt.method, ref, tt.hdr))
		})
	}

	t.Run("head multipart length", func(t *testing.T) {
		hdr := map[string]string{"Range": "bytes=0-9,100-199"}
		h, g := do(t, "HEAD", ours, hdr), do(t, "GET", ours, hdr)
		if h.status != 206 || h.length != strconv.Itoa(len(g.body)) {
			t.Fatalf("HEAD: %d length %s, GET body %d bytes", h.status, h.length, len(g.body))
		}
	})
}

// compareWithRef compares our answer with net/http's.
func compareWithRef(t *testing.T, got, exp result) {
	t.Helper()
	if got.status != exp.status {
		t.Fatalf("status %d, net/http %d", got.status, exp.status)
	}
	if got.contentRange != exp.contentRange {
		t.Errorf("Content-Range %q, net/http %q", got.contentRange, exp.contentRange)
	}
	if got.status == 412 || got.status == 416 {
		return // error bodies differ in wording
	}
	gotParts, expParts := decodeParts(t, got), decodeParts(t, exp)
	if expParts != nil || gotParts != nil {
		if !slices.EqualFunc(gotParts, expParts, func(a, b part) bool {
			return a.contentType == b.contentType && a.contentRange == b.contentRange && bytes.Equal(a.data, b.data)
		}) {
			t.Fatalf("parts differ: ours %d, net/http %d", len(gotParts), len(expParts))
		}
		checkLength(t, got)
		return
	}
	if got.length != exp.length {
		t.Errorf("Content-Length %q, net/http %q", got.length, exp.length)
	}
	if !bytes.Equal(got.body, exp.body) {
		t.Errorf("body differs: %d bytes, net/http %d", len(got.body), len(exp.body))
	}
}

// refServer serves dir/name with http.ServeContent, the given ETag and modtime.
func refServer(t *testing.T, dir, name, etag string, mtime time.Time) string {
	return serveNetHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", ContentType(name))
		http.ServeContent(w, r, name, mtime, f)
	})) + "/" + name
}

// TestServeLargeMatchesServeContent covers bodies big enough for the
// sendfile path, single and multipart.
func TestServeLargeMatchesServeContent(t *testing.T) {
	const size = 3<<20 + 12345
	dir := t.TempDir()
	const name = "big.mp4"
	_, mtime := writeTestFile(t, dir, name, size)
	fs := NewFileServer(FileServerConfig{Root: dir})
	t.Cleanup(func() { _ = fs.Close() })
	ours := serveFast(t, fileHandler(fs)) + "/" + name
	etag := do(t, "HEAD", ours, nil).header.Get("ETag")
	ref := refServer(t, dir, name, etag, mtime)
	for _, rng := range []string{"", "bytes=1048576-2097151", "bytes=-2000000", "bytes=5-",
		"bytes=0-1048575,2097152-", "bytes=100-199,1000000-1999999,-70000"} {
		t.Run(rng, func(t *testing.T) {
			hdr := map[string]string{"Range": rng}
			compareWithRef(t, do(t, "GET", ours, hdr), do(t, "GET", ref, hdr))
		})
	}
}

func checkWant(t *testing.T, got result, status int, contentRange string, body []byte, parts []string) {
	t.Helper()
	if got.status != status {
		t.Fatalf("status %d, want %d", got.status, status)
	}
	if got.contentRange != contentRange {
		t.Errorf("Content-Range %q, want %q", got.contentRange, contentRange)
	}
	if parts != nil {
		ps := decodeParts(t, got)
		var crs []string
		for _, p := range ps {
			crs = append(crs, p.contentRange)
		}
		if !slices.Equal(crs, parts) {
			t.Errorf("parts %q, want %q", crs, parts)
		}
		checkLength(t, got)
		return
	}
	if body != nil && !bytes.Equal(got.body, body) {
		t.Errorf("body: %d bytes, want %d", len(got.body), len(body))
	}
	if body != nil {
		checkLength(t, got)
	}
}

func checkLength(t *testing.T, got result) {
	t.Helper()
	if got.length != strconv.Itoa(len(got.body)) {
		t.Errorf("Content-Length %s, body %d bytes", got.length, len(got.body))
	}
}

func TestServeHeaders(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.mp4", "seg.m4s", "x.torrent", "master.m3u8", "hashes.json", "notes.bin", "UPPER.MP4"} {
		writeTestFile(t, dir, n, 100)
	}
	writeTestFile(t, dir, "empty.mp4", 0)
	fs := NewFileServer(FileServerConfig{Root: dir})
	t.Cleanup(func() { _ = fs.Close() })
	base := serveFast(t, fileHandler(fs))

	tests := []struct {
		name, ctype, cache string
	}{
		{"a.mp4", "video/mp4", "public, max-age=31536000, immutable"},
		{"UPPER.MP4", "video/mp4", "public, max-age=31536000, immutable"},
		{"seg.m4s", "video/iso.segment", "public, max-age=31536000, immutable"},
		{"x.torrent", "application/x-bittorrent", "public, max-age=60"},
		{"master.m3u8", "application/vnd.apple.mpegurl", "public, max-age=10"},
		{"hashes.json", "application/json", "public, max-age=10"},
		{"notes.bin", "application/octet-stream", "public, max-age=60"},
	}
	for _, tt := range tests {
		for _, method := range []string{"GET", "HEAD"} {
			r := do(t, method, base+"/"+tt.name, nil)
			if r.status != 200 {
				t.Fatalf("%s %s: status %d", method, tt.name, r.status)
			}
			for k, v := range map[string]string{
				"Content-Type":           tt.ctype,
				"Cache-Control":          tt.cache,
				"Accept-Ranges":          "bytes",
				"Content-Length":         "100",
				"X-Content-Type-Options": "nosniff",
				"Last-Modified":          "Tue, 04 Mar 2025 05:06:07 GMT",
			} {
				if got := r.header.Get(k); got != v {
					t.Errorf("%s %s: %s = %q, want %q", method, tt.name, k, got, v)
				}
			}
		}
	}

	t.Run("empty file ignores range", func(t *testing.T) {
		r := do(t, "GET", base+"/empty.mp4", map[string]string{"Range": "bytes=0-"})
		if r.status != 200 || r.length != "0" {
			t.Fatalf("status %d length %q, want 200 and 0", r.status, r.length)
		}
	})
	t.Run("custom cache policy", func(t *testing.T) {
		fs2 := NewFileServer(FileServerConfig{Root: dir, CacheControl: func(string) string { return "no-cache" }})
		t.Cleanup(func() { _ = fs2.Close() })
		r := do(t, "GET", serveFast(t, fileHandler(fs2))+"/a.mp4", nil)
		if got := r.header.Get("Cache-Control"); got != "no-cache" {
			t.Fatalf("Cache-Control %q", got)
		}
	})
	t.Run("etag changes with content", func(t *testing.T) {
		e1 := do(t, "HEAD", base+"/a.mp4", nil).header.Get("ETag")
		p := filepath.Join(dir, "a.mp4")
		tmp := p + ".new"
		if err := os.WriteFile(tmp, []byte("different"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, p); err != nil {
			t.Fatal(err)
		}
		r := do(t, "GET", base+"/a.mp4", map[string]string{"If-None-Match": e1})
		if r.status != 200 || string(r.body) != "different" || r.header.Get("ETag") == e1 {
			t.Fatalf("replaced file: status %d body %q etag %s (old %s)", r.status, r.body, r.header.Get("ETag"), e1)
		}
	})
}

func TestServeMethods(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, dir, "a.mp4", 10)
	fs := NewFileServer(FileServerConfig{Root: dir})
	t.Cleanup(func() { _ = fs.Close() })
	base := serveFast(t, fileHandler(fs))
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "TRACE"} {
		r := do(t, m, base+"/a.mp4", nil)
		if r.status != 405 || r.header.Get("Allow") != "GET, HEAD, OPTIONS" {
			t.Errorf("%s: status %d Allow %q", m, r.status, r.header.Get("Allow"))
		}
	}
	r := do(t, "OPTIONS", base+"/a.mp4", nil)
	if r.status != 204 || r.header.Get("Allow") != "GET, HEAD, OPTIONS" {
		t.Errorf("OPTIONS: status %d Allow %q", r.status, r.header.Get("Allow"))
	}
}

// TestServeConfinement checks that nothing outside the root, nor anything
// but a regular file inside it, is served, through both the openat2 path and
// the os.Root fallback. The handler takes the path from a query argument so
// that raw attacker-controlled strings reach Serve unnormalised.
func TestServeConfinement(t *testing.T) {
	parent := t.TempDir()
	root := filepath.Join(parent, "root")
	writeTestFile(t, root, "videos/a.mp4", 10)
	writeTestFile(t, root, ".partial.mp4", 10)
	writeTestFile(t, parent, "secret.txt", 10)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink(filepath.Join(parent, "secret.txt"), filepath.Join(root, "abs-escape")))
	must(os.Symlink("../secret.txt", filepath.Join(root, "rel-escape")))
	must(os.Symlink("..", filepath.Join(root, "up")))
	must(os.Symlink("videos/a.mp4", filepath.Join(root, "inside-link.mp4")))
	must(os.Symlink("/etc", filepath.Join(root, "etc")))
	must(syscall.Mkfifo(filepath.Join(root, "fifo.mp4"), 0o644))

	paths404 := []string{
		"", "/", "videos", "videos/", "../secret.txt", "videos/../../secret.txt", "/etc/passwd",
		"./videos/a.mp4", "videos/./a.mp4", "videos//a.mp4", "videos/a.mp4/", `videos\a.mp4`,
		"..%2fsecret.txt", "%2e%2e/secret.txt", "videos/a.mp4\x00.jpg", "videos/a.mp4\n",
		"abs-escape", "rel-escape", "up/secret.txt", "etc/passwd", "fifo.mp4", ".partial.mp4",
		"missing.mp4", "videos/a.mp4/x", strings.Repeat("a/", 600) + "x",
	}
	for _, fallback := range []bool{false, true} {
		t.Run(fmt.Sprintf("rootFallback=%v", fallback), func(t *testing.T) {
			fs := NewFileServer(FileServerConfig{Root: root, Logger: slog.New(slog.DiscardHandler)})
			t.Cleanup(func() { _ = fs.Close() })
			if fallback { // as on a kernel without openat2
				d, err := openOSRoot(root)
				if err != nil {
					t.Fatal(err)
				}
				if old := fs.root.Swap(d); old != nil {
					_ = old.close()
				}
			}
			if d := fs.dir(); d == nil || (d.root != nil) != (fallback || runtime.GOOS != "linux") {
				t.Fatalf("root not opened as wanted")
			}
			base := serveFast(t, func(ctx *fasthttp.RequestCtx) {
				fs.Serve(ctx, string(ctx.QueryArgs().Peek("p")))
			})
			get := func(p string) result {
				return do(t, "GET", base+"/?p="+url.QueryEscape(p), nil)
			}
			for _, p := range []string{"videos/a.mp4", "inside-link.mp4"} {
				if r := get(p); r.status != 200 || len(r.body) != 10 {
					t.Errorf("%q: status %d, %d bytes; want 200", p, r.status, len(r.body))
				}
			}
			for _, p := range paths404 {
				r := get(p)
				if r.status != 404 {
					t.Errorf("%q: status %d, want 404", p, r.status)
					continue
				}
				if string(r.body) != "Not Found\n" || r.header.Get("Cache-Control") != "no-store" {
					t.Errorf("%q: body %q, Cache-Control %q", p, r.body, r.header.Get("Cache-Control"))
				}
			}
		})
	}

	t.Run("decoded URL paths", func(t *testing.T) {
		fs := NewFileServer(FileServerConfig{Root: root})
		t.Cleanup(func() { _ = fs.Close() })
		addr := strings.TrimPrefix(serveFast(t, fileHandler(fs)), "http://")
		for _, p := range []string{"/../secret.txt", "/%2e%2e/secret.txt", "/videos/%2e%2e/%2e%2e/secret.txt", "/%2e%2e%2fsecret.txt", "/videos/..%5c..%5csecret.txt"} {
			status := rawGetStatus(t, addr, p)
			if status != 404 && status != 400 {
				t.Errorf("%s: status %d, want 404 (or 400 from fasthttp)", p, status)
			}
		}
	})

	t.Run("missing root", func(t *testing.T) {
		fs := NewFileServer(FileServerConfig{Root: filepath.Join(parent, "later"), Logger: slog.New(slog.DiscardHandler)})
		t.Cleanup(func() { _ = fs.Close() })
		base := serveFast(t, fileHandler(fs))
		if r := do(t, "GET", base+"/a.mp4", nil); r.status != 404 {
			t.Fatalf("missing root: status %d", r.status)
		}
		writeTestFile(t, filepath.Join(parent, "later"), "a.mp4", 10)
		deadline := time.Now().Add(5 * time.Second)
		for do(t, "GET", base+"/a.mp4", nil).status != 200 {
			if time.Now().After(deadline) {
				t.Fatal("root created later is never served")
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

// rawGetStatus sends a request line as is, bypassing URL cleaning.
func rawGetStatus(t *testing.T, addr, path string) int {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path); err != nil {
		t.Fatal(err)
	}
	var proto string
	var status int
	if _, err := fmt.Fscan(c, &proto, &status); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return status
}

// BenchmarkServeRange measures the handler's own cost (open, fstat, headers,
// body set-up and close) for a ranged GET, without the network.
func BenchmarkServeRange(b *testing.B) {
	dir := b.TempDir()
	const name = "streaming-playlists/hls/0b0f6c2e-0000-4000-8000-000000000000/0b0f6c2e-0000-4000-8000-000000000000-720-fragmented.mp4"
	writeTestFile(b, dir, name, 1<<20)
	fs := NewFileServer(FileServerConfig{Root: dir})
	b.Cleanup(func() { _ = fs.Close() })
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod("GET")
	ctx.Request.SetRequestURI("/" + name)
	ctx.Request.Header.Set("Range", "bytes=16384-32767")
	b.ReportAllocs()
	for b.Loop() {
		fs.Serve(&ctx, name)
		if ctx.Response.StatusCode() != fasthttp.StatusPartialContent {
			b.Fatalf("status %d", ctx.Response.StatusCode())
		}
		ctx.Response.Reset() // closes the body stream and the file
	}
}
