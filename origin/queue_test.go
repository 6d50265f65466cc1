package origin

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// waitFor polls cond (bounded); tests fail rather than hang.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func jobStates(t *testing.T, q *Queue) map[int64]Job {
	t.Helper()
	jobs, err := q.Jobs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]Job{}
	for _, j := range jobs {
		out[j.ID] = j
	}
	return out
}

// startRun runs q in the background; the returned stop cancels and waits.
func startRun(t *testing.T, q *Queue, workers int, handle func(context.Context, Job) error) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx, workers, handle) }()
	return func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Second):
			t.Fatal("Run did not return after cancel")
			return nil
		}
	}
}

func TestQueueRunsJobs(t *testing.T) {
	ctx := context.Background()
	c := openTestCatalog(t, t.TempDir())
	defer c.Close()
	q := NewQueue(c, testLogger(t))

	var (
		mu       sync.Mutex
		handled  = map[int64]int{}
		failures []Job
	)
	q.OnFailed = func(_ context.Context, j Job, err error) {
		mu.Lock()
		defer mu.Unlock()
		if j.Error != err.Error() {
			t.Errorf("OnFailed job error %q vs %v", j.Error, err)
		}
		var pe *PanicError
		if isPanic := errors.As(err, &pe); isPanic != (j.VideoID == 3) {
			t.Errorf("video %d failed with %T, PanicError only for the panic", j.VideoID, err)
		} else if isPanic && (pe.Value != "boom" || !strings.Contains(string(pe.Stack), "runHandler")) {
			t.Errorf("panic error %v lacks the value or the stack", pe.Value)
		}
		failures = append(failures, j)
	}
	handle := func(_ context.Context, j Job) error {
		mu.Lock()
		handled[j.VideoID]++
		mu.Unlock()
		switch j.VideoID {
		case 2:
			return errors.New("ffmpeg exited 1")
		case 3:
			panic("boom")
		}
		return nil
	}
	// Jobs queued before Run, and one after: Enqueue must wake an idle worker.
	for _, vid := range []int64{1, 2, 3} {
		j, err := q.Enqueue(ctx, Job{VideoID: vid})
		if err != nil || j.ID != vid || j.State != JobQueued || j.Kind != JobTranscode {
			t.Fatalf("Enqueue = %+v, %v", j, err)
		}
	}
	stop := startRun(t, q, 2, handle)
	finished := func() bool {
		for _, j := range jobStates(t, q) {
			if j.State == JobQueued || j.State == JobRunning {
				return false
			}
		}
		return true
	}
	waitFor(t, "first jobs", finished)
	if _, err := q.Enqueue(ctx, Job{VideoID: 4}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "job enqueued while idle", func() bool { return finished() && len(jobStates(t, q)) == 4 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	states := jobStates(t, q)
	want := map[int64]struct{ state, errPart string }{
		1: {JobDone, ""},
		2: {JobFailed, "ffmpeg exited 1"},
		3: {JobFailed, "handler panic: boom\ngoroutine"}, // the private record keeps the stack
		4: {JobDone, ""},
	}
	for id, w := range want {
		j := states[id]
		if j.State != w.state || j.Attempts != 1 || !strings.Contains(j.Error, w.errPart) || (w.errPart == "" && j.Error != "") {
			t.Errorf("job %d = %+v, want state %s error ~%q", id, j, w.state, w.errPart)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for vid, n := range handled {
		if n != 1 {
			t.Errorf("video %d handled %d times", vid, n)
		}
	}
	if len(failures) != 2 {
		t.Errorf("OnFailed called %d times, want 2", len(failures))
	}
}

func TestQueueRestartsInterruptedJob(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "db")
	c := openTestCatalog(t, dir)
	q := NewQueue(c, testLogger(t))
	if _, err := q.Enqueue(ctx, Job{VideoID: 7}); err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	stop := startRun(t, q, 1, func(ctx context.Context, j Job) error {
		close(started)
		<-ctx.Done() // a long transcode cut off by shutdown
		return ctx.Err()
	})
	<-started
	if s := jobStates(t, q)[1].State; s != JobRunning {
		t.Errorf("state while handled = %s", s)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	c = openTestCatalog(t, dir)
	defer c.Close()
	q = NewQueue(c, testLogger(t))
	if j := jobStates(t, q)[1]; j.State == JobFailed || j.State == JobDone {
		t.Fatalf("interrupted job recorded as %s", j.State)
	}
	ran := make(chan Job, 1)
	stop = startRun(t, q, 1, func(_ context.Context, j Job) error { ran <- j; return nil })
	select {
	case j := <-ran:
		if j.VideoID != 7 || j.Attempts != 2 {
			t.Errorf("restarted job = %+v", j)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("interrupted job was not restarted")
	}
	waitFor(t, "job done", func() bool { return jobStates(t, q)[1].State == JobDone })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// plantRunning writes a job as a killed process leaves it: running, not queued.
func plantRunning(t *testing.T, c *Catalog, j Job) {
	t.Helper()
	err := c.db.Update(func(txn *badger.Txn) error {
		id, err := nextSeq(txn, keyJobSeq)
		if err != nil {
			return err
		}
		j.ID, j.State, j.Kind = id, JobRunning, JobTranscode
		return putJob(txn, j)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestQueueRecoversJobsOfKilledProcess(t *testing.T) {
	c := openTestCatalog(t, t.TempDir())
	defer c.Close()
	plantRunning(t, c, Job{VideoID: 1, Attempts: 1})
	plantRunning(t, c, Job{VideoID: 2, Attempts: DefaultMaxAttempts}) // keeps killing the node
	q := NewQueue(c, testLogger(t))
	failed := make(chan Job, 2)
	q.OnFailed = func(_ context.Context, j Job, err error) {
		if !errors.Is(err, ErrJobInterrupted) {
			t.Errorf("OnFailed err = %v, want ErrJobInterrupted", err)
		}
		failed <- j
	}
	ran := make(chan Job, 2)
	stop := startRun(t, q, 2, func(_ context.Context, j Job) error { ran <- j; return nil })
	waitFor(t, "recovered job done", func() bool { return jobStates(t, q)[1].State == JobDone })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	close(ran)
	var ranVideos []int64
	for j := range ran {
		ranVideos = append(ranVideos, j.VideoID)
	}
	if len(ranVideos) != 1 || ranVideos[0] != 1 {
		t.Errorf("handled videos %v, want [1]", ranVideos)
	}
	j2 := jobStates(t, q)[2]
	if j2.State != JobFailed || !strings.Contains(j2.Error, "interrupted") {
		t.Errorf("job started %d times = %+v, want failed", DefaultMaxAttempts, j2)
	}
	select {
	case j := <-failed:
		if j.VideoID != 2 {
			t.Errorf("OnFailed for video %d", j.VideoID)
		}
	default:
		t.Error("OnFailed not called for the job that kept being interrupted")
	}
}

func TestQueueSingleRun(t *testing.T) {
	c := openTestCatalog(t, t.TempDir())
	defer c.Close()
	q := NewQueue(c, testLogger(t))
	stop := startRun(t, q, 1, func(context.Context, Job) error { return nil })
	waitFor(t, "Run active", q.active.Load)
	if err := q.Run(context.Background(), 1, nil); err == nil {
		t.Error("a second concurrent Run was allowed")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// TestQueuePrunesOldFinishedJobs: Run deletes records of jobs that
// succeeded long ago (more than one transaction's worth), keeps recent
// ones and every failure.
func TestQueuePrunesOldFinishedJobs(t *testing.T) {
	ctx := context.Background()
	c := openTestCatalog(t, t.TempDir())
	q := NewQueue(c, testLogger(t))
	q.KeepDone = 24 * time.Hour
	long := time.Now().Add(-48 * time.Hour).UTC()
	const oldDone = 2500
	put := func(id int64, state string, at time.Time) {
		t.Helper()
		err := c.update(ctx, func(txn *badger.Txn) error {
			return putJob(txn, Job{ID: id, VideoID: id, Kind: JobTranscode, State: state, CreatedAt: at, UpdatedAt: at})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for id := int64(1); id <= oldDone; id++ {
		put(id, JobDone, long)
	}
	put(oldDone+1, JobFailed, long)     // old failure: kept
	put(oldDone+2, JobDone, time.Now()) // recent success: kept
	stop := startRun(t, q, 1, func(context.Context, Job) error { return nil })
	waitFor(t, "old jobs pruned", func() bool { return len(jobStates(t, q)) == 2 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	jobs := jobStates(t, q)
	if jobs[oldDone+1].State != JobFailed || jobs[oldDone+2].State != JobDone {
		t.Fatalf("kept %+v, want the old failure and the recent success", jobs)
	}
}
