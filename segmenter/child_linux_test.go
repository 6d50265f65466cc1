package segmenter

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/internal/testmedia"
)

// TestPIDFileNamesRunningFFmpeg: while ffmpeg encodes, one pid file in the
// output directory names it (a child of this process called ffmpeg), and the
// file is gone when Segment returns.
func TestPIDFileNamesRunningFFmpeg(t *testing.T) {
	src := testmedia.Make(t, t.TempDir(), testmedia.Clip{Name: "v.mp4", Width: 640, Height: 360, Seconds: 4})
	out := t.TempDir()
	var (
		once  sync.Once
		found string // what the first progress report saw, checked below
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err := Config{}.Segment(ctx, src, out, testUUID, func(float64) {
		// Reports come from ffmpeg's output, before Segment waits for it: its
		// pid is still taken (at worst by a zombie, which /proc/pid/stat shows).
		once.Do(func() { found = describePIDFiles(out) })
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("(ffmpeg) child of %d", os.Getpid()); found != want {
		t.Errorf("during the encode: %s, want one pid file naming %s", found, want)
	}
	if left := describePIDFiles(out); left != "no pid file" {
		t.Errorf("after Segment: %s", left)
	}
}

// describePIDFiles says which process the one pid file in dir names: its
// command name and parent, or what is wrong.
func describePIDFiles(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err.Error()
	}
	var pids []int
	for _, e := range entries {
		if pid, ok := layout.ParsePIDFileName(e.Name()); ok {
			pids = append(pids, pid)
		}
	}
	if len(pids) != 1 {
		if len(pids) == 0 {
			return "no pid file"
		}
		return fmt.Sprintf("pid files %v", pids)
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pids[0]))
	if err != nil {
		return err.Error()
	}
	// pid (comm) state ppid …; comm is ours to trust: ffmpeg has no spaces.
	fields := strings.Fields(string(stat))
	if len(fields) < 4 {
		return fmt.Sprintf("short stat %q", stat)
	}
	return fmt.Sprintf("%s child of %s", fields[1], fields[3])
}
