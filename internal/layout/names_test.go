package layout

import (
	"path/filepath"
	"testing"
)

const testUUID = "a44521d0-0fb8-4ade-8002-3385545c3318"

func TestRungNames(t *testing.T) {
	for name, want := range map[string]string{
		RenditionFileName(testUUID, 720): testUUID + "-720-fragmented.mp4",
		MediaPlaylistName(testUUID, 720): testUUID + "-720.m3u8",
		TorrentFileName(testUUID, 240):   testUUID + "-240-hls.torrent",
	} {
		if name != want {
			t.Errorf("got %q, want %q", name, want)
		}
	}
	if u, h, ok := ParseRenditionFileName(RenditionFileName(testUUID, 1080)); !ok || u != testUUID || h != 1080 {
		t.Errorf("rendition round trip: %q %d %v", u, h, ok)
	}
	if u, h, ok := ParseTorrentFileName(TorrentFileName(testUUID, 144)); !ok || u != testUUID || h != 144 {
		t.Errorf("torrent round trip: %q %d %v", u, h, ok)
	}
	for _, bad := range []string{
		"", "-fragmented.mp4", testUUID + "-fragmented.mp4", testUUID + "--fragmented.mp4",
		testUUID + "-0720-fragmented.mp4", testUUID + "-7a0-fragmented.mp4", testUUID + "-720.m3u8",
		testUUID + "-720-hls.torrent", testUUID + "-123456-fragmented.mp4", "A44521D0-0FB8-4ADE-8002-3385545C3318-720-fragmented.mp4",
		"a44521d0-0fb8-4ade-8002-3385545c331/-720-fragmented.mp4", "../44521d0-0fb8-4ade-8002-3385545c3318-720-fragmented.mp4",
	} {
		if u, h, ok := ParseRenditionFileName(bad); ok {
			t.Errorf("ParseRenditionFileName(%q) = %q %d, want refused", bad, u, h)
		}
	}
}

func TestMediaPaths(t *testing.T) {
	if got, want := HLSMediaPath(testUUID+"/master.m3u8"), "streaming-playlists/hls/"+testUUID+"/master.m3u8"; got != want {
		t.Errorf("HLSMediaPath = %q, want %q", got, want)
	}
	file := testUUID + "-720-fragmented.mp4"
	if p, ok := WebSeedMediaPath(file); !ok || p != "streaming-playlists/hls/"+testUUID+"/"+file {
		t.Errorf("WebSeedMediaPath = %q %v", p, ok)
	}
	for _, bad := range []string{testUUID + "-720.m3u8", file + "/x", "master.m3u8", ""} {
		if p, ok := WebSeedMediaPath(bad); ok {
			t.Errorf("WebSeedMediaPath(%q) = %q, want refused", bad, p)
		}
	}
	torrent := testUUID + "-720-hls.torrent"
	if p, ok := TorrentMediaPath(torrent, true); !ok || p != "torrents/"+torrent {
		t.Errorf("torrent, P2P on: %q %v", p, ok)
	}
	if p, ok := TorrentMediaPath(torrent, false); !ok || p != "torrents/webseed-only/"+torrent {
		t.Errorf("torrent, P2P off: %q %v", p, ok)
	}
	for _, bad := range []string{"webseed-only", "webseed-only/" + torrent, "x.torrent"} {
		if p, ok := TorrentMediaPath(bad, true); ok {
			t.Errorf("TorrentMediaPath(%q) = %q, want refused", bad, p)
		}
	}
}

// TestDiskMatchesMediaPaths checks that the paths the edge opens under the
// media directory are the files the publisher writes.
func TestDiskMatchesMediaPaths(t *testing.T) {
	d, err := NewDisk("data")
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(d.Root()) {
		t.Fatalf("root %q is not absolute", d.Root())
	}
	media := func(rel string) string { return filepath.Join(d.MediaDir(), filepath.FromSlash(rel)) }
	file := RenditionFileName(testUUID, 480)
	if p, _ := WebSeedMediaPath(file); media(p) != filepath.Join(d.HLSDir(testUUID), file) {
		t.Errorf("WebSeed %q is not the published rendition", p)
	}
	if media(HLSMediaPath(testUUID+"/"+MasterPlaylistName)) != filepath.Join(d.HLSDir(testUUID), MasterPlaylistName) {
		t.Errorf("HLS path is not the published directory")
	}
	torrent := TorrentFileName(testUUID, 480)
	if p, _ := TorrentMediaPath(torrent, true); media(p) != d.TorrentPath(torrent) {
		t.Errorf("torrent %q is not the published one", p)
	}
	if p, _ := TorrentMediaPath(torrent, false); media(p) != d.WebSeedOnlyPath(torrent) {
		t.Errorf("WebSeed-only torrent %q is not the published one", p)
	}
}

func TestPIDFileName(t *testing.T) {
	for _, pid := range []int{1, 42, 4194304, 999999999} {
		name := PIDFileName(pid)
		if got, ok := ParsePIDFileName(name); !ok || got != pid {
			t.Errorf("%d: %q parsed as %d %v", pid, name, got, ok)
		}
		if _, _, ok := ParseRenditionFileName(name); ok || name[0] != '.' {
			t.Errorf("%q could be mistaken for a published file", name)
		}
	}
	if got := PIDFileName(1234); got != ".pid-1234.pid" {
		t.Errorf("PIDFileName(1234) = %q", got)
	}
	for _, bad := range []string{"", ".pid-.pid", ".pid-0.pid", ".pid-01.pid", ".pid--1.pid", ".pid-+1.pid", ".pid-1x.pid",
		".pid-1234567890.pid", "pid-12.pid", ".pid-12", ".pid-12.pid.tmp", "x.pid-12.pid"} {
		if pid, ok := ParsePIDFileName(bad); ok {
			t.Errorf("ParsePIDFileName(%q) = %d, want refused", bad, pid)
		}
	}
}

// FuzzParseRungName: whatever a parser of this file accepts builds back to the same name.
func FuzzParseRungName(f *testing.F) {
	for _, s := range []string{RenditionFileName(testUUID, 720), TorrentFileName(testUUID, 240), "x-1-hls.torrent", testUUID + "-0-fragmented.mp4", PIDFileName(77)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if u, h, ok := ParseRenditionFileName(s); ok && RenditionFileName(u, h) != s {
			t.Fatalf("%q parsed as %q %d", s, u, h)
		}
		if u, h, ok := ParseTorrentFileName(s); ok && TorrentFileName(u, h) != s {
			t.Fatalf("%q parsed as %q %d", s, u, h)
		}
		if pid, ok := ParsePIDFileName(s); ok && PIDFileName(pid) != s {
			t.Fatalf("%q parsed as pid %d", s, pid)
		}
	})
}

// BenchmarkWebSeedMediaPath: the edge maps every WebSeed request with it;
// the one allocation is the path it returns.
func BenchmarkWebSeedMediaPath(b *testing.B) {
	name := RenditionFileName(testUUID, 720)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := WebSeedMediaPath(name); !ok {
			b.Fatal("refused")
		}
	}
}
