//go:build unix && !linux

package edge

import (
	"net"
)

// Outside Linux there is no openat2: os.Root confines every open to the
// media root. The Linux build is the one measured and tested in CI.

func openRootDir(path string) (*rootDir, error) { return openOSRoot(path) }

func (d *rootDir) open(rel string) (int, error) { return openInRoot(d.root, rel) }

// cork is Linux's TCP_CORK; elsewhere headers may leave in a segment of
// their own.
func cork(net.Conn) (uncork func()) { return nil }
