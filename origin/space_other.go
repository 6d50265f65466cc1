//go:build !linux

package origin

import (
	"errors"
	"os"
)

// makeBallast writes size bytes of zeros (no fallocate here), so that
// deleting the file frees that much.
func makeBallast(path string, size int64) error {
	tmp := path + ".new"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	zeros := make([]byte, 1<<20)
	for left := size; left > 0 && err == nil; left -= int64(len(zeros)) {
		_, err = f.Write(zeros[:min(left, int64(len(zeros)))])
	}
	err = errors.Join(err, f.Sync(), f.Close())
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// preallocate does nothing outside Linux: the catalogue's logs stay sparse
// and the headroom alone protects them.
func preallocate(string) error { return nil }
