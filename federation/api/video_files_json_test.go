package api

import (
	"encoding/json"
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
		{"to transcode", origin.Video{UUID: id, State: origin.StateToTranscode, SourceSize: 5000}, `[{"resolution":{"id":0,"label":"Source"},"size":5000,"fps":0,"width":0,"height":0,"fileUrl":null,"fileDownloadUrl":null,"torrentUrl":null,"torrentDownloadUrl":null,"magnetUri":null,"storage":0}]`, []int64{5000}},
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
	// Published: each entry has the URLs of the same rung's HLS entry.
	j := newVideoJSON(published, u, true)
	hls := map[int]fileJSON{}
	for _, f := range j.StreamingPlaylists[0].Files {
		hls[f.Height] = f
	}
	for _, f := range j.Files {
		h := hls[f.Height]
		if f.FileURL == nil || *f.FileURL != h.FileURL || *f.FileDownloadURL != h.FileURL || *f.TorrentURL != h.TorrentURL ||
			*f.TorrentDownloadURL != h.TorrentURL || *f.MagnetURI != h.MagnetURI || f.Resolution != h.Resolution || f.Width != h.Width || f.FPS != h.FPS {
			t.Errorf("file %+v, HLS entry %+v", f, h)
		}
	}
}
