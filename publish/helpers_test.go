package publish

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/internal/testmedia"
	"github.com/peeredge/peeredge/origin"
	"github.com/peeredge/peeredge/segmenter"
	"github.com/peeredge/peeredge/swarm"
	"github.com/peeredge/peeredge/swarm/tracker"
)

// syncBuffer collects log lines from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testEnv is a publisher over a real catalogue, store, queue, torrent
// writer and tracker registry; the segmenter is the real one unless a test
// replaces it to make a failure happen that the real one cannot be made to.
type testEnv struct {
	catalog  *origin.Catalog
	store    *origin.Store
	queue    *origin.Queue
	intake   *origin.Intake
	registry *tracker.Registry
	cfg      Config
	log      *syncBuffer
}

func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	dir := t.TempDir()
	log := new(syncBuffer)
	logger := slog.New(slog.NewTextHandler(log, nil))
	catalog, err := origin.OpenCatalog(filepath.Join(dir, "catalog"), logger, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { catalog.Close() })
	store, err := origin.NewStore(filepath.Join(dir, "data"), nil)
	if err != nil {
		t.Fatal(err)
	}
	queue := origin.NewQueue(catalog, logger)
	queue.MaxAttempts = 1
	u, err := layout.New("https://video.example")
	if err != nil {
		t.Fatal(err)
	}
	reg := tracker.NewRegistry()
	return &testEnv{
		catalog:  catalog,
		store:    store,
		queue:    queue,
		intake:   origin.NewIntake(origin.IntakeConfig{Catalog: catalog, Store: store, Queue: queue, Logger: logger}),
		registry: reg,
		log:      log,
		cfg: Config{
			Catalog:   catalog,
			Store:     store,
			Segmenter: segmenter.Config{Rungs: []int{}, Logger: logger},
			Torrents:  swarm.TorrentFiles{CreatedBy: "peeredge test"},
			Tracker:   reg,
			URLs:      u,
			Logger:    logger,
		},
	}
}

// ingest takes a short clip in and returns its queued video.
func (e *testEnv) ingest(t testing.TB) origin.Video {
	t.Helper()
	clip := testmedia.Make(t, t.TempDir(), testmedia.Clip{Width: 320, Height: 240, Seconds: 2})
	v, err := e.intake.IngestFile(context.Background(), clip, "clip", nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// publish ingests a clip and runs its queued job with p until it is
// published (the job's return is the event waited for).
func (e *testEnv) publish(t testing.TB, p *Publisher) origin.Video {
	t.Helper()
	v := e.ingest(t)
	ran := make(chan error, 1)
	e.runQueue(t, func(ctx context.Context, j origin.Job) error {
		err := p.Transcode(ctx, j)
		if j.VideoID == v.ID {
			ran <- err
		}
		return err
	}, func() {
		select {
		case err := <-ran:
			if err != nil {
				t.Fatalf("publishing video %d: %v", v.ID, err)
			}
		case <-time.After(2 * time.Minute):
			t.Fatal("the video was not published within 2 minutes")
		}
	})
	v, err := e.catalog.Video(context.Background(), v.UUID)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// runQueue runs the queue with handle until wait returns, then stops it.
func (e *testEnv) runQueue(t testing.TB, handle func(context.Context, origin.Job) error, wait func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.queue.Run(ctx, 1, handle) }()
	defer func() { // also when wait fails the test
		cancel()
		if err := <-done; err != nil {
			t.Errorf("queue: %v", err)
		}
	}()
	wait()
}

// fail runs the queue with p until it has failed the video's job (the
// queue's OnFailed is the event waited for), then stops the queue.
func (e *testEnv) fail(t testing.TB, p *Publisher, id int64) (origin.Video, origin.Job) {
	t.Helper()
	failed := make(chan origin.Job, 1)
	e.queue.OnFailed = func(ctx context.Context, j origin.Job, err error) {
		p.Failed(ctx, j, err)
		failed <- j
	}
	var j origin.Job
	e.runQueue(t, p.Transcode, func() {
		select {
		case j = <-failed:
		case <-time.After(2 * time.Minute):
			t.Fatal("the job did not fail within 2 minutes")
		}
	})
	if j.VideoID != id {
		t.Fatalf("job of video %d failed, want %d", j.VideoID, id)
	}
	v, err := e.catalog.Video(context.Background(), fmt.Sprint(id))
	if err != nil {
		t.Fatal(err)
	}
	return v, j
}

// filesLeft lists what a failed job may not leave: staging directories,
// published HLS files and torrents.
func (e *testEnv) filesLeft(t testing.TB) []string {
	t.Helper()
	d := e.store.Disk()
	var left []string
	for _, dir := range []string{d.TmpDir(), d.HLSRoot(), d.TorrentsDir(), d.WebSeedOnlyDir()} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, en := range entries {
			if !(dir == d.TorrentsDir() && en.Name() == filepath.Base(d.WebSeedOnlyDir())) {
				left = append(left, filepath.Join(dir, en.Name()))
			}
		}
	}
	return left
}
