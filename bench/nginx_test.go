//go:build unix

package bench

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

const nginxBinary = "/usr/sbin/nginx"

// nginxServer is an nginx started for a benchmark with a generated config in
// a temporary directory, serving root on a loopback port.
type nginxServer struct {
	addr   string
	cmd    *exec.Cmd
	exited chan struct{} // closed when the master has exited
}

// needNginx skips the benchmark when Debian's nginx is not installed.
func needNginx(tb testing.TB) {
	tb.Helper()
	if _, err := os.Stat(nginxBinary); err != nil {
		tb.Skipf("nginx not installed (%s): %v", nginxBinary, err)
	}
}

// nginxConfig is the minimal static-file configuration nginx is measured
// with: one worker per core, sendfile with TCP_NOPUSH, no access log and
// effectively unlimited keep-alive requests (as fasthttp).
const nginxConfig = `daemon off;
master_process on;
worker_processes %d;
%s
pid %[3]s/nginx.pid;
error_log %[3]s/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000000;
    keepalive_timeout 75s;
    default_type application/octet-stream;
    client_body_temp_path %[3]s/body;
    proxy_temp_path %[3]s/proxy;
    fastcgi_temp_path %[3]s/fastcgi;
    uwsgi_temp_path %[3]s/uwsgi;
    scgi_temp_path %[3]s/scgi;
    server {
        listen %[4]s;
        root %[5]s;
    }
}
`

// startNginx starts nginx serving root and stops it when the benchmark ends.
func startNginx(tb testing.TB, root string) *nginxServer {
	tb.Helper()
	needNginx(tb)
	dir := tb.TempDir()
	addr := freeLoopbackAddr(tb)
	user := "" // as root, nginx's workers would otherwise switch to nobody
	if os.Geteuid() == 0 {
		user = "user root;"
	}
	conf := fmt.Sprintf(nginxConfig, runtime.NumCPU(), user, dir, addr, root)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(nginxBinary, "-p", dir, "-c", confPath, "-e", filepath.Join(dir, "error.log"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start nginx: %v", err)
	}
	n := &nginxServer{addr: addr, cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(n.exited)
	}()
	tb.Cleanup(func() { n.stop(tb) })
	if err := waitListening(addr, n.exited, 10*time.Second); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		tb.Fatalf("nginx did not come up: %v\n%s", err, log)
	}
	return n
}

// stop asks the master to quit (SIGQUIT: graceful) and kills it if it lingers.
func (n *nginxServer) stop(tb testing.TB) {
	_ = n.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-n.exited:
	case <-time.After(10 * time.Second):
		tb.Logf("nginx ignored SIGQUIT; killing it")
		_ = n.cmd.Process.Kill()
		<-n.exited
	}
}

// freeLoopbackAddr returns a loopback address nothing listens on right now.
func freeLoopbackAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		tb.Fatal(err)
	}
	return addr
}

// waitListening polls addr until it accepts a connection, the process exits
// or the timeout passes.
func waitListening(addr string, exited <-chan struct{}, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		select {
		case <-exited:
			return errors.New("process exited")
		default:
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}
