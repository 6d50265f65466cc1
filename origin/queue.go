package origin

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Job kinds and states.
const (
	JobTranscode = "transcode"

	JobQueued  = "queued"
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// Job is one unit of background work, persisted in the catalogue database.
type Job struct {
	ID        int64
	VideoID   int64
	Kind      string
	Attempts  int // how many times a worker started it
	State     string
	Error     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

const (
	prefixJob       = "j/"  // j/<id> → Job JSON
	prefixJobQueued = "jq/" // jq/<id> → empty; the jobs waiting, oldest first
	keyJobSeq       = "seq/job"
)

// DefaultMaxAttempts is how many starts a job gets before a job that keeps
// being interrupted (node killed mid-job, e.g. out of memory) is failed.
const DefaultMaxAttempts = 3

// Queue is a persisted FIFO job queue. Run processes it; Enqueue from any
// goroutine wakes an idle worker.
type Queue struct {
	c      *Catalog
	logger *slog.Logger
	wake   chan struct{}
	active atomic.Bool

	// OnFailed, when set (before Run), is called after a job is marked
	// failed, e.g. to mark its video StateTranscodingFailed.
	OnFailed func(ctx context.Context, j Job, err error)
	// MaxAttempts overrides DefaultMaxAttempts when > 0 (set before Run).
	MaxAttempts int
	// KeepDone is how long a finished job's record is kept before Run
	// deletes it: DefaultKeepDone when 0, forever when negative. Failed
	// jobs are kept: their errors are what an admin looks for.
	KeepDone time.Duration
}

// DefaultKeepDone is how long records of jobs that succeeded are kept.
const DefaultKeepDone = 30 * 24 * time.Hour

// NewQueue returns the queue stored in c's database.
func NewQueue(c *Catalog, logger *slog.Logger) *Queue {
	if logger == nil {
		logger = slog.Default()
	}
	return &Queue{c: c, logger: logger, wake: make(chan struct{}, 1)}
}

// signal wakes one idle worker, if any; it never blocks.
func (q *Queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Enqueue persists a new queued job (Kind defaults to "transcode") and wakes a worker.
func (q *Queue) Enqueue(ctx context.Context, j Job) (Job, error) {
	var out Job
	err := q.c.update(ctx, func(txn *badger.Txn) error {
		var err error
		out, err = enqueueTxn(txn, j)
		return err
	})
	if err != nil {
		return Job{}, fmt.Errorf("enqueue: %w", err)
	}
	q.signal()
	return out, nil
}

func enqueueTxn(txn *badger.Txn, j Job) (Job, error) {
	id, err := nextSeq(txn, keyJobSeq)
	if err != nil {
		return Job{}, err
	}
	now := time.Now().UTC().Round(0)
	j.ID, j.State, j.Attempts, j.Error, j.CreatedAt, j.UpdatedAt = id, JobQueued, 0, "", now, now
	if j.Kind == "" {
		j.Kind = JobTranscode
	}
	if err := putJob(txn, j); err != nil {
		return Job{}, err
	}
	return j, txn.Set(idKey(prefixJobQueued, j.ID), nil)
}

func putJob(txn *badger.Txn, j Job) error { return putJSON(txn, idKey(prefixJob, j.ID), j) }

func getJob(txn *badger.Txn, id int64) (Job, error) { return getJSON[Job](txn, idKey(prefixJob, id)) }

// Jobs lists all jobs, oldest first.
func (q *Queue) Jobs(ctx context.Context) ([]Job, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []Job
	err := q.c.db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix = []byte(prefixJob)
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			j, err := itemJSON[Job](it.Item())
			if err != nil {
				return err
			}
			out = append(out, j)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return out, nil
}

// Run processes jobs with the given number of workers until ctx is done, then
// waits for running handlers to return. Jobs found "running" at start were cut
// off by a crash and are queued again (or failed after MaxAttempts starts).
// A handler error fails the job; a handler cut off by ctx leaves its job to
// be restarted by the next Run. Only one Run may be active per Queue.
func (q *Queue) Run(ctx context.Context, workers int, handle func(ctx context.Context, j Job) error) error {
	if !q.active.CompareAndSwap(false, true) {
		return errors.New("queue: Run is already active")
	}
	defer q.active.Store(false)
	if workers < 1 {
		workers = 1
	}
	if err := q.recoverInterrupted(ctx); err != nil {
		return err
	}
	if err := q.pruneDone(ctx); err != nil {
		return err
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { q.work(ctx, handle) })
	}
	wg.Wait()
	return nil
}

func (q *Queue) maxAttempts() int {
	if q.MaxAttempts > 0 {
		return q.MaxAttempts
	}
	return DefaultMaxAttempts
}

// recoverInterrupted requeues (or fails) the jobs a previous process left running.
func (q *Queue) recoverInterrupted(ctx context.Context) error {
	var failed []Job
	err := q.c.update(ctx, func(txn *badger.Txn) error {
		failed = failed[:0]
		running, err := jobsInState(txn, JobRunning)
		if err != nil {
			return err
		}
		now := time.Now().UTC().Round(0)
		for _, j := range running {
			j.UpdatedAt = now
			if j.Attempts >= q.maxAttempts() {
				j.State = JobFailed
				j.Error = interruptedErr(j.Attempts).Error()
				failed = append(failed, j)
			} else {
				j.State = JobQueued
				if err := txn.Set(idKey(prefixJobQueued, j.ID), nil); err != nil {
					return err
				}
			}
			if err := putJob(txn, j); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue: recover interrupted jobs: %w", err)
	}
	for _, j := range failed {
		q.logger.Warn("job failed", "job", j.ID, "video", j.VideoID, "kind", j.Kind, "err", j.Error)
		if q.OnFailed != nil {
			q.OnFailed(ctx, j, interruptedErr(j.Attempts))
		}
	}
	return nil
}

// pruneDone deletes the records of jobs that succeeded longer than
// KeepDone ago, so that the catalogue does not grow with every upload.
func (q *Queue) pruneDone(ctx context.Context) error {
	keep := q.KeepDone
	if keep == 0 {
		keep = DefaultKeepDone
	}
	if keep < 0 {
		return nil
	}
	before := time.Now().Add(-keep)
	var old []int64
	err := q.c.db.View(func(txn *badger.Txn) error {
		done, err := jobsInState(txn, JobDone)
		for _, j := range done {
			if j.UpdatedAt.Before(before) {
				old = append(old, j.ID)
			}
		}
		return err
	})
	// Deleted in batches: one transaction has a size limit.
	const batch = 1000
	pruned := 0
	for len(old) > 0 && err == nil {
		n := min(batch, len(old))
		err = q.c.update(ctx, func(txn *badger.Txn) error {
			for _, id := range old[:n] {
				if err := txn.Delete(idKey(prefixJob, id)); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			pruned += n
			old = old[n:]
		}
	}
	if err != nil {
		return fmt.Errorf("queue: prune finished jobs: %w", err)
	}
	if pruned > 0 {
		q.logger.Info("finished jobs pruned", "count", pruned, "older than", keep)
	}
	return nil
}

// jobsInState scans the jobs; the iterator is closed before the caller writes.
func jobsInState(txn *badger.Txn, state string) ([]Job, error) {
	opts := badger.DefaultIteratorOptions
	opts.Prefix = []byte(prefixJob)
	it := txn.NewIterator(opts)
	defer it.Close()
	var out []Job
	for it.Rewind(); it.Valid(); it.Next() {
		var j Job
		if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &j) }); err != nil {
			return nil, err
		}
		if j.State == state {
			out = append(out, j)
		}
	}
	return out, nil
}

func (q *Queue) work(ctx context.Context, handle func(ctx context.Context, j Job) error) {
	for ctx.Err() == nil {
		j, ok, err := q.claim(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			q.logger.Error("queue: claim job", "err", err)
			select { // a database error: back off rather than spin
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-q.wake:
			}
			continue
		}
		q.signal() // there may be more: let another idle worker look
		q.logger.Info("job started", "job", j.ID, "video", j.VideoID, "kind", j.Kind, "attempt", j.Attempts)
		herr := runHandler(ctx, handle, j)
		if herr != nil && ctx.Err() != nil {
			// Shutdown cut the job off: requeue it (or leave it running for
			// recoverInterrupted if the database is already going away).
			if err := q.finish(context.WithoutCancel(ctx), j, JobQueued, ""); err != nil {
				q.logger.Warn("queue: requeue interrupted job", "job", j.ID, "err", err)
			}
			return
		}
		state, msg := JobDone, ""
		if herr != nil {
			state, msg = JobFailed, herr.Error()
		}
		if err := q.finish(context.WithoutCancel(ctx), j, state, msg); err != nil {
			q.logger.Error("queue: record job result", "job", j.ID, "err", err)
		}
		if herr != nil {
			q.logger.Warn("job failed", "job", j.ID, "video", j.VideoID, "kind", j.Kind, "err", herr)
			if q.OnFailed != nil {
				j.State, j.Error = JobFailed, msg
				q.OnFailed(ctx, j, herr)
			}
		} else {
			q.logger.Info("job done", "job", j.ID, "video", j.VideoID, "kind", j.Kind)
		}
	}
}

// ErrJobInterrupted fails a job that kept being cut off: the node stopped
// or died (out of memory, say) in the middle of it MaxAttempts times.
var ErrJobInterrupted = errors.New("job interrupted too many times")

func interruptedErr(attempts int) error {
	return fmt.Errorf("%w (%d starts)", ErrJobInterrupted, attempts)
}

// PanicError is a job handler's panic, turned into the job's failure. Its
// text carries the stack: it belongs in the node's log and the job's record,
// never in an answer to users.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("handler panic: %v\n%s", e.Value, e.Stack) }

// runHandler turns a panicking handler into a failed job instead of a dead node.
func runHandler(ctx context.Context, handle func(ctx context.Context, j Job) error, j Job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return handle(ctx, j)
}

// claim takes the oldest queued job and marks it running. Two workers racing
// for the same job conflict on its queue key; the loser retries.
func (q *Queue) claim(ctx context.Context) (Job, bool, error) {
	for {
		j, ok, dangling, err := q.claimOnce(ctx)
		if err != nil || !dangling {
			return j, ok, err
		}
	}
}

// claimOnce claims the first queued job; dangling reports a queue entry
// without its job, which it dropped.
func (q *Queue) claimOnce(ctx context.Context) (j Job, ok, dangling bool, err error) {
	err = q.c.update(ctx, func(txn *badger.Txn) error {
		ok, dangling = false, false
		opts := badger.DefaultIteratorOptions
		opts.Prefix = []byte(prefixJobQueued)
		opts.PrefetchValues = false
		it := txn.NewIterator(opts)
		it.Rewind()
		if !it.Valid() {
			it.Close()
			return nil
		}
		key := it.Item().KeyCopy(nil)
		it.Close()
		if len(key) != len(prefixJobQueued)+8 {
			return fmt.Errorf("corrupt queue key %q", key)
		}
		id := int64(binary.BigEndian.Uint64(key[len(prefixJobQueued):]))
		if err := txn.Delete(key); err != nil {
			return err
		}
		var err error
		j, err = getJob(txn, id)
		if errors.Is(err, ErrNotFound) {
			dangling = true // dropped above
			return nil
		}
		if err != nil {
			return err
		}
		j.State = JobRunning
		j.Attempts++
		j.Error = ""
		j.UpdatedAt = time.Now().UTC().Round(0)
		ok = true
		return putJob(txn, j)
	})
	if err != nil {
		return Job{}, false, false, err
	}
	return j, ok, dangling, nil
}

// finish records a claimed job's outcome; JobQueued puts it back in line.
func (q *Queue) finish(ctx context.Context, j Job, state, msg string) error {
	return q.c.update(ctx, func(txn *badger.Txn) error {
		cur, err := getJob(txn, j.ID)
		if err != nil {
			return err
		}
		cur.State, cur.Error, cur.UpdatedAt = state, msg, time.Now().UTC().Round(0)
		if state == JobQueued {
			if err := txn.Set(idKey(prefixJobQueued, cur.ID), nil); err != nil {
				return err
			}
		}
		return putJob(txn, cur)
	})
}
