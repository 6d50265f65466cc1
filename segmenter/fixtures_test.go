package segmenter

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/peeredge/peeredge/internal/testmedia"
)

// makeAudioOnly renders a short sine tone into an .m4a.
func makeAudioOnly(t testing.TB, dir string) string {
	t.Helper()
	out := filepath.Join(dir, "tone.m4a")
	runFFmpegFixture(t, "-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "aac", out)
	return out
}

// runFFmpegFixture makes a fixture testmedia.Make does not: ffmpeg with args
// after the common quiet, overwriting options.
func runFFmpegFixture(t testing.TB, args ...string) {
	t.Helper()
	testmedia.RequireFFmpeg(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ffmpeg", append([]string{"-hide_banner", "-v", "error", "-nostdin", "-y"}, args...)...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make fixture: %v: %s", err, msg)
	}
}

// truncateFile cuts the file at path to percent of its size, as an
// interrupted copy or download leaves it, and returns path.
func truncateFile(t testing.TB, path string, percent int64) string {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, st.Size()*percent/100); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeFile(t testing.TB, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
