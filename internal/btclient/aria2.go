package btclient

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// Aria2Download runs aria2c on a .torrent until it has the whole file in
// outDir and exits (--seed-time=0), or ctx ends. aria2c meets peers only
// through the torrent's trackers (no DHT, LPD or PeX, IPv4 only) and uses
// the torrent's url-list WebSeeds. It skips the test when aria2c is
// missing; the error carries the tail of aria2c's output and log.
func Aria2Download(t testing.TB, ctx context.Context, torrentPath, outDir string) error {
	t.Helper()
	bin := NeedBinary(t, "aria2c")
	// An info-level log, shown on failure: the console says nothing useful
	// when a download stalls.
	logPath := filepath.Join(t.TempDir(), "aria2c.log")
	p := StartProcess(t, bin, "--no-conf", "--log="+logPath, "--log-level=info",
		"--dir="+outDir, "--seed-time=0", "--enable-dht=false", "--enable-dht6=false",
		"--bt-enable-lpd=false", "--enable-peer-exchange=false", "--disable-ipv6=true",
		"--listen-port="+strconv.Itoa(FreePort(t)), "--summary-interval=0",
		"--console-log-level=warn", "--file-allocation=none", "--auto-save-interval=0",
		torrentPath)
	if err := p.Wait(ctx); err != nil {
		log, _ := os.ReadFile(logPath)
		return fmt.Errorf("aria2c: %w\n%s\nlog tail:\n%s", err, p.Output().Tail(3000), log[max(0, len(log)-6000):])
	}
	return nil
}
