package activitypub

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"
)

// outcome of one attempt: delivered, or kept (stored for a later try, or
// left untouched because the queue is stopping); neither means dropped.
type outcome struct {
	delivered bool
	kept      *entry
}

// verdict is how an attempt's result is taken.
type verdict int

const (
	delivered verdict = iota
	retry
	refused // for good
)

// attempt sends e once and updates the store for the outcome.
func (q *DeliveryQueue) attempt(ctx context.Context, e *entry) outcome {
	raw, found, err := q.cfg.Store.Get([]byte(e.key))
	var r record
	if err == nil && found {
		r, err = decodeRecord(raw)
	}
	switch {
	case err != nil:
		// The store failing is the node's trouble, not the delivery's:
		// try again later without counting it.
		q.logger.Error("reading a stored delivery", "key", e.key, "err", err)
		return outcome{kept: &entry{key: e.key, host: e.host, due: q.cfg.Now().Add(q.cfg.RetryBase), attempts: e.attempts}}
	case !found:
		q.logger.Error("a queued delivery is missing from the store", "key", e.key)
		return outcome{}
	}
	if q.cfg.Blocklist != nil && q.cfg.Blocklist.Blocked(e.host) {
		q.logger.Info("delivery to a blocked server dropped", "inbox", r.Inbox)
		q.remove(e)
		return outcome{}
	}
	v, retryAfter, why := q.send(ctx, r.Delivery)
	if v == retry && ctx.Err() != nil {
		return outcome{kept: e} // stopping: not an attempt
	}
	log := q.logger.With("inbox", r.Inbox, "attempt", r.Attempts+1)
	switch v {
	case delivered:
		q.remove(e)
		return outcome{delivered: true}
	case refused:
		log.Warn("delivery refused; dropped", "why", why)
		q.remove(e)
		return outcome{}
	}
	now := q.cfg.Now()
	r.Attempts++
	next := &entry{host: e.host, due: now.Add(q.backoff(r.Attempts, retryAfter)), attempts: r.Attempts}
	if next.due.After(r.Queued.Add(q.cfg.RetryFor)) {
		log.Warn("delivery failed; retries run out, dropped", "why", why, "queued", r.Queued)
		q.remove(e)
		return outcome{}
	}
	log.Info("delivery failed; will retry", "why", why, "at", next.due)
	// The new record first: a crash in between sends it twice (receivers
	// ignore an activity id seen before) rather than never.
	if err := q.store(next, r); err != nil {
		q.logger.Error("rescheduling a delivery", "inbox", r.Inbox, "err", err)
		next.key, next.attempts = e.key, e.attempts // the stored record stays as it was
		return outcome{kept: next}
	}
	q.remove(e)
	return outcome{kept: next}
}

func (q *DeliveryQueue) remove(e *entry) {
	if err := q.cfg.Store.Delete([]byte(e.key)); err != nil {
		q.logger.Error("removing a delivery from the store", "key", e.key, "err", err)
	}
}

// backoff is the delay before attempt attempts+1: RetryBase doubling per
// attempt, capped, with ±25 % jitter; a longer Retry-After wins, up to the
// cap.
func (q *DeliveryQueue) backoff(attempts int, retryAfter time.Duration) time.Duration {
	d := q.cfg.RetryCap
	if attempts < 40 { // 2^40 × base overflows nothing and is past any cap
		d = min(q.cfg.RetryBase<<(attempts-1), q.cfg.RetryCap)
	}
	d = time.Duration(float64(d) * (0.75 + rand.Float64()/2))
	return min(max(d, retryAfter), q.cfg.RetryCap)
}

// ContentTypeActivity is the Content-Type of a delivered activity.
const ContentTypeActivity = "application/activity+json"

// signedPost is the request that delivers d: its body POSTed to its
// inbox, signed with key at now as PeerTube signs.
func signedPost(ctx context.Context, d Delivery, key *rsa.PrivateKey, now time.Time, userAgent string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Inbox, bytes.NewReader(d.Body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", ContentTypeActivity)
	req.Header.Set("Accept", AcceptHeader)
	if userAgent != "" {
		req.Header.Set("User-Agent", userAgent)
	}
	if err := Sign(req, d.Body, d.KeyID, key, now); err != nil {
		return nil, err
	}
	return req, nil
}

// send POSTs d once and tells how it went, with the Retry-After asked
// for and a reason for the log.
func (q *DeliveryQueue) send(ctx context.Context, d Delivery) (verdict, time.Duration, string) {
	key, err := q.cfg.Keys.PrivateKey(d.KeyID)
	if err != nil {
		// The node's own key store: may be back later, and the give-up
		// time bounds it.
		return retry, 0, fmt.Sprintf("private key %q: %v", d.KeyID, err)
	}
	ctx, cancel := context.WithTimeout(ctx, q.cfg.SendTimeout)
	defer cancel()
	req, err := signedPost(ctx, d, key, q.cfg.Now(), q.cfg.UserAgent)
	if err != nil {
		return refused, 0, err.Error()
	}
	resp, err := q.client.Do(req)
	if err != nil {
		if errors.Is(err, ErrForbiddenAddress) {
			return refused, 0, err.Error()
		}
		return retry, 0, err.Error()
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	why := resp.Status
	if len(answer) > 0 {
		why += ": " + snippet(answer)
	}
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return delivered, 0, why
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return retry, parseRetryAfter(resp.Header.Get("Retry-After"), q.cfg.Now()), why
	default:
		return refused, 0, why
	}
}

// snippet is the start of an answer, for a log line.
func snippet(b []byte) string {
	const n = 200
	if len(b) > n {
		b = b[:n]
		for len(b) > 0 && !utf8.Valid(b) {
			b = b[:len(b)-1]
		}
	}
	return string(b)
}

// parseRetryAfter reads Retry-After: seconds or an HTTP date; 0 when
// absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
