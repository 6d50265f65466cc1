package activitypub

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peeredge/peeredge/origin"
)

// testKeyStore answers alice's key id with alice's key (Keys).
type testKeyStore struct{ alice *rsa.PrivateKey }

func (k testKeyStore) PrivateKey(keyID string) (*rsa.PrivateKey, error) {
	if keyID != KeyID(aliceURL) {
		return nil, fmt.Errorf("no key %q", keyID)
	}
	return k.alice, nil
}

// openCatalog opens a real catalogue in dir.
func openCatalog(t *testing.T, dir string) *origin.Catalog {
	t.Helper()
	c, err := origin.OpenCatalog(dir, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// queueReceived is one POST an inbox server took, with what its signature
// check said.
type queueReceived struct {
	body        string
	contentType string
	accept      string
	owner       string
	err         error
}

// inboxServer is a loopback inbox that verifies each POST's signature
// with alice's public key and answers with answer(n) (n counts from 1).
func inboxServer(t *testing.T, answer func(n int64, w http.ResponseWriter)) (url string, got chan queueReceived, hits *atomic.Int64) {
	t.Helper()
	alice, bob := keys(t)
	v := &Verifier{Lookup: lookupOf(alice, bob)}
	got = make(chan queueReceived, 64)
	var n atomic.Int64
	s, hits := apServer(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h := r.Header.Clone()
		owner, err := v.Verify(r.Context(), Request{Method: r.Method, Target: r.RequestURI, Host: r.Host, Header: h, Body: body})
		got <- queueReceived{body: string(body), contentType: r.Header.Get("Content-Type"), accept: r.Header.Get("Accept"), owner: owner, err: err}
		answer(n.Add(1), w)
	})
	return s.URL + "/accounts/peertube/inbox", got, hits
}

func status(code int) func(int64, http.ResponseWriter) {
	return func(_ int64, w http.ResponseWriter) { w.WriteHeader(code) }
}

type queueOptions struct {
	store        QueueStore
	blocklist    Blocklist
	allowPrivate bool
	perHost      int
	inFlight     int
	retryFor     time.Duration
}

// startQueue runs a queue with a short backoff (10 ms doubling) until the
// test ends.
func startQueue(t *testing.T, o queueOptions) *DeliveryQueue {
	t.Helper()
	if o.store == nil {
		c := openCatalog(t, t.TempDir())
		t.Cleanup(func() { c.Close() })
		o.store = c.KV("deliveries")
	}
	alice, _ := keys(t)
	q, err := NewDeliveryQueue(context.Background(), QueueConfig{
		Store: o.store, Keys: testKeyStore{alice}, Client: NewFetcher(o.allowPrivate).Client(),
		PerHost: o.perHost, InFlight: o.inFlight, RetryBase: 10 * time.Millisecond, RetryCap: 40 * time.Millisecond, RetryFor: o.retryFor,
		SendTimeout: 5 * time.Second, Blocklist: o.blocklist, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		q.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return q
}

func delivery(inbox string, n int) Delivery {
	return Delivery{Inbox: inbox, KeyID: KeyID(aliceURL), Body: json.RawMessage(fmt.Sprintf(`{"type":"Create","id":"%s/activity/%d","actor":%q}`, aliceURL, n, aliceURL))}
}

// waitStats waits (at most 10 s) for the queue's counters to satisfy ok.
func waitStats(t *testing.T, q *DeliveryQueue, ok func(QueueStats) bool) QueueStats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := q.Stats()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue stats %+v never reached the expected state", s)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func storedCount(t *testing.T, s QueueStore) int {
	t.Helper()
	n := 0
	if err := s.Each(context.Background(), func(_, _ []byte) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestQueueDeliversSigned(t *testing.T) {
	t.Parallel()
	inbox, got, _ := inboxServer(t, status(http.StatusNoContent))
	c := openCatalog(t, t.TempDir())
	defer c.Close()
	store := c.KV("deliveries")
	q := startQueue(t, queueOptions{store: store, allowPrivate: true})
	// Sent byte for byte as given: no re-encoding (compacting, escaping).
	d := delivery(inbox, 1)
	d.Body = json.RawMessage("{\n  \"type\": \"Note\",\n  \"content\": \"<p>a & b</p>\"\n}")
	if err := q.Deliver(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if r.err != nil || r.owner != aliceURL {
		t.Fatalf("signature: owner %q, %v", r.owner, r.err)
	}
	if r.body != string(d.Body) || r.contentType != "application/activity+json" || r.accept != AcceptHeader {
		t.Errorf("queueReceived %+v", r)
	}
	s := waitStats(t, q, func(s QueueStats) bool { return s.Sent == 1 && s.Queued == 0 })
	if s.Failed != 0 || s.Retrying != 0 {
		t.Errorf("stats %+v", s)
	}
	if n := storedCount(t, store); n != 0 {
		t.Errorf("%d deliveries left in the store", n)
	}
}

func TestQueueRetriesUntilDelivered(t *testing.T) {
	t.Parallel()
	inbox, got, hits := inboxServer(t, func(n int64, w http.ResponseWriter) {
		switch n {
		case 1:
			w.WriteHeader(http.StatusInternalServerError)
		case 2:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			w.WriteHeader(http.StatusAccepted)
		}
	})
	q := startQueue(t, queueOptions{allowPrivate: true})
	if err := q.Deliver(context.Background(), delivery(inbox, 1)); err != nil {
		t.Fatal(err)
	}
	s := waitStats(t, q, func(s QueueStats) bool { return s.Sent == 1 })
	if hits.Load() != 3 || s.Failed != 0 || s.Queued != 0 || s.Retrying != 0 {
		t.Errorf("after %d requests: stats %+v", hits.Load(), s)
	}
	for range 3 {
		if r := <-got; r.err != nil {
			t.Errorf("a retry was not signed right: %v", r.err)
		}
	}
}

func TestQueueDropsRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		answer func(int64, http.ResponseWriter)
	}{
		{"410 gone", status(http.StatusGone)},
		{"400 bad request", status(http.StatusBadRequest)},
		{"403 forbidden", status(http.StatusForbidden)},
		{"redirect is not followed", func(_ int64, w http.ResponseWriter) {
			w.Header().Set("Location", "/elsewhere")
			w.WriteHeader(http.StatusTemporaryRedirect)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inbox, _, hits := inboxServer(t, tc.answer)
			c := openCatalog(t, t.TempDir())
			defer c.Close()
			store := c.KV("deliveries")
			q := startQueue(t, queueOptions{store: store, allowPrivate: true})
			if err := q.Deliver(context.Background(), delivery(inbox, 1)); err != nil {
				t.Fatal(err)
			}
			s := waitStats(t, q, func(s QueueStats) bool { return s.Failed == 1 && s.Queued == 0 })
			if s.Sent != 0 || hits.Load() != 1 {
				t.Errorf("stats %+v after %d requests; want one refused request", s, hits.Load())
			}
			if n := storedCount(t, store); n != 0 {
				t.Errorf("%d deliveries left in the store", n)
			}
		})
	}
}

func TestQueueGivesUp(t *testing.T) {
	t.Parallel()
	inbox, _, hits := inboxServer(t, status(http.StatusServiceUnavailable))
	q := startQueue(t, queueOptions{allowPrivate: true, retryFor: 500 * time.Millisecond})
	if err := q.Deliver(context.Background(), delivery(inbox, 1)); err != nil {
		t.Fatal(err)
	}
	s := waitStats(t, q, func(s QueueStats) bool { return s.Failed == 1 && s.Queued == 0 })
	if n := hits.Load(); n < 2 || s.Retrying != 0 {
		t.Errorf("gave up after %d requests, stats %+v; want a few retries first", n, s)
	}
}

// gauge counts requests in progress and remembers the most at once.
type gauge struct{ now, most atomic.Int64 }

func (g *gauge) enter() {
	c := g.now.Add(1)
	for m := g.most.Load(); c > m && !g.most.CompareAndSwap(m, c); m = g.most.Load() {
	}
}

// blockingAnswer holds each request until release is closed, counting
// them in g (and in all, shared by several servers).
func blockingAnswer(release <-chan struct{}, g, all *gauge) func(int64, http.ResponseWriter) {
	return func(_ int64, w http.ResponseWriter) {
		g.enter()
		all.enter()
		<-release
		g.now.Add(-1)
		all.now.Add(-1)
		w.WriteHeader(http.StatusNoContent)
	}
}

// releaser closes release once, at the latest when the test ends.
func releaser(t *testing.T, release chan struct{}) func() {
	var once sync.Once
	f := func() { once.Do(func() { close(release) }) }
	t.Cleanup(f)
	return f
}

func TestQueuePerHostLimit(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var slowGauge, all gauge
	slow, _, _ := inboxServer(t, blockingAnswer(release, &slowGauge, &all))
	releaseAll := releaser(t, release)
	fast, fastGot, _ := inboxServer(t, status(http.StatusNoContent))
	q := startQueue(t, queueOptions{allowPrivate: true, perHost: 2})
	ctx := context.Background()
	for i := range 6 {
		if err := q.Deliver(ctx, delivery(slow, i)); err != nil {
			t.Fatal(err)
		}
	}
	waitStats(t, q, func(s QueueStats) bool { return s.InFlight == 2 && slowGauge.now.Load() == 2 })
	// The slow host holds its two slots; another host is not held up.
	if err := q.Deliver(ctx, delivery(fast, 99)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-fastGot:
	case <-time.After(10 * time.Second):
		t.Fatal("a delivery to another host waited for the slow one")
	}
	releaseAll()
	waitStats(t, q, func(s QueueStats) bool { return s.Sent == 7 })
	if m := slowGauge.most.Load(); m != 2 {
		t.Errorf("at most %d concurrent requests to one host; want the limit, 2", m)
	}
}

func TestQueueOverallLimit(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var all gauge
	var inboxes []string
	for range 3 {
		inbox, _, _ := inboxServer(t, blockingAnswer(release, new(gauge), &all))
		inboxes = append(inboxes, inbox)
	}
	releaseAll := releaser(t, release)
	q := startQueue(t, queueOptions{allowPrivate: true, perHost: 2, inFlight: 3})
	for i := range 9 {
		if err := q.Deliver(context.Background(), delivery(inboxes[i%3], i)); err != nil {
			t.Fatal(err)
		}
	}
	waitStats(t, q, func(s QueueStats) bool { return s.InFlight == 3 && all.now.Load() == 3 })
	releaseAll()
	waitStats(t, q, func(s QueueStats) bool { return s.Sent == 9 })
	if m := all.most.Load(); m != 3 {
		t.Errorf("at most %d concurrent requests in all; want the limit, 3", m)
	}
}

func TestQueueSurvivesRestart(t *testing.T) {
	t.Parallel()
	inbox, got, _ := inboxServer(t, status(http.StatusNoContent))
	dir := t.TempDir()
	c := openCatalog(t, dir)
	alice, _ := keys(t)
	// A queue that never runs: the process stops before sending.
	q, err := NewDeliveryQueue(context.Background(), QueueConfig{Store: c.KV("deliveries"), Keys: testKeyStore{alice}, Client: NewFetcher(true).Client()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := q.Deliver(context.Background(), delivery(inbox, i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c = openCatalog(t, dir)
	defer c.Close()
	q = startQueue(t, queueOptions{store: c.KV("deliveries"), allowPrivate: true})
	seen := map[string]bool{}
	for range 3 {
		select {
		case r := <-got:
			if r.err != nil {
				t.Errorf("signature: %v", r.err)
			}
			seen[r.body] = true
		case <-time.After(10 * time.Second):
			t.Fatal("the deliveries stored before the restart did not arrive")
		}
	}
	if len(seen) != 3 {
		t.Errorf("got %d distinct deliveries; want 3", len(seen))
	}
	waitStats(t, q, func(s QueueStats) bool { return s.Sent == 3 && s.Queued == 0 })
}

func TestQueueRefusesPrivateAddress(t *testing.T) {
	t.Parallel()
	inbox, _, hits := inboxServer(t, status(http.StatusNoContent))
	q := startQueue(t, queueOptions{allowPrivate: false})
	if err := q.Deliver(context.Background(), delivery(inbox, 1)); err != nil {
		t.Fatal(err)
	}
	s := waitStats(t, q, func(s QueueStats) bool { return s.Failed == 1 && s.Queued == 0 })
	if hits.Load() != 0 || s.Sent != 0 {
		t.Errorf("a loopback inbox was reached: %d requests, stats %+v", hits.Load(), s)
	}
}

func TestQueueDeliverRefusesBadDeliveries(t *testing.T) {
	t.Parallel()
	q := startQueue(t, queueOptions{})
	for _, d := range []Delivery{
		{Inbox: "ftp://x.example/inbox", KeyID: "k", Body: json.RawMessage(`{}`)},
		{Inbox: "/inbox", KeyID: "k", Body: json.RawMessage(`{}`)},
		{Inbox: "https://x.example/inbox", Body: json.RawMessage(`{}`)},
		{Inbox: "https://x.example/inbox", KeyID: "k", Body: json.RawMessage(`{`)},
	} {
		if err := q.Deliver(context.Background(), d); err == nil {
			t.Errorf("Deliver(%+v) took it", d)
		}
	}
	if s := q.Stats(); s.Queued != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestQueueBackoff(t *testing.T) {
	t.Parallel()
	q := &DeliveryQueue{cfg: QueueConfig{RetryBase: DefaultRetryBase, RetryCap: DefaultRetryCap}}
	for _, tc := range []struct {
		attempts   int
		retryAfter time.Duration
		lo, hi     time.Duration
	}{
		{1, 0, 22500 * time.Millisecond, 37500 * time.Millisecond},
		{2, 0, 45 * time.Second, 75 * time.Second},
		{5, 0, 6 * time.Minute, 10 * time.Minute},
		{12, 0, 4*time.Hour + 30*time.Minute, 6 * time.Hour},
		{1000, 0, 4*time.Hour + 30*time.Minute, 6 * time.Hour},
		{1, 10 * time.Minute, 10 * time.Minute, 10 * time.Minute},
		{1, 48 * time.Hour, 6 * time.Hour, 6 * time.Hour},
	} {
		if d := q.backoff(tc.attempts, tc.retryAfter); d < tc.lo || d > tc.hi {
			t.Errorf("backoff(%d, %v) = %v; want %v..%v", tc.attempts, tc.retryAfter, d, tc.lo, tc.hi)
		}
	}
	// Run's schedule gives up after about two days: count the attempts.
	var total time.Duration
	n := 0
	for total < DefaultRetryFor {
		n++
		total += min(DefaultRetryBase<<min(n-1, 39), DefaultRetryCap)
	}
	if n < 12 || n > 20 {
		t.Errorf("%d attempts in %v; the doc says about 16", n, DefaultRetryFor)
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		v    string
		want time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{"-1", 0},
		{"soon", 0},
		{now.Add(time.Hour).Format(http.TimeFormat), time.Hour},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
	} {
		if got := parseRetryAfter(tc.v, now); got != tc.want {
			t.Errorf("parseRetryAfter(%q) = %v; want %v", tc.v, got, tc.want)
		}
	}
}

// blockedHosts is a Blocklist of fixed hosts.
type blockedHosts map[string]bool

func (b blockedHosts) Blocked(host string) bool { return b[host] }

func TestQueueDropsBlockedHost(t *testing.T) {
	t.Parallel()
	blocked, _, blockedHits := inboxServer(t, status(http.StatusNoContent))
	other, got, _ := inboxServer(t, status(http.StatusNoContent))
	host, err := inboxHost(blocked)
	if err != nil {
		t.Fatal(err)
	}
	q := startQueue(t, queueOptions{allowPrivate: true, blocklist: blockedHosts{host: true}})
	for _, inbox := range []string{blocked, other} {
		if err := q.Deliver(context.Background(), delivery(inbox, 1)); err != nil {
			t.Fatal(err)
		}
	}
	<-got
	s := waitStats(t, q, func(s QueueStats) bool { return s.Queued == 0 })
	if s.Sent != 1 || s.Failed != 1 || blockedHits.Load() != 0 {
		t.Errorf("stats %+v, %d requests to the blocked host; want it dropped unsent", s, blockedHits.Load())
	}
}

func TestQueueDropsUnreadableRecords(t *testing.T) {
	t.Parallel()
	c := openCatalog(t, t.TempDir())
	defer c.Close()
	store := c.KV("deliveries")
	for k, v := range map[string]string{
		"not-a-key":                         "{}\n{}",
		"0000000000000001-00":               "no head line",
		"0000000000000002-00":               `{"inbox":"ftp://x.example/"}` + "\n{}",
		"0000000000000003-0011223344556677": `{"inbox":"https://x.example/inbox","keyId":"k"}` + "\n{}",
	} {
		if err := store.Set([]byte(k), []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	alice, _ := keys(t)
	q, err := NewDeliveryQueue(context.Background(), QueueConfig{Store: store, Keys: testKeyStore{alice}, Client: NewFetcher(false).Client()})
	if err != nil {
		t.Fatal(err)
	}
	if s := q.Stats(); s.Queued != 1 {
		t.Errorf("stats %+v; want the one readable delivery", s)
	}
	if n := storedCount(t, store); n != 1 {
		t.Errorf("%d records left; want the readable one", n)
	}
}
