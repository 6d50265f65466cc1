package activitypub

import (
	"context"
	"sync"
	"time"
)

// Run sends due deliveries until ctx is done, then waits for the requests
// in flight to end (they are cancelled; a cancelled attempt is not
// counted and stays stored for the next run).
func (q *DeliveryQueue) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next, ok := q.dispatch(ctx, &wg)
		timer.Stop()
		if ok {
			timer.Reset(max(next.Sub(q.cfg.Now()), 0))
		}
		select {
		case <-ctx.Done():
			return
		case <-q.poke:
		case <-timer.C:
		}
	}
}

// dispatch starts every due delivery the limits allow and returns when
// the next one not yet due is due (ok false: none is waiting on time;
// those held by a limit are started when a slot frees, which wakes Run).
func (q *DeliveryQueue) dispatch(ctx context.Context, wg *sync.WaitGroup) (next time.Time, ok bool) {
	now := q.cfg.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	kept := q.pending[:0]
	for i, e := range q.pending {
		if e.due.After(now) {
			kept = append(kept, q.pending[i:]...)
			next, ok = e.due, true
			break
		}
		if q.inFlight >= q.cfg.InFlight { // nothing more starts before a slot frees
			kept = append(kept, q.pending[i:]...)
			break
		}
		if q.perHost[e.host] >= q.cfg.PerHost {
			kept = append(kept, e)
			continue
		}
		q.inFlight++
		q.perHost[e.host]++
		wg.Go(func() { q.finish(e, q.attempt(ctx, e)) })
	}
	clear(q.pending[len(kept):])
	q.pending = kept
	return next, ok
}

// finish records the outcome of one attempt of e and frees its slots.
func (q *DeliveryQueue) finish(e *entry, o outcome) {
	q.mu.Lock()
	defer q.wake()
	defer q.mu.Unlock()
	q.inFlight--
	if q.perHost[e.host]--; q.perHost[e.host] == 0 {
		delete(q.perHost, e.host)
	}
	wasRetrying := e.attempts > 0
	switch {
	case o.kept != nil: // cancelled, or rescheduled
		if !wasRetrying && o.kept.attempts > 0 {
			q.retrying++
		}
		q.insert(o.kept)
		return
	case o.delivered:
		q.sent++
	default:
		q.failed++
	}
	if wasRetrying {
		q.retrying--
	}
}
