package api

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
)

// TestWebVideoFiles: files[] lists the rungs highest first with the HLS
// entries' URLs; before publishing, the received file with null URLs (an
// entry PeerTube's CLI can poll); after a failure, nothing.
func TestWebVideoFiles(t *testing.T) {
	t.Parallel()
	u, _ := layout.New("https://video.example")
	const id = "0b4c7a5e-5f1e-4a53-9a49-0d2f0f3c2a11"
	rung := func(h int) origin.Rendition {
		return origin.Rendition{Height: h, Width: h * 16 / 9, FPS: 25, Size: int64(h) * 10, FileName: layout.RenditionFileName(id, h),
			PlaylistName: layout.MediaPlaylistName(id, h), TorrentName: layout.TorrentFileName(id, h), InfoHash: strings.Repeat("ab", 20)}
	}
	published := origin.Video{ID: 1, UUID: id, State: origin.StatePublished, Renditions: []origin.Rendition{rung(240), rung(720), rung(480)}}
	tests := []struct {
		name  string
		v     origin.Video
		json  string // the files[] answer, for the states without URLs
		sizes []int64
	}{
		{"to transcode", origin.Video{UUID: id, State: origin.StateToTranscode, SourceSize: 5000}, `[{"id":null,"resolution":{"id":0,"label":"Source"},"size":5000,"fps":0,"width":0,"height":0,"fileUrl":null,"fileDownloadUrl":null,"torrentUrl":null,"torrentDownloadUrl":null,"magnetUri":null,"metadataUrl":null,"hasAudio":false,"hasVideo":false,"storage":0}]`, []int64{5000}},
		{"transcoding", origin.Video{UUID: id, State: origin.StateToTranscode, Transcoding: true, SourceSize: 7}, "", []int64{7}},
		{"failed", origin.Video{UUID: id, State: origin.StateTranscodingFailed, SourceSize: 7}, `[]`, nil},
		{"published", published, "", []int64{7200, 4800, 2400}},
	}
	for _, tt := range tests {
		j := newVideoJSON(tt.v, u, true)
		if tt.json != "" {
			if b, _ := json.Marshal(j.Files); string(b) != tt.json {
				t.Errorf("%s: files %s, want %s", tt.name, b, tt.json)
			}
		}
		if len(j.Files) != len(tt.sizes) {
			t.Fatalf("%s: %d files, want %d", tt.name, len(j.Files), len(tt.sizes))
		}
		for i, f := range j.Files {
			if f.Size != tt.sizes[i] {
				t.Errorf("%s: file %d size %d, want %d", tt.name, i, f.Size, tt.sizes[i])
			}
		}
	}
	// Published: each entry is the same rung's HLS entry (the same file),
	// its id included.
	j := newVideoJSON(published, u, true)
	hls := map[int]fileJSON{}
	for _, f := range j.StreamingPlaylists[0].Files {
		hls[f.Height] = f
	}
	for _, f := range j.Files {
		h := hls[f.Height]
		fj, _ := json.Marshal(f)
		hj, _ := json.Marshal(h.webVideoFileJSON)
		if f.ID == nil || string(fj) != string(hj) {
			t.Errorf("file %s, HLS entry %s", fj, hj)
		}
	}
}

// TestRungFileJSON: a rung's id, download, metadata URLs and kinds.
func TestRungFileJSON(t *testing.T) {
	t.Parallel()
	u, _ := layout.New("https://video.example")
	const id = "0b4c7a5e-5f1e-4a53-9a49-0d2f0f3c2a11"
	v := origin.Video{ID: 3, UUID: id, State: origin.StatePublished}
	r := origin.Rendition{Height: 480, Width: 854, FileName: layout.RenditionFileName(id, 480), TorrentName: layout.TorrentFileName(id, 480),
		InfoHash: strings.Repeat("ab", 20), Codecs: "avc1.64001e,mp4a.40.2"}
	f := rungFileJSON(v, r, u, true)
	fileID := layout.FileID(3, 480)
	checks := map[string]string{
		*f.FileDownloadURL:    "https://video.example/download/streaming-playlists/hls/videos/" + id + "-480-fragmented.mp4",
		*f.TorrentDownloadURL: "https://video.example/download/torrents/" + id + "-480-hls.torrent",
		*f.MetadataURL:        "https://video.example/api/v1/videos/" + id + "/metadata/" + strconv.FormatInt(fileID, 10),
	}
	for got, want := range checks {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	if *f.ID != fileID || !f.HasAudio || !f.HasVideo {
		t.Errorf("id %d audio %v video %v", *f.ID, f.HasAudio, f.HasVideo)
	}
}

func TestCodecKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		codecs          string
		audio, hasVideo bool
	}{
		{"avc1.64001f,mp4a.40.2", true, true},
		{"avc1.64001f", false, true},
		{"mp4a.40.2", true, false},
		{"", false, true}, // recorded before codecs were: a picture, sound unknown
		{"hvc1.1.6.L93.B0, opus", true, true},
	}
	for _, tt := range tests {
		if a, v := codecKinds(tt.codecs); a != tt.audio || v != tt.hasVideo {
			t.Errorf("codecKinds(%q) = %v, %v; want %v, %v", tt.codecs, a, v, tt.audio, tt.hasVideo)
		}
	}
}
