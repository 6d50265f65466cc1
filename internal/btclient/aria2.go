package btclient

import (
	"context"
	"fmt"
	"strconv"
	"testing"
)

// Aria2Download runs aria2c on a .torrent until it has the whole file in
// outDir and exits (--seed-time=0), or ctx ends. aria2c meets peers only
// through the torrent's trackers (no DHT, LPD or PeX, IPv4 only) and uses
// the torrent's url-list WebSeeds. It skips the test when aria2c is
// missing; the error carries the tail of aria2c's output.
func Aria2Download(t testing.TB, ctx context.Context, torrentPath, outDir string) error {
	t.Helper()
	bin := NeedBinary(t, "aria2c")
	p := StartProcess(t, bin, "--no-conf",
		"--dir="+outDir, "--seed-time=0", "--enable-dht=false", "--enable-dht6=false",
		"--bt-enable-lpd=false", "--enable-peer-exchange=false", "--disable-ipv6=true",
		"--listen-port="+strconv.Itoa(FreePort(t)), "--summary-interval=0",
		"--console-log-level=warn", "--file-allocation=none", "--auto-save-interval=0",
		torrentPath)
	if err := p.Wait(ctx); err != nil {
		return fmt.Errorf("aria2c: %w\n%s", err, p.Output().Tail(3000))
	}
	return nil
}
