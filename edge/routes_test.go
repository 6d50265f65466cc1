package edge_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/edge"
	"github.com/peeredge/peeredge/edge/edgetest"
	"github.com/peeredge/peeredge/internal/layout"
)

// TestRoutes checks that each public URL of the layout reaches the file the
// publisher writes, or the room mounted for it.
func TestRoutes(t *testing.T) {
	t.Parallel()
	const id = "a44521d0-0fb8-4ade-8002-3385545c3318"
	disk, err := layout.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rendition, torrent := layout.RenditionFileName(id, 720), layout.TorrentFileName(id, 720)
	thumb, preview := layout.ThumbnailFileName(id, layout.ImageTag([]byte("t"))), layout.PreviewFileName(id, layout.ImageTag([]byte("p")))
	files := map[string]string{
		filepath.Join(disk.HLSDir(id), thumb):                     "thumbnail",
		filepath.Join(disk.HLSDir(id), preview):                   "preview",
		filepath.Join(disk.HLSDir(id), layout.MasterPlaylistName): "master",
		filepath.Join(disk.HLSDir(id), rendition):                 "rung bytes",
		disk.TorrentPath(torrent):                                 "full torrent",
		disk.WebSeedOnlyPath(torrent):                             "webseed-only torrent",
	}
	for path, content := range files {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var p2p atomic.Bool
	p2p.Store(true)
	mounted := func(name string) fasthttp.RequestHandler {
		return func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString(name + " " + string(ctx.Path())) }
	}
	base := edgetest.Serve(t, edge.Config{
		MediaDir:   disk.MediaDir(),
		P2PEnabled: p2p.Load,
		Mounts: []edge.Mount{
			{Path: layout.APIPrefix, Handler: mounted("api")},
			{Path: layout.TrackerHTTP, Handler: mounted("tracker")},
			{Path: layout.HomePath, Handler: mounted("home")},
		},
		Logger: slog.New(slog.DiscardHandler),
	})
	tests := []struct {
		path   string
		p2p    bool
		status int
		body   string
		attach string // Content-Disposition expected
	}{
		{layout.HLSPrefix + id + "/master.m3u8", true, 200, "master", ""},
		{layout.HLSPrefix + id + "/" + rendition, true, 200, "rung bytes", ""},
		{layout.WebSeedPrefix + rendition, true, 200, "rung bytes", ""},
		{layout.WebSeedPrefix + layout.MediaPlaylistName(id, 720), true, 404, "", ""}, // only rendition files are WebSeeds
		{layout.WebSeedPrefix + id + "/master.m3u8", true, 404, "", ""},
		{layout.TorrentPrefix + torrent, true, 200, "full torrent", ""},
		{layout.TorrentPrefix + torrent, false, 200, "webseed-only torrent", ""},
		{layout.TorrentPrefix + "webseed-only/" + torrent, true, 404, "", ""},
		{layout.ThumbnailsPrefix + thumb, true, 200, "thumbnail", ""},
		{layout.PreviewsPrefix + preview, true, 200, "preview", ""},
		{layout.ThumbnailsPrefix + preview, true, 404, "", ""}, // each prefix serves its own kind
		{layout.PreviewsPrefix + id + "/" + preview, true, 404, "", ""},
		{layout.ThumbnailsPrefix + rendition, true, 404, "", ""},
		{layout.DownloadFilePrefix + rendition, true, 200, "rung bytes", `attachment; filename="` + rendition + `"`},
		{layout.DownloadFilePrefix + layout.MediaPlaylistName(id, 720), true, 404, "", ""},
		{layout.DownloadTorrentPrefix + torrent, true, 200, "full torrent", `attachment; filename="` + torrent + `"`},
		{layout.DownloadTorrentPrefix + torrent, false, 200, "webseed-only torrent", `attachment; filename="` + torrent + `"`},
		{layout.DownloadTorrentPrefix + rendition, true, 404, "", ""},
		{layout.APIPrefix + "v1/videos", true, 200, "api /api/v1/videos", ""},
		{"/api", true, 404, "", ""},
		{layout.TrackerHTTP, true, 200, "tracker /tracker/announce", ""},
		{layout.TrackerHTTP + "/x", true, 404, "", ""},
		{"/", true, 200, "home /", ""},
		{"/elsewhere", true, 404, "", ""}, // "/" is exact: the home page is no catch-all
	}
	for _, tt := range tests {
		p2p.Store(tt.p2p)
		resp, err := http.Get(base + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != tt.status || (tt.body != "" && string(body) != tt.body) {
			t.Errorf("GET %s (P2P %v): %d %q, want %d %q", tt.path, tt.p2p, resp.StatusCode, body, tt.status, tt.body)
		}
		if got := resp.Header.Get("Content-Disposition"); got != tt.attach {
			t.Errorf("GET %s: Content-Disposition %q, want %q", tt.path, got, tt.attach)
		}
		if resp.StatusCode == 404 && resp.Header.Get("Content-Type") != "application/problem+json; charset=utf-8" {
			t.Errorf("GET %s: 404 as %q, want a problem", tt.path, resp.Header.Get("Content-Type"))
		}
	}
	if _, err := edge.New(edge.Config{MediaDir: disk.MediaDir(), Mounts: []edge.Mount{{Path: "api/", Handler: mounted("x")}}}); err == nil {
		t.Error("a relative mount path was accepted")
	}
}

// TestRefusalWithUnreadBodyIsAnswered: a handler that refuses a request
// without reading its body has its answer read by the client, not lost to
// the reset a close with unread input makes.
func TestRefusalWithUnreadBodyIsAnswered(t *testing.T) {
	t.Parallel()
	refuse := func(ctx *fasthttp.RequestCtx) {
		ctx.SetConnectionClose()
		ctx.SetStatusCode(http.StatusRequestEntityTooLarge)
		ctx.SetBodyString("no")
	}
	base := edgetest.Serve(t, edge.Config{MediaDir: t.TempDir(), Mounts: []edge.Mount{{Path: "/refuse", Handler: refuse}}, Logger: slog.New(slog.DiscardHandler)})
	body := make([]byte, 2<<20)
	for i := range 20 {
		resp, err := http.Post(base+"/refuse", "application/octet-stream", bytes.NewReader(body))
		if err != nil {
			t.Fatalf("try %d: %v", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("try %d: %s", i, resp.Status)
		}
	}
}
