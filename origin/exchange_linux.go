package origin

import (
	"errors"

	"golang.org/x/sys/unix"
)

// exchangeDirs swaps two directories atomically with renameat2
// RENAME_EXCHANGE. It reports false, without error, where the kernel or the
// filesystem cannot (the caller then moves the old directory aside).
func exchangeDirs(a, b string) (bool, error) {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EINVAL), errors.Is(err, unix.EOPNOTSUPP):
		return false, nil
	}
	return false, err
}
