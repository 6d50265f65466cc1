package seeder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anacrolix/torrent/metainfo"
	"github.com/pion/webrtc/v4"

	"github.com/peeredge/peeredge/swarm/wtmsg"
)

// The seeder's WebTorrent side is its own (pion/webrtc driven here, the
// anacrolix client's webtorrent package off): that package crashes the
// process when a peer closes a data channel before it opens (v1.61.0), and
// a browser must not be able to take the node down. Data channels, once
// open, are handed to the torrent client as accepted connections.

const (
	// rtcMaxPending bounds peer connections being set up at once (offers
	// waiting for an answer, answers waiting for a channel): each holds
	// sockets and goroutines, and offers arrive from strangers.
	rtcMaxPending = 64
	// rtcMaxOffers is the part of them the seeder's own offers may hold,
	// so that it can always answer browsers' offers.
	rtcMaxOffers = 16
	// rtcOfferTimeout drops an offer nobody answered, as WebTorrent does.
	rtcOfferTimeout = 50 * time.Second
	// rtcConnectTimeout drops an answered connection whose channel never opened.
	rtcConnectTimeout = 30 * time.Second
	// rtcGatherTimeout bounds ICE candidate gathering for one description.
	rtcGatherTimeout = 3 * time.Second
)

var errRTCBusy = errors.New("too many WebRTC connections being set up")

// rtcPeers creates the seeder's WebRTC peer connections and turns their
// first data channel into a connection for the torrent client.
type rtcPeers struct {
	api      *webrtc.API
	config   webrtc.Configuration
	listener *rtcListener
	log      *slog.Logger
	ctx      context.Context // cancelled by close
	pending  atomic.Int32
	offers   atomic.Int32  // pending set-ups that are our offers
	serial   atomic.Uint64 // labels connections uniquely
	opened   atomic.Int64  // data channels handed to the client
}

func newRTCPeers(ctx context.Context, iceURLs []string, logger *slog.Logger) *rtcPeers {
	var se webrtc.SettingEngine
	se.DetachDataChannels()
	// Writes wait while the association's send queue is full, as on TCP:
	// a slow browser holds back the torrent client's writer instead of
	// growing an unbounded buffer in the node.
	se.EnableDataChannelBlockWrite(true)
	cfg := webrtc.Configuration{}
	if len(iceURLs) > 0 {
		cfg.ICEServers = []webrtc.ICEServer{{URLs: iceURLs}}
	}
	return &rtcPeers{
		api:      webrtc.NewAPI(webrtc.WithSettingEngine(se)),
		config:   cfg,
		listener: newRTCListener(),
		log:      logger,
		ctx:      ctx,
	}
}

// rtcSetup is one peer connection until its data channel opens.
type rtcSetup struct {
	p       *rtcPeers
	pc      *webrtc.PeerConnection
	label   rtcAddr
	timer   *time.Timer
	release sync.Once
	offer   bool
	taken   atomic.Bool // a channel was handed over (or the setup ended)
}

// newSetup reserves a pending slot and creates a peer connection that is
// closed unless a data channel opens within timeout.
func (p *rtcPeers) newSetup(timeout time.Duration, offer bool) (*rtcSetup, error) {
	if !p.reserve(offer) {
		return nil, errRTCBusy
	}
	pc, err := p.api.NewPeerConnection(p.config)
	if err != nil {
		p.unreserve(offer)
		return nil, fmt.Errorf("webrtc: new peer connection: %w", err)
	}
	s := &rtcSetup{p: p, pc: pc, offer: offer, label: rtcAddr(fmt.Sprintf("webrtc-%d", p.serial.Add(1)))}
	s.timer = time.AfterFunc(timeout, func() { s.fail() })
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		if st == webrtc.PeerConnectionStateFailed || st == webrtc.PeerConnectionStateClosed {
			// Before a channel opened this ends the setup; after, it ends
			// the connection the client holds (its reads fail).
			s.fail()
		}
	})
	pc.OnDataChannel(s.watch)
	return s, nil
}

func (p *rtcPeers) reserve(offer bool) bool {
	if offer && p.offers.Add(1) > rtcMaxOffers {
		p.offers.Add(-1)
		return false
	}
	if p.pending.Add(1) > rtcMaxPending {
		p.unreserve(offer)
		return false
	}
	return true
}

func (p *rtcPeers) unreserve(offer bool) {
	p.pending.Add(-1)
	if offer {
		p.offers.Add(-1)
	}
}

func (s *rtcSetup) done() { s.release.Do(func() { s.p.unreserve(s.offer) }) }

// fail abandons the setup and closes the peer connection, from any goroutine.
func (s *rtcSetup) fail() {
	s.timer.Stop()
	s.done()
	go s.pc.Close() // not inline: pion callbacks must not wait on Close
}

// watch hands ch, once open, to the torrent client. Only the first channel
// of a connection is used; a channel that closes first just goes away.
func (s *rtcSetup) watch(ch *webrtc.DataChannel) {
	ch.OnOpen(func() {
		if !s.taken.CompareAndSwap(false, true) {
			_ = ch.Close()
			return
		}
		raw, err := ch.DetachWithDeadline()
		if err != nil || !s.timer.Stop() {
			// Too late (the setup timed out) or closed under us.
			if raw != nil {
				_ = raw.Close()
			}
			s.fail()
			return
		}
		s.done()
		conn := &rtcConn{raw: raw, pc: s.pc, addr: s.label}
		if !s.p.listener.deliver(s.p.ctx, conn) {
			_ = conn.Close()
			return
		}
		s.p.opened.Add(1)
	})
}

// gather sets desc as the local description and waits for ICE gathering,
// so the SDP sent through the tracker carries every candidate (WebTorrent
// does not trickle).
func (s *rtcSetup) gather(ctx context.Context, desc webrtc.SessionDescription) (string, error) {
	complete := webrtc.GatheringCompletePromise(s.pc)
	if err := s.pc.SetLocalDescription(desc); err != nil {
		return "", fmt.Errorf("webrtc: set local description: %w", err)
	}
	gatherCtx, cancel := context.WithTimeout(ctx, rtcGatherTimeout)
	defer cancel()
	select {
	case <-complete:
	case <-gatherCtx.Done():
		// A STUN server that does not answer must not cost the offer:
		// send the candidates gathered so far, as browsers do.
		if err := ctx.Err(); err != nil {
			return "", fmt.Errorf("webrtc: gathering candidates: %w", err)
		}
	}
	local := s.pc.LocalDescription()
	if local == nil || !strings.Contains(local.SDP, "a=candidate:") {
		return "", errors.New("webrtc: no ICE candidate gathered")
	}
	return local.SDP, nil
}

// start creates a set-up whose local description describe makes, and
// returns it gathered; a set-up that fails is closed.
func (p *rtcPeers) start(ctx context.Context, timeout time.Duration, offer bool,
	describe func(*rtcSetup) (webrtc.SessionDescription, error),
) (*rtcSetup, string, error) {
	s, err := p.newSetup(timeout, offer)
	if err != nil {
		return nil, "", err
	}
	desc, err := describe(s)
	var sdp string
	if err == nil {
		sdp, err = s.gather(ctx, desc)
	}
	if err != nil {
		s.fail()
		return nil, "", err
	}
	return s, sdp, nil
}

// answer accepts a remote offer and returns the answer's SDP.
func (p *rtcPeers) answer(ctx context.Context, offerSDP string) (string, error) {
	_, sdp, err := p.start(ctx, rtcConnectTimeout, false, func(s *rtcSetup) (webrtc.SessionDescription, error) {
		if err := s.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offerSDP}); err != nil {
			return webrtc.SessionDescription{}, fmt.Errorf("webrtc: offer: %w", err)
		}
		desc, err := s.pc.CreateAnswer(nil)
		if err != nil {
			return desc, fmt.Errorf("webrtc: create answer: %w", err)
		}
		return desc, nil
	})
	return sdp, err
}

// offer creates a connection with one data channel and returns it with the
// offer's SDP; accept applies the answer when it comes.
func (p *rtcPeers) offer(ctx context.Context) (*rtcSetup, string, error) {
	return p.start(ctx, rtcOfferTimeout, true, func(s *rtcSetup) (webrtc.SessionDescription, error) {
		ch, err := s.pc.CreateDataChannel("webtorrent", nil)
		if err != nil {
			return webrtc.SessionDescription{}, fmt.Errorf("webrtc: data channel: %w", err)
		}
		s.watch(ch)
		desc, err := s.pc.CreateOffer(nil)
		if err != nil {
			return desc, fmt.Errorf("webrtc: create offer: %w", err)
		}
		return desc, nil
	})
}

// accept applies the remote answer to an offer made by offer.
func (s *rtcSetup) accept(answerSDP string) error {
	err := s.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answerSDP})
	if err != nil {
		s.fail()
		return fmt.Errorf("webrtc: answer: %w", err)
	}
	return nil
}

// rtcAdd announces ih to the WebSocket trackers its torrent names.
func (s *Seeder) rtcAdd(ih metainfo.Hash, mi *metainfo.MetaInfo) {
	if s.rtc == nil {
		return
	}
	urls := map[string]bool{}
	for _, tier := range mi.UpvertedAnnounceList() {
		for _, u := range tier {
			if strings.HasPrefix(u, "ws://") || strings.HasPrefix(u, "wss://") {
				urls[u] = true
			}
		}
	}
	s.rtcMu.Lock()
	defer s.rtcMu.Unlock()
	for u := range urls {
		t := s.rtcTrackers[u]
		if t == nil {
			var header http.Header
			if pu, err := url.Parse(u); err == nil {
				header = s.trackerHeader(pu)
			}
			t = newRTCTracker(s.rtc.ctx, u, header, s.rtc, wtmsg.ID(s.client.PeerID()), s.log)
			s.rtcTrackers[u] = t
		}
		t.add(wtmsg.ID(ih))
	}
}

// rtcRemove says "stopped" for ih to its trackers; one left with no torrent is closed.
func (s *Seeder) rtcRemove(ih metainfo.Hash) {
	if s.rtc == nil {
		return
	}
	var idle []*rtcTracker
	s.rtcMu.Lock()
	for u, t := range s.rtcTrackers {
		if t.remove(wtmsg.ID(ih)) {
			delete(s.rtcTrackers, u)
			idle = append(idle, t)
		}
	}
	s.rtcMu.Unlock()
	for _, t := range idle {
		t.close()
	}
}

// closeRTC stops every tracker client (each says "stopped") and every set-up.
func (s *Seeder) closeRTC() {
	if s.rtc == nil {
		return
	}
	s.rtcMu.Lock()
	trackers := s.rtcTrackers
	s.rtcTrackers = map[string]*rtcTracker{}
	s.rtcMu.Unlock()
	var wg sync.WaitGroup
	for _, t := range trackers {
		wg.Go(t.close)
	}
	wg.Wait()
	s.rtcStop()
}

func (s *Seeder) rtcOpened() int64 {
	if s.rtc == nil {
		return 0
	}
	return s.rtc.opened.Load()
}
