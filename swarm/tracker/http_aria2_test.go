package tracker

import (
	"bytes"
	"context"
	"crypto/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// TestAria2cSwarm has two real BitTorrent clients (aria2c) find each other
// through the tracker: a seeder and a leecher that only knows the tracker
// (DHT, LPD and PEX off), and the leecher must end up with the file.
func TestAria2cSwarm(t *testing.T) {
	aria, err := exec.LookPath("aria2c")
	if err != nil {
		t.Skip("aria2c not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	seedDir, leechDir := filepath.Join(dir, "seed"), filepath.Join(dir, "leech")
	for _, d := range []string{seedDir, leechDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data := make([]byte, 300<<10)
	_, _ = rand.Read(data)
	src := filepath.Join(seedDir, "video-720-fragmented.mp4")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}

	tt := startHTTPTracker(t, Config{})
	info := metainfo.Info{PieceLength: 32 << 10}
	if err := info.BuildFromFilePath(src); err != nil {
		t.Fatal(err)
	}
	infoBytes, err := bencode.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	mi := metainfo.MetaInfo{InfoBytes: infoBytes, Announce: tt.base + "/tracker/announce"}
	ih := mi.HashInfoBytes()
	tt.Registry().Add(ih)
	torrentPath := filepath.Join(dir, "video.torrent")
	f, err := os.Create(torrentPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := mi.Write(f); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()

	common := []string{
		"--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
		"--enable-peer-exchange=false", "--bt-tracker-interval=1", "--disable-ipv6=true",
		"--console-log-level=warn", "--summary-interval=0", "--file-allocation=none",
		"--bt-require-crypto=false", "--check-certificate=false",
	}
	seedPort, leechPort := trkFreePort(t), trkFreePort(t)
	var seedLog bytes.Buffer
	seeder := exec.CommandContext(ctx, aria, append(common,
		"--dir="+seedDir, "--check-integrity=true", "--seed-ratio=0.0", "--seed-time=10",
		"--listen-port="+strconv.Itoa(seedPort), torrentPath)...)
	seeder.Stdout, seeder.Stderr = &seedLog, &seedLog
	if err := seeder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = seeder.Process.Kill(); _ = seeder.Wait() }()

	// Wait until the tracker knows the seeder (left=0).
	for tt.peers.counts(ih).complete == 0 {
		if ctx.Err() != nil {
			t.Fatalf("seeder never announced as complete; log:\n%s", seedLog.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	leecher := exec.CommandContext(ctx, aria, append(common,
		"--dir="+leechDir, "--seed-time=0", "--bt-stop-timeout=30",
		"--listen-port="+strconv.Itoa(leechPort), torrentPath)...)
	out, err := leecher.CombinedOutput()
	if err != nil {
		t.Fatalf("leecher: %v\n%s\nseeder:\n%s", err, out, seedLog.String())
	}
	got, err := os.ReadFile(filepath.Join(leechDir, "video-720-fragmented.mp4"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("leecher's copy differs (%d bytes, %v)", len(got), err)
	}
	if s := tt.Stats(); s.Announces < 2 {
		t.Fatalf("stats %+v", s)
	}
}

func trkFreePort(t *testing.T) int {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
