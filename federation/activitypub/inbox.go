package activitypub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/problem"
)

// MaxInboxBytes bounds an inbox POST: PeerTube's limit.
const MaxInboxBytes = 500 << 10

// Inbox defaults.
const (
	DefaultInboxWorkers = 4
	// DefaultInboxBacklog is how many accepted activities may wait for a
	// worker; beyond it the inbox answers 503 and the sender retries.
	DefaultInboxBacklog = 256
	// inboxProcessTimeout bounds the handling of one activity.
	inboxProcessTimeout = 2 * time.Minute
)

// InboxConfig is what the inbox checks and hands activities to.
type InboxConfig struct {
	// Verifier checks the HTTP signature (its Lookup a KeyCache over
	// ActorKeyFetcher in the node).
	Verifier *Verifier
	// Replay refuses an activity id seen before.
	Replay *ReplayGuard
	// Blocklist, if set, refuses the activities of blocked hosts.
	Blocklist Blocklist
	Follows   *Follows
	// Remote, if set, takes the videos of followed hosts.
	Remote  RemoteVideos
	Workers int
	Backlog int
	Logger  *slog.Logger
}

// Inbox receives activities on the shared inbox and every actor's: it
// checks them whole before answering (401 for anything not signed by the
// activity's actor, or replayed), answers 204 and handles them afterwards,
// as PeerTube does. A refused POST changes nothing.
type Inbox struct {
	cfg   InboxConfig
	slots chan struct{}
	// jobs has one queue per worker; a sender's activities all go to the
	// same one, so they are handled in the order they came (a Create
	// before the Delete that follows it).
	jobs      []chan *Activity
	processed atomic.Uint64
}

// NewInbox makes an inbox; its activities are handled by Run.
func NewInbox(cfg InboxConfig) *Inbox {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultInboxWorkers
	}
	if cfg.Backlog <= 0 {
		cfg.Backlog = DefaultInboxBacklog
	}
	in := &Inbox{cfg: cfg, slots: make(chan struct{}, cfg.Backlog)}
	for range cfg.Workers {
		// Each as deep as all the slots: a send never blocks.
		in.jobs = append(in.jobs, make(chan *Activity, cfg.Backlog))
	}
	return in
}

// Processed counts the activities handled so far (accepted ones, whatever
// their handling concluded).
func (in *Inbox) Processed() uint64 { return in.processed.Load() }

// Run handles accepted activities until ctx is done.
func (in *Inbox) Run(ctx context.Context) {
	done := make(chan struct{})
	for _, jobs := range in.jobs {
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				select {
				case <-ctx.Done():
					return
				case act := <-jobs:
					in.handle(ctx, act)
					<-in.slots
					in.processed.Add(1)
				}
			}
		}()
	}
	for range in.cfg.Workers {
		<-done
	}
}

// Handler answers POSTs to an inbox.
func (in *Inbox) Handler(ctx *fasthttp.RequestCtx) {
	if !ctx.IsPost() {
		ctx.Response.Header.Set(fasthttp.HeaderAllow, "POST")
		problem.Write(ctx, http.StatusMethodNotAllowed, "an inbox takes POST")
		return
	}
	if !activityContentType(string(ctx.Request.Header.ContentType())) {
		problem.Write(ctx, http.StatusUnsupportedMediaType, "an inbox takes application/activity+json")
		return
	}
	body, err := readInboxBody(ctx)
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			problem.Write(ctx, http.StatusRequestEntityTooLarge, fmt.Sprintf("an activity is at most %d bytes", MaxInboxBytes))
			return
		}
		problem.Write(ctx, http.StatusBadRequest, "the body could not be read")
		return
	}
	status, detail, act := in.check(ctx, body, requestOf(ctx, body))
	if status != 0 {
		if status == http.StatusUnauthorized {
			ctx.Response.Header.Set(fasthttp.HeaderWWWAuthenticate, `Signature realm="peeredge",headers="(request-target) host date digest"`)
		}
		in.cfg.Logger.Info("activitypub: inbox refused", "status", status, "why", detail, "remote", ctx.RemoteIP().String())
		problem.Write(ctx, status, detail)
		return
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(hostOf(act.Actor.ID)))
	in.jobs[h.Sum32()%uint32(len(in.jobs))] <- act // never blocks: check took a slot
	ctx.SetStatusCode(http.StatusNoContent)
}

// check runs every check in order and returns a refusal (status, detail),
// or the activity to handle, holding a slot.
func (in *Inbox) check(ctx context.Context, body []byte, r Request) (int, string, *Activity) {
	owner, err := in.cfg.Verifier.Verify(ctx, r)
	if err != nil {
		return http.StatusUnauthorized, signatureRefusal(err), nil
	}
	act, err := ParseActivity(body)
	if err != nil && !errors.Is(err, ErrUnsupportedType) {
		return http.StatusBadRequest, "not a valid activity", nil
	}
	if err := CheckSigner(owner, act.Actor.ID); err != nil {
		return http.StatusUnauthorized, "the signer is not the activity's actor", nil
	}
	if in.cfg.Blocklist != nil && in.cfg.Blocklist.Blocked(hostOf(act.Actor.ID)) {
		return http.StatusForbidden, "this instance is blocked", nil
	}
	// A slot before the replay guard records the id: a POST answered 503
	// may be retried with the same id.
	select {
	case in.slots <- struct{}{}:
	default:
		return http.StatusServiceUnavailable, "too many activities waiting; retry later", nil
	}
	// A replay is refused (401), not acknowledged: a sender that replays
	// on purpose learns nothing from a 204, and a legitimate sender never
	// sends one id twice once it got its 204.
	if in.cfg.Replay.Seen(act.ID, time.Now()) {
		<-in.slots
		return http.StatusUnauthorized, "this activity was already received", nil
	}
	return 0, "", act
}

func signatureRefusal(err error) string {
	switch {
	case errors.Is(err, ErrUnsigned):
		return "the request is not signed"
	case errors.Is(err, ErrStaleDate):
		return "the signed Date is missing or too far from now"
	case errors.Is(err, ErrBadDigest):
		return "the Digest does not match the body"
	case errors.Is(err, ErrKeyUnavailable):
		return "the signer's key could not be obtained"
	case errors.Is(err, ErrMissingHeader):
		return "the signature must cover (request-target), host, date and digest"
	}
	return "the signature does not verify"
}

// requestOf is what Verify needs of the request: the target and headers
// exactly as received.
func requestOf(ctx *fasthttp.RequestCtx, body []byte) Request {
	h := http.Header{}
	for k, v := range ctx.Request.Header.All() {
		h.Add(string(k), string(v))
	}
	return Request{Method: string(ctx.Method()), Target: string(ctx.RequestURI()), Host: string(ctx.Host()), Header: h, Body: body}
}

// activityContentType accepts what PeerTube's inbox parser does:
// application/activity+json, application/ld+json, any application/*+json.
func activityContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")
}

// readInboxBody reads at most MaxInboxBytes of the (streamed) body.
func readInboxBody(ctx *fasthttp.RequestCtx) ([]byte, error) {
	if ctx.Request.Header.ContentLength() > MaxInboxBytes {
		return nil, ErrTooLarge
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(ctx.RequestBodyStream(), MaxInboxBytes+1))
	if err != nil {
		return nil, err
	}
	if n > MaxInboxBytes {
		return nil, ErrTooLarge
	}
	return buf.Bytes(), nil
}

// handle does what an accepted activity asks; failures are logged, the
// sender has its 204.
func (in *Inbox) handle(ctx context.Context, act *Activity) {
	ctx, cancel := context.WithTimeout(ctx, inboxProcessTimeout)
	defer cancel()
	if err := in.dispatch(ctx, act); err != nil && ctx.Err() == nil {
		in.cfg.Logger.Warn("activitypub: inbox activity not taken", "type", act.Type, "id", act.ID, "actor", act.Actor.ID, "err", err)
	}
}

func (in *Inbox) dispatch(ctx context.Context, act *Activity) error {
	switch act.Type {
	case TypeFollow:
		return in.cfg.Follows.onFollow(ctx, act)
	case TypeAccept:
		return in.cfg.Follows.onAnswer(ctx, act, true)
	case TypeReject:
		return in.cfg.Follows.onAnswer(ctx, act, false)
	case TypeUndo:
		return in.cfg.Follows.onUndo(ctx, act)
	case TypeCreate, TypeUpdate, TypeAnnounce, TypeDelete:
		return in.video(ctx, act)
	}
	return nil // a type the node does not handle: accepted and ignored
}

// video handles Create, Update, Announce and Delete of videos: only from
// hosts the node follows, and a video only from its own host.
func (in *Inbox) video(ctx context.Context, act *Activity) error {
	host := hostOf(act.Actor.ID)
	if in.cfg.Remote == nil || !in.cfg.Follows.FollowsHost(host) {
		return nil
	}
	obj := act.Object
	switch act.Type {
	case TypeAnnounce:
		if in.cfg.Blocklist != nil && in.cfg.Blocklist.Blocked(hostOf(obj.ID)) {
			return nil
		}
		return in.cfg.Remote.Fetch(ctx, obj.ID) // fetched from the video's own host
	case TypeDelete:
		if !SameHost(obj.ID, act.Actor.ID) || obj.ID == act.Actor.ID {
			return nil
		}
		return in.cfg.Remote.Delete(ctx, obj.ID)
	}
	if !SameHost(obj.ID, act.Actor.ID) {
		return fmt.Errorf("%w: video %q from %q", ErrForeignID, obj.ID, act.Actor.ID)
	}
	if !obj.Embedded() {
		return in.cfg.Remote.Fetch(ctx, obj.ID)
	}
	if obj.Type != "Video" {
		return nil // an actor's update, a comment: not kept
	}
	v, err := ParseVideo(obj.Raw)
	if err != nil {
		return err
	}
	return in.cfg.Remote.Upsert(ctx, v, obj.Raw)
}
