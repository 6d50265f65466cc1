package testmedia

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// SolidImage renders a w×h still of one colour (ffmpeg's colour syntax)
// into dir as name, whose extension picks the format (.jpg, .png,
// .webp), and returns its bytes.
func SolidImage(t testing.TB, dir, name, colour string, w, h int) []byte {
	t.Helper()
	RequireFFmpeg(t)
	path := filepath.Join(dir, name)
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi",
		"-i", fmt.Sprintf("color=c=%s:s=%dx%d", colour, w, h), "-frames:v", "1", "-update", "1", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg image %s: %v %s", name, err, out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
