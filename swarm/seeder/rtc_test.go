package seeder

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/pion/datachannel"
	"github.com/pion/webrtc/v4"

	"github.com/peeredge/peeredge/internal/netns"
)

// rtcTestPeer is a browser-like WebRTC peer (pion, plain data channels)
// that offers to the seeder directly, without a tracker in between.
type rtcTestPeer struct {
	pc     *webrtc.PeerConnection
	ch     *webrtc.DataChannel
	opened chan struct{}
}

func newRTCTestPeer(t *testing.T) *rtcTestPeer {
	t.Helper()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	ch, err := pc.CreateDataChannel("webtorrent", nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &rtcTestPeer{pc: pc, ch: ch, opened: make(chan struct{})}
	ch.OnOpen(func() { close(p.opened) })
	return p
}

// offer returns the peer's offer with every candidate.
func (p *rtcTestPeer) offer(t *testing.T) string {
	t.Helper()
	desc, err := p.pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(desc); err != nil {
		t.Fatal(err)
	}
	<-gathered
	return p.pc.LocalDescription().SDP
}

// connect has the seeder answer the peer's offer and waits for the channel.
func (p *rtcTestPeer) connect(t *testing.T, ctx context.Context, s *Seeder) {
	t.Helper()
	answer, err := s.rtc.answer(ctx, p.offer(t))
	if err != nil {
		t.Fatalf("seeder did not answer: %v", err)
	}
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.opened:
	case <-ctx.Done():
		t.Fatalf("data channel did not open: %v", ctx.Err())
	}
}

// TestWebRTCHostilePeersLeaveTheSeederServing: peers that close their data
// channel the moment it opens (what crashed anacrolix's own WebTorrent code),
// or send an offer that is no SDP, cost the seeder nothing lasting: it keeps
// its set-up slots and then serves a well-behaved peer the BitTorrent
// handshake of the torrent it asked for.
func TestWebRTCHostilePeersLeaveTheSeederServing(t *testing.T) {
	if !netns.Isolate(t) {
		return // ran in a namespace of its own: pion skips loopback candidates
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := startSeeder(t, Config{})
	p := publish(t, "uuid-240-fragmented.mp4", 200_000, 21, nil, nil)
	if _, err := s.Seed(ctx, p.torrentPath, p.dataDir); err != nil {
		t.Fatal(err)
	}

	for i := range 10 {
		peer := newRTCTestPeer(t)
		peer.connect(t, ctx, s)
		if i%2 == 0 {
			_ = peer.ch.Close()
		} else {
			_ = peer.pc.Close() // the whole connection at once
		}
	}
	if _, err := s.rtc.answer(ctx, "v=0\r\nnot an offer"); err == nil {
		t.Error("an offer that is no SDP was answered")
	}
	if _, err := s.rtc.answer(ctx, ""); err == nil {
		t.Error("an empty offer was answered")
	}

	// A well-behaved peer: its handshake reaches the torrent client, which
	// answers with its own for the same torrent.
	peer := newRTCTestPeer(t)
	got := make(chan []byte, 64)
	peer.ch.OnMessage(func(m webrtc.DataChannelMessage) { got <- m.Data })
	peer.connect(t, ctx, s)
	hs := append([]byte("\x13BitTorrent protocol"), make([]byte, 8)...)
	hs = append(hs, p.ih.Bytes()...)
	hs = append(hs, []byte("-WW0208-rtctestpeer0")...)
	if err := peer.ch.Send(hs); err != nil {
		t.Fatal(err)
	}
	var reply []byte
	for len(reply) < 68 {
		select {
		case m := <-got:
			reply = append(reply, m...)
		case <-ctx.Done():
			t.Fatalf("no handshake back (%d bytes: %q): %v; seeder %+v", len(reply), reply, ctx.Err(), s.Stats())
		}
	}
	if !bytes.HasPrefix(reply, []byte("\x13BitTorrent protocol")) || !bytes.Equal(reply[28:48], p.ih.Bytes()) {
		t.Fatalf("reply is not a handshake for %s: %q", p.ih, reply[:68])
	}
	if n := s.Stats().WebRTCConns; n < 11 {
		t.Errorf("%d data channels handed to the client, want the 11 that opened", n)
	}
	// Every set-up slot comes back once the closed connections are noticed.
	for s.rtc.pending.Load() != 0 {
		select {
		case <-ctx.Done():
			t.Fatalf("%d WebRTC set-ups still pending", s.rtc.pending.Load())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestWebRTCSetupsAreBounded: offers that are answered but never followed
// up hold a slot each until they time out; beyond rtcMaxPending the seeder
// refuses to answer rather than pile up connections.
func TestWebRTCSetupsAreBounded(t *testing.T) {
	if !netns.Isolate(t) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s := startSeeder(t, Config{})
	offer := newRTCTestPeer(t).offer(t)
	for i := range rtcMaxPending {
		if _, err := s.rtc.answer(ctx, offer); err != nil {
			t.Fatalf("answer %d: %v", i, err)
		}
	}
	if _, err := s.rtc.answer(ctx, offer); !errors.Is(err, errRTCBusy) {
		t.Fatalf("answer beyond the bound: %v, want %v", err, errRTCBusy)
	}
	// Our own offers have a share of their own, so they cannot starve
	// answers; with answers at the bound they are refused too.
	if _, _, err := s.rtc.offer(ctx); !errors.Is(err, errRTCBusy) {
		t.Fatalf("offer with every slot taken: %v, want %v", err, errRTCBusy)
	}
}

var _ io.Closer = (*rtcListener)(nil) // the torrent client closes it

// detachedPair connects two pion peer connections over loopback (allowed
// here, unlike in anacrolix's engine) and returns both ends of one
// detached data channel: local is what rtcConn wraps.
func detachedPair(t *testing.T) (local, remote datachannel.ReadWriteCloserDeadliner) {
	t.Helper()
	var se webrtc.SettingEngine
	se.DetachDataChannels()
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	api := webrtc.NewAPI(webrtc.WithSettingEngine(se))
	newPC := func() *webrtc.PeerConnection {
		pc, err := api.NewPeerConnection(webrtc.Configuration{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = pc.Close() })
		return pc
	}
	a, b := newPC(), newPC()
	type end struct {
		rw  datachannel.ReadWriteCloserDeadliner
		err error
	}
	aEnd, bEnd := make(chan end, 1), make(chan end, 1)
	ch, err := a.CreateDataChannel("test", nil)
	if err != nil {
		t.Fatal(err)
	}
	ch.OnOpen(func() { rw, err := ch.DetachWithDeadline(); aEnd <- end{rw, err} })
	b.OnDataChannel(func(ch *webrtc.DataChannel) {
		ch.OnOpen(func() { rw, err := ch.DetachWithDeadline(); bEnd <- end{rw, err} })
	})
	signal := func(from, to *webrtc.PeerConnection, offer bool) {
		var desc webrtc.SessionDescription
		var err error
		if offer {
			desc, err = from.CreateOffer(nil)
		} else {
			desc, err = from.CreateAnswer(nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		gathered := webrtc.GatheringCompletePromise(from)
		if err := from.SetLocalDescription(desc); err != nil {
			t.Fatal(err)
		}
		<-gathered
		if err := to.SetRemoteDescription(*from.LocalDescription()); err != nil {
			t.Fatal(err)
		}
	}
	signal(a, b, true)
	signal(b, a, false)
	timeout := time.After(20 * time.Second)
	var ends [2]end
	for i, c := range []chan end{aEnd, bEnd} {
		select {
		case ends[i] = <-c:
			if ends[i].err != nil {
				t.Fatal(ends[i].err)
			}
			t.Cleanup(func() { _ = ends[i].rw.Close() })
		case <-timeout:
			t.Fatal("data channel did not open over loopback")
		}
	}
	return ends[0].rw, ends[1].rw
}

// TestRTCConnIsAByteStream: the torrent client reads a data channel as a
// stream, in pieces of any size: messages larger than the read buffer,
// reads smaller than a message and empty messages all come through whole
// and in order; writes larger than one message are split.
func TestRTCConnIsAByteStream(t *testing.T) {
	local, remote := detachedPair(t)
	conn := &rtcConn{raw: local, addr: "test"}
	var sent []byte
	for i, size := range []int{68, 0, 5, rtcReadBuf + 1000, 3, 100 << 10} {
		msg := bytes.Repeat([]byte{byte('a' + i)}, size)
		sent = append(sent, msg...)
		if _, err := remote.Write(msg); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	got := make([]byte, 0, len(sent))
	buf := make([]byte, 20) // the handshake's first read is 20 bytes
	for len(got) < len(sent) {
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("after %d of %d bytes: %v", len(got), len(sent), err)
		}
		got = append(got, buf[:n]...)
	}
	if !bytes.Equal(got, sent) {
		t.Fatal("the stream read back differs from the messages sent")
	}

	// A write of several messages' worth arrives whole.
	big := bytes.Repeat([]byte("0123456789abcdef"), 3*rtcMaxWrite/16+7)
	if n, err := conn.Write(big); err != nil || n != len(big) {
		t.Fatalf("write %d bytes: %d, %v", len(big), n, err)
	}
	back := &rtcConn{raw: remote, addr: "test"}
	_ = back.SetReadDeadline(time.Now().Add(20 * time.Second))
	recv := make([]byte, len(big))
	if _, err := io.ReadFull(back, recv); err != nil || !bytes.Equal(recv, big) {
		t.Fatalf("read back the split write: %v", err)
	}
}
