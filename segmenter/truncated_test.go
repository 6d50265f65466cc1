package segmenter

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/internal/testmedia"
)

// TestSegmentRefusesTruncatedSource cuts real clips whose header describes
// the whole of them, as an interrupted copy leaves them: ffprobe still reads
// 8 s, ffmpeg decodes what is left without an error, and Segment must refuse
// rather than publish a fragment. Whole clips must still pass, one whose
// sound outlasts its picture included.
func TestSegmentRefusesTruncatedSource(t *testing.T) {
	testmedia.RequireFFmpeg(t)
	clip := testmedia.Clip{Seconds: 8, Audio: true}
	// faststart moves the moov atom, which describes every sample, before them.
	faststart := func(t *testing.T, dir string) string {
		src := testmedia.Make(t, dir, clip)
		out := filepath.Join(dir, "faststart.mp4")
		runFFmpegFixture(t, "-i", src, "-c", "copy", "-movflags", "+faststart", out)
		return out
	}
	tests := []struct {
		name        string
		make        func(t *testing.T, dir string) string
		wantDecoded string // a pattern of the error's words; "" for a clip that must pass
	}{
		{"faststart mp4 cut at 30 %", func(t *testing.T, dir string) string {
			return truncateFile(t, faststart(t, dir), 30)
		}, `decoded [1-3]\.\d s of 8\.0 s`},
		{"matroska cut at 30 %", func(t *testing.T, dir string) string {
			c := clip
			c.Name = "clip.mkv"
			return truncateFile(t, testmedia.Make(t, dir, c), 30)
		}, `decoded [1-3]\.\d s of 8\.0 s`},
		{"whole faststart mp4", faststart, ""},
		{"whole mp4 whose sound outlasts its picture by 2 s", func(t *testing.T, dir string) string {
			video := testmedia.Make(t, dir, testmedia.Clip{Seconds: 6})
			out := filepath.Join(dir, "long-sound.mp4")
			runFFmpegFixture(t, "-i", video, "-f", "lavfi", "-i", "sine=duration=8",
				"-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", out)
			return out
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.make(t, t.TempDir())
			out := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			res, err := Config{Rungs: []int{}}.Segment(ctx, src, out, testUUID, nil)
			if tt.wantDecoded == "" {
				if err != nil {
					t.Fatalf("whole clip refused: %v", err)
				}
				t.Logf("published %v", res.Duration)
				return
			}
			if !errors.Is(err, ErrSourceTruncated) || !errors.Is(err, ErrNotVideo) || !regexp.MustCompile(tt.wantDecoded).MatchString(fmt.Sprint(err)) {
				t.Fatalf("err = %v, want ErrSourceTruncated saying %q", err, tt.wantDecoded)
			}
			if _, err := os.Stat(filepath.Join(out, layout.MasterPlaylistName)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a master playlist was written for a refused source (%v)", err)
			}
			t.Logf("error: %v", err)
		})
	}
}

func TestCheckWhole(t *testing.T) {
	s := func(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
	tests := []struct {
		decoded, declared time.Duration
		truncated         bool
	}{
		{s(8), s(8), false},
		{s(8.04), s(8), false}, // MPEG-TS and Matroska clips decode a little longer
		{s(7), s(8), false},    // a second short: the slack of short files
		{s(6.99), s(8), true},
		{s(2.4), s(8), true},
		{s(98), s(100), false}, // 2 % short: the slack of long files
		{s(97.9), s(100), true},
		{0, s(0.5), false}, // too short to tell
		{s(3), 0, false},   // nothing declared
	}
	for _, tt := range tests {
		err := checkWhole(tt.decoded, tt.declared)
		if errors.Is(err, ErrSourceTruncated) != tt.truncated || (err != nil) != tt.truncated {
			t.Errorf("decoded %v of %v: err = %v, want truncated %v", tt.decoded, tt.declared, err, tt.truncated)
		}
	}
}

func TestParseClock(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"00:00:06.021000000": 6021 * time.Millisecond,
		"01:02:03.5":         time.Hour + 2*time.Minute + 3500*time.Millisecond,
		"00:00:00.000000000": 0,
		"":                   0,
		"6.021":              0,
		"00:61:00.0":         0,
		"00:00:60.0":         0,
		"-1:00:00.0":         0,
		"00:00:NaN":          0,
		"999:00:00.0":        0, // beyond any upload
	} {
		if got := parseClock(in); got != want {
			t.Errorf("parseClock(%q) = %v, want %v", in, got, want)
		}
	}
}
