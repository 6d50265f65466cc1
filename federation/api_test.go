package federation

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/peeredge/peeredge/internal/urls"
	"github.com/peeredge/peeredge/origin"
)

func newTestAPI(t *testing.T, videos int) (*API, []origin.Video) {
	t.Helper()
	c, err := origin.OpenCatalog(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	var out []origin.Video
	for i := 0; i < videos; i++ {
		v, err := c.CreateVideo(context.Background(), origin.Video{Name: "v" + string(rune('a'+i))})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	u, err := urls.New("https://video.example/")
	if err != nil {
		t.Fatal(err)
	}
	return NewAPI(c, u, nil, nil), out
}

func get(t *testing.T, h http.Handler, target string) (int, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec.Code, rec.Body.Bytes()
}

func TestListPaging(t *testing.T) {
	api, _ := newTestAPI(t, 5)
	tests := []struct {
		query  string
		status int
		names  string
	}{
		{"", 200, "ve vd vc vb va"}, // newest first
		{"?count=2", 200, "ve vd"},
		{"?start=3&count=10", 200, "vb va"},
		{"?start=9", 200, ""},
		{"?count=1000", 200, "ve vd vc vb va"}, // capped, not refused
		{"?count=0", 200, ""},
		{"?start=-1", 400, ""},
		{"?count=x", 400, ""},
	}
	for _, tt := range tests {
		code, body := get(t, api, "/api/v1/videos"+tt.query)
		if code != tt.status {
			t.Errorf("%s: status %d, want %d: %s", tt.query, code, tt.status, body)
			continue
		}
		if code != 200 {
			var p struct{ Status int }
			if json.Unmarshal(body, &p) != nil || p.Status != code {
				t.Errorf("%s: error body %s", tt.query, body)
			}
			continue
		}
		var list struct {
			Total int
			Data  []struct{ Name string }
		}
		if err := json.Unmarshal(body, &list); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, v := range list.Data {
			names = append(names, v.Name)
		}
		if list.Total != 5 || strings.Join(names, " ") != tt.names {
			t.Errorf("%s: total %d names %q, want 5 %q", tt.query, list.Total, names, tt.names)
		}
	}
}

func TestVideoByEveryRef(t *testing.T) {
	api, videos := newTestAPI(t, 1)
	v := videos[0]
	for _, ref := range []string{"1", v.UUID, v.ShortUUID} {
		code, body := get(t, api, "/api/v1/videos/"+ref)
		var got struct {
			UUID  string
			State struct {
				ID    int
				Label string
			}
			StreamingPlaylists []any
		}
		if code != 200 || json.Unmarshal(body, &got) != nil || got.UUID != v.UUID {
			t.Errorf("ref %q: %d %s", ref, code, body)
		}
		if got.State.ID != 2 || got.State.Label != "To transcode" || len(got.StreamingPlaylists) != 0 {
			t.Errorf("ref %q: unpublished video shows %+v", ref, got)
		}
	}
	for _, ref := range []string{"2", "0", "nope", "00000000-0000-0000-0000-000000000000"} {
		if code, body := get(t, api, "/api/v1/videos/"+ref); code != 404 {
			t.Errorf("ref %q: %d %s, want 404", ref, code, body)
		}
	}
	if code, _ := get(t, api, "/api/v1/nothing"); code != 404 {
		t.Errorf("unknown endpoint: %d", code)
	}
}

func TestPublishedVideoJSON(t *testing.T) {
	u, _ := urls.New("https://video.example")
	v := origin.Video{
		ID: 7, UUID: "0b4c7a5e-5f1e-4a53-9a49-0d2f0f3c2a11", ShortUUID: "s", Name: "n", State: origin.StatePublished, Duration: 9.6,
		Renditions: []origin.Rendition{{Height: 720, Width: 1280, FPS: 30, Size: 1234, FileName: "f-720-fragmented.mp4",
			PlaylistName: "f-720.m3u8", TorrentName: "f-720-hls.torrent", InfoHash: "2a7be854df1626ffaa6c514e8a6a5abb3e172833"}},
	}
	got := newVideoJSON(v, u, true)
	if got.Duration != 10 || got.State.ID != 1 || got.PublishedAt == nil || len(got.StreamingPlaylists) != 1 {
		t.Fatalf("%+v", got)
	}
	sp := got.StreamingPlaylists[0]
	f := sp.Files[0]
	checks := map[string]string{
		sp.PlaylistURL:       "https://video.example/static/streaming-playlists/hls/0b4c7a5e-5f1e-4a53-9a49-0d2f0f3c2a11/master.m3u8",
		sp.SegmentsSha256URL: "https://video.example/static/streaming-playlists/hls/0b4c7a5e-5f1e-4a53-9a49-0d2f0f3c2a11/segments-sha256.json",
		f.FileURL:            "https://video.example/static/streaming-playlists/hls/0b4c7a5e-5f1e-4a53-9a49-0d2f0f3c2a11/f-720-fragmented.mp4",
		f.TorrentURL:         "https://video.example/lazy-static/torrents/f-720-hls.torrent",
		f.Resolution.Label:   "720p",
	}
	for got, want := range checks {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	for _, part := range []string{"xt=urn:btih:2a7be854df1626ffaa6c514e8a6a5abb3e172833", "tr=wss%3A%2F%2Fvideo.example%2Ftracker%2Fsocket",
		"ws=https%3A%2F%2Fvideo.example%2Fstatic%2Fwebseed%2Ff-720-fragmented.mp4", "xl=1234"} {
		if !strings.Contains(f.MagnetURI, part) {
			t.Errorf("magnet %q lacks %q", f.MagnetURI, part)
		}
	}
	transcoding := origin.Video{State: origin.StateToTranscode, Transcoding: true, Progress: 0.4567}
	if j := newVideoJSON(transcoding, u, true); j.State.Label != "Transcoding" || j.TranscodingProgress == nil || *j.TranscodingProgress != 45.7 {
		t.Errorf("transcoding: %+v", j)
	}
	failed := origin.Video{State: origin.StateTranscodingFailed, Error: "ffmpeg: boom"}
	if j := newVideoJSON(failed, u, true); j.State.ID != 7 || j.StateReason != "ffmpeg: boom" {
		t.Errorf("failed: %+v", j)
	}
}

func TestP2PSwitchInAPI(t *testing.T) {
	c, err := origin.OpenCatalog(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	u, _ := urls.New("http://h")
	on := true
	api := NewAPI(c, u, func() bool { return on }, nil)
	for _, want := range []bool{true, false} {
		on = want
		code, body := get(t, api, "/api/v1/config")
		var cfg struct{ Tracker struct{ Enabled bool } }
		if code != 200 || json.Unmarshal(body, &cfg) != nil || cfg.Tracker.Enabled != want {
			t.Errorf("p2p %v: config %d %s", want, code, body)
		}
	}
	v := origin.Video{UUID: "u", State: origin.StatePublished, Renditions: []origin.Rendition{{Height: 240, FileName: "f", InfoHash: "ab"}}}
	if m := newVideoJSON(v, u, false).StreamingPlaylists[0].Files[0].MagnetURI; strings.Contains(m, "tr=") || !strings.Contains(m, "ws=") {
		t.Errorf("magnet with P2P off = %q, want WebSeed only", m)
	}
}
