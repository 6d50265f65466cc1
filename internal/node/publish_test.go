package node

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peeredge/peeredge/internal/testmedia"

	"github.com/peeredge/peeredge/origin"
)

// TestFailedJobMarksVideoFailed makes the job fail for real (its original
// is cut short after intake, so ffprobe finds no moov atom) and checks the
// video says so in ffmpeg's words, without local paths, and nothing is
// published.
func TestFailedJobMarksVideoFailed(t *testing.T) {
	data := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n, err := Open(ctx, Config{DataDir: data, AdminToken: "x", Logger: slog.New(slog.NewTextHandler(newTestWriter(t), nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	clip := testmedia.Make(t, t.TempDir(), testmedia.Clip{Seconds: 2})
	v, err := n.Intake().IngestFile(ctx, clip, "doomed", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(data, "originals", v.UUID), 1000); err != nil {
		t.Fatal(err)
	}
	jobsCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- n.RunJobs(jobsCtx) }()
	for {
		v, err = n.Video(ctx, v.UUID)
		if err != nil {
			t.Fatal(err)
		}
		if v.State != origin.StateToTranscode || ctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if v.State != origin.StateTranscodingFailed || v.Transcoding {
		t.Fatalf("state %v (transcoding %v), want failed", v.State, v.Transcoding)
	}
	if !strings.Contains(v.Error, "moov atom not found") || strings.Contains(v.Error, data) {
		t.Errorf("reason %q: want ffprobe's words and no local path", v.Error)
	}
	if _, err := os.Stat(filepath.Join(data, "media", "streaming-playlists", "hls", v.UUID)); !os.IsNotExist(err) {
		t.Errorf("a failed video has an HLS directory: %v", err)
	}
	if left := filesUnder(t, filepath.Join(data, "tmp"), filepath.Join(data, "media", "torrents")); len(left) != 0 {
		t.Errorf("left behind: %q", left)
	}
}
