package origin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func openTestCatalog(t testing.TB, dir string) *Catalog {
	t.Helper()
	c, err := OpenCatalog(dir, testLogger(t), nil)
	if err != nil {
		t.Fatalf("OpenCatalog: %v", err)
	}
	return c
}

var errNotVideo = errors.New("not a video")

// ffprobeDuration is a real probe: the file must have a video stream and a
// positive duration (the segmenter has the node's own probe; origin only
// needs the same contract).
func ffprobeDuration(ctx context.Context, path string) (float64, error) {
	out, err := exec.CommandContext(ctx, "ffprobe", "-v", "error",
		"-show_entries", "stream=codec_type:format=duration", "-of", "json", path).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return 0, fmt.Errorf("%w: ffprobe: %s", errNotVideo, bytes.TrimSpace(ee.Stderr))
		}
		return 0, err
	}
	var probe struct {
		Streams []struct {
			CodecType string `json:"codec_type"`
		} `json:"streams"`
		Format struct {
			Duration string `json:"duration"`
		} `json:"format"`
	}
	if err := json.Unmarshal(out, &probe); err != nil {
		return 0, fmt.Errorf("%w: %v", errNotVideo, err)
	}
	hasVideo := false
	for _, s := range probe.Streams {
		hasVideo = hasVideo || s.CodecType == "video"
	}
	d, err := strconv.ParseFloat(probe.Format.Duration, 64)
	if !hasVideo || err != nil || d <= 0 {
		return 0, fmt.Errorf("%w: no video stream with a duration", errNotVideo)
	}
	return d, nil
}

type testEnv struct {
	dir     string
	catalog *Catalog
	store   *Store
	queue   *Queue
	intake  *Intake
}

func newTestEnv(t testing.TB, maxSize int64, probe func(context.Context, string) (float64, error)) *testEnv {
	t.Helper()
	dir := t.TempDir()
	c := openTestCatalog(t, filepath.Join(dir, "db"))
	t.Cleanup(func() { _ = c.Close() })
	s, err := NewStore(filepath.Join(dir, "data"), nil)
	if err != nil {
		t.Fatal(err)
	}
	q := NewQueue(c, testLogger(t))
	in := NewIntake(IntakeConfig{Catalog: c, Store: s, Queue: q, MaxSize: maxSize, Probe: probe, Logger: testLogger(t)})
	return &testEnv{dir: dir, catalog: c, store: s, queue: q, intake: in}
}

// assertNothingLeft checks that a failed intake left no file and no entry.
func (e *testEnv) assertNothingLeft(t testing.TB, wantVideos int) {
	t.Helper()
	for d, want := range map[string]int{e.store.disk.TmpDir(): 0, e.store.disk.OriginalsDir(): wantVideos} {
		entries, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != want {
			t.Errorf("%s holds %d entries, want %d", d, len(entries), want)
		}
	}
	_, total, err := e.catalog.Videos(context.Background(), 0, 10)
	if err != nil || total != wantVideos {
		t.Errorf("catalogue total = %d, %v; want %d", total, err, wantVideos)
	}
	jobs, err := e.queue.Jobs(context.Background())
	if err != nil || len(jobs) != wantVideos {
		t.Errorf("jobs = %d, %v; want %d", len(jobs), err, wantVideos)
	}
}
