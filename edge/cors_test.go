package edge

import (
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/layout"
)

func TestCORS(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, dir, "a.mp4", 100)
	fs := NewFileServer(FileServerConfig{Root: dir})
	t.Cleanup(func() { _ = fs.Close() })
	base := serveFast(t, CORS(func(ctx *fasthttp.RequestCtx) {
		switch string(ctx.Path()) {
		case "/error":
			ctx.Error("boom", fasthttp.StatusInternalServerError) // resets the response headers
		case layout.AdminPrefix + "p2p", layout.UploadPath:
			ctx.SetStatusCode(fasthttp.StatusUnauthorized)
		default:
			fileHandler(fs)(ctx)
		}
	}))

	const (
		allowOrigin   = "Access-Control-Allow-Origin"
		allowHeaders  = "Access-Control-Allow-Headers"
		exposeHeaders = "Access-Control-Expose-Headers"
		exposed       = "Content-Range, Content-Length, ETag, Accept-Ranges"
	)
	preflight := func(method string) map[string]string {
		return map[string]string{
			"Origin":                         "https://player.example",
			"Access-Control-Request-Method":  method,
			"Access-Control-Request-Headers": "authorization, range",
		}
	}
	pre := do(t, "OPTIONS", base+"/a.mp4", preflight("GET"))
	if pre.status != 204 {
		t.Fatalf("preflight status %d", pre.status)
	}
	for k, v := range map[string]string{
		allowOrigin:                    "*",
		"Access-Control-Allow-Methods": "GET, HEAD, OPTIONS, POST",
		allowHeaders:                   "Range, Content-Type, If-Range, If-None-Match, If-Modified-Since",
		"Access-Control-Max-Age":       "86400",
		exposeHeaders:                  exposed,
	} {
		if got := pre.header.Get(k); got != v {
			t.Errorf("preflight %s = %q, want %q", k, got, v)
		}
	}

	// The admin's requests: no CORS header at all, so a page of another
	// site can neither read the answer nor pass the preflight.
	for _, tc := range []struct {
		name, method, path string
		hdr                map[string]string
		status             int
	}{
		{"admin preflight", "OPTIONS", layout.AdminPrefix + "p2p", preflight("PUT"), 204},
		{"upload preflight", "OPTIONS", layout.UploadPath, preflight("POST"), 204},
		{"admin read", "GET", layout.AdminPrefix + "p2p", map[string]string{"Origin": "https://evil.example"}, 401},
		{"upload", "POST", layout.UploadPath, map[string]string{"Origin": "https://evil.example"}, 401},
		{"media with a token", "GET", "/a.mp4", map[string]string{"Authorization": "Bearer x"}, 200},
	} {
		r := do(t, tc.method, base+tc.path, tc.hdr)
		if r.status != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, r.status, tc.status)
		}
		for k, v := range r.header {
			if len(k) > 15 && k[:15] == "Access-Control-" {
				t.Errorf("%s: %s: %q on an admin answer", tc.name, k, v)
			}
		}
		if tc.hdr["Authorization"] != "" && r.header.Get("Vary") != "Authorization" {
			t.Errorf("%s: Vary %q, want Authorization", tc.name, r.header.Get("Vary"))
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
		if r.header.Get(allowOrigin) != "*" || r.header.Get(exposeHeaders) != exposed {
			t.Errorf("%s: CORS headers missing: %v", tc.path, r.header)
		}
		if r.header.Get("Vary") != "" {
			t.Errorf("%s: Vary %q on a public answer", tc.path, r.header.Get("Vary"))
		}
	}
}
