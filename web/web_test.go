package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/edge"
	"github.com/peeredge/peeredge/edge/edgetest"
	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
)

// site is the pages over a real catalogue, served by the real edge on a
// loopback port.
type site struct {
	web     *Web
	catalog *origin.Catalog
	base    string
	p2p     *atomic.Bool
}

func newSite(t testing.TB, privacy Privacy) *site {
	t.Helper()
	return newSiteWith(t, privacy, nil)
}

// newSiteWith is newSite with the config changed by with (nil: as is).
func newSiteWith(t testing.TB, privacy Privacy, with func(*Config, *origin.Catalog)) *site {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	catalog, err := origin.OpenCatalog(filepath.Join(t.TempDir(), "catalog"), logger, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { catalog.Close() })
	u, err := layout.New("http://node.example:9000")
	if err != nil {
		t.Fatal(err)
	}
	var p2p atomic.Bool
	p2p.Store(true)
	cfg := Config{Videos: catalog, URLs: u, P2P: p2p.Load, Privacy: privacy, Logger: logger}
	if with != nil {
		with(&cfg, catalog)
	}
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var mounts []edge.Mount
	for _, p := range Mounts() {
		mounts = append(mounts, edge.Mount{Path: p, Handler: w.Handler})
	}
	base := edgetest.Serve(t, edge.Config{MediaDir: t.TempDir(), Mounts: mounts, Logger: logger})
	return &site{web: w, catalog: catalog, base: base, p2p: &p2p}
}

func (s *site) add(t testing.TB, v origin.Video) origin.Video {
	t.Helper()
	v, err := s.catalog.CreateVideo(context.Background(), v)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func published(name string, seconds float64) origin.Video {
	return origin.Video{Name: name, State: origin.StatePublished, Duration: seconds, Renditions: []origin.Rendition{
		{Height: 240, TorrentName: "t-240-hls.torrent"}, {Height: 480, TorrentName: "t-480-hls.torrent"},
	}}
}

// get fetches path without following redirects.
func (s *site) get(t testing.TB, method, path string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func mustNotContain(t *testing.T, what, body string, nots ...string) {
	t.Helper()
	for _, n := range nots {
		if strings.Contains(body, n) {
			t.Errorf("%s has %q", what, n)
		}
	}
}

// checkPageHeaders: every page is HTML, revalidated, and held by the CSP.
func checkPageHeaders(t *testing.T, path string, resp *http.Response, embed bool) {
	t.Helper()
	h := resp.Header
	if ct := h.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("%s: Content-Type %q", path, ct)
	}
	if h.Get("Cache-Control") != "no-cache" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "same-origin" {
		t.Errorf("%s: headers %v", path, h)
	}
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "media-src 'self' http://node.example:9000 blob:",
		"connect-src 'self' http://node.example:9000 ws://node.example:9000", "worker-src 'self' blob:", "img-src 'self' data:"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: CSP %q lacks %q", path, csp, want)
		}
	}
	if embed {
		if !strings.HasSuffix(csp, "frame-ancestors *") || h.Get("X-Frame-Options") != "" {
			t.Errorf("%s: an embed must be framable: CSP %q, X-Frame-Options %q", path, csp, h.Get("X-Frame-Options"))
		}
	} else if !strings.HasSuffix(csp, "frame-ancestors 'self'") || h.Get("X-Frame-Options") != "SAMEORIGIN" {
		t.Errorf("%s: CSP %q, X-Frame-Options %q", path, csp, h.Get("X-Frame-Options"))
	}
}

// layoutMarks are in every page but the embed: the skip link, landmarks,
// navigation and the style sheet with its hash.
func layoutMarks(w *Web) []string {
	return []string{`<html lang="en">`, `<meta name="viewport"`, `class="skip-link" href="#main"`, `<header`, `<nav class="site-nav" aria-label="Main">`,
		`<main id="main"`, `<footer`, `href="/about"`, `href="/contact"`, `href="` + w.assetURL("site.css") + `"`}
}

func TestPages(t *testing.T) {
	t.Parallel()
	s := newSite(t, Privacy{MaxPeers: 20, Rate: 1, Burst: 60, AlarmDistinct: 30, AlarmWindow: 10 * time.Minute})

	resp, body := s.get(t, "GET", "/", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("empty home: %s", resp.Status)
	}
	mustContain(t, "empty home", body, "No videos have been published")

	// 27 published videos (one with markup in its name), one being
	// transcoded and one that failed, in between.
	var all []origin.Video
	for i := range 27 {
		name := fmt.Sprintf("Video %02d", i)
		if i == 26 {
			name = `Clip <script>alert("x")</script> & co`
		}
		all = append(all, s.add(t, published(name, float64(i*61))))
		if i == 10 {
			s.add(t, origin.Video{Name: "Still transcoding", Transcoding: true, Progress: 0.42})
			s.add(t, origin.Video{Name: "Broken upload", State: origin.StateTranscodingFailed, Reason: "damaged"})
		}
	}
	newest := all[26]
	// The newest has a thumbnail; the others keep the CSS tile.
	thumb := layout.ThumbnailFileName(newest.UUID, layout.ImageTag([]byte("jpeg")))
	if _, err := s.catalog.UpdateVideo(context.Background(), newest.ID, func(v *origin.Video) error {
		v.Thumbnail, v.Preview = thumb, layout.PreviewFileName(newest.UUID, layout.ImageTag([]byte("jpeg")))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	transcoding, err := s.catalog.Video(context.Background(), "12")
	if err != nil || transcoding.Name != "Still transcoding" {
		t.Fatalf("video 12: %+v %v", transcoding, err)
	}
	failed, _ := s.catalog.Video(context.Background(), "13")

	resp, body = s.get(t, "GET", "/", nil)
	checkPageHeaders(t, "/", resp, false)
	mustContain(t, "home", body, layoutMarks(s.web)...)
	mustContain(t, "home", body, `<a href="/" aria-current="page">Videos</a>`,
		`Clip &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co`, `href="/w/`+newest.ShortUUID+`"`, "26:26", // 1586 s
		"Video 03", `href="/?page=2" rel="next"`)
	mustNotContain(t, "home", body, "<script>alert", "Video 02", "Still transcoding", "Broken upload", `rel="prev"`)
	if n := strings.Count(body, `class="video-card"`); n != perPage {
		t.Errorf("home lists %d videos, want %d", n, perPage)
	}
	mustContain(t, "home", body, `<img class="thumb" src="/lazy-static/thumbnails/`+thumb+`" alt="" width="280" height="157" loading="lazy">`)
	if n := strings.Count(body, `<span class="thumb" aria-hidden="true"></span>`); n != perPage-1 {
		t.Errorf("home has %d CSS tiles, want %d", n, perPage-1)
	}
	resp, body = s.get(t, "GET", "/?page=2", nil)
	if resp.StatusCode != 200 || strings.Count(body, `class="video-card"`) != 3 {
		t.Errorf("page 2: %s with %d videos", resp.Status, strings.Count(body, `class="video-card"`))
	}
	mustContain(t, "page 2", body, "Video 00", "Video 02", `href="/" rel="prev"`, "<title>Videos, page 2 · peeredge</title>")
	mustNotContain(t, "page 2", body, `rel="next"`, "Video 03")
	for path, status := range map[string]int{"/?page=3": 404, "/?page=0": 400, "/?page=x": 400, "/?page=99999999": 400} {
		if resp, body := s.get(t, "GET", path, nil); resp.StatusCode != status || !strings.Contains(body, "No such page") {
			t.Errorf("%s: %s, want %d and a page saying so", path, resp.Status, status)
		}
	}

	// The watch page, by shortUUID or uuid.
	for _, ref := range []string{newest.ShortUUID, newest.UUID} {
		resp, body = s.get(t, "GET", "/w/"+ref, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("watch %s: %s", ref, resp.Status)
		}
		checkPageHeaders(t, "/w/", resp, false)
	}
	mustContain(t, "watch", body, layoutMarks(s.web)...)
	mustContain(t, "watch", body,
		`<div id="player" class="player" data-uuid="`+newest.UUID+`" data-master="http://node.example:9000/static/streaming-playlists/hls/`+newest.UUID+`/master.m3u8"`,
		`data-segments-sha256="http://node.example:9000/static/streaming-playlists/hls/`+newest.UUID+`/segments-sha256.json"`,
		`data-trackers="[&#34;ws://node.example:9000/tracker/socket&#34;]"`, `data-config="/api/v1/config" data-p2p="1" data-views="/api/v1/videos/`+newest.UUID+`/views">`,
		`<video id="video" controls playsinline preload="metadata"></video>`,
		`<input type="checkbox" id="p2p-switch" checked><label for="p2p-switch">Help share this video with other viewers (P2P)</label>`,
		`<aside id="privacy-reminder"`, `href="/about#p2p-privacy"`, `<button type="button" id="privacy-dismiss">`,
		`<div id="p2p-stats" class="p2p-stats" data-p2p-bytes="0" data-http-bytes="0" data-peers="0" data-p2p-segments="0" data-p2p-rejected="0" data-mode="">`,
		`<title>Clip &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co · peeredge</title>`, "Duration: 26:26",
		`href="http://node.example:9000/lazy-static/torrents/t-240-hls.torrent" download>240p</a>`,
		`value="http://node.example:9000/videos/embed/`+newest.UUID+`"`)
	mustNotContain(t, "watch", body, "<script>alert")
	if s.web.assets.has(playerScript) {
		mustContain(t, "watch", body, `<p id="player-missing" class="notice" hidden>`, `<script src="`+s.web.assetURL(playerScript)+`" defer></script>`)
	} else {
		mustContain(t, "watch", body, `<p id="player-missing" class="notice">The player is not built: run scripts/web.sh, then rebuild peeredge.</p>`)
	}

	// Not yet published: a page saying so (200, as PeerTube), no player.
	resp, body = s.get(t, "GET", "/w/"+transcoding.ShortUUID, nil)
	if resp.StatusCode != 200 {
		t.Errorf("transcoding video: %s", resp.Status)
	}
	mustContain(t, "transcoding", body, "still being prepared", "42 % done", `role="status"`)
	mustNotContain(t, "transcoding", body, `id="player"`)

	// Unknown, failed and malformed: the 404 page in the same layout.
	for _, path := range []string{"/w/" + failed.ShortUUID, "/w/" + strings.Repeat("z", layout.ShortUUIDLen), "/w/12", "/w/", "/w/" + newest.ShortUUID + "/x",
		"/videos/watch/nope", "/videos/embed/" + failed.UUID, "/videos/embed/", "/w/" + newest.UUID[:35]} {
		resp, body := s.get(t, "GET", path, nil)
		if resp.StatusCode != 404 {
			t.Errorf("%s: %s, want 404", path, resp.Status)
			continue
		}
		checkPageHeaders(t, path, resp, false)
		mustContain(t, path, body, append(layoutMarks(s.web), "<h1>Not found</h1>")...)
	}
	// Outside the web's paths, the edge's own 404 stays.
	if resp, _ := s.get(t, "GET", "/elsewhere", nil); resp.StatusCode != 404 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		t.Errorf("/elsewhere: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}

	// PeerTube's watch URL sends browsers to the watch page, query kept.
	// Federation hook: an ActivityPub Accept gets the same redirect until
	// federation/activitypub answers it (then this test changes).
	for _, tt := range []struct{ path, accept, location string }{
		{"/videos/watch/" + newest.UUID, "text/html", "/w/" + newest.ShortUUID},
		{"/videos/watch/" + newest.ShortUUID + "?start=30", "text/html", "/w/" + newest.ShortUUID + "?start=30"},
		{"/videos/watch/" + newest.UUID, "application/activity+json", "/w/" + newest.ShortUUID},
	} {
		resp, _ := s.get(t, "GET", tt.path, map[string]string{"Accept": tt.accept})
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != tt.location {
			t.Errorf("%s (Accept %s): %s to %q, want 302 to %q", tt.path, tt.accept, resp.Status, resp.Header.Get("Location"), tt.location)
		}
	}

	// The embed: the bare player, framable anywhere, ?p2p=0 honoured.
	for _, tt := range []struct{ query, p2p string }{{"", "1"}, {"?p2p=0", "0"}, {"?p2p=false", "0"}, {"?p2p=1", "1"}} {
		for _, ref := range []string{newest.UUID, newest.ShortUUID} {
			resp, body := s.get(t, "GET", "/videos/embed/"+ref+tt.query, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("embed %s: %s", tt.query, resp.Status)
			}
			checkPageHeaders(t, "/videos/embed/", resp, true)
			mustContain(t, "embed"+tt.query, body, `data-p2p="`+tt.p2p+`"`, `<video id="video"`, `id="p2p-stats"`,
				`href="http://node.example:9000/w/`+newest.ShortUUID+`" target="_blank"`, `href="http://node.example:9000/about#p2p-privacy"`)
			mustNotContain(t, "embed", body, "<header", `class="site-nav"`, "<script>alert")
		}
	}

	// The contact form.
	resp, body = s.get(t, "GET", "/contact", nil)
	checkPageHeaders(t, "/contact", resp, false)
	mustContain(t, "contact", body, layoutMarks(s.web)...)
	mustContain(t, "contact", body, `action="/api/v1/server/contact" method="post" novalidate`,
		`<label for="email">`, `id="email" name="fromEmail" type="email"`, `aria-describedby="email-error"`, `<p id="email-error" class="field-error" role="alert">`,
		`id="name" name="fromName" type="text" autocomplete="name" required minlength="1" maxlength="120"`,
		`id="subject" name="subject" type="text" required minlength="1" maxlength="120"`,
		`id="message" name="body" rows="8" required minlength="3" maxlength="5000"`, `role="status"`,
		`<script src="`+s.web.assetURL("contact.js")+`" defer></script>`)

	// Methods: HEAD like GET without a body; others 405 with Allow.
	resp, body = s.get(t, "HEAD", "/about", nil)
	if resp.StatusCode != 200 || body != "" || resp.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("HEAD /about: %s, %d bytes", resp.Status, len(body))
	}
	for _, path := range []string{"/", "/about", "/w/" + newest.ShortUUID, "/web/assets/site.css"} {
		resp, _ := s.get(t, "POST", path, nil)
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("POST %s: %s, Allow %q", path, resp.Status, resp.Header.Get("Allow"))
		}
	}
}

func TestAssets(t *testing.T) {
	t.Parallel()
	s := newSite(t, Privacy{})
	css := s.web.assets.files["site.css"]
	for _, tt := range []struct {
		path, cache string
		status      int
	}{
		{"/web/assets/site.css?v=" + css.hash, "public, max-age=31536000, immutable", 200},
		{"/web/assets/site.css", "no-cache", 200},
		{"/web/assets/site.css?v=0123456789abcdef", "no-cache", 200}, // an older page's link
		{"/web/assets/contact.js", "no-cache", 200},
	} {
		resp, body := s.get(t, "GET", tt.path, nil)
		if resp.StatusCode != tt.status || resp.Header.Get("Cache-Control") != tt.cache || resp.Header.Get("ETag") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: %s, %v", tt.path, resp.Status, resp.Header)
		}
		if strings.HasSuffix(strings.Split(tt.path, "?")[0], ".css") && (resp.Header.Get("Content-Type") != "text/css; charset=utf-8" || body != string(css.body)) {
			t.Errorf("%s: %s, %d bytes", tt.path, resp.Header.Get("Content-Type"), len(body))
		}
	}
	if resp, _ := s.get(t, "GET", "/web/assets/contact.js", nil); resp.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Errorf("contact.js as %q", resp.Header.Get("Content-Type"))
	}
	if resp, body := s.get(t, "GET", "/web/assets/site.css", map[string]string{"If-None-Match": css.etag}); resp.StatusCode != 304 || body != "" {
		t.Errorf("revalidation: %s, %d bytes", resp.Status, len(body))
	}
	for _, path := range []string{"/web/assets/README.md", "/web/assets/nope.css", "/web/assets/", "/web/assets/../web.go", "/web/assets/dist/"} {
		if resp, _ := s.get(t, "GET", path, nil); resp.StatusCode != 404 {
			t.Errorf("%s: %s, want 404", path, resp.Status)
		}
	}
}

// TestAboutShowsConfiguredLimits: the privacy section says what the
// running node applies, whatever it was configured with.
func TestAboutShowsConfiguredLimits(t *testing.T) {
	t.Parallel()
	s := newSite(t, Privacy{MaxPeers: 7, Rate: 0.5, Burst: 9, AlarmDistinct: 11, AlarmWindow: 7 * time.Minute, AlarmBlock: 90 * time.Minute,
		SocketPeerTTL: 5 * time.Minute, SocketInterval: 2 * time.Minute, PeerTTL: 21 * time.Minute})
	s.p2p.Store(false)
	resp, body := s.get(t, "GET", "/about", nil)
	checkPageHeaders(t, "/about", resp, false)
	mustContain(t, "about", body, layoutMarks(s.web)...)
	mustContain(t, "about", body, `id="p2p-privacy"`, `aria-current="page">About`,
		`<strong id="peer-cap">7</strong>`, "With\n1,000 people watching one video and a cap of 7", `<strong id="peer-cap-example">143</strong> requests`,
		`<strong id="rate-limit">1 request every 2 seconds</strong>`, `<strong id="rate-burst">9</strong>`,
		"<strong id=\"alarm-distinct\">11</strong>\ndifferent videos", `<strong id="alarm-window">7 minutes</strong>`, `<span id="alarm-block">1 hour 30 minutes</span>`,
		`<strong id="socket-peer-ttl">5 minutes</strong>`, `<strong id="peer-ttl">21 minutes</strong>`, "every 2 minutes",
		"P2P sharing is <strong>off</strong>", "it is off now", "does not offer redundancy mirrors yet", "no \"scrape\"",
		"VPN", "Tor Browser", "does not make\nyou anonymous")
	s.p2p.Store(true)
	_, body = s.get(t, "GET", "/about", nil)
	mustContain(t, "about, P2P on", body, "P2P sharing is <strong>on</strong>", "it is on now")
}

func TestWords(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]string{0: "0:00", 0.4: "0:00", 59.6: "1:00", 61: "1:01", 600: "10:00", 3599: "59:59", 3600: "1:00:00", 36061: "10:01:01", -5: "0:00"} {
		if got := formatDuration(in); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[time.Duration]string{0: "0 seconds", time.Second: "1 second", 90 * time.Second: "1 minute 30 seconds",
		21 * time.Minute: "21 minutes", 2*time.Hour + time.Minute: "2 hours 1 minute"} {
		if got := durationWords(in); got != want {
			t.Errorf("durationWords(%v) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1000: "-1,000"} {
		if got := thousands(in); got != want {
			t.Errorf("thousands(%d) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[float64]string{1: "1 request a second", 2.5: "2.5 requests a second", 0.25: "1 request every 4 seconds"} {
		if got := rateWords(in); got != want {
			t.Errorf("rateWords(%v) = %q, want %q", in, got, want)
		}
	}
}

// FuzzHandler: whatever the path, query and method, the pages answer
// with one of their statuses, and a page is a whole HTML document.
func FuzzHandler(f *testing.F) {
	for _, seed := range []string{"/", "/?page=2", "/?page=-1", "/w/", "/w/%00", "/w/1", "/videos/watch/x?start=1", "/videos/embed/a?p2p=0",
		"/about", "/contact", "/web/assets/site.css?v=", "/web/assets/../../etc/passwd", "/w/" + strings.Repeat("1", 22)} {
		f.Add("GET", seed)
	}
	f.Add("DELETE", "/about")
	s := newSite(f, Privacy{MaxPeers: 20})
	v := s.add(f, published("fuzz", 1))
	f.Add("GET", "/w/"+v.ShortUUID)
	f.Fuzz(func(t *testing.T, method, uri string) {
		var req fasthttp.Request
		req.Header.SetMethod(method)
		req.SetRequestURI(uri)
		var ctx fasthttp.RequestCtx
		ctx.Init(&req, nil, nil)
		s.web.Handler(&ctx)
		switch st := ctx.Response.StatusCode(); st {
		case 200, 302, 304, 400, 404, 405:
		default:
			t.Fatalf("%s %q: status %d", method, uri, st)
		}
		if strings.HasPrefix(string(ctx.Response.Header.ContentType()), "text/html") && !strings.HasSuffix(strings.TrimSpace(string(ctx.Response.Body())), "</html>") {
			t.Fatalf("%s %q: a page cut short: %q", method, uri, ctx.Response.Body())
		}
	})
}
