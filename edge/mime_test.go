package edge

import "testing"

func TestContentType(t *testing.T) {
	tests := map[string]string{
		"a/b/720-fragmented.mp4":           "video/mp4",
		"SEG.M4S":                          "video/iso.segment",
		"master.m3u8":                      "application/vnd.apple.mpegurl",
		"x.torrent":                        "application/x-bittorrent",
		"segments-sha256.json":             "application/json",
		"sub.vtt":                          "text/vtt; charset=utf-8",
		"thumb.JPG":                        "image/jpeg",
		"page.html":                        "application/octet-stream", // never rendered on our origin
		"noext":                            "application/octet-stream",
		"dir.mp4/noext":                    "application/octet-stream",
		"x.averyveryveryverylongextension": "application/octet-stream",
	}
	for name, want := range tests {
		if got := ContentType(name); got != want {
			t.Errorf("ContentType(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestDefaultCacheControl(t *testing.T) {
	tests := map[string]string{
		"v.mp4":       "public, max-age=31536000, immutable",
		"v.torrent":   "public, max-age=60",
		"s.m4s":       "public, max-age=31536000, immutable",
		"master.m3u8": "public, max-age=10",
		"h.json":      "public, max-age=10",
		"x.bin":       "public, max-age=60",
	}
	for name, want := range tests {
		if got := DefaultCacheControl(name); got != want {
			t.Errorf("DefaultCacheControl(%q) = %q, want %q", name, got, want)
		}
	}
}
