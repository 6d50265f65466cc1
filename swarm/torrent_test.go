package swarm

import (
	"bytes"
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"
	"github.com/anacrolix/torrent/metainfo"
)

// writeRandomFile writes size deterministic pseudo-random bytes to dir/name.
func writeRandomFile(t testing.TB, dir, name string, size int64, seed uint64) (string, []byte) {
	t.Helper()
	data := make([]byte, size)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for i := 0; i < len(data); i += 8 {
		v := rng.Uint64()
		for j := 0; j < 8 && i+j < len(data); j++ {
			data[i+j] = byte(v >> (8 * j))
		}
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, data
}

func mustInfo(t *testing.T, mi *metainfo.MetaInfo) metainfo.Info {
	t.Helper()
	info, err := mi.UnmarshalInfo()
	if err != nil {
		t.Fatalf("unmarshal info: %v", err)
	}
	return info
}

func TestPieceLengthFor(t *testing.T) {
	const KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
	tests := []struct {
		size int64
		want int64
	}{
		{0, 16 * KiB},
		{1, 16 * KiB},
		{16 * KiB, 16 * KiB},
		{2000 * 16 * KiB, 16 * KiB}, // exactly 2,000 pieces
		{2000*16*KiB + 1, 32 * KiB}, // 2,001 pieces at 16 KiB
		{100 * MiB, 64 * KiB},       // 1,600 pieces
		{512 * MiB, 512 * KiB},      // 1,024 pieces (2,048 at 256 KiB)
		{GiB, 1 * MiB},              // 1,024 pieces
		{2000 * 16 * MiB, 16 * MiB}, // exactly 2,000 pieces at the cap
		{2000*16*MiB + 1, 16 * MiB}, // cap reached: 2,001 pieces
		{1 << 40, 16 * MiB},         // 1 TiB: 65,536 pieces at the cap
		{3*GiB + 7, 2 * MiB},        // 1,537 pieces
	}
	for _, tt := range tests {
		if got := PieceLengthFor(tt.size); got != tt.want {
			t.Errorf("PieceLengthFor(%d) = %d, want %d", tt.size, got, tt.want)
		}
	}

	// Invariants over a spread of sizes, including ones near every boundary.
	var sizes []int64
	for pl := int64(MinPieceLength); pl <= 2*MaxPieceLength; pl <<= 1 {
		for _, n := range []int64{1, 999, 1000, 1001, 1999, 2000, 2001, 4000} {
			sizes = append(sizes, n*pl-1, n*pl, n*pl+1)
		}
	}
	for _, size := range sizes {
		pl := PieceLengthFor(size)
		n := pieceCount(size, pl)
		switch {
		case pl&(pl-1) != 0 || pl < MinPieceLength || pl > MaxPieceLength:
			t.Errorf("PieceLengthFor(%d) = %d: not a power of two in bounds", size, pl)
		case n > targetMaxPieces && pl != MaxPieceLength:
			t.Errorf("PieceLengthFor(%d) = %d gives %d pieces, more than %d below the cap", size, pl, n, targetMaxPieces)
		case n <= 1000 && pl != MinPieceLength:
			t.Errorf("PieceLengthFor(%d) = %d gives only %d pieces above the minimum length", size, pl, n)
		}
	}
}

func TestBuildTorrentHashesEveryPiece(t *testing.T) {
	const pl = 32 << 10
	tests := []struct {
		name        string
		size        int64
		pieceLength int64
	}{
		{"one byte", 1, pl},
		{"one byte auto", 1, 0},
		{"one full piece", pl, pl},
		{"exact multiple", 7 * pl, pl},
		{"not a multiple", 7*pl + 12345, pl},
		{"piece smaller than chunk", 3*MinPieceLength + 1, MinPieceLength},
		{"piece larger than chunk", 3*(1<<20) + 99, 1 << 20},
		{"auto length", 5<<20 + 3, 0},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fileName := fmt.Sprintf("file-%d.mp4", i)
			path, data := writeRandomFile(t, dir, fileName, tt.size, uint64(i+1))
			mi, ih, err := BuildTorrent(context.Background(), TorrentSpec{Path: path, PieceLength: tt.pieceLength})
			if err != nil {
				t.Fatal(err)
			}
			info := mustInfo(t, mi)
			wantPL := tt.pieceLength
			if wantPL == 0 {
				wantPL = PieceLengthFor(tt.size)
			}
			if info.PieceLength != wantPL || info.Length != tt.size || info.Name != fileName || len(info.Files) != 0 {
				t.Fatalf("info = {pl %d, len %d, name %q, files %d}, want {%d, %d, %q, 0}",
					info.PieceLength, info.Length, info.Name, len(info.Files), wantPL, tt.size, fileName)
			}
			wantPieces := int((tt.size + wantPL - 1) / wantPL)
			if info.NumPieces() != wantPieces {
				t.Fatalf("%d pieces, want %d", info.NumPieces(), wantPieces)
			}
			for p := range wantPieces {
				start := int64(p) * wantPL
				end := min(start+wantPL, tt.size)
				want := sha1.Sum(data[start:end])
				if got := info.Pieces[p*20 : (p+1)*20]; !bytes.Equal(got, want[:]) {
					t.Fatalf("piece %d hash %x, want %x", p, got, want)
				}
			}
			if ih != metainfo.HashBytes(mi.InfoBytes) {
				t.Fatalf("returned info hash %s does not hash InfoBytes", ih)
			}

			// anacrolix's own single-threaded builder must agree byte for byte.
			ref := metainfo.Info{PieceLength: wantPL}
			if err := ref.BuildFromFilePath(path); err != nil {
				t.Fatal(err)
			}
			refBytes, err := bencode.Marshal(ref)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(refBytes, mi.InfoBytes) {
				t.Fatalf("info bytes differ from anacrolix BuildFromFilePath: hash %s vs %s", ih, metainfo.HashBytes(refBytes))
			}
		})
	}
}

func TestBuildTorrentRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.mp4")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	file, _ := writeRandomFile(t, dir, "ok.mp4", 1000, 1)
	tests := []struct {
		name    string
		spec    TorrentSpec
		wantIs  error
		wantSub string
	}{
		{"empty file", TorrentSpec{Path: empty}, ErrEmptyFile, "empty"},
		{"no path", TorrentSpec{}, nil, "no path"},
		{"missing file", TorrentSpec{Path: filepath.Join(dir, "nope")}, os.ErrNotExist, "open"},
		{"directory", TorrentSpec{Path: dir}, nil, "not a regular file"},
		{"piece length not power of two", TorrentSpec{Path: file, PieceLength: 40000}, nil, "piece length"},
		{"piece length too small", TorrentSpec{Path: file, PieceLength: 8 << 10}, nil, "piece length"},
		{"piece length too large", TorrentSpec{Path: file, PieceLength: 512 << 20}, nil, "piece length"},
		{"name with slash", TorrentSpec{Path: file, Name: "../x"}, nil, "path separator"},
		{"name dot dot", TorrentSpec{Path: file, Name: ".."}, nil, "invalid torrent name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mi, _, err := BuildTorrent(context.Background(), tt.spec)
			if err == nil || mi != nil {
				t.Fatalf("BuildTorrent = %v, %v; want an error", mi, err)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v is not %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantSub) {
				t.Errorf("error %q does not mention %q", err, tt.wantSub)
			}
		})
	}
}

// TestBuildTorrentMatchesMktorrent checks our info hash against an
// independent implementation given the same name and piece length.
func TestBuildTorrentMatchesMktorrent(t *testing.T) {
	if _, err := exec.LookPath("mktorrent"); err != nil {
		t.Skip("mktorrent not on PATH")
	}
	tests := []struct {
		size     int64
		exponent int
	}{
		{1, 15},
		{4 << 15, 15},
		{3<<18 + 777, 18},
		{(9 << 20) + 1, 20},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%d bytes 2^%d", tt.size, tt.exponent), func(t *testing.T) {
			path, _ := writeRandomFile(t, dir, fmt.Sprintf("in-%d.mp4", i), tt.size, uint64(100+i))
			name := fmt.Sprintf("rendition %d.mp4", i)
			out := filepath.Join(dir, fmt.Sprintf("mk-%d.torrent", i))
			cmd := exec.Command("mktorrent", "-t", "2", "-l", fmt.Sprint(tt.exponent), "-n", name,
				"-a", "http://127.0.0.1:1/announce", "-o", out, path)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("mktorrent: %v\n%s", err, b)
			}
			mk, err := metainfo.LoadFromFile(out)
			if err != nil {
				t.Fatal(err)
			}
			_, ih, err := BuildTorrent(context.Background(), TorrentSpec{
				Path: path, Name: name, PieceLength: 1 << tt.exponent,
				Trackers: [][]string{{"http://127.0.0.1:1/announce"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			if want := mk.HashInfoBytes(); ih != want {
				t.Fatalf("info hash %s, mktorrent %s", ih, want)
			}
		})
	}
}

func TestTorrentFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path, _ := writeRandomFile(t, dir, "720p.mp4", 200_000, 7)
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	spec := TorrentSpec{
		Path: path,
		Name: "video 720p.mp4",
		Trackers: [][]string{
			{"http://127.0.0.1:8000/tracker/announce", ""},
			{},
			{"ws://127.0.0.1:8000/tracker/socket", "udp://127.0.0.1:6969/announce"},
		},
		WebSeeds:     []string{"http://127.0.0.1:8080/static/video-720p.mp4", "http://127.0.0.2:8080/static/video-720p.mp4"},
		PieceLength:  32 << 10,
		CreatedBy:    "peeredge test",
		Comment:      "round trip",
		CreationDate: created,
	}
	mi, ih, err := BuildTorrent(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out", "video.torrent")
	if err := os.Mkdir(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	// Write twice: the second must replace the first in place.
	for range 2 {
		if err := WriteTorrentFile(mi, out); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(filepath.Dir(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "video.torrent" {
		t.Fatalf("directory holds %v, want only video.torrent (no temporary files left)", entries)
	}

	got, info, err := ReadTorrentFile(out)
	if err != nil {
		t.Fatal(err)
	}
	wantTiers := metainfo.AnnounceList{
		{"http://127.0.0.1:8000/tracker/announce"},
		{"ws://127.0.0.1:8000/tracker/socket", "udp://127.0.0.1:6969/announce"},
	}
	switch {
	case got.HashInfoBytes() != ih:
		t.Errorf("info hash after round trip %s, want %s", got.HashInfoBytes(), ih)
	case got.Announce != wantTiers[0][0]:
		t.Errorf("announce %q", got.Announce)
	case !slices.EqualFunc(got.AnnounceList, wantTiers, slices.Equal[[]string]):
		t.Errorf("announce-list %q, want %q", got.AnnounceList, wantTiers)
	case !slices.Equal(got.UrlList, spec.WebSeeds):
		t.Errorf("url-list %q, want %q", got.UrlList, spec.WebSeeds)
	case got.CreatedBy != spec.CreatedBy || got.Comment != spec.Comment || got.CreationDate != created.Unix():
		t.Errorf("created by %q, comment %q, date %d", got.CreatedBy, got.Comment, got.CreationDate)
	case info.Name != spec.Name || info.Length != 200_000:
		t.Errorf("info name %q length %d", info.Name, info.Length)
	}

	// The encoding is stable: same spec and date give the same bytes.
	var a, b bytes.Buffer
	mi2, _, err := BuildTorrent(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := mi.Write(&a); err != nil {
		t.Fatal(err)
	}
	if err := mi2.Write(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two builds of the same spec encode differently")
	}

	// aria2c is an independent reader of the file we wrote.
	if _, err := exec.LookPath("aria2c"); err != nil {
		t.Log("aria2c not on PATH; skipping its cross-check")
		return
	}
	listing, err := exec.Command("aria2c", "--show-files", out).CombinedOutput()
	if err != nil {
		t.Fatalf("aria2c --show-files: %v\n%s", err, listing)
	}
	for _, want := range []string{
		"Info Hash: " + ih.HexString(),
		"The Number of Pieces: 7",
		"Name: video 720p.mp4",
		spec.WebSeeds[0], spec.WebSeeds[1],
		"ws://127.0.0.1:8000/tracker/socket",
	} {
		if !bytes.Contains(listing, []byte(want)) {
			t.Errorf("aria2c listing lacks %q:\n%s", want, listing)
		}
	}
}

func TestWriteTorrentFileRejectsEmptyMetainfo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.torrent")
	if err := WriteTorrentFile(&metainfo.MetaInfo{}, out); err == nil {
		t.Fatal("wrote a torrent without an info dictionary")
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("file exists after failed write: %v", err)
	}
}

func TestBuildTorrentCancelledBeforeStart(t *testing.T) {
	path, _ := writeRandomFile(t, t.TempDir(), "a.mp4", 1<<20, 3)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := BuildTorrent(ctx, TorrentSpec{Path: path})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// cancellingReader reads a real file and cancels ctx once afterReads reads
// have happened, counting every read so the test can see hashing stop.
type cancellingReader struct {
	f          *os.File
	afterReads int64
	cancel     context.CancelFunc
	reads      atomic.Int64
}

func (r *cancellingReader) ReadAt(p []byte, off int64) (int, error) {
	if r.reads.Add(1) == r.afterReads {
		r.cancel()
	}
	return r.f.ReadAt(p, off)
}

func TestHashPiecesStopsOnCancel(t *testing.T) {
	const pl = MinPieceLength // one read per piece
	const pieces = 4096
	path, _ := writeRandomFile(t, t.TempDir(), "a.mp4", pl*pieces, 4)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &cancellingReader{f: f, afterReads: 10, cancel: cancel}
	_, err = hashPieces(ctx, r, pl*pieces, pl)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	// Each worker may finish the piece it holds, nothing more.
	if n := r.reads.Load(); n > 10+int64(2*maxProcs()) {
		t.Fatalf("%d pieces read after cancelling at read 10", n)
	}
}

func TestHashPiecesReportsShortFile(t *testing.T) {
	path, _ := writeRandomFile(t, t.TempDir(), "a.mp4", 100_000, 5)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Claim the file is longer than it is, as if it shrank after Stat.
	_, err = hashPieces(context.Background(), f, 200_000, MinPieceLength)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want io.ErrUnexpectedEOF", err)
	}
}

func maxProcs() int { return runtime.GOMAXPROCS(0) }

func TestWebSeedOnlyKeepsInfoHashAndWebSeeds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.mp4")
	if err := os.WriteFile(path, bytes.Repeat([]byte{7}, 100_000), 0o644); err != nil {
		t.Fatal(err)
	}
	mi, ih, err := BuildTorrent(context.Background(), TorrentSpec{Path: path,
		Trackers: [][]string{{"http://h/tracker/announce"}, {"ws://h/tracker/socket"}}, WebSeeds: []string{"http://h/static/webseed/f.mp4"}})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "w.torrent")
	if err := WriteTorrentFile(WebSeedOnly(mi), out); err != nil {
		t.Fatal(err)
	}
	got, _, err := ReadTorrentFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if got.HashInfoBytes() != ih || got.Announce != "" || len(got.AnnounceList) != 0 || len(got.UrlList) != 1 {
		t.Errorf("webseed-only torrent: hash %v (want %v), announce %q, list %v, url-list %v", got.HashInfoBytes(), ih, got.Announce, got.AnnounceList, got.UrlList)
	}
	if mi.Announce == "" || len(mi.AnnounceList) != 2 {
		t.Error("WebSeedOnly changed its argument")
	}
}
