package edge

// Linux's part of the file access (see fileio_unix.go): openat2 and TCP_CORK.

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"unsafe"
)

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

// openRootDir opens the media root for openat2, or for os.Root where the
// kernel has no openat2 (before 5.6) or a sandbox forbids it.
func openRootDir(path string) (*rootDir, error) {
	dirfd, err := syscall.Open(path, oPath|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open media root %q: %w", path, err)
	}
	fd, err := openat2(dirfd, ".", syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC)
	if err == nil {
		_ = syscall.Close(fd)
	}
	if errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EPERM) {
		_ = syscall.Close(dirfd)
		return openOSRoot(path)
	}
	return &rootDir{dirfd: dirfd}, nil
}

// open opens rel beneath the root.
func (d *rootDir) open(rel string) (int, error) {
	if d.root == nil {
		return openat2(d.dirfd, rel, fileOpenFlags)
	}
	return openInRoot(d.root, rel)
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

// cork holds back partial TCP segments on conn (TCP_CORK) until the
// returned func is called: the response's headers, written before the
// body's sendfile, then leave in the same segments as its first bytes
// instead of a small segment of their own. A no-op for conns without a
// TCP socket underneath (the edge's own conns expose theirs).
func cork(conn net.Conn) (uncork func()) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
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
