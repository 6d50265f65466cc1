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
	testmedia.RequireFFmpeg(t)
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
