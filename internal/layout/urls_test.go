package layout

import "testing"

func TestNew(t *testing.T) {
	tests := []struct {
		in, base, ws string
		ok           bool
	}{
		{"http://127.0.0.1:9000", "http://127.0.0.1:9000", "ws://127.0.0.1:9000/tracker/socket", true},
		{"https://video.example/", "https://video.example", "wss://video.example/tracker/socket", true},
		{"https://example.org/peeredge/", "https://example.org/peeredge", "wss://example.org/peeredge/tracker/socket", true},
		{"ftp://example.org", "", "", false},
		{"http://", "", "", false},
		{"http://a/?q=1", "", "", false},
		{"http://user:pw@a/", "", "", false},
		{"::not a url", "", "", false},
	}
	for _, tt := range tests {
		u, err := New(tt.in)
		if (err == nil) != tt.ok {
			t.Fatalf("New(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
		}
		if !tt.ok {
			continue
		}
		if u.Base() != tt.base {
			t.Errorf("New(%q).Base() = %q, want %q", tt.in, u.Base(), tt.base)
		}
		if got := u.Trackers(); got[0] != tt.base+"/tracker/announce" || got[1] != tt.ws {
			t.Errorf("New(%q).Trackers() = %q", tt.in, got)
		}
	}
	u, _ := New("http://h:1")
	if got, want := u.MasterPlaylist("x"), "http://h:1/static/streaming-playlists/hls/x/master.m3u8"; got != want {
		t.Errorf("MasterPlaylist = %q, want %q", got, want)
	}
	if got, want := u.WebSeed("x-720-fragmented.mp4"), "http://h:1/static/webseed/x-720-fragmented.mp4"; got != want {
		t.Errorf("WebSeed = %q, want %q", got, want)
	}
	if got, want := u.Torrent("x-720-hls.torrent"), "http://h:1/lazy-static/torrents/x-720-hls.torrent"; got != want {
		t.Errorf("Torrent = %q, want %q", got, want)
	}
}
