// Package peertube runs real PeerTube 6.3 servers for tests, built from
// ../shared/peertube (setup.sh) under PT_ROOT (default: a cache directory
// that survives runs).
//
// Test packages run in parallel processes, so everything they share goes
// through one harness behind one lock (a flock under PT_ROOT): the build,
// and the claim of each instance's port. What an instance owns is its
// own: a fresh database named after its port (dropped at cleanup), a
// private Redis on a Unix socket in its directory (no Redis database index
// to share with other instances, the harness's or start.sh's), its config
// and storage. An instance stops at the test's cleanup; a test binary that
// is killed takes its instances with it (parent-death signal) and the next
// claim takes back what it left.
//
// PeerTube runs with NODE_ENV=dev, which lets it federate over plain http
// with 127.0.0.1 hosts and fixes root's password to "test".
//
// When PeerTube is not built and cannot be, Start fails the test: the
// interop tests never skip.
package peertube

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RootPassword is root's password on an instance (fixed by dev mode).
const RootPassword = "test"

// startTimeout bounds an instance's start: a fresh database's schema and
// the first jobs take PeerTube 10 to 30 s on a loaded machine.
const startTimeout = 3 * time.Minute

// Options are an instance's settings.
type Options struct {
	// Config is YAML merged over the harness's settings (written as the
	// instance's local.yaml, which node-config reads last), e.g.
	// "followers: { instance: { manual_approval: true } }".
	Config string
}

// Instance is a running PeerTube.
type Instance struct {
	URL  string // http://127.0.0.1:port
	Host string // 127.0.0.1:port, PeerTube's host for federation
	Port int
	Dir  string // config, storage, logs

	client *http.Client
	mu     sync.Mutex
	token  string
}

// Start builds PeerTube if needed and starts an instance on a free
// loopback port, stopped and wiped at the test's cleanup.
func Start(t testing.TB, opts Options) *Instance {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout+startTimeout)
	defer cancel()
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	port, err := prepare(ctx, root)
	if err != nil {
		t.Fatalf("PeerTube harness (PT_ROOT=%s): %v", root, err)
	}
	in := &Instance{
		URL:    "http://127.0.0.1:" + strconv.Itoa(port),
		Host:   "127.0.0.1:" + strconv.Itoa(port),
		Port:   port,
		Dir:    instanceDir(root, port),
		client: &http.Client{Timeout: 30 * time.Second},
	}
	var stops []func() error
	t.Cleanup(func() {
		// Last started, first stopped: PeerTube, Redis, the database, the
		// directory, the claim.
		for i := len(stops) - 1; i >= 0; i-- {
			if err := stops[i](); err != nil {
				t.Errorf("stopping PeerTube %s: %v", in.URL, err)
			}
		}
	})
	stops = append(stops, func() error { return release(context.Background(), root, port) })
	if err := in.run(ctx, t, root, opts, &stops); err != nil {
		t.Fatalf("PeerTube on %s: %v", in.URL, err)
	}
	return in
}

// prepare builds PeerTube when missing and claims a port, under the lock.
func prepare(ctx context.Context, root string) (int, error) {
	unlock, err := lock(ctx, root)
	if err != nil {
		return 0, err
	}
	defer unlock()
	if err := ensureBuilt(ctx, root); err != nil {
		return 0, err
	}
	return claimPort(ctx, root)
}

// run sets the instance up and starts it, appending to stops what undoes
// each step.
func (in *Instance) run(ctx context.Context, t testing.TB, root string, opts Options, stops *[]func() error) error {
	if err := os.RemoveAll(in.Dir); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(in.Dir, "config"), 0o755); err != nil {
		return err
	}
	*stops = append(*stops, func() error { return os.RemoveAll(in.Dir) })
	if err := in.writeConfig(root, opts); err != nil {
		return err
	}

	redis, err := startRedis(ctx, in.Dir)
	if err != nil {
		return err
	}
	*stops = append(*stops, redis)

	db := databaseName(in.Port)
	if err := createDatabase(ctx, db); err != nil {
		return err
	}
	*stops = append(*stops, func() error { return dropDatabase(context.Background(), db) })

	logPath := filepath.Join(in.Dir, "server.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command("node", "dist/server", "--no-client")
	cmd.Dir = filepath.Join(root, "src")
	cmd.Env = append(os.Environ(), "NODE_ENV=dev", "NODE_CONFIG_DIR="+filepath.Join(in.Dir, "config"))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	exited, err := startTied(cmd)
	logFile.Close()
	if err != nil {
		return fmt.Errorf("start node dist/server: %w", err)
	}
	*stops = append(*stops, func() error {
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("PeerTube %s log (tail):\n%s", in.URL, tail(string(b), 4000))
		}
		return killGroup(cmd, exited)
	})
	if err := in.waitUp(ctx, exited); err != nil {
		b, _ := os.ReadFile(logPath)
		return fmt.Errorf("%w\n%s", err, tail(string(b), 3000))
	}
	return nil
}

// waitUp polls /api/v1/config until PeerTube answers it.
func (in *Instance) waitUp(ctx context.Context, exited <-chan error) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, in.URL+"/api/v1/config", nil)
		if err != nil {
			return err
		}
		if resp, err := in.client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("PeerTube exited before answering: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("PeerTube did not answer /api/v1/config: %w", ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// killGroup kills a process group started by startTied (PeerTube's
// ffmpeg children with it) and waits for its leader.
func killGroup(cmd *exec.Cmd, exited <-chan error) error {
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	select {
	case <-exited:
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("pid %d did not exit after SIGKILL", cmd.Process.Pid)
	}
}

// startRedis runs a private Redis on a Unix socket in dir, without
// persistence, and returns what stops it.
func startRedis(ctx context.Context, dir string) (stop func() error, err error) {
	sock := filepath.Join(dir, "redis.sock")
	cmd := exec.Command("redis-server", "--port", "0", "--unixsocket", sock, "--unixsocketperm", "700",
		"--save", "", "--appendonly", "no", "--dir", dir, "--logfile", filepath.Join(dir, "redis.log"))
	exited, err := startTied(cmd)
	if err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	stop = func() error { return killGroup(cmd, exited) }
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if redisPing(sock) == nil {
			return stop, nil
		}
		select {
		case err := <-exited:
			return nil, fmt.Errorf("redis-server exited: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	_ = stop()
	return nil, errors.New("redis-server did not answer PING within 20 s")
}

func redisPing(sock string) error {
	c, err := net.DialTimeout("unix", sock, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	b := make([]byte, 7)
	n, err := c.Read(b)
	if err != nil {
		return err
	}
	if string(b[:n]) != "+PONG\r\n" {
		return fmt.Errorf("redis answered %q", b[:n])
	}
	return nil
}

// writeConfig writes PeerTube's default.yaml, the harness's dev.yaml
// (loaded because NODE_ENV=dev) and the test's local.yaml.
func (in *Instance) writeConfig(root string, opts Options) error {
	def, err := os.ReadFile(filepath.Join(root, "src", "config", "default.yaml"))
	if err != nil {
		return err
	}
	cfg := filepath.Join(in.Dir, "config")
	if err := os.WriteFile(filepath.Join(cfg, "default.yaml"), def, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(cfg, "dev.yaml"), []byte(devConfig(in.Port, in.Dir)), 0o644); err != nil {
		return err
	}
	local := opts.Config
	if local == "" {
		local = "{}" // node-config wants a mapping
	}
	return os.WriteFile(filepath.Join(cfg, "local.yaml"), []byte(local+"\n"), 0o644)
}
