package origin

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/peeredge/peeredge/internal/layout"
)

const testUUID = "a44521d0-0fb8-4ade-8002-3385545c3318"

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestNewStoreLayoutAndTmpCleanup(t *testing.T) {
	root := t.TempDir()
	s, err := NewStore(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{
		filepath.Join(root, "media", "streaming-playlists", "hls"),
		filepath.Join(root, "media", "torrents"),
		filepath.Join(root, "originals"),
		filepath.Join(root, "tmp"),
	} {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			t.Errorf("%s not created: %v", d, err)
		}
	}
	d := s.Disk()
	if d.HLSDir(testUUID) != filepath.Join(root, "media", "streaming-playlists", "hls", testUUID) ||
		d.OriginalPath(testUUID) != filepath.Join(root, "originals", testUUID) ||
		d.MediaDir() != filepath.Join(root, "media") || d.TorrentsDir() != filepath.Join(root, "media", "torrents") ||
		d.WebSeedOnlyDir() != filepath.Join(root, "media", "torrents", "webseed-only") {
		t.Error("unexpected paths")
	}

	f, err := s.TempFile("upload-*")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	stage, err := s.StagingDir(testUUID)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(stage, "x"), "x")
	writeFile(t, d.OriginalPath(testUUID), "keep")

	if _, err := NewStore(root, nil); err != nil { // a restart
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(root, "tmp"))
	if len(entries) != 0 {
		t.Errorf("tmp not cleaned: %d entries left", len(entries))
	}
	if readFile(t, d.OriginalPath(testUUID)) != "keep" {
		t.Error("cleanup touched originals")
	}
}

func TestPublish(t *testing.T) {
	s, err := NewStore(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	d := s.Disk()
	torrent := layout.TorrentFileName(testUUID, 720)
	publish := func(files map[string]string, torrentContent string) {
		t.Helper()
		stage, err := s.StagingDir(testUUID)
		if err != nil {
			t.Fatal(err)
		}
		for name, content := range files {
			writeFile(t, filepath.Join(stage, name), content)
		}
		writeFile(t, layout.StagedTorrentPath(stage, torrent, true), torrentContent)
		writeFile(t, layout.StagedTorrentPath(stage, torrent, false), torrentContent+" without trackers")
		if err := s.Publish(stage, testUUID, []string{torrent}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(stage); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("staging dir still exists: %v", err)
		}
	}
	publish(map[string]string{"master.m3u8": "v1", "old-only.mp4": "old"}, "t1")
	if readFile(t, filepath.Join(d.HLSDir(testUUID), "master.m3u8")) != "v1" {
		t.Fatal("first publish missing")
	}
	publish(map[string]string{"master.m3u8": "v2"}, "t2")
	if readFile(t, filepath.Join(d.HLSDir(testUUID), "master.m3u8")) != "v2" {
		t.Error("republish did not replace the files")
	}
	if _, err := os.Stat(filepath.Join(d.HLSDir(testUUID), "old-only.mp4")); !errors.Is(err, os.ErrNotExist) {
		t.Error("republish left a file of the old set")
	}
	if got := readFile(t, d.TorrentPath(torrent)); got != "t2" {
		t.Errorf("torrent = %q, want the republished one", got)
	}
	if got := readFile(t, d.WebSeedOnlyPath(torrent)); got != "t2 without trackers" {
		t.Errorf("WebSeed-only torrent = %q", got)
	}
	entries, _ := os.ReadDir(d.HLSDir(testUUID))
	if len(entries) != 1 {
		t.Errorf("HLS directory holds %d entries, want only the playlist (torrents moved out)", len(entries))
	}
	if entries, _ := os.ReadDir(d.TmpDir()); len(entries) != 0 {
		t.Errorf("publish left %d entries in tmp", len(entries))
	}

	outside := t.TempDir()
	if err := s.Publish(outside, testUUID, nil); err == nil {
		t.Error("published a directory outside the store's tmp")
	}
	stage, _ := s.StagingDir(testUUID)
	if err := s.Publish(stage, testUUID, []string{layout.TorrentFileName("01542709-aa56-4e25-9ad3-09237c6c3318", 720)}); err == nil {
		t.Error("published another video's torrent")
	}
	for _, bad := range []string{"../../etc", "", testUUID + "/x"} {
		if err := s.Publish(stage, bad, nil); !errors.Is(err, layout.ErrInvalidUUID) {
			t.Errorf("Publish(%q) err = %v", bad, err)
		}
		if err := s.RemoveVideo(bad); !errors.Is(err, layout.ErrInvalidUUID) {
			t.Errorf("RemoveVideo(%q) err = %v", bad, err)
		}
	}
}

// TestPublishImages: images staged after a video was published join its
// HLS directory; another video's, or anything else, are refused.
func TestPublishImages(t *testing.T) {
	t.Parallel()
	s, err := NewStore(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	stage, _ := s.StagingDir(testUUID)
	writeFile(t, filepath.Join(stage, layout.MasterPlaylistName), "master")
	if err := s.Publish(stage, testUUID, nil); err != nil {
		t.Fatal(err)
	}
	tag := layout.ImageTag([]byte("x"))
	thumb, preview := layout.ThumbnailFileName(testUUID, tag), layout.PreviewFileName(testUUID, tag)
	stage, _ = s.StagingDir(testUUID)
	writeFile(t, filepath.Join(stage, thumb), "thumb")
	writeFile(t, filepath.Join(stage, preview), "preview")
	for _, bad := range [][]string{{layout.ThumbnailFileName("01542709-aa56-4e25-9ad3-09237c6c3318", tag)}, {layout.MasterPlaylistName}, {"../" + thumb}} {
		if err := s.PublishImages(stage, testUUID, bad...); err == nil {
			t.Errorf("PublishImages took %q", bad)
		}
	}
	if err := s.PublishImages(stage, testUUID, thumb, preview); err != nil {
		t.Fatal(err)
	}
	if readFile(t, filepath.Join(s.Disk().HLSDir(testUUID), thumb)) != "thumb" || readFile(t, filepath.Join(s.Disk().HLSDir(testUUID), preview)) != "preview" ||
		readFile(t, filepath.Join(s.Disk().HLSDir(testUUID), layout.MasterPlaylistName)) != "master" {
		t.Error("the images did not join the published files")
	}
	if err := s.RemoveVideo(testUUID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Disk().HLSDir(testUUID), thumb)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("image left after RemoveVideo: %v", err)
	}
}

func TestRemoveVideo(t *testing.T) {
	s, err := NewStore(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	d := s.Disk()
	const other = "01542709-aa56-4e25-9ad3-09237c6c3318"
	mine, theirs := layout.TorrentFileName(testUUID, 720), layout.TorrentFileName(other, 720)
	stage, _ := s.StagingDir(testUUID)
	writeFile(t, filepath.Join(stage, "master.m3u8"), "x")
	if err := s.Publish(stage, testUUID, nil); err != nil {
		t.Fatal(err)
	}
	writeFile(t, d.OriginalPath(testUUID), "orig")
	for _, name := range []string{mine, theirs} {
		writeFile(t, d.TorrentPath(name), "t")
		writeFile(t, d.WebSeedOnlyPath(name), "t")
	}
	if err := s.RemoveVideo(testUUID); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{d.HLSDir(testUUID), d.OriginalPath(testUUID), d.TorrentPath(mine), d.WebSeedOnlyPath(mine)} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still exists", p)
		}
	}
	for _, p := range []string{d.TorrentPath(theirs), d.WebSeedOnlyPath(theirs)} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("removed another video's torrent: %v", err)
		}
	}
	if err := s.RemoveVideo(testUUID); err != nil {
		t.Errorf("removing twice: %v", err)
	}
}
