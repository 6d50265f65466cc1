package seeder

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestLeecherDownloadsFromSeeder(t *testing.T) {
	for _, tc := range []struct {
		transport string
		size      int
	}{
		{"tcp", 5<<20 + 12345},
		{"utp", 3<<20 + 777},
	} {
		t.Run(tc.transport, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			p := publish(t, "uuid-720-fragmented.mp4", tc.size, uint64(tc.size), nil, nil)
			s := startSeeder(t, Config{})
			ih, err := s.Seed(ctx, p.torrentPath, p.dataDir)
			if err != nil {
				t.Fatal(err)
			}
			if ih != p.ih {
				t.Fatalf("Seed returned %s, want %s", ih, p.ih)
			}
			got, _ := downloadFromSeeder(t, ctx, p, s, tc.transport)
			if !bytes.Equal(got, p.content) {
				t.Fatalf("downloaded %d bytes differing from the %d published", len(got), len(p.content))
			}
			st := s.Stats()
			if st.Torrents != 1 || st.BytesUploaded < int64(tc.size) {
				t.Errorf("stats %+v: want 1 torrent and at least %d bytes uploaded", st, tc.size)
			}
			if names := dirNames(t, p.dataDir); !slices.Equal(names, []string{"uuid-720-fragmented.mp4"}) {
				t.Errorf("data dir holds %q, want only the data file", names)
			}
		})
	}
}

func TestSeedTwiceReturnsSameHash(t *testing.T) {
	ctx := context.Background()
	p := publish(t, "a.mp4", 100_000, 1, nil, nil)
	s := startSeeder(t, Config{})
	for range 2 {
		ih, err := s.Seed(ctx, p.torrentPath, p.dataDir)
		if err != nil || ih != p.ih {
			t.Fatalf("Seed = %s, %v; want %s", ih, err, p.ih)
		}
	}
	if st := s.Stats(); st.Torrents != 1 || st.BytesVerified != int64(len(p.content)) {
		t.Errorf("stats %+v: want one torrent hashed once", st)
	}
}

func TestRestartTrustsRecordedCompletion(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := publish(t, "uuid-480-fragmented.mp4", 4<<20+1, 2, nil, nil)
	dbDir := t.TempDir()
	size := int64(len(p.content))

	kv := openBadgerKV(t, dbDir)
	if _, found, _ := kv.Get(completionKey(p.ih)); found {
		t.Fatal("fresh KV already has a record")
	}
	s, err := New(ctx, Config{ListenAddr: "127.0.0.1", Completion: kv, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Seed(ctx, p.torrentPath, p.dataDir); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats().BytesVerified; got != size {
		t.Errorf("first Seed hashed %d bytes, want %d", got, size)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := kv.db.Close(); err != nil {
		t.Fatal(err)
	}

	// Restart: a new badger handle on the same directory, a new seeder.
	kv = openBadgerKV(t, dbDir)
	defer kv.db.Close()
	v, found, err := kv.Get(completionKey(p.ih))
	if err != nil || !found {
		t.Fatalf("record after restart: found=%v err=%v", found, err)
	}
	if rec, err := decodeCompletionRecord(v); err != nil || !rec.allComplete() || rec.size != size {
		t.Fatalf("record after restart = %+v, %v; want all pieces complete", rec, err)
	}
	s = startSeeder(t, Config{Completion: kv})
	if _, err := s.Seed(ctx, p.torrentPath, p.dataDir); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats().BytesVerified; got != 0 {
		t.Errorf("Seed after restart hashed %d bytes, want 0", got)
	}
	got, _ := downloadFromSeeder(t, ctx, p, s, "tcp")
	if !bytes.Equal(got, p.content) {
		t.Fatal("download after restart differs from the published file")
	}

	// A file whose mtime changed is hashed again.
	if err := s.Drop(p.ih); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(p.dataPath, later, later); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Seed(ctx, p.torrentPath, p.dataDir); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats().BytesVerified; got != size {
		t.Errorf("Seed after touch hashed %d bytes, want %d", got, size)
	}

	// Forget stops seeding and deletes the record.
	if err := s.Forget(p.ih); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := kv.Get(completionKey(p.ih)); found {
		t.Error("record still present after Forget")
	}
	if st := s.Stats(); st.Torrents != 0 {
		t.Errorf("%d torrents after Forget", st.Torrents)
	}
}

func TestSeedRejectsDataThatDoesNotMatch(t *testing.T) {
	for _, tc := range []struct {
		name             string
		damage           func(t *testing.T, p published)
		wantVerification bool
	}{
		{"flipped byte", func(t *testing.T, p published) {
			b := slices.Clone(p.content)
			b[len(b)/2] ^= 0x40
			writeKeepingMtime(t, p.dataPath, b)
		}, true},
		{"truncated", func(t *testing.T, p published) {
			if err := os.Truncate(p.dataPath, int64(len(p.content)-1)); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"zeroed last piece, longer file", func(t *testing.T, p published) {
			b := slices.Clone(p.content)
			clear(b[len(b)-100:])
			writeKeepingMtime(t, p.dataPath, append(b, 1))
		}, true},
		{"missing", func(t *testing.T, p published) {
			if err := os.Remove(p.dataPath); err != nil {
				t.Fatal(err)
			}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := publish(t, "v.mp4", 3<<20+5, 3, nil, nil)
			tc.damage(t, p)
			s := startSeeder(t, Config{})
			ih, err := s.Seed(context.Background(), p.torrentPath, p.dataDir)
			if err == nil {
				t.Fatalf("Seed of a damaged file = %s, want an error", ih)
			}
			if errors.Is(err, ErrVerification) != tc.wantVerification {
				t.Errorf("Seed error %q: errors.Is(ErrVerification) = %v, want %v", err, !tc.wantVerification, tc.wantVerification)
			}
			if st := s.Stats(); st.Torrents != 0 {
				t.Errorf("%d torrents seeded after a failed Seed", st.Torrents)
			}
		})
	}
}

// A file damaged after it was verified is caught when its mtime moved.
func TestSeedReverifiesChangedFile(t *testing.T) {
	ctx := context.Background()
	kv := newMapKV()
	p := publish(t, "v.mp4", 1<<20, 4, nil, nil)
	s := startSeeder(t, Config{Completion: kv})
	if _, err := s.Seed(ctx, p.torrentPath, p.dataDir); err != nil {
		t.Fatal(err)
	}
	if err := s.Drop(p.ih); err != nil {
		t.Fatal(err)
	}
	b := slices.Clone(p.content)
	b[10] ^= 1
	if err := os.WriteFile(p.dataPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(p.dataPath, later, later); err != nil {
		t.Fatal(err)
	}
	s2 := startSeeder(t, Config{Completion: kv})
	if _, err := s2.Seed(ctx, p.torrentPath, p.dataDir); !errors.Is(err, ErrVerification) {
		t.Fatalf("Seed of a changed, damaged file: %v, want ErrVerification", err)
	}
}

func TestSeedRejectsBadInput(t *testing.T) {
	p := publish(t, "v.mp4", 1000, 5, nil, nil)
	s := startSeeder(t, Config{})
	notTorrent := filepath.Join(t.TempDir(), "x.torrent")
	if err := os.WriteFile(notTorrent, []byte("d4:infoi1ee"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][2]string{
		"missing torrent":  {filepath.Join(t.TempDir(), "none.torrent"), p.dataDir},
		"not a torrent":    {notTorrent, p.dataDir},
		"wrong data dir":   {p.torrentPath, t.TempDir()},
		"data dir is file": {p.torrentPath, p.dataPath},
	} {
		if ih, err := s.Seed(context.Background(), args[0], args[1]); err == nil {
			t.Errorf("%s: Seed = %s, want an error", name, ih)
		}
	}
	if err := s.Drop(p.ih); err == nil {
		t.Error("Drop of a torrent never seeded succeeded")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no KV":          {},
		"negative rate":  {Completion: newMapKV(), UploadRate: -1},
		"port too large": {Completion: newMapKV(), ListenPort: 70000},
		"host name":      {Completion: newMapKV(), ListenAddr: "localhost"},
	} {
		if s, err := New(context.Background(), cfg); err == nil {
			s.Close()
			t.Errorf("%s: New succeeded", name)
		}
	}
}

func TestUploadRateLimit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const rate = 1 << 20
	p := publish(t, "v.mp4", 4<<20, 6, nil, nil)
	s := startSeeder(t, Config{UploadRate: rate})
	if _, err := s.Seed(ctx, p.torrentPath, p.dataDir); err != nil {
		t.Fatal(err)
	}
	got, took := downloadFromSeeder(t, ctx, p, s, "tcp")
	if !bytes.Equal(got, p.content) {
		t.Fatal("rate-limited download differs from the published file")
	}
	// 4 MiB at 1 MiB/s less one 128 KiB burst is 3.875 s; allow slack.
	if took < 3*time.Second {
		t.Errorf("4 MiB at a %d B/s limit took %v, want at least 3s", rate, took)
	}
	t.Logf("4 MiB at 1 MiB/s took %v", took)
}

func writeKeepingMtime(t *testing.T, path string, data []byte) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
}
