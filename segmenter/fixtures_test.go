package segmenter

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// requireFFmpeg skips when the tools are missing (they are installed on the
// project's machines; elsewhere these tests cannot say anything).
func requireFFmpeg(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
}

// clip describes a synthetic source made with lavfi.
type clip struct {
	name          string // file name, its extension picks the container
	width, height int
	fps           int
	seconds       float64
	audio         bool
	rotate        int // degrees of display rotation metadata
}

// makeClip renders c into dir with ffmpeg's testsrc2 and sine generators.
func makeClip(t testing.TB, dir string, c clip) string {
	t.Helper()
	requireFFmpeg(t)
	out := filepath.Join(dir, c.name)
	dur := strconv.FormatFloat(c.seconds, 'f', -1, 64)
	args := []string{"-hide_banner", "-v", "error", "-nostdin", "-y",
		"-f", "lavfi", "-i", "testsrc2=size=" + strconv.Itoa(c.width) + "x" + strconv.Itoa(c.height) + ":rate=" + strconv.Itoa(c.fps) + ":duration=" + dur}
	if c.audio {
		args = append(args, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration="+dur)
	}
	args = append(args, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p")
	if c.audio {
		args = append(args, "-c:a", "aac", "-shortest")
	}
	encoded := out
	if c.rotate != 0 {
		encoded = filepath.Join(dir, "unrotated-"+c.name)
	}
	args = append(args, encoded)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if msg, err := exec.CommandContext(ctx, "ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("make fixture %s: %v: %s", c.name, err, msg)
	}
	if c.rotate != 0 {
		// ffmpeg 5.1 writes the rotate tag as a display matrix only when copying.
		cmd := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-v", "error", "-nostdin", "-y", "-i", encoded,
			"-c", "copy", "-metadata:s:v:0", "rotate="+strconv.Itoa(c.rotate), out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("rotate fixture %s: %v: %s", c.name, err, msg)
		}
	}
	return out
}

// makeAudioOnly renders a short sine tone into an .m4a.
func makeAudioOnly(t testing.TB, dir string) string {
	t.Helper()
	requireFFmpeg(t)
	out := filepath.Join(dir, "tone.m4a")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-v", "error", "-nostdin", "-y",
		"-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "aac", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make audio fixture: %v: %s", err, msg)
	}
	return out
}

func writeFile(t testing.TB, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
