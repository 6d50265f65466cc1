package activitypub

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Queue defaults.
const (
	DefaultPerHost     = 2
	DefaultInFlight    = 16
	DefaultSendTimeout = 20 * time.Second
	DefaultRetryBase   = 30 * time.Second
	DefaultRetryCap    = 6 * time.Hour
	DefaultRetryFor    = 48 * time.Hour
	// maxAnswerBytes of an inbox's answer are read (for the log line and
	// to let the connection be reused); the rest is not wanted.
	maxAnswerBytes = 4 << 10
)

// QueueStore is the durable key-value space the queue keeps its
// deliveries in: origin.Catalog's KV view. Each walks the keys in order.
type QueueStore interface {
	Get(key []byte) ([]byte, bool, error)
	Set(key, value []byte) error
	Delete(key []byte) error
	Each(ctx context.Context, fn func(key, value []byte) error) error
}

// Keys gives the private key of a local actor by its key id.
type Keys interface {
	PrivateKey(keyID string) (*rsa.PrivateKey, error)
}

// QueueConfig configures a DeliveryQueue. Store, Keys and Client are
// required; zero numbers take the defaults above.
type QueueConfig struct {
	Store QueueStore
	Keys  Keys
	// Client sends the POSTs: NewFetcher(allowPrivate).Client(), whose
	// connections reach only public addresses. The queue uses a copy that
	// follows no redirect.
	Client      *http.Client
	PerHost     int
	InFlight    int
	SendTimeout time.Duration
	RetryBase   time.Duration
	RetryCap    time.Duration
	RetryFor    time.Duration
	// Blocklist, if set, drops deliveries to blocked hosts when they come
	// up for sending (a block after the activity was queued counts).
	Blocklist Blocklist
	// UserAgent is sent with each POST (empty: none).
	UserAgent string
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// QueueStats are the queue's counters for the admin.
type QueueStats struct {
	// Queued deliveries are stored: waiting, retrying or in flight.
	Queued int `json:"queued"`
	// Retrying of those failed at least once and wait for another try.
	Retrying int `json:"retrying"`
	InFlight int `json:"inFlight"`
	// Sent and Failed count since the start: delivered, and dropped
	// (refused for good or retries run out).
	Sent   uint64 `json:"sent"`
	Failed uint64 `json:"failed"`
}

// DeliveryQueue is the persistent delivery queue (a Deliverer): every
// activity the node sends (Accept, Follow, Create, Update, Delete,
// Announce…) is a Delivery stored in the catalogue before Deliver
// returns, and sent by Run as a POST signed the way PeerTube signs
// ("(request-target) host date digest", rsa-sha256).
//
// Outcomes of an attempt:
//   - 2xx: delivered, the record is removed.
//   - 408 Request Timeout and 429 Too Many Requests, 5xx, network errors
//     and timeouts: the receiver may take it later; retried.
//   - any other 4xx (400 malformed or refused activity, 401/403 signature
//     or block refusals, 404/410 inbox gone, 413 too large, …) and 3xx
//     (a redirect is never followed: a signed POST re-sent elsewhere no
//     longer matches its (request-target), and 301/302/303 would turn it
//     into a GET): the same bytes would be refused again, so the delivery
//     is dropped with a log line. An inbox on a private address (when the
//     node does not allow them) or on a blocked host is dropped the same
//     way, unsent.
//
// Retries back off exponentially: DefaultRetryBase (30 s) doubling per
// attempt, capped at DefaultRetryCap (6 h), each delay with ±25 % jitter
// so the deliveries of one outage do not come back at once; a Retry-After
// longer than the backoff is honoured (up to the cap). A delivery is given
// up once its next attempt would fall more than DefaultRetryFor (48 h)
// after it was queued: about 16 attempts over two days.
//
// Sending is limited per host (DefaultPerHost in flight) and overall
// (DefaultInFlight), so one slow host holds only its own slots; each
// request has DefaultSendTimeout and at most 4 KiB of the answer are
// read. Run is woken by Deliver and by a timer set to the next due
// delivery, never by polling.
type DeliveryQueue struct {
	cfg    QueueConfig
	client *http.Client
	logger *slog.Logger
	poke   chan struct{}

	mu       sync.Mutex
	pending  []*entry // waiting, by due time then key
	inFlight int
	perHost  map[string]int
	retrying int
	sent     uint64
	failed   uint64
}

// entry is the queue's in-memory index of one stored delivery; the body
// stays in the store until it is sent.
type entry struct {
	key      string // store key: due time, then a random id
	host     string // the inbox's host (lower case, with port)
	due      time.Time
	attempts int
}

// record is what is stored per delivery: a JSON line of the rest, then
// the body's bytes as given (not re-encoded: JSON encoding would compact
// and escape them).
type record struct {
	Delivery
	Attempts int       `json:"attempts"`
	Queued   time.Time `json:"queued"`
}

type recordHead struct {
	Inbox    string    `json:"inbox"`
	KeyID    string    `json:"keyId"`
	Attempts int       `json:"attempts"`
	Queued   time.Time `json:"queued"`
}

func (r record) encode() ([]byte, error) {
	head, err := json.Marshal(recordHead{r.Inbox, r.KeyID, r.Attempts, r.Queued})
	if err != nil {
		return nil, err
	}
	return append(append(head, '\n'), r.Body...), nil
}

func decodeRecord(v []byte) (record, error) {
	head, body, ok := bytes.Cut(v, []byte{'\n'})
	var h recordHead
	if !ok {
		return record{}, errors.New("stored delivery without a body")
	}
	if err := json.Unmarshal(head, &h); err != nil {
		return record{}, err
	}
	return record{Delivery: Delivery{Inbox: h.Inbox, KeyID: h.KeyID, Body: body}, Attempts: h.Attempts, Queued: h.Queued}, nil
}

// NewDeliveryQueue opens the queue over cfg.Store, taking up the
// deliveries a previous run left.
func NewDeliveryQueue(ctx context.Context, cfg QueueConfig) (*DeliveryQueue, error) {
	if cfg.Store == nil || cfg.Keys == nil || cfg.Client == nil {
		return nil, errors.New("activitypub: delivery queue needs a store, keys and a client")
	}
	defaultInt(&cfg.PerHost, DefaultPerHost)
	defaultInt(&cfg.InFlight, DefaultInFlight)
	defaultDuration(&cfg.SendTimeout, DefaultSendTimeout)
	defaultDuration(&cfg.RetryBase, DefaultRetryBase)
	defaultDuration(&cfg.RetryCap, DefaultRetryCap)
	defaultDuration(&cfg.RetryFor, DefaultRetryFor)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	client := *cfg.Client
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	client.Timeout = cfg.SendTimeout
	q := &DeliveryQueue{
		cfg: cfg, client: &client, logger: cfg.Logger.With("component", "delivery"),
		poke: make(chan struct{}, 1), perHost: make(map[string]int),
	}
	err := cfg.Store.Each(ctx, func(key, value []byte) error {
		e, err := loadEntry(string(key), value)
		if err != nil {
			// A record this version cannot read is of no use to anyone.
			q.logger.Warn("dropping an unreadable stored delivery", "key", string(key), "err", err)
			return cfg.Store.Delete(key)
		}
		q.pending = append(q.pending, e) // Each walks in key order: due order
		if e.attempts > 0 {
			q.retrying++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("activitypub: loading the delivery queue: %w", err)
	}
	return q, nil
}

func defaultInt(v *int, def int) {
	if *v <= 0 {
		*v = def
	}
}

func defaultDuration(v *time.Duration, def time.Duration) {
	if *v <= 0 {
		*v = def
	}
}

func loadEntry(key string, value []byte) (*entry, error) {
	due, err := keyDue(key)
	if err != nil {
		return nil, err
	}
	r, err := decodeRecord(value)
	if err != nil {
		return nil, err
	}
	host, err := inboxHost(r.Inbox)
	if err != nil {
		return nil, err
	}
	return &entry{key: key, host: host, due: due, attempts: r.Attempts}, nil
}

// Store keys are the due time (Unix nanoseconds, 16 hex digits: they sort
// as the times do) and a random id, so the walk at start comes in due
// order and a reschedule is a new key.
func newKey(due time.Time) (string, error) {
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", err
	}
	var t [8]byte
	binary.BigEndian.PutUint64(t[:], uint64(max(due.UnixNano(), 0)))
	return hex.EncodeToString(t[:]) + "-" + hex.EncodeToString(id[:]), nil
}

func keyDue(key string) (time.Time, error) {
	t, _, ok := strings.Cut(key, "-")
	b, err := hex.DecodeString(t)
	if !ok || err != nil || len(b) != 8 {
		return time.Time{}, fmt.Errorf("malformed delivery key %q", key)
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b))), nil
}

// inboxHost is the host (lower case, with its port if given) of an
// http(s) inbox URL: the unit of the per-host limit.
func inboxHost(inbox string) (string, error) {
	u, err := url.Parse(inbox)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("activitypub: inbox %q is not an http(s) URL", inbox)
	}
	return strings.ToLower(u.Host), nil
}

// Deliver stores d for sending; nil means it is durable.
func (q *DeliveryQueue) Deliver(ctx context.Context, d Delivery) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	host, err := inboxHost(d.Inbox)
	if err != nil {
		return err
	}
	if d.KeyID == "" || !json.Valid(d.Body) {
		return errors.New("activitypub: a delivery needs a key id and a JSON body")
	}
	now := q.cfg.Now()
	e := &entry{host: host, due: now}
	if err := q.store(e, record{Delivery: d, Queued: now}); err != nil {
		return err
	}
	q.mu.Lock()
	q.insert(e)
	q.mu.Unlock()
	q.wake()
	return nil
}

// store writes r under a new key for e.due and sets e.key.
func (q *DeliveryQueue) store(e *entry, r record) error {
	key, err := newKey(e.due)
	if err != nil {
		return fmt.Errorf("activitypub: delivery id: %w", err)
	}
	v, err := r.encode()
	if err != nil {
		return fmt.Errorf("activitypub: encoding a delivery: %w", err)
	}
	if err := q.cfg.Store.Set([]byte(key), v); err != nil {
		return fmt.Errorf("activitypub: storing a delivery: %w", err)
	}
	e.key = key
	return nil
}

// insert puts e into pending in due order; q.mu held. (The key begins
// with the due time too, but an entry whose new key could not be stored
// keeps its old key with a later due time.)
func (q *DeliveryQueue) insert(e *entry) {
	i, _ := slices.BinarySearchFunc(q.pending, e, func(a, b *entry) int {
		if c := a.due.Compare(b.due); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	q.pending = slices.Insert(q.pending, i, e)
}

func (q *DeliveryQueue) wake() {
	select {
	case q.poke <- struct{}{}:
	default:
	}
}

// Stats reports the queue's counters.
func (q *DeliveryQueue) Stats() QueueStats {
	q.mu.Lock()
	defer q.mu.Unlock()
	return QueueStats{
		Queued: len(q.pending) + q.inFlight, Retrying: q.retrying, InFlight: q.inFlight,
		Sent: q.sent, Failed: q.failed,
	}
}
