// Package testmedia renders real media fixtures with ffmpeg's lavfi
// sources for the tests of every package, so no test carries binary
// fixtures or a fake decoder.
package testmedia

import (
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// RequireFFmpeg skips the test when ffmpeg or ffprobe is missing (the
// project's scripts install them; elsewhere such tests cannot say anything).
func RequireFFmpeg(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (scripts/deps.sh installs it)", tool)
		}
	}
}

// Clip describes a synthetic source: testsrc2 video, optionally a sine tone.
type Clip struct {
	Name          string // file name; its extension picks the container ("" = clip.mp4)
	Width, Height int    // 0 = 320x240
	FPS           int    // 0 = 25
	Seconds       float64
	Audio         bool
	Rotate        int // degrees of display rotation metadata
}

// Make renders c into dir and returns its path.
func Make(t testing.TB, dir string, c Clip) string {
	t.Helper()
	RequireFFmpeg(t)
	if c.Name == "" {
		c.Name = "clip.mp4"
	}
	if c.Width == 0 || c.Height == 0 {
		c.Width, c.Height = 320, 240
	}
	if c.FPS == 0 {
		c.FPS = 25
	}
	out := filepath.Join(dir, c.Name)
	dur := strconv.FormatFloat(c.Seconds, 'f', -1, 64)
	args := []string{"-hide_banner", "-v", "error", "-nostdin", "-y",
		"-f", "lavfi", "-i", "testsrc2=size=" + strconv.Itoa(c.Width) + "x" + strconv.Itoa(c.Height) + ":rate=" + strconv.Itoa(c.FPS) + ":duration=" + dur}
	if c.Audio {
		args = append(args, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration="+dur)
	}
	args = append(args, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p")
	if c.Audio {
		args = append(args, "-c:a", "aac", "-shortest")
	}
	encoded := out
	if c.Rotate != 0 {
		encoded = filepath.Join(dir, "unrotated-"+c.Name)
	}
	args = append(args, encoded)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if msg, err := exec.CommandContext(ctx, "ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("make fixture %s: %v: %s", c.Name, err, msg)
	}
	if c.Rotate != 0 {
		// ffmpeg 5.1 writes the rotate tag as a display matrix only when copying.
		cmd := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-v", "error", "-nostdin", "-y", "-i", encoded,
			"-c", "copy", "-metadata:s:v:0", "rotate="+strconv.Itoa(c.Rotate), out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("rotate fixture %s: %v: %s", c.Name, err, msg)
		}
	}
	return out
}
