package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/peeredge/peeredge/federation/activitypub"
	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
)

// TestRemoteAndActivityPubPages: a followed instance's video is listed
// with its host and thumbnail, watched and embedded from its files with
// P2P off (its origins allowed by the page's CSP); the watch URL answers
// ActivityPub clients only for the node's published videos.
func TestRemoteAndActivityPubPages(t *testing.T) {
	t.Parallel()
	s := newSiteWith(t, Privacy{}, func(cfg *Config, c *origin.Catalog) {
		disk, err := layout.NewDisk(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		objects, err := activitypub.NewLocalVideos(activitypub.LocalVideosConfig{
			Catalog: c, URLs: cfg.URLs, Disk: disk,
			Magnet: func(origin.Rendition, bool) string { return "" },
		})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Remote, cfg.VideoObjects = c, objects
	})
	local := s.add(t, published("local video", 5))
	transcoding := s.add(t, origin.Video{Name: "transcoding video"})
	rv, err := s.catalog.UpsertRemoteVideo(context.Background(), origin.RemoteVideo{
		APID: "https://pt.example/videos/watch/8f3c1a4e-2b7d-4c1e-9a0b-5d6e7f8a9b0c", UUID: "8f3c1a4e-2b7d-4c1e-9a0b-5d6e7f8a9b0c",
		Host: "pt.example", Name: "remote video", Duration: 65, Updated: time.Now(),
		Thumbnail: "https://pt.example/lazy-static/thumbnails/a.jpg", Preview: "https://pt.example/lazy-static/previews/a.jpg",
		Master: "https://pt.example/static/streaming-playlists/hls/8f3c/m-master.m3u8", SegmentsSHA256: "https://pt.example/static/streaming-playlists/hls/8f3c/s.json",
		Files: []origin.RemoteFile{{URL: "https://cdn.example/f-240-fragmented.mp4", TorrentURL: "https://pt.example/lazy-static/torrents/f-240-hls.torrent", Height: 240}},
	})
	if err != nil {
		t.Fatal(err)
	}

	resp, home := s.get(t, "GET", "/", nil)
	checkPageHeaders(t, "/", resp, false)
	mustContain(t, "home", home, `href="/w/`+rv.ShortUUID+`"`, `src="https://pt.example/lazy-static/thumbnails/a.jpg"`,
		`<span class="video-host"><span class="visually-hidden">From </span>pt.example</span>`, "1:05", `href="/w/`+local.ShortUUID+`"`)
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data: https://pt.example;") {
		t.Errorf("home CSP %q", csp)
	}

	resp, watch := s.get(t, "GET", "/w/"+rv.ShortUUID, nil)
	checkPageHeaders(t, "/w/", resp, false)
	mustContain(t, "remote watch", watch, `data-master="https://pt.example/static/streaming-playlists/hls/8f3c/m-master.m3u8"`, `data-p2p="0"`,
		`data-trackers="[]"`, `href="https://pt.example/videos/watch/8f3c1a4e-2b7d-4c1e-9a0b-5d6e7f8a9b0c"`, `href="https://pt.example/lazy-static/torrents/f-240-hls.torrent"`)
	mustNotContain(t, "remote watch", watch, `id="p2p-switch"`, `data-views=`)
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "media-src 'self' http://node.example:9000 blob: https://pt.example https://cdn.example;") ||
		!strings.Contains(csp, "connect-src 'self' http://node.example:9000 ws://node.example:9000 https://pt.example https://cdn.example;") {
		t.Errorf("remote watch CSP %q", csp)
	}
	resp, embed := s.get(t, "GET", "/videos/embed/"+rv.UUID+"?p2p=1", nil)
	checkPageHeaders(t, "/videos/embed/", resp, true)
	mustContain(t, "remote embed", embed, `data-p2p="0"`, `data-master="https://pt.example/`)

	// The node's own pages keep the strict CSP.
	if resp, _ := s.get(t, "GET", "/w/"+local.ShortUUID, nil); strings.Contains(resp.Header.Get("Content-Security-Policy"), "pt.example") {
		t.Errorf("local watch CSP %q", resp.Header.Get("Content-Security-Policy"))
	}

	for _, tt := range []struct {
		path, accept string
		status       int
		location     string
	}{
		{"/videos/watch/" + transcoding.UUID, "application/activity+json", http.StatusNotFound, ""},
		{"/videos/watch/" + rv.UUID, "application/activity+json", http.StatusNotFound, ""}, // not ours to answer
		{"/videos/watch/" + rv.UUID, "text/html", http.StatusFound, "/w/" + rv.ShortUUID},
		{"/videos/watch/" + transcoding.UUID, "text/html", http.StatusFound, "/w/" + transcoding.ShortUUID},
	} {
		resp, _ := s.get(t, "GET", tt.path, map[string]string{"Accept": tt.accept})
		if resp.StatusCode != tt.status || resp.Header.Get("Location") != tt.location || resp.Header.Get("Vary") != "Accept" {
			t.Errorf("%s (%s): %s to %q, Vary %q", tt.path, tt.accept, resp.Status, resp.Header.Get("Location"), resp.Header.Get("Vary"))
		}
	}
}
