//go:build unix

package edge

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// File access for FileServer, on raw descriptors:
//   - openat2(RESOLVE_BENEATH) resolves a request path inside the root in one
//     system call, refusing "..", absolute symlinks and symlinks that lead out
//     of the root (EXDEV), while symlinks that stay inside keep working;
//   - a raw descriptor, not an *os.File, avoids the finalizer, the poller
//     registration and the allocations of os.File on every request, and still
//     reaches sendfile: net.TCPConn.ReadFrom sends any syscall.Conn wrapped in
//     an io.LimitedReader with sendfile(2).
// Linux resolves paths with openat2 (fileio_linux.go); kernels without it
// (before 5.6, or seccomp filters refusing it) and other Unix systems
// (fileio_other.go) use os.Root, which walks the path one openat per
// component.

// fileOpenFlags: O_NONBLOCK so that a FIFO planted under the root cannot block
// the open; it has no effect on regular files.
const fileOpenFlags = syscall.O_RDONLY | syscall.O_CLOEXEC | syscall.O_NOCTTY | syscall.O_NONBLOCK

// rootDir is an open media root.
type rootDir struct {
	dirfd int      // O_PATH descriptor of the root, for openat2 (Linux); -1 elsewhere
	root  *os.Root // set when openat2 is unavailable
}

// openOSRoot opens the media root for os.Root alone.
func openOSRoot(path string) (*rootDir, error) {
	r, err := os.OpenRoot(path)
	if err != nil {
		return nil, fmt.Errorf("open media root %q: %w", path, err)
	}
	return &rootDir{dirfd: -1, root: r}, nil
}

func (d *rootDir) close() error {
	var err error
	if d.dirfd >= 0 {
		err = syscall.Close(d.dirfd)
	}
	if d.root != nil {
		err = errors.Join(err, d.root.Close())
	}
	return err
}

// fileInfo is what FileServer needs from fstat.
type fileInfo struct {
	size      int64
	ino       uint64
	mtimeSec  int64
	mtimeNsec int64
}

// openRegular opens rel (already checked by validRelPath) under the root and
// returns its descriptor, or an error if it is missing, escapes the root or is
// not a regular file (errNotRegular). The caller closes the descriptor.
func (d *rootDir) openRegular(rel string) (int, fileInfo, error) {
	fd, err := d.open(rel)
	if err != nil {
		return -1, fileInfo{}, err
	}
	var st unix.Stat_t
	if err := fstat(fd, &st); err != nil {
		_ = syscall.Close(fd)
		return -1, fileInfo{}, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		_ = syscall.Close(fd)
		return -1, fileInfo{}, errNotRegular
	}
	return fd, fileInfo{
		size:      st.Size,
		ino:       uint64(st.Ino),
		mtimeSec:  int64(st.Mtim.Sec),
		mtimeNsec: int64(st.Mtim.Nsec),
	}, nil
}

var errNotRegular = errors.New("not a regular file")

// isNodeTrouble reports open errors that are the node's trouble (→ 503, so
// clients back off) rather than a missing, escaping or unservable file (→ 404).
func isNodeTrouble(err error) bool {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return false
	}
	switch errno {
	case syscall.EMFILE, syscall.ENFILE, syscall.ENOMEM, syscall.EIO, syscall.ENOBUFS:
		return true
	}
	return false
}

// openInRoot is the fallback: os.Root confines the walk, and the descriptor is
// duplicated so the rest of the server handles both paths alike.
func openInRoot(root *os.Root, rel string) (int, error) {
	f, err := root.OpenFile(rel, fileOpenFlags, 0)
	if err != nil {
		return -1, err
	}
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return -1, err
	}
	nfd := -1
	var derr error
	if err := rc.Control(func(fd uintptr) {
		nfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return -1, err
	}
	return nfd, derr
}

func fstat(fd int, st *unix.Stat_t) error {
	for {
		err := unix.Fstat(fd, st)
		if err != unix.EINTR {
			return err
		}
	}
}

// fileFD is an open file read sequentially from its current offset.
// It implements syscall.Conn so that net.TCPConn.ReadFrom can sendfile it.
type fileFD struct {
	fd int
}

func (f *fileFD) seek(off int64) error {
	_, err := syscall.Seek(f.fd, off, io.SeekStart)
	return err
}

func (f *fileFD) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := syscall.Read(f.fd, p)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, err
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (f *fileFD) close() error {
	if f.fd < 0 {
		return nil
	}
	err := syscall.Close(f.fd)
	f.fd = -1
	return err
}

// SyscallConn exposes the descriptor to the net package's sendfile path.
func (f *fileFD) SyscallConn() (syscall.RawConn, error) { return (*rawFD)(f), nil }

// rawFD is fileFD seen as a syscall.RawConn. Regular files never report
// EAGAIN, so each callback runs once.
type rawFD fileFD

func (r *rawFD) Control(fn func(fd uintptr)) error {
	fn(uintptr(r.fd))
	return nil
}

func (r *rawFD) Read(fn func(fd uintptr) bool) error {
	fn(uintptr(r.fd))
	return nil
}

func (r *rawFD) Write(fn func(fd uintptr) bool) error {
	fn(uintptr(r.fd))
	return nil
}

func closeFD(fd int) { _ = syscall.Close(fd) }
