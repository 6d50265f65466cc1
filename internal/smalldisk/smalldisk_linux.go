// Package smalldisk gives tests a filesystem of their own that they can
// fill: a tmpfs of a chosen size, and another program's way of filling it.
// Mounting needs root (CI runs as root); elsewhere the tests are skipped.
package smalldisk

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// Mount mounts a tmpfs of size bytes for the length of the test and
// returns its directory.
func Mount(t testing.TB, size int64) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs (CI runs as root)")
	}
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size="+strconv.FormatInt(size, 10)); err != nil {
		t.Fatalf("mount a tmpfs: %v", err)
	}
	t.Cleanup(func() { _ = unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

// Free is the free space of the filesystem holding dir.
func Free(t testing.TB, dir string) int64 {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * st.Bsize
}

// Fill grows dir/filler until at most leave bytes are free (or the
// filesystem refuses more), as another program filling the disk would.
func Fill(t testing.TB, dir string, leave int64) {
	t.Helper()
	f, err := os.OpenFile(FillerPath(dir), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for n := min(Free(t, dir)-leave, int64(len(buf))); n > 0; n = min(Free(t, dir)-leave, int64(len(buf))) {
		if _, err := f.Write(buf[:n]); err != nil {
			return // full
		}
	}
}

// FillerPath is the file Fill grows; remove it to free the space.
func FillerPath(dir string) string { return filepath.Join(dir, "filler") }
