package layout

import "testing"

func TestFileID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		videoID int64
		height  int
	}{{1, 240}, {1, 2160}, {7, 144}, {1 << 30, 4320}}
	seen := map[int64]bool{}
	for _, tc := range tests {
		id := FileID(tc.videoID, tc.height)
		if seen[id] {
			t.Errorf("FileID(%d, %d) = %d twice", tc.videoID, tc.height, id)
		}
		seen[id] = true
		v, h, ok := ParseFileID(id)
		if !ok || v != tc.videoID || h != tc.height {
			t.Errorf("ParseFileID(FileID(%d, %d)) = %d, %d, %v", tc.videoID, tc.height, v, h, ok)
		}
	}
	for _, bad := range []int64{-1, 0, 240, 1 << 16, 5 << 16} {
		if v, h, ok := ParseFileID(bad); ok {
			t.Errorf("ParseFileID(%d) = %d, %d, ok", bad, v, h)
		}
	}
}

func TestDownloadPaths(t *testing.T) {
	t.Parallel()
	uuid := "0f4c2b1e-9a3d-4c6e-8b7a-1d2e3f405162"
	if rel, ok := DownloadFileMediaPath(uuid + "-240-fragmented.mp4"); !ok || rel != MediaHLSDir+"/"+uuid+"/"+uuid+"-240-fragmented.mp4" {
		t.Errorf("rendition download maps to %q, %v", rel, ok)
	}
	for _, bad := range []string{"../etc/passwd", uuid + "-240.torrent", "master.m3u8", ""} {
		if rel, ok := DownloadFileMediaPath(bad); ok {
			t.Errorf("DownloadFileMediaPath(%q) = %q", bad, rel)
		}
	}
	if _, ok := DownloadTorrentMediaPath(uuid+"-240-fragmented.mp4", true); ok {
		t.Error("a rendition name maps as a torrent")
	}
}

// FuzzParseFileID: any id from a request either is refused or names a
// video and a height that make it again.
func FuzzParseFileID(f *testing.F) {
	for _, seed := range []int64{0, -1, 240, FileID(1, 240), 1 << 62} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, id int64) {
		v, h, ok := ParseFileID(id)
		if ok && (v <= 0 || h <= 0 || FileID(v, h) != id) {
			t.Errorf("ParseFileID(%d) = %d, %d", id, v, h)
		}
	})
}
