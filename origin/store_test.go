package origin

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
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
	s, err := NewStore(root)
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
	if s.HLSDir(testUUID) != filepath.Join(root, "media", "streaming-playlists", "hls", testUUID) ||
		s.OriginalPath(testUUID) != filepath.Join(root, "originals", testUUID) ||
		s.MediaDir() != filepath.Join(root, "media") || s.TorrentsDir() != filepath.Join(root, "media", "torrents") {
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
	writeFile(t, s.OriginalPath(testUUID), "keep")

	if _, err := NewStore(root); err != nil { // a restart
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(root, "tmp"))
	if len(entries) != 0 {
		t.Errorf("tmp not cleaned: %d entries left", len(entries))
	}
	if readFile(t, s.OriginalPath(testUUID)) != "keep" {
		t.Error("cleanup touched originals")
	}
}

func TestPublishDir(t *testing.T) {
	s, err := NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	publish := func(files map[string]string) {
		t.Helper()
		stage, err := s.StagingDir(testUUID)
		if err != nil {
			t.Fatal(err)
		}
		for name, content := range files {
			writeFile(t, filepath.Join(stage, name), content)
		}
		if err := s.PublishDir(stage, testUUID); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(stage); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("staging dir still exists: %v", err)
		}
	}
	publish(map[string]string{"master.m3u8": "v1", "old-only.mp4": "old"})
	if readFile(t, filepath.Join(s.HLSDir(testUUID), "master.m3u8")) != "v1" {
		t.Fatal("first publish missing")
	}
	publish(map[string]string{"master.m3u8": "v2"})
	if readFile(t, filepath.Join(s.HLSDir(testUUID), "master.m3u8")) != "v2" {
		t.Error("republish did not replace the files")
	}
	if _, err := os.Stat(filepath.Join(s.HLSDir(testUUID), "old-only.mp4")); !errors.Is(err, os.ErrNotExist) {
		t.Error("republish left a file of the old set")
	}
	if entries, _ := os.ReadDir(s.tmpDir()); len(entries) != 0 {
		t.Errorf("publish left %d entries in tmp", len(entries))
	}

	outside := t.TempDir()
	if err := s.PublishDir(outside, testUUID); err == nil {
		t.Error("published a directory outside the store's tmp")
	}
	stage, _ := s.StagingDir(testUUID)
	for _, bad := range []string{"../../etc", "", testUUID + "/x"} {
		if err := s.PublishDir(stage, bad); !errors.Is(err, ErrInvalidUUID) {
			t.Errorf("PublishDir(%q) err = %v", bad, err)
		}
		if err := s.RemoveVideo(bad); !errors.Is(err, ErrInvalidUUID) {
			t.Errorf("RemoveVideo(%q) err = %v", bad, err)
		}
	}
}

func TestRemoveVideo(t *testing.T) {
	s, err := NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const other = "01542709-aa56-4e25-9ad3-09237c6c3318"
	stage, _ := s.StagingDir(testUUID)
	writeFile(t, filepath.Join(stage, "master.m3u8"), "x")
	if err := s.PublishDir(stage, testUUID); err != nil {
		t.Fatal(err)
	}
	writeFile(t, s.OriginalPath(testUUID), "orig")
	writeFile(t, filepath.Join(s.TorrentsDir(), testUUID+"-720-hls.torrent"), "t")
	writeFile(t, filepath.Join(s.TorrentsDir(), other+"-720-hls.torrent"), "t")

	if err := s.RemoveVideo(testUUID); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{s.HLSDir(testUUID), s.OriginalPath(testUUID), filepath.Join(s.TorrentsDir(), testUUID+"-720-hls.torrent")} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still exists", p)
		}
	}
	if _, err := os.Stat(filepath.Join(s.TorrentsDir(), other+"-720-hls.torrent")); err != nil {
		t.Error("removed another video's torrent")
	}
	if err := s.RemoveVideo(testUUID); err != nil {
		t.Errorf("removing twice: %v", err)
	}
}
