package edge

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// File access for FileServer, on raw descriptors:
//   - openat2(RESOLVE_BENEATH) resolves a request path inside the root in one
//     system call, refusing "..", absolute symlinks and symlinks that lead out
//     of the root (EXDEV), while symlinks that stay inside keep working;
//   - a raw descriptor, not an *os.File, avoids the finalizer, the poller
//     registration and the allocations of os.File on every request, and still
//     reaches sendfile: net.TCPConn.ReadFrom sends any syscall.Conn wrapped in
//     an io.LimitedReader with sendfile(2).
// Kernels without openat2 (before 5.6, or seccomp filters refusing it) fall
// back to os.Root, which walks the path one openat per component.

const (
	sysOpenat2          = 437 // asm-generic number (amd64, arm64, …); mips differs
	resolveNoMagiclinks = 0x02
	resolveBeneath      = 0x08
	oPath               = 0x200000 // O_PATH, missing from package syscall
)

// openHow is the kernel's struct open_how.
type openHow struct {
	flags, mode, resolve uint64
}

// fileOpenFlags: O_NONBLOCK so that a FIFO planted under the root cannot block
// the open; it has no effect on regular files.
const fileOpenFlags = syscall.O_RDONLY | syscall.O_CLOEXEC | syscall.O_NOCTTY | syscall.O_NONBLOCK

// rootDir is an open media root.
type rootDir struct {
	dirfd int      // O_PATH descriptor of the root, for openat2
	root  *os.Root // set when openat2 is unavailable
}

// openRootDir opens the media root for openat2, or for os.Root where the
// kernel has no openat2 (before 5.6) or a sandbox forbids it.
func openRootDir(path string) (*rootDir, error) {
	d, err := openRootPath(path)
	if err != nil {
		return nil, err
	}
	fd, err := openat2(d.dirfd, ".", syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC)
	if err == nil {
		_ = syscall.Close(fd)
	}
	if errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EPERM) {
		if err := d.useOSRoot(path); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// openRootPath opens the O_PATH descriptor of the root.
func openRootPath(path string) (*rootDir, error) {
	dirfd, err := syscall.Open(path, oPath|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open media root %q: %w", path, err)
	}
	return &rootDir{dirfd: dirfd}, nil
}

// useOSRoot makes d open files through os.Root instead of openat2.
func (d *rootDir) useOSRoot(path string) error {
	r, err := os.OpenRoot(path)
	if err != nil {
		_ = syscall.Close(d.dirfd)
		return fmt.Errorf("open media root %q: %w", path, err)
	}
	d.root = r
	return nil
}

func (d *rootDir) close() error {
	err := syscall.Close(d.dirfd)
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
	var fd int
	var err error
	if d.root == nil {
		fd, err = openat2(d.dirfd, rel, fileOpenFlags)
	} else {
		fd, err = openInRoot(d.root, rel)
	}
	if err != nil {
		return -1, fileInfo{}, err
	}
	var st syscall.Stat_t
	if err := fstat(fd, &st); err != nil {
		_ = syscall.Close(fd)
		return -1, fileInfo{}, err
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		_ = syscall.Close(fd)
		return -1, fileInfo{}, errNotRegular
	}
	return fd, fileInfo{
		size:      st.Size,
		ino:       st.Ino,
		mtimeSec:  st.Mtim.Sec,
		mtimeNsec: st.Mtim.Nsec,
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

func openat2(dirfd int, path string, flags int) (int, error) {
	// NUL-terminate into a stack buffer: syscall.BytePtrFromString would
	// allocate on every request.
	var buf [512]byte
	var p *byte
	if len(path) < len(buf) {
		copy(buf[:], path)
		p = &buf[0]
	} else {
		var err error
		if p, err = syscall.BytePtrFromString(path); err != nil {
			return -1, err
		}
	}
	how := openHow{flags: uint64(flags), resolve: resolveBeneath | resolveNoMagiclinks}
	for {
		r, _, errno := syscall.Syscall6(sysOpenat2, uintptr(dirfd), uintptr(unsafe.Pointer(p)),
			uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how), 0, 0)
		switch errno {
		case 0:
			return int(r), nil
		case syscall.EINTR, syscall.EAGAIN: // EAGAIN: a concurrent rename raced the lookup
			continue
		}
		return -1, errno
	}
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
		r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_DUPFD_CLOEXEC, 0)
		if errno != 0 {
			derr = errno
			return
		}
		nfd = int(r)
	}); err != nil {
		return -1, err
	}
	return nfd, derr
}

func fstat(fd int, st *syscall.Stat_t) error {
	for {
		err := syscall.Fstat(fd, st)
		if err != syscall.EINTR {
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

// cork holds back partial TCP segments on conn (TCP_CORK) until the
// returned func is called: the response's headers, written before the
// body's sendfile, then leave in the same segments as its first bytes
// instead of a small segment of their own. A no-op for other conns.
func cork(conn net.Conn) (uncork func()) {
	tcp, ok := conn.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tcp.SyscallConn()
	if err != nil {
		return nil
	}
	set := func(on int) (err error) {
		cerr := rc.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_CORK, on)
		})
		return errors.Join(cerr, err)
	}
	if set(1) != nil {
		return nil
	}
	return func() { _ = set(0) }
}
