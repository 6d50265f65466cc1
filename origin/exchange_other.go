//go:build !linux

package origin

// exchangeDirs has no atomic swap outside Linux (renameat2 is Linux's); the
// caller moves the old directory aside instead.
func exchangeDirs(a, b string) (bool, error) { return false, nil }
