package origin

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/peeredge/peeredge/internal/layout"
)

func TestSweep(t *testing.T) {
	dir := t.TempDir()
	c := openTestCatalog(t, filepath.Join(dir, "db"))
	defer c.Close()
	s, err := NewStore(filepath.Join(dir, "data"), nil)
	if err != nil {
		t.Fatal(err)
	}
	d := s.Disk()
	ctx := context.Background()
	published, err := c.CreateVideo(ctx, Video{Name: "published", State: StatePublished})
	if err != nil {
		t.Fatal(err)
	}
	// Its files were moved into media/ but the node stopped before the
	// catalogue said "published".
	halfway, err := c.CreateVideo(ctx, Video{Name: "half-published"})
	if err != nil {
		t.Fatal(err)
	}
	orphan := "6f9619ff-8b86-4d01-b42d-00c04fc964ff" // no video at all
	other := "notes.txt"                             // not a UUID: left alone
	for _, name := range []string{published.UUID, halfway.UUID, orphan, other} {
		writeFile(t, filepath.Join(d.OriginalsDir(), name), "x")
	}
	for _, id := range []string{published.UUID, halfway.UUID, orphan} {
		if err := os.MkdirAll(d.HLSDir(id), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(d.HLSDir(id), layout.MasterPlaylistName), "x")
		writeFile(t, d.TorrentPath(layout.TorrentFileName(id, 240)), "t")
		writeFile(t, d.WebSeedOnlyPath(layout.TorrentFileName(id, 240)), "t")
	}
	if err := os.MkdirAll(filepath.Join(d.HLSRoot(), other), 0o755); err != nil {
		t.Fatal(err)
	}

	swept, err := s.Sweep(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(swept.Media)
	wantMedia := []string{halfway.UUID, orphan}
	slices.Sort(wantMedia)
	if !slices.Equal(swept.Originals, []string{orphan}) || !slices.Equal(swept.Media, wantMedia) {
		t.Errorf("swept %+v, want originals [%s] and media %q", swept, orphan, wantMedia)
	}
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	for p, want := range map[string]bool{
		d.OriginalPath(published.UUID):                               true,
		d.OriginalPath(halfway.UUID):                                 true, // its job publishes it again
		d.OriginalPath(orphan):                                       false,
		d.OriginalPath(other):                                        true,
		d.HLSDir(published.UUID):                                     true,
		d.TorrentPath(layout.TorrentFileName(published.UUID, 240)):   true,
		d.HLSDir(halfway.UUID):                                       false,
		d.TorrentPath(layout.TorrentFileName(halfway.UUID, 240)):     false,
		d.WebSeedOnlyPath(layout.TorrentFileName(halfway.UUID, 240)): false,
		d.HLSDir(orphan):                                             false,
		filepath.Join(d.HLSRoot(), other):                            true,
	} {
		if exists(p) != want {
			t.Errorf("%s exists = %v, want %v", p, exists(p), want)
		}
	}
	if again, err := s.Sweep(ctx, c); err != nil || len(again.Originals)+len(again.Media) != 0 {
		t.Errorf("second sweep: %+v, %v", again, err)
	}
}
