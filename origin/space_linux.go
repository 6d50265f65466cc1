package origin

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// makeBallast writes a file of size bytes whose blocks are really taken
// (fallocate), so that deleting it frees that much.
func makeBallast(path string, size int64) error {
	tmp := path + ".new"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	err = unix.Fallocate(int(f.Fd()), 0, 0, size)
	err = errors.Join(err, f.Close())
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// preallocate gives a sparse file all its blocks, so that writes through a
// memory mapping of it never need new ones.
func preallocate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	var sys unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &sys); err != nil {
		return err
	}
	if sys.Blocks*512 >= st.Size() {
		return nil // not sparse
	}
	// Mode 0 allocates the blocks and keeps the size.
	return unix.Fallocate(int(f.Fd()), 0, 0, st.Size())
}
