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

func TestPageURLs(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ public, local, watch, embed string }{
		{"http://h:1", "/about", "http://h:1/w/S", "http://h:1/videos/embed/U"},
		{"https://example.org/peeredge/", "/peeredge/about", "https://example.org/peeredge/w/S", "https://example.org/peeredge/videos/embed/U"},
	} {
		u, err := New(tt.public)
		if err != nil {
			t.Fatal(err)
		}
		if got := u.Local(AboutPath); got != tt.local {
			t.Errorf("%s: Local = %q, want %q", tt.public, got, tt.local)
		}
		if got := u.Watch("S"); got != tt.watch {
			t.Errorf("%s: Watch = %q, want %q", tt.public, got, tt.watch)
		}
		if got := u.Embed("U"); got != tt.embed {
			t.Errorf("%s: Embed = %q, want %q", tt.public, got, tt.embed)
		}
	}
	if got := PrivacyPath(); got != "/about#p2p-privacy" {
		t.Errorf("PrivacyPath = %q", got)
	}
}
