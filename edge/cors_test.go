package edge

import (
	"testing"

	"github.com/valyala/fasthttp"
)

func TestCORS(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, dir, "a.mp4", 100)
	fs := NewFileServer(FileServerConfig{Root: dir})
	t.Cleanup(func() { _ = fs.Close() })
	base := serveFast(t, CORS(func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/error" {
			ctx.Error("boom", fasthttp.StatusInternalServerError) // resets the response headers
			return
		}
		fileHandler(fs)(ctx)
	}))

	pre := do(t, "OPTIONS", base+"/a.mp4", map[string]string{
		"Origin":                         "https://player.example",
		"Access-Control-Request-Method":  "GET",
		"Access-Control-Request-Headers": "range",
	})
	if pre.status != 204 {
		t.Fatalf("preflight status %d", pre.status)
	}
	for k, v := range map[string]string{
		"Access-Control-Allow-Origin":   "*",
		"Access-Control-Allow-Methods":  "GET, HEAD, OPTIONS, POST",
		"Access-Control-Allow-Headers":  "Range, Authorization, Content-Type, If-Range, If-None-Match, If-Modified-Since",
		"Access-Control-Max-Age":        "86400",
		"Access-Control-Expose-Headers": "Content-Range, Content-Length, ETag, Accept-Ranges",
	} {
		if got := pre.header.Get(k); got != v {
			t.Errorf("preflight %s = %q, want %q", k, got, v)
		}
	}

	for _, tc := range []struct {
		path   string
		hdr    map[string]string
		status int
	}{
		{"/a.mp4", map[string]string{"Range": "bytes=0-9"}, 206},
		{"/missing.mp4", nil, 404},
		{"/error", nil, 500},
	} {
		r := do(t, "GET", base+tc.path, tc.hdr)
		if r.status != tc.status {
			t.Errorf("%s: status %d, want %d", tc.path, r.status, tc.status)
		}
		if r.header.Get("Access-Control-Allow-Origin") != "*" ||
			r.header.Get("Access-Control-Expose-Headers") != "Content-Range, Content-Length, ETag, Accept-Ranges" {
			t.Errorf("%s: CORS headers missing: %v", tc.path, r.header)
		}
	}
}
