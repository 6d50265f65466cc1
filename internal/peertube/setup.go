package peertube

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// setupTimeout bounds a build from source (about 4 minutes on 2 cores,
// most of it yarn and tsc).
const setupTimeout = 15 * time.Minute

// Root is where PeerTube is built and its instances keep their files:
// $PT_ROOT, else a cache directory that survives runs.
func Root() (string, error) {
	if r := os.Getenv("PT_ROOT"); r != "" {
		return filepath.Abs(r)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no PT_ROOT and no cache directory: %w", err)
	}
	return filepath.Join(cache, "peeredge", "peertube"), nil
}

// lock takes the harness's one lock: a flock on a file under root, held
// by one test (of any process) at a time while it builds PeerTube or
// claims a port. flock belongs to the open file, so two tests of one
// process exclude each other as well as two processes do.
func lock(ctx context.Context, root string) (unlock func(), err error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(root, "harness.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil // closing releases the lock
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for the PeerTube harness lock: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// built tells whether root holds a PeerTube server build and the machine
// has what runs it (a build cached across machines may lack the Debian
// packages setup.sh installs).
func built(root string) bool {
	for _, p := range []string{"src/dist/server.js", "src/node_modules", "src/config/default.yaml"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			return false
		}
	}
	for _, cmd := range []string{"node", "psql", "pg_lsclusters", "redis-server", "ffmpeg"} {
		if _, err := exec.LookPath(cmd); err != nil {
			return false
		}
	}
	return true
}

// scriptsDir is ../shared/peertube beside the module's root: the scripts
// and source tarball CI and this machine keep outside the repository.
func scriptsDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			s := filepath.Join(dir, "..", "shared", "peertube")
			if _, err := os.Stat(filepath.Join(s, "setup.sh")); err != nil {
				return "", fmt.Errorf("no PeerTube setup script beside the repository: %w", err)
			}
			return s, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// ensureBuilt builds PeerTube under root with the shared setup.sh when it
// is not there, and makes sure PostgreSQL runs with PeerTube's role. The
// caller holds the lock.
func ensureBuilt(ctx context.Context, root string) error {
	if !built(root) {
		scripts, err := scriptsDir()
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(ctx, setupTimeout)
		defer cancel()
		log := filepath.Join(root, "setup.log")
		out, err := os.Create(log)
		if err != nil {
			return err
		}
		cmd := exec.CommandContext(ctx, "bash", filepath.Join(scripts, "setup.sh"))
		cmd.Env = append(os.Environ(), "PT_ROOT="+root, "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = out, out
		cmd.WaitDelay = 10 * time.Second
		err = cmd.Run()
		out.Close()
		if err != nil {
			b, _ := os.ReadFile(log)
			return fmt.Errorf("PeerTube setup.sh (PT_ROOT=%s) failed: %w\n%s", root, err, tail(string(b), 3000))
		}
		if !built(root) {
			return fmt.Errorf("setup.sh ran but %s holds no PeerTube build", root)
		}
	}
	return ensurePostgres(ctx)
}

// ensurePostgres starts Debian's cluster when it is down and creates the
// role PeerTube connects as (setup.sh does both, but a machine may have
// been restarted, or the build cached without the database).
func ensurePostgres(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, "pg_lsclusters", "-h").Output()
	if err != nil {
		return fmt.Errorf("pg_lsclusters (Debian's postgresql): %w", err)
	}
	if !strings.Contains(string(out), " online ") {
		fields := strings.Fields(string(out))
		if len(fields) < 2 {
			return fmt.Errorf("no PostgreSQL cluster: %q", out)
		}
		if b, err := exec.CommandContext(ctx, "pg_ctlcluster", fields[0], fields[1], "start").CombinedOutput(); err != nil {
			return fmt.Errorf("start PostgreSQL %s/%s: %w: %s", fields[0], fields[1], err, b)
		}
	}
	_, err = psql(ctx, "", `DO $$BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'peertube') THEN
    CREATE ROLE peertube LOGIN PASSWORD 'peertube';
  END IF;
END$$;`)
	return err
}

// claimPort picks a free loopback port no other harness instance holds
// and records it under root/instances (with this process's id, so that a
// claim whose process is gone can be taken back). The caller holds the
// lock. Claiming matters because PeerTube binds its port only seconds
// after the claim, long after the lock is released.
func claimPort(ctx context.Context, root string) (int, error) {
	dir := filepath.Join(root, "instances")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	reclaimStale(ctx, root)
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		f, err := os.OpenFile(claimFile(root, port), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		_, err = f.WriteString(strconv.Itoa(os.Getpid()))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return port, err
	}
	return 0, errors.New("no free loopback port after 20 tries")
}

func claimFile(root string, port int) string {
	return filepath.Join(root, "instances", strconv.Itoa(port))
}

// reclaimStale removes the claims of processes that are gone (a test
// binary killed by its timeout), with their databases and directories.
// Their PeerTube and Redis died with them (parent-death signal).
func reclaimStale(ctx context.Context, root string) {
	entries, err := os.ReadDir(filepath.Join(root, "instances"))
	if err != nil {
		return
	}
	for _, e := range entries {
		port, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(claimFile(root, port))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err == nil && processAlive(pid) {
			continue
		}
		if dropDatabase(ctx, databaseName(port)) == nil {
			_ = os.RemoveAll(instanceDir(root, port))
			_ = os.Remove(claimFile(root, port))
		}
	}
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// release gives a port back.
func release(ctx context.Context, root string, port int) error {
	unlock, err := lock(ctx, root)
	if err != nil {
		return err
	}
	defer unlock()
	return os.Remove(claimFile(root, port))
}

func instanceDir(root string, port int) string {
	return filepath.Join(root, "h-"+strconv.Itoa(port))
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
