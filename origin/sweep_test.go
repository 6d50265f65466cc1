package origin

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestSweepOrphanOriginals(t *testing.T) {
	dir := t.TempDir()
	c := openTestCatalog(t, filepath.Join(dir, "db"))
	defer c.Close()
	s, err := NewStore(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	owned, err := c.CreateVideo(ctx, Video{Name: "kept"})
	if err != nil {
		t.Fatal(err)
	}
	orphan := "6f9619ff-8b86-4d01-b42d-00c04fc964ff"
	other := "notes.txt" // not a UUID: left alone
	for _, name := range []string{owned.UUID, orphan, other} {
		if err := os.WriteFile(filepath.Join(s.disk.OriginalsDir(), name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := s.SweepOrphanOriginals(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removed, []string{orphan}) {
		t.Errorf("removed %q, want only the orphan %q", removed, orphan)
	}
	for name, want := range map[string]bool{owned.UUID: true, orphan: false, other: true} {
		_, err := os.Stat(filepath.Join(s.disk.OriginalsDir(), name))
		if (err == nil) != want {
			t.Errorf("%s exists = %v, want %v", name, err == nil, want)
		}
	}
}
