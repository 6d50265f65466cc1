package api

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
	"github.com/peeredge/peeredge/swarm/tracker"
)

func (e *testEnv) createVideos(t *testing.T, n int) []origin.Video {
	t.Helper()
	var out []origin.Video
	for i := range n {
		v, err := e.catalog.CreateVideo(context.Background(), origin.Video{Name: "v" + string(rune('a'+i))})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func TestListPaging(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, envOptions{})
	env.createVideos(t, 5)
	tests := []struct {
		query  string
		status int
		names  string
	}{
		{"", 200, "ve vd vc vb va"}, // newest first
		{"?count=2", 200, "ve vd"},
		{"?start=3&count=10", 200, "vb va"},
		{"?start=9", 200, ""},
		{"?count=100", 200, "ve vd vc vb va"},
		{"?count=101", 400, ""}, // PeerTube refuses more than 100
		{"?count=0", 200, ""},
		{"?start=-1", 400, ""},
		{"?count=x", 400, ""},
	}
	for _, tt := range tests {
		code, body := env.get(t, "/api/v1/videos"+tt.query)
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
	t.Parallel()
	env := newTestEnv(t, envOptions{})
	v := env.createVideos(t, 1)[0]
	for _, ref := range []string{"1", v.UUID, v.ShortUUID} {
		code, body := env.get(t, "/api/v1/videos/"+ref)
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
	for _, path := range []string{"/api/v1/videos/2", "/api/v1/videos/0", "/api/v1/videos/nope",
		"/api/v1/videos/00000000-0000-0000-0000-000000000000", "/api/v1/videos/1/extra", "/api/v1/nothing", "/api/"} {
		if code, body := env.get(t, path); code != 404 {
			t.Errorf("%s: %d %s, want 404", path, code, body)
		}
	}
}

// TestEveryAnswerFollowsOneRule: JSON and problem answers alike carry the
// one caching rule, HEAD answers without a body, and a method an endpoint
// does not take is 405 with Allow.
func TestEveryAnswerFollowsOneRule(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, envOptions{})
	env.createVideos(t, 1)
	for _, tt := range []struct {
		method, path, token string
		status              int
		allow               string
	}{
		{"GET", "/api/v1/videos", "", 200, ""},
		{"GET", "/api/v1/videos/1", "", 200, ""},
		{"GET", "/api/v1/config", "", 200, ""},
		{"GET", "/api/v1/videos/9", "", 404, ""},
		{"GET", "/api/v1/admin/p2p", "", 401, ""},
		{"GET", "/api/v1/admin/p2p", testToken, 200, ""},
		{"DELETE", "/api/v1/admin/p2p", testToken, 405, allowAdmin},
		{"POST", "/api/v1/videos", "", 405, allowRead},
		{"POST", "/api/v1/videos/1", "", 405, allowVideo},
		{"PUT", "/api/v1/videos/1", "", 401, ""},
		{"DELETE", "/api/v1/videos/1", "", 401, ""},
		{"GET", "/api/v1/videos/upload-resumable", "", 405, allowResumable},
		{"PUT", "/api/v1/videos/upload-resumable", "", 401, ""},
		{"GET", "/api/v1/videos/upload", "", 405, allowUpload},
		{"GET", "/api/v1/admin/tracker", testToken, 404, ""}, // no swarm in this node
	} {
		resp, body := env.do(t, tt.method, tt.path, tt.token, nil, nil)
		if resp.StatusCode != tt.status || resp.Header.Get("Cache-Control") != cacheControl || resp.Header.Get("Allow") != tt.allow {
			t.Errorf("%s %s: %s, Cache-Control %q, Allow %q; want %d, %q, %q: %s", tt.method, tt.path, resp.Status,
				resp.Header.Get("Cache-Control"), resp.Header.Get("Allow"), tt.status, cacheControl, tt.allow, body)
		}
		ct := resp.Header.Get("Content-Type")
		if (tt.status == 200) != strings.HasPrefix(ct, "application/json") || (tt.status != 200) != strings.HasPrefix(ct, "application/problem+json") {
			t.Errorf("%s %s: Content-Type %q", tt.method, tt.path, ct)
		}
	}
	resp, body := env.do(t, "HEAD", "/api/v1/videos/1", "", nil, nil)
	if resp.StatusCode != 200 || len(body) != 0 || resp.Header.Get("Cache-Control") != cacheControl {
		t.Errorf("HEAD: %s with %d body bytes", resp.Status, len(body))
	}
}

func TestPublishedVideoJSON(t *testing.T) {
	t.Parallel()
	u, _ := layout.New("https://video.example")
	const id = "0b4c7a5e-5f1e-4a53-9a49-0d2f0f3c2a11"
	v := origin.Video{
		ID: 7, UUID: id, ShortUUID: "s", Name: "n", State: origin.StatePublished, Duration: 9.6,
		Renditions: []origin.Rendition{{Height: 720, Width: 1280, FPS: 30, Size: 1234, FileName: layout.RenditionFileName(id, 720),
			PlaylistName: layout.MediaPlaylistName(id, 720), TorrentName: layout.TorrentFileName(id, 720), InfoHash: "2a7be854df1626ffaa6c514e8a6a5abb3e172833"}},
	}
	got := newVideoJSON(v, u, true)
	if got.Duration != 10 || got.State.ID != 1 || got.PublishedAt == nil || len(got.StreamingPlaylists) != 1 {
		t.Fatalf("%+v", got)
	}
	sp := got.StreamingPlaylists[0]
	f := sp.Files[0]
	checks := map[string]string{
		sp.PlaylistURL:                     "https://video.example/static/streaming-playlists/hls/" + id + "/master.m3u8",
		sp.SegmentsSha256URL:               "https://video.example/static/streaming-playlists/hls/" + id + "/segments-sha256.json",
		*f.FileURL:                         "https://video.example/static/streaming-playlists/hls/" + id + "/" + id + "-720-fragmented.mp4",
		f.PlaylistURL:                      "https://video.example/static/streaming-playlists/hls/" + id + "/" + id + "-720.m3u8",
		*f.TorrentURL:                      "https://video.example/lazy-static/torrents/" + id + "-720-hls.torrent",
		got.EmbedPath:                      "/videos/embed/" + id,
		strings.Join(got.TrackerURLs, " "): "https://video.example/tracker/announce wss://video.example/tracker/socket",
		f.Resolution.Label:                 "720p",
	}
	for got, want := range checks {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	for _, part := range []string{"xt=urn:btih:2a7be854df1626ffaa6c514e8a6a5abb3e172833", "tr=wss%3A%2F%2Fvideo.example%2Ftracker%2Fsocket",
		"ws=https%3A%2F%2Fvideo.example%2Fstatic%2Fwebseed%2F" + id + "-720-fragmented.mp4", "xl=1234"} {
		if !strings.Contains(*f.MagnetURI, part) {
			t.Errorf("magnet %q lacks %q", *f.MagnetURI, part)
		}
	}
	// Images: PeerTube's host-relative paths (under the public URL's path), or
	// null for a video published before the node made them.
	if got.ThumbnailPath != nil || got.PreviewPath != nil {
		t.Errorf("images of a video without any: %v %v", got.ThumbnailPath, got.PreviewPath)
	}
	v.Thumbnail, v.Preview = layout.ThumbnailFileName(id, "0123456789abcdef"), layout.PreviewFileName(id, "fedcba9876543210")
	sub, _ := layout.New("https://video.example/pt")
	if j := newVideoJSON(v, sub, true); j.ThumbnailPath == nil || *j.ThumbnailPath != "/pt/lazy-static/thumbnails/"+v.Thumbnail ||
		j.PreviewPath == nil || *j.PreviewPath != "/pt/lazy-static/previews/"+v.Preview {
		t.Errorf("image paths %v %v", j.ThumbnailPath, j.PreviewPath)
	}
	transcoding := origin.Video{State: origin.StateToTranscode, Transcoding: true, Progress: 0.4567}
	if j := newVideoJSON(transcoding, u, true); j.State.Label != "Transcoding" || j.TranscodingProgress == nil || *j.TranscodingProgress != 45.7 || j.AspectRatio != nil {
		t.Errorf("transcoding: %+v", j)
	}
	// The neutral fields, as PeerTube writes them: 16:9 as 1.7778, the
	// video's own answer with its null blacklist reason, lists without.
	own, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"aspectRatio":1.7778`, `"likes":0`, `"dislikes":0`, `"viewers":0`, `"originallyPublishedAt":null`,
		`"blacklisted":false`, `"blacklistedReason":null`, `"inputFileUpdatedAt":null`} {
		if !strings.Contains(string(own), want) {
			t.Errorf("the video's answer lacks %s", want)
		}
	}
	if listed, _ := json.Marshal(listedVideoJSON(v, u, true)); strings.Contains(string(listed), "blacklisted") {
		t.Errorf("a list entry has the blacklist fields: %s", listed)
	}
}

// TestFailedVideoShowsReasonOnly: the API shows a failure's Reason, never
// its Error (paths, tool output, a stack), and a general sentence for
// videos that failed before reasons were recorded.
func TestFailedVideoShowsReasonOnly(t *testing.T) {
	t.Parallel()
	u, _ := layout.New("https://video.example")
	private := "segment: ffmpeg failed: exit status 1: /srv/peeredge/data/tmp/stage-x/a.mp4: No such file\ngoroutine 7 [running]:\nmain.go:12"
	for _, tt := range []struct {
		reason, want string
	}{
		{"ffmpeg could not transcode the uploaded file.", "ffmpeg could not transcode the uploaded file."},
		{"", "The node could not publish this video. Its administrator can find the details in the node's log."},
	} {
		v := origin.Video{State: origin.StateTranscodingFailed, Error: private, Reason: tt.reason}
		if j := newVideoJSON(v, u, true); j.State.ID != 7 || j.StateReason != tt.want {
			t.Errorf("failed video shows %q, want %q", j.StateReason, tt.want)
		}
	}
	if j := newVideoJSON(origin.Video{State: origin.StatePublished, Error: private}, u, true); j.StateReason != "" {
		t.Errorf("published video shows a reason: %q", j.StateReason)
	}
}

func TestP2PSwitchInAPI(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, envOptions{})
	for _, want := range []bool{false, true} {
		resp, body := env.do(t, "PUT", "/api/v1/admin/p2p", testToken, strings.NewReader(`{"enabled":`+map[bool]string{true: "true", false: "false"}[want]+`}`), nil)
		var sw struct{ Enabled bool }
		if resp.StatusCode != 200 || json.Unmarshal(body, &sw) != nil || sw.Enabled != want || env.p2p.P2PEnabled() != want {
			t.Fatalf("PUT enabled=%v: %s %s", want, resp.Status, body)
		}
		code, body := env.get(t, "/api/v1/config")
		var cfg struct{ Tracker struct{ Enabled bool } }
		if code != 200 || json.Unmarshal(body, &cfg) != nil || cfg.Tracker.Enabled != want {
			t.Errorf("p2p %v: config %d %s", want, code, body)
		}
	}
	for _, body := range []string{"", "{}", `{"enabled":"no"}`, strings.Repeat(" ", 5000) + `{"enabled":true}`} {
		if resp, b := env.do(t, "PUT", "/api/v1/admin/p2p", testToken, strings.NewReader(body), nil); resp.StatusCode != 400 {
			t.Errorf("PUT %.20q: %s %s, want 400", body, resp.Status, b)
		}
	}
	for _, token := range []string{"", "wrong"} {
		resp, _ := env.do(t, "PUT", "/api/v1/admin/p2p", token, strings.NewReader(`{"enabled":false}`), nil)
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" || !env.p2p.P2PEnabled() {
			t.Errorf("token %q: %s, switch %v", token, resp.Status, env.p2p.P2PEnabled())
		}
	}
	u, _ := layout.New("http://h")
	r := origin.Rendition{Height: 240, FileName: "f", InfoHash: "ab"}
	if m := MagnetURI(u, r, false); strings.Contains(m, "tr=") || !strings.Contains(m, "ws=") {
		t.Errorf("magnet with P2P off = %q, want WebSeed only", m)
	}
}

// TestConfigSTUNServers: /api/v1/config hands players exactly the STUN
// servers the node was given, and an empty list (never null) without any.
func TestConfigSTUNServers(t *testing.T) {
	t.Parallel()
	for _, stun := range [][]string{nil, {"stun:a.example:3478", "turns:b.example"}} {
		env := newTestEnv(t, envOptions{stun: stun})
		code, body := env.get(t, "/api/v1/config")
		var cfg struct {
			Tracker struct{ Enabled *bool }
			WebRTC  struct {
				STUNServers []string `json:"stunServers"`
			} `json:"webrtc"`
		}
		if code != 200 || json.Unmarshal(body, &cfg) != nil || cfg.Tracker.Enabled == nil {
			t.Fatalf("config: %d %s", code, body)
		}
		if !strings.Contains(string(body), `"stunServers":[`) || !slices.Equal(cfg.WebRTC.STUNServers, stun) && len(stun)+len(cfg.WebRTC.STUNServers) > 0 {
			t.Errorf("given %q, config says %s", stun, body)
		}
	}
}

type testSwarm struct{ report SwarmReport }

func (s testSwarm) SwarmStats() SwarmReport { return s.report }

func TestAdminSwarmStats(t *testing.T) {
	t.Parallel()
	report := SwarmReport{P2PEnabled: true, HTTP: tracker.Stats{Announces: 42}, SeederAddrs: []string{"tcp://127.0.0.1:1"}}
	env := newTestEnv(t, envOptions{swarm: testSwarm{report}})
	if resp, _ := env.do(t, "GET", "/api/v1/admin/tracker", "", nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without token: %s", resp.Status)
	}
	resp, body := env.do(t, "GET", "/api/v1/admin/tracker", testToken, nil, nil)
	var got SwarmReport
	if resp.StatusCode != 200 || json.Unmarshal(body, &got) != nil || got.HTTP.Announces != 42 || got.Seeder != nil || len(got.SeederAddrs) != 1 {
		t.Errorf("stats: %s %s", resp.Status, body)
	}
}
