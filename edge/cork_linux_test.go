package edge

import (
	"net"
	"syscall"
	"testing"
)

// TestCorkTogglesTCPCork: cork sets TCP_CORK on a TCP conn until uncork,
// and leaves other conns alone.
func TestCorkTogglesTCPCork(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	corked := func() int {
		rc, err := conn.(*net.TCPConn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var v int
		var gerr error
		if err := rc.Control(func(fd uintptr) {
			v, gerr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_CORK)
		}); err != nil || gerr != nil {
			t.Fatal(err, gerr)
		}
		return v
	}
	uncork := cork(conn)
	if uncork == nil || corked() != 1 {
		t.Fatalf("after cork: TCP_CORK=%d, uncork %v", corked(), uncork != nil)
	}
	uncork()
	if corked() != 0 {
		t.Fatal("uncork left TCP_CORK set")
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if cork(a) != nil {
		t.Fatal("a pipe was corked")
	}
}
