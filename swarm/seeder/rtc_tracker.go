package seeder

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/peeredge/peeredge/swarm/wtmsg"
)

const (
	// rtcDefaultInterval is used until a tracker says otherwise.
	rtcDefaultInterval = 2 * time.Minute
	// A tracker's interval is kept within these bounds.
	rtcMinInterval = 15 * time.Second
	rtcMaxInterval = 30 * time.Minute
	// rtcWriteTimeout bounds one message to the tracker.
	rtcWriteTimeout = 10 * time.Second
	// rtcMaxRetry is the longest wait between reconnections.
	rtcMaxRetry = time.Minute
)

// rtcTracker announces the seeder's torrents to one WebSocket tracker,
// makes one offer per torrent and announce, and answers the offers the
// tracker relays. It reconnects until stopped.
type rtcTracker struct {
	url    string
	header http.Header // sent with the WebSocket upgrade
	peers  *rtcPeers
	peerID wtmsg.ID
	log    *slog.Logger
	stop   context.CancelFunc
	done   chan struct{}
	kick   chan struct{} // a torrent was added: announce it now

	mu       sync.Mutex
	hashes   map[wtmsg.ID]bool // torrent → announced on the current connection
	offers   map[wtmsg.ID]*rtcOfferSent
	interval time.Duration
	conn     *websocket.Conn // nil between connections
	writeMu  sync.Mutex      // one writer at a time on conn
}

type rtcOfferSent struct {
	setup *rtcSetup
	sent  time.Time
}

func newRTCTracker(ctx context.Context, url string, header http.Header, peers *rtcPeers, peerID wtmsg.ID, logger *slog.Logger) *rtcTracker {
	ctx, stop := context.WithCancel(ctx)
	t := &rtcTracker{
		url: url, header: header, peers: peers, peerID: peerID, log: logger.With("tracker", url),
		stop: stop, done: make(chan struct{}), kick: make(chan struct{}, 1),
		hashes: make(map[wtmsg.ID]bool), offers: make(map[wtmsg.ID]*rtcOfferSent), interval: rtcDefaultInterval,
	}
	go func() {
		defer close(t.done)
		t.run(ctx)
	}()
	return t
}

// add announces ih from now on.
func (t *rtcTracker) add(ih wtmsg.ID) {
	t.mu.Lock()
	if _, ok := t.hashes[ih]; !ok {
		t.hashes[ih] = false
	}
	t.mu.Unlock()
	select {
	case t.kick <- struct{}{}:
	default:
	}
}

// remove says "stopped" for ih and stops announcing it; it reports whether
// the tracker has no torrent left.
func (t *rtcTracker) remove(ih wtmsg.ID) (empty bool) {
	t.mu.Lock()
	announced, ok := t.hashes[ih]
	delete(t.hashes, ih)
	empty = len(t.hashes) == 0
	t.mu.Unlock()
	if ok && announced {
		t.sendAnnounce(ih, wtmsg.EventStopped, nil)
	}
	return empty
}

// close stops the tracker and waits for its goroutine.
func (t *rtcTracker) close() {
	t.stop()
	<-t.done
}

func (t *rtcTracker) run(ctx context.Context) {
	retry := time.Second
	for {
		dialer := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
		conn, resp, err := dialer.DialContext(ctx, t.url, t.header)
		if resp != nil && resp.Body != nil {
			_ = resp.Body.Close()
		}
		if err == nil {
			retry = time.Second
			t.serve(ctx, conn)
		} else {
			t.log.Debug("webtorrent tracker unreachable", "err", err, "retry", retry)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(retry):
		}
		retry = min(2*retry, rtcMaxRetry)
	}
}

// serve runs one connection: every torrent is announced at once and then
// every interval; messages are handled as they come.
func (t *rtcTracker) serve(ctx context.Context, conn *websocket.Conn) {
	t.mu.Lock()
	t.conn = conn
	for ih := range t.hashes {
		t.hashes[ih] = false // a new connection: "started" again
	}
	t.mu.Unlock()
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		t.read(ctx, conn)
	}()
	defer func() {
		t.mu.Lock()
		t.conn = nil
		t.mu.Unlock()
		_ = conn.Close()
		<-readerDone
	}()
	t.announceAll(ctx, rtcAnnounceNew)
	for {
		t.mu.Lock()
		every := t.interval
		t.mu.Unlock()
		select {
		case <-ctx.Done():
			t.announceAll(ctx, rtcAnnounceStopped) // say goodbye, best effort
			return
		case <-readerDone:
			return
		case <-t.kick:
			t.announceAll(ctx, rtcAnnounceNew)
		case <-time.After(every):
			t.announceAll(ctx, rtcAnnounceEvery)
		}
	}
}

// Which torrents announceAll announces.
type rtcAnnounceWhich int

const (
	rtcAnnounceNew     rtcAnnounceWhich = iota // those not yet announced on this connection
	rtcAnnounceEvery                           // all (the interval is up)
	rtcAnnounceStopped                         // all, with "stopped" and no offer
)

// announceAll announces torrents, each with one fresh offer unless stopping.
func (t *rtcTracker) announceAll(ctx context.Context, which rtcAnnounceWhich) {
	t.pruneOffers()
	t.mu.Lock()
	var due []wtmsg.ID
	for ih, announced := range t.hashes {
		if which != rtcAnnounceNew || !announced {
			due = append(due, ih)
		}
	}
	t.mu.Unlock()
	stopping := which == rtcAnnounceStopped
	// Offers are made side by side: gathering candidates may wait seconds
	// on a STUN server. At most rtcMaxOffers can be pending, so only that
	// many announces of a round carry one.
	offers := make([][]wtmsg.Offer, len(due))
	if !stopping {
		var wg sync.WaitGroup
		for i := range min(len(due), rtcMaxOffers) {
			wg.Go(func() { offers[i] = t.makeOffer(ctx) })
		}
		wg.Wait()
	}
	for i, ih := range due {
		event := wtmsg.EventUpdate
		t.mu.Lock()
		announced, still := t.hashes[ih]
		if still {
			t.hashes[ih] = true
		}
		t.mu.Unlock()
		switch {
		case !still:
			continue
		case stopping:
			event = wtmsg.EventStopped
		case !announced:
			event = wtmsg.EventStarted
		}
		if !t.sendAnnounce(ih, event, offers[i]) {
			return
		}
	}
}

// makeOffer returns one offer to send, or none when WebRTC set-ups are at
// their limit (the announce still lets browsers offer to us).
func (t *rtcTracker) makeOffer(ctx context.Context) []wtmsg.Offer {
	setup, sdp, err := t.peers.offer(ctx)
	if err != nil {
		t.log.Debug("no offer in this announce", "err", err)
		return nil
	}
	var id wtmsg.ID
	_, _ = rand.Read(id[:]) // never fails (crypto/rand)
	t.mu.Lock()
	t.offers[id] = &rtcOfferSent{setup: setup, sent: time.Now()}
	t.mu.Unlock()
	return []wtmsg.Offer{{ID: id, SDP: sdp}}
}

// pruneOffers forgets offers past their timeout (their set-up closed itself).
func (t *rtcTracker) pruneOffers() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, o := range t.offers {
		if time.Since(o.sent) > rtcOfferTimeout {
			delete(t.offers, id)
		}
	}
}

// sendAnnounce announces ih as a seeder (left 0; uploads are not counted).
func (t *rtcTracker) sendAnnounce(ih wtmsg.ID, event wtmsg.Event, offers []wtmsg.Offer) bool {
	return t.send(wtmsg.AppendAnnounce(nil, &wtmsg.Announce{InfoHash: ih, PeerID: t.peerID, Event: event, Offers: offers}))
}

// send writes data on the current connection; false if there is none or it broke.
func (t *rtcTracker) send(data []byte) bool {
	t.mu.Lock()
	conn := t.conn
	t.mu.Unlock()
	if conn == nil {
		return false
	}
	t.writeMu.Lock()
	defer t.writeMu.Unlock()
	_ = conn.SetWriteDeadline(time.Now().Add(rtcWriteTimeout))
	if err := conn.WriteMessage(websocket.TextMessage, data); err != nil {
		t.log.Debug("webtorrent tracker write failed", "err", err)
		_ = conn.Close() // the reader notices and serve reconnects
		return false
	}
	return true
}

func (t *rtcTracker) read(ctx context.Context, conn *websocket.Conn) {
	conn.SetReadLimit(1 << 20)
	// A tracker answers every announce (so speaks at least once an
	// interval) and may ping; silence for two intervals means a dead
	// connection the kernel has not noticed: drop it and reconnect.
	extend := func() {
		t.mu.Lock()
		every := t.interval
		t.mu.Unlock()
		_ = conn.SetReadDeadline(time.Now().Add(2*every + 30*time.Second))
	}
	conn.SetPingHandler(func(data string) error {
		extend()
		err := conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(rtcWriteTimeout))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	for {
		extend()
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		m, err := wtmsg.ParseTrackerMessage(data)
		if err != nil {
			t.log.Debug("webtorrent tracker message not understood", "err", err)
			continue
		}
		t.handle(ctx, &m)
	}
}

func (t *rtcTracker) handle(ctx context.Context, m *wtmsg.TrackerMessage) {
	switch m.Kind {
	case wtmsg.KindFailure:
		t.log.Debug("webtorrent tracker refused", "reason", m.Failure)
	case wtmsg.KindRelayedOffer:
		if !t.tracks(m.InfoHash) || m.PeerID == t.peerID {
			return
		}
		go t.answer(ctx, *m)
	case wtmsg.KindRelayedAnswer:
		t.mu.Lock()
		o := t.offers[m.OfferID]
		delete(t.offers, m.OfferID)
		t.mu.Unlock()
		if o == nil {
			return // expired, or not ours
		}
		if err := o.setup.accept(m.Description.SDP); err != nil {
			t.log.Debug("webtorrent answer refused", "err", err)
		}
	case wtmsg.KindAnnounceReply:
		every := time.Duration(m.Interval * float64(time.Second))
		t.mu.Lock()
		t.interval = min(max(every, rtcMinInterval), rtcMaxInterval)
		t.mu.Unlock()
	}
}

func (t *rtcTracker) tracks(ih wtmsg.ID) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.hashes[ih]
	return ok
}

// answer answers a relayed offer through the tracker.
func (t *rtcTracker) answer(ctx context.Context, m wtmsg.TrackerMessage) {
	sdp, err := t.peers.answer(ctx, m.Description.SDP)
	if err != nil {
		t.log.Debug("webtorrent offer not answered", "err", err)
		return
	}
	t.send(wtmsg.AppendAnswer(nil, &wtmsg.Answer{
		InfoHash: m.InfoHash, PeerID: t.peerID, ToPeerID: m.PeerID, OfferID: m.OfferID, SDP: sdp,
	}))
}
