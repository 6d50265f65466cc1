package segmenter

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image/jpeg"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/internal/testmedia"
)

func TestSegmentEndToEnd(t *testing.T) {
	testmedia.RequireFFmpeg(t)
	tests := []struct {
		name    string
		clip    testmedia.Clip
		cfg     Config
		heights []int
		widths  []int
		fps     []float64
	}{
		{
			name:    "360p30 with audio, three rungs",
			clip:    testmedia.Clip{Name: "av.mp4", Width: 640, Height: 360, FPS: 30, Seconds: 10, Audio: true},
			cfg:     Config{Rungs: []int{1080, 360, 240, 144}},
			heights: []int{360, 240, 144}, widths: []int{640, 426, 256}, fps: []float64{30, 30, 30},
		},
		{
			name:    "240p25 mkv without audio, 2s segments",
			clip:    testmedia.Clip{Name: "v.mkv", Width: 320, Height: 240, FPS: 25, Seconds: 5},
			cfg:     Config{Rungs: []int{120}, SegmentDuration: 2 * time.Second},
			heights: []int{240, 120}, widths: []int{320, 160}, fps: []float64{25, 25},
		},
		{
			name:    "rotation metadata gives portrait rungs",
			clip:    testmedia.Clip{Name: "rot.mp4", Width: 640, Height: 360, FPS: 30, Seconds: 3, Rotate: 90},
			cfg:     Config{Rungs: []int{240}, SegmentDuration: 2 * time.Second},
			heights: []int{640, 240}, widths: []int{360, 136}, fps: []float64{30, 30},
		},
		{
			name:    "720p60 keeps 60 fps on top, 30 fps below",
			clip:    testmedia.Clip{Name: "hd60.mp4", Width: 1280, Height: 720, FPS: 60, Seconds: 4, Audio: true},
			cfg:     Config{Rungs: []int{360}, SegmentDuration: 2 * time.Second},
			heights: []int{720, 360}, widths: []int{1280, 640}, fps: []float64{60, 30},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := testmedia.Make(t, t.TempDir(), tt.clip)
			out := t.TempDir()
			var (
				mu       sync.Mutex
				progress []float64
			)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			start := time.Now()
			res, err := tt.cfg.Segment(ctx, src, out, testUUID, func(f float64) {
				mu.Lock()
				progress = append(progress, f)
				mu.Unlock()
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("segmented %.0fs of %dx%d into %d rungs in %v", tt.clip.Seconds, tt.clip.Width, tt.clip.Height, len(res.Renditions), time.Since(start).Round(time.Millisecond))

			checkRenditionShapes(t, res, tt.heights, tt.widths, tt.fps, tt.clip.Audio)
			checkOutputFiles(t, out, res)
			checkAligned(t, res, tt.cfg.segmentDuration(), tt.clip.Seconds)
			checkSegmentsJSON(t, out, res)
			checkPlaylistsRFC(t, out, res)
			checkDecodable(t, out, res, tt.clip.Seconds)
			checkProgress(t, progress)
			if testing.Verbose() {
				for _, name := range []string{res.Renditions[len(res.Renditions)-1].PlaylistName, layout.MasterPlaylistName, layout.SegmentsSHA256Name} {
					data, _ := os.ReadFile(filepath.Join(out, name))
					t.Logf("%s:\n%s", name, data)
				}
			}
			if d := res.Duration.Seconds() - tt.clip.Seconds; math.Abs(d) > 0.1 {
				t.Errorf("Result.Duration = %v, want ≈%gs", res.Duration, tt.clip.Seconds)
			}
		})
	}
}

var codecsPattern = regexp.MustCompile(`^avc1\.(64|4d|42)00[0-9a-f]{2}(,mp4a\.40\.2)?$`)

func checkRenditionShapes(t *testing.T, res Result, heights, widths []int, fps []float64, audio bool) {
	t.Helper()
	if len(res.Renditions) != len(heights) {
		t.Fatalf("%d renditions, want %d", len(res.Renditions), len(heights))
	}
	for i, r := range res.Renditions {
		if r.Height != heights[i] || r.Width != widths[i] || math.Abs(r.FPS-fps[i]) > 0.01 {
			t.Errorf("rendition %d is %dx%d@%v, want %dx%d@%v", i, r.Width, r.Height, r.FPS, widths[i], heights[i], fps[i])
		}
		if !codecsPattern.MatchString(r.Codecs) || strings.Contains(r.Codecs, "mp4a") != audio {
			t.Errorf("rendition %d codecs %q (audio %v)", i, r.Codecs, audio)
		}
		if r.Bandwidth < r.AverageBandwidth || r.AverageBandwidth <= 0 {
			t.Errorf("rendition %d bandwidth %d / average %d", i, r.Bandwidth, r.AverageBandwidth)
		}
	}
}

func checkOutputFiles(t *testing.T, dir string, res Result) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := []string{layout.MasterPlaylistName, layout.SegmentsSHA256Name, res.Thumbnail, res.Preview}
	checkImage(t, dir, res.Thumbnail, layout.ThumbnailWidth, layout.ThumbnailHeight, layout.ParseThumbnailFileName)
	checkImage(t, dir, res.Preview, layout.PreviewWidth, layout.PreviewHeight, layout.ParsePreviewFileName)
	for _, r := range res.Renditions {
		want = append(want, r.FileName, r.PlaylistName)
		st, err := os.Stat(filepath.Join(dir, r.FileName))
		if err != nil || st.Size() != r.Size {
			t.Errorf("%s: size %v, want %d (%v)", r.FileName, st, r.Size, err)
		}
		// The file's own video stream must be the rung's shape and frame rate.
		info, err := Config{}.Probe(context.Background(), filepath.Join(dir, r.FileName))
		if err != nil {
			t.Errorf("probe %s: %v", r.FileName, err)
		} else if info.Width != r.Width || info.Height != r.Height || math.Abs(info.FPS-r.FPS) > 0.05 {
			t.Errorf("%s probes as %dx%d@%.3f, want %dx%d@%.3f", r.FileName, info.Width, info.Height, info.FPS, r.Width, r.Height, r.FPS)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("files in output: %v, want %v", got, want)
	}
}

// checkImage decodes an image the segmenter made: named by its bytes, of
// its size, and a picture rather than the black of an empty frame.
func checkImage(t *testing.T, dir, name string, w, h int, parse func(string) (string, string, bool)) {
	t.Helper()
	if u, _, ok := parse(name); !ok || u != testUUID {
		t.Fatalf("image name %q", name)
	}
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	if _, tag, _ := parse(name); tag != layout.ImageTag(data) {
		t.Errorf("%s: tag is not its bytes'", name)
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Errorf("%s is %dx%d, want %dx%d", name, b.Dx(), b.Dy(), w, h)
	}
	var sum, n uint64
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y += 4 {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x += 4 {
			r, g, b, _ := img.At(x, y).RGBA()
			sum += uint64(r+g+b) / 3
			n++
		}
	}
	if mean := sum / n >> 8; mean < 40 {
		t.Errorf("%s is dark (mean %d of 255)", name, mean)
	}
}

func checkAligned(t *testing.T, res Result, seg time.Duration, seconds float64) {
	t.Helper()
	wantCount := int(math.Ceil(seconds/seg.Seconds() - 1e-9))
	ref := res.Renditions[0]
	if len(ref.Segments) != wantCount {
		t.Errorf("%d segments, want %d", len(ref.Segments), wantCount)
	}
	for _, r := range res.Renditions {
		if len(r.Segments) != len(ref.Segments) {
			t.Fatalf("%dp has %d segments, %dp has %d", r.Height, len(r.Segments), ref.Height, len(ref.Segments))
		}
		for i, s := range r.Segments {
			if math.Abs(s.Duration-ref.Segments[i].Duration) > 0.001 {
				t.Errorf("segment %d: %dp lasts %.6f, %dp %.6f", i, r.Height, s.Duration, ref.Height, ref.Segments[i].Duration)
			}
			if i < len(r.Segments)-1 && math.Abs(s.Duration-seg.Seconds()) > 0.05 {
				t.Errorf("segment %d of %dp lasts %.6f, want %v", i, r.Height, s.Duration, seg)
			}
		}
	}
}

func checkSegmentsJSON(t *testing.T, dir string, res Result) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, layout.SegmentsSHA256Name))
	if err != nil {
		t.Fatal(err)
	}
	var hashes map[string]map[string]string
	if err := json.Unmarshal(data, &hashes); err != nil {
		t.Fatalf("%s: %v", layout.SegmentsSHA256Name, err)
	}
	if len(hashes) != len(res.Renditions) {
		t.Errorf("%s lists %d files, want %d", layout.SegmentsSHA256Name, len(hashes), len(res.Renditions))
	}
	for _, r := range res.Renditions {
		// The ranges must be exactly the playlist's EXT-X-BYTERANGE ranges.
		pl, err := os.ReadFile(filepath.Join(dir, r.PlaylistName))
		if err != nil {
			t.Fatal(err)
		}
		listed, err := parseMuxerPlaylist(pl)
		if err != nil {
			t.Fatalf("%s: %v", r.PlaylistName, err)
		}
		ranges := hashes[r.FileName]
		if len(ranges) != len(listed.Segments) {
			t.Errorf("%s: %d hashed ranges, playlist lists %d", r.FileName, len(ranges), len(listed.Segments))
		}
		f, err := os.Open(filepath.Join(dir, r.FileName))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range listed.Segments {
			key := fmt.Sprintf("%d-%d", s.Offset, s.Offset+s.Length-1)
			want, ok := ranges[key]
			if !ok {
				t.Errorf("%s: range %s not hashed", r.FileName, key)
				continue
			}
			h := sha256.New()
			if n, err := io.Copy(h, io.NewSectionReader(f, s.Offset, s.Length)); err != nil || n != s.Length {
				t.Fatalf("read %s %s: %d, %v", r.FileName, key, n, err)
			}
			if got := hex.EncodeToString(h.Sum(nil)); got != want {
				t.Errorf("%s %s: sha256 %s, json says %s", r.FileName, key, got, want)
			}
		}
		if _, ok := ranges[fmt.Sprintf("%d-%d", r.Init.Offset, r.Init.End()-1)]; ok {
			t.Errorf("%s: init range is hashed", r.FileName)
		}
		f.Close()
	}
}

func checkPlaylistsRFC(t *testing.T, dir string, res Result) {
	t.Helper()
	for _, r := range res.Renditions {
		data, err := os.ReadFile(filepath.Join(dir, r.PlaylistName))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range checkPlaylist(data, mediaKind) {
			t.Errorf("%s: %v", r.PlaylistName, e)
		}
		for _, want := range []string{"#EXT-X-VERSION:7\n", "#EXT-X-MEDIA-SEQUENCE:0\n", "#EXT-X-PLAYLIST-TYPE:VOD\n", "#EXT-X-INDEPENDENT-SEGMENTS\n",
			fmt.Sprintf("#EXT-X-MAP:URI=%q,BYTERANGE=\"%d@0\"\n", r.FileName, r.Init.Length)} {
			if !bytes.Contains(data, []byte(want)) {
				t.Errorf("%s lacks %q:\n%s", r.PlaylistName, want, data)
			}
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, layout.MasterPlaylistName))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range checkPlaylist(data, masterKind) {
		t.Errorf("%s: %v", layout.MasterPlaylistName, e)
	}
	if !bytes.HasPrefix(data, []byte("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n")) {
		t.Errorf("master header:\n%s", data)
	}
	for _, r := range res.Renditions {
		want := fmt.Sprintf("#EXT-X-STREAM-INF:BANDWIDTH=%d,AVERAGE-BANDWIDTH=%d,CODECS=%q,RESOLUTION=%dx%d,FRAME-RATE=%.3f\n%s\n",
			r.Bandwidth, r.AverageBandwidth, r.Codecs, r.Width, r.Height, r.FPS, r.PlaylistName)
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("master lacks %q:\n%s", want, data)
		}
	}
}

// checkDecodable plays every media playlist through ffmpeg's own HLS demuxer
// and expects the whole duration with no decoding errors.
func checkDecodable(t *testing.T, dir string, res Result, seconds float64) {
	t.Helper()
	for _, r := range res.Renditions {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-nostats", "-progress", "pipe:1",
			"-i", filepath.Join(dir, r.PlaylistName), "-f", "null", "-")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.Output()
		cancel()
		if err != nil || stderr.Len() > 0 {
			t.Errorf("decode %s: %v: %s", r.PlaylistName, err, stderr.String())
			continue
		}
		var outUS int64
		sc := bufio.NewScanner(bytes.NewReader(stdout))
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "out_time_us="); ok {
				outUS, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		if got := float64(outUS) / 1e6; math.Abs(got-seconds) > 0.15 {
			t.Errorf("decoding %s gave %.3fs, want ≈%gs", r.PlaylistName, got, seconds)
		}
	}
}

func checkProgress(t *testing.T, progress []float64) {
	t.Helper()
	if len(progress) < 2 {
		t.Fatalf("only %d progress reports", len(progress))
	}
	for i, f := range progress {
		if f < 0 || f > 1 || (i > 0 && f < progress[i-1]) {
			t.Fatalf("progress not monotonic in [0,1]: %v", progress)
		}
	}
	if progress[len(progress)-1] != 1 {
		t.Errorf("last progress %v, want 1", progress[len(progress)-1])
	}
}

// testUUID names the outputs of every test segmentation.
const testUUID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"

func TestSegmentCancel(t *testing.T) {
	testmedia.RequireFFmpeg(t)
	src := testmedia.Make(t, t.TempDir(), testmedia.Clip{Name: "long.mp4", Width: 640, Height: 360, FPS: 30, Seconds: 30, Audio: true})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	start := time.Now()
	_, err := Config{}.Segment(ctx, src, t.TempDir(), testUUID, func(f float64) {
		if f > 0 {
			once.Do(cancel)
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	t.Logf("cancelled after %v", time.Since(start).Round(time.Millisecond))
}

func TestSegmentReportsFFmpegFailure(t *testing.T) {
	testmedia.RequireFFmpeg(t)
	src := testmedia.Make(t, t.TempDir(), testmedia.Clip{Name: "v.mp4", Width: 320, Height: 240, FPS: 25, Seconds: 1})
	out := t.TempDir()
	// A directory where the rung's file must go makes ffmpeg's muxer fail.
	blocked := layout.RenditionFileName(testUUID, 240)
	if err := os.Mkdir(filepath.Join(out, blocked), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Config{Rungs: []int{}}.Segment(context.Background(), src, out, testUUID, nil)
	if err == nil || !strings.Contains(err.Error(), "ffmpeg") || !strings.Contains(err.Error(), blocked) {
		t.Fatalf("err = %v, want ffmpeg's complaint about the output file", err)
	}
	t.Logf("error: %v", err)
}

func TestSegmentRejectsBadUUID(t *testing.T) {
	for _, id := range []string{"", "../x", "-f", `a"b`, "a b", strings.Repeat("a", 129), strings.ToUpper(testUUID), "{" + testUUID[1:35] + "}"} {
		if _, err := (Config{}).Segment(context.Background(), "/nonexistent", t.TempDir(), id, nil); err == nil || !strings.Contains(err.Error(), "invalid uuid") {
			t.Errorf("uuid %q: err = %v", id, err)
		}
	}
}

// TestImagesOfPublishedRung: the images of a video published before they
// were made come from its top rung in a run of their own.
func TestImagesOfPublishedRung(t *testing.T) {
	t.Parallel()
	src := testmedia.Make(t, t.TempDir(), testmedia.Clip{Width: 240, Height: 320, Seconds: 1})
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	thumb, preview, err := Config{}.Images(ctx, src, out, testUUID)
	if err != nil {
		t.Fatal(err)
	}
	checkImage(t, out, thumb, layout.ThumbnailWidth, layout.ThumbnailHeight, layout.ParseThumbnailFileName)
	checkImage(t, out, preview, layout.PreviewWidth, layout.PreviewHeight, layout.ParsePreviewFileName)
	if entries, _ := os.ReadDir(out); len(entries) != 2 {
		t.Errorf("output holds %d entries, want the two images", len(entries))
	}
}
