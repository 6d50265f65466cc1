package seeder

import (
	"bytes"
	"context"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anacrolix/torrent/metainfo"
)

// BenchmarkVerifyPieces measures the first-Seed hash check (SHA-1 over all
// cores) of a 64 MiB file in the page cache.
func BenchmarkVerifyPieces(b *testing.B) {
	dir := b.TempDir()
	content := bytes.Repeat([]byte("peeredge seeder "), 4<<20) // 64 MiB
	path := dir + "/v.mp4"
	if err := os.WriteFile(path, content, 0o644); err != nil {
		b.Fatal(err)
	}
	var info metainfo.Info
	info.PieceLength = 1 << 20
	if err := info.BuildFromFilePath(path); err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var hashed atomic.Int64
	b.SetBytes(int64(len(content)))
	for b.Loop() {
		if _, err := verifyPieces(context.Background(), f, &info, &hashed); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkServeTCP measures a whole 16 MiB download by an anacrolix leecher
// from the seeder over loopback TCP, client start-up included.
func BenchmarkServeTCP(b *testing.B) {
	p := publish(b, "v.mp4", 16<<20, 11, nil, nil)
	s, err := New(context.Background(), Config{ListenAddr: "127.0.0.1", Completion: newMapKV(), Logger: testLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Seed(context.Background(), p.torrentPath, p.dataDir); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(p.content)))
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		got, _ := downloadFromSeeder(b, ctx, p, s, "tcp")
		cancel()
		if len(got) != len(p.content) {
			b.Fatalf("got %d bytes", len(got))
		}
	}
}
