//go:build unix

package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fasthttp/websocket"
)

// benchInfoHashes returns n distinct pseudo-random info hashes, the same for
// every run so every tracker is loaded with the same swarms.
func benchInfoHashes(n int) [][20]byte {
	rng := rand.New(rand.NewPCG(20, 20))
	hashes := make([][20]byte, n)
	for i := range hashes {
		for j := range hashes[i] {
			hashes[i][j] = byte(rng.Uint32())
		}
	}
	return hashes
}

// announceLoad is a closed-loop HTTP announce generator: conns connections,
// each sending one GET announce at a time until dur has passed, kept alive
// unless the server closes them (opentracker closes after every answer).
// Each connection plays peersPerConn peers, each with a random peer id and
// port in a random one of the swarms (the same ones for the same seed),
// cycling through them in order. A warm-up run announces each peer once with
// event=started and stops; other runs announce without an event, as the
// periodic announces of peers that a warm-up started.
type announceLoad struct {
	addr         string
	path         string // e.g. "/announce"
	hashes       [][20]byte
	conns        int
	peersPerConn int
	numwant      int
	dur          time.Duration
	seed         uint64
	warmUp       bool
	// closeEachAnswer: the server closes the connection after every answer
	// without a "Connection: close" (opentracker), so dial again each time.
	closeEachAnswer bool
}

type announceResult struct {
	answers int64 // bencoded dictionaries without a failure reason
	peers   int64 // compact IPv4 peers in those answers
	errors  int64
	elapsed time.Duration
}

func (r announceResult) perSec() float64 { return float64(r.answers) / r.elapsed.Seconds() }

func (r announceResult) peersPerAnswer() float64 {
	if r.answers == 0 {
		return 0
	}
	return float64(r.peers) / float64(r.answers)
}

func (r announceResult) add(o announceResult) announceResult {
	return announceResult{r.answers + o.answers, r.peers + o.peers, r.errors + o.errors, r.elapsed + o.elapsed}
}

func (l announceLoad) run(ctx context.Context) (announceResult, error) {
	ctx, cancel := context.WithTimeout(ctx, l.dur)
	defer cancel()
	var answers, peers atomic.Int64
	var failed failures
	var wg sync.WaitGroup
	start := time.Now()
	deadline, _ := ctx.Deadline()
	for i := range l.conns {
		wg.Go(func() {
			w := newAnnounceWorker(l, uint64(i))
			defer w.close()
			for sent := 0; ctx.Err() == nil && !(l.warmUp && sent == len(w.peers)); sent++ {
				n, err := w.announce(ctx)
				if err != nil {
					// A deadline error may come before ctx reports it is done.
					if ctx.Err() != nil || !time.Now().Before(deadline) {
						return // cut off by the end of the run: not a failure
					}
					failed.record(err)
					w.close()
					continue
				}
				answers.Add(1)
				peers.Add(int64(n))
			}
		})
	}
	wg.Wait()
	res := announceResult{answers.Load(), peers.Load(), failed.count(), time.Since(start)}
	if err := failed.err("announces"); err != nil {
		return res, err
	}
	if res.answers == 0 {
		return res, errors.New("no announce answered")
	}
	return res, nil
}

// announcePeer is one simulated BitTorrent client in one swarm; query is its
// request line up to the event parameter, built once.
type announcePeer struct {
	query   []byte
	started bool
}

// announceWorker owns one connection and the peers it announces for.
type announceWorker struct {
	l     announceLoad
	peers []announcePeer
	next  int
	keepAlive
	req []byte
}

func newAnnounceWorker(l announceLoad, id uint64) *announceWorker {
	rng := rand.New(rand.NewPCG(l.seed, id))
	w := &announceWorker{l: l, peers: make([]announcePeer, l.peersPerConn)}
	for i := range w.peers {
		var peerID [20]byte
		copy(peerID[:], "-PE0001-")
		for j := 8; j < len(peerID); j++ {
			peerID[j] = byte(rng.Uint32())
		}
		q := append([]byte("GET "), l.path...)
		q = append(q, "?info_hash="...)
		q = appendPercentEncoded(q, l.hashes[rng.IntN(len(l.hashes))][:])
		q = append(q, "&peer_id="...)
		q = appendPercentEncoded(q, peerID[:])
		q = append(q, "&port="...)
		q = strconv.AppendInt(q, int64(1024+rng.IntN(64511)), 10)
		q = append(q, "&uploaded=0&downloaded=0&left=1048576&compact=1&numwant="...)
		q = strconv.AppendInt(q, int64(l.numwant), 10)
		w.peers[i].query = q
		w.peers[i].started = !l.warmUp
	}
	return w
}

var errAnnounceFailed = errors.New("announce refused")

// announce sends the next peer's announce and returns how many peers the
// answer lists.
func (w *announceWorker) announce(ctx context.Context) (int, error) {
	if err := w.ready(ctx, w.l.addr, 16<<10); err != nil {
		return 0, err
	}
	p := &w.peers[w.next]
	w.next = (w.next + 1) % len(w.peers)
	w.req = append(w.req[:0], p.query...)
	if !p.started {
		w.req = append(w.req, "&event=started"...)
	}
	w.req = append(w.req, " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"...)
	if _, err := w.conn.Write(w.req); err != nil {
		return 0, err
	}
	status, length, closing, err := readResponseHead(w.br)
	if err != nil {
		return 0, err
	}
	if status != 200 {
		return 0, fmt.Errorf("%w %d", errStatus, status)
	}
	if length < 0 || length > 64<<10 {
		return 0, fmt.Errorf("%w %d", errLength, length)
	}
	body, err := w.br.Peek(int(length))
	if err != nil {
		return 0, err
	}
	n, err := compactPeerCount(body)
	if _, derr := w.br.Discard(int(length)); derr != nil && err == nil {
		err = derr
	}
	if closing || w.l.closeEachAnswer {
		w.close()
	}
	if err != nil {
		return 0, err
	}
	p.started = true
	return n, nil
}

// compactPeerCount checks that body is a bencoded dictionary without a
// failure reason and returns the number of 6-byte entries of its "peers".
func compactPeerCount(body []byte) (int, error) {
	if len(body) < 2 || body[0] != 'd' || body[len(body)-1] != 'e' {
		return 0, fmt.Errorf("not a bencoded dictionary: %q", truncate(body, 80))
	}
	if bytes.HasPrefix(body, []byte("d14:failure reason")) {
		return 0, fmt.Errorf("%w: %q", errAnnounceFailed, truncate(body, 120))
	}
	// Keys are sorted and every value before "peers" is an integer, so the
	// first occurrence is the key.
	i := bytes.Index(body, []byte("5:peers"))
	if i < 0 {
		return 0, fmt.Errorf("no peers in %q", truncate(body, 120))
	}
	rest := body[i+len("5:peers"):]
	colon := bytes.IndexByte(rest, ':')
	if colon < 1 {
		return 0, fmt.Errorf("peers is not a compact string: %q", truncate(body, 120))
	}
	n, err := strconv.Atoi(string(rest[:colon]))
	if err != nil || n%6 != 0 || n > len(rest)-colon-1 {
		return 0, fmt.Errorf("bad compact peers length in %q", truncate(body, 120))
	}
	return n / 6, nil
}

func truncate(b []byte, n int) []byte { return b[:min(len(b), n)] }

// appendPercentEncoded escapes every byte, which every tracker accepts.
func appendPercentEncoded(dst, b []byte) []byte {
	const hex = "0123456789ABCDEF"
	for _, c := range b {
		dst = append(dst, '%', hex[c>>4], hex[c&15])
	}
	return dst
}

// offerLoad is a closed-loop WebTorrent generator: sockets WebSockets spread
// evenly over the first swarms of hashes. Each joins its swarm (an announce
// without offers, event=started), then, until dur has passed, announces with
// offersPer offers carrying a fake SDP of benchSDPSize bytes and waits for
// the tracker's reply before announcing again. The figure is the offers that
// arrive at the other sockets of the swarm, per second.
type offerLoad struct {
	url       string // ws://host:port/path
	hashes    [][20]byte
	sockets   int
	swarms    int
	offersPer int
	dur       time.Duration
	seed      uint64
}

type offerResult struct {
	offers    int64 // offers relayed to a socket
	announces int64 // replies to announces with offers
	errors    int64
	elapsed   time.Duration
}

func (r offerResult) perSec() float64 { return float64(r.offers) / r.elapsed.Seconds() }

func (r offerResult) add(o offerResult) offerResult {
	return offerResult{r.offers + o.offers, r.announces + o.announces, r.errors + o.errors, r.elapsed + o.elapsed}
}

func (l offerLoad) run(ctx context.Context) (offerResult, error) {
	peers, err := l.join(ctx)
	defer func() {
		for _, p := range peers {
			_ = p.conn.Close()
		}
	}()
	if err != nil {
		return offerResult{}, err
	}

	ctx, cancel := context.WithTimeout(ctx, l.dur)
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		for _, p := range peers { // unblock every read and write at the end of the run
			_ = p.conn.NetConn().SetDeadline(time.Now())
		}
	})
	defer stop()
	var offers, announces atomic.Int64
	var failed failures
	var wg sync.WaitGroup
	start := time.Now()
	for _, p := range peers {
		wg.Go(func() {
			for ctx.Err() == nil {
				n, err := p.announceWithOffers(l.offersPer)
				offers.Add(int64(n))
				if err != nil {
					if ctx.Err() == nil {
						failed.record(err)
					}
					return // a socket in an unknown state is not reused
				}
				announces.Add(1)
			}
		})
	}
	wg.Wait()
	res := offerResult{offers.Load(), announces.Load(), failed.count(), time.Since(start)}
	if err := failed.err("sockets"); err != nil {
		return res, err
	}
	if res.offers == 0 {
		return res, errors.New("no offer relayed")
	}
	return res, nil
}

// join dials every socket and announces it to its swarm, so the timed part
// starts with full swarms.
func (l offerLoad) join(ctx context.Context) ([]*offerPeer, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	dialer := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	rng := rand.New(rand.NewPCG(l.seed, 0))
	peers := make([]*offerPeer, 0, l.sockets)
	for i := range l.sockets {
		conn, resp, err := dialer.DialContext(ctx, l.url, nil)
		if err != nil {
			return peers, fmt.Errorf("dial %s: %w", l.url, err)
		}
		_ = resp.Body.Close()
		p := &offerPeer{conn: conn, infoHash: l.hashes[i%l.swarms], rng: rand.New(rand.NewPCG(l.seed, uint64(i+1)))}
		copy(p.peerID[:], "-WW0208-")
		for j := 8; j < len(p.peerID); j++ {
			p.peerID[j] = byte(rng.Uint32())
		}
		p.sdp = fakeSDP(rng)
		p.prefix = appendJSONBinary([]byte(`{"action":"announce","info_hash":`), p.infoHash[:])
		p.prefix = appendJSONBinary(append(p.prefix, `,"peer_id":`...), p.peerID[:])
		peers = append(peers, p)
	}
	dl, _ := ctx.Deadline()
	for _, p := range peers {
		_ = p.conn.NetConn().SetDeadline(dl)
		if _, err := p.announceWithOffers(0); err != nil {
			return peers, fmt.Errorf("join: %w", err)
		}
		_ = p.conn.NetConn().SetDeadline(time.Time{})
	}
	return peers, nil
}

// offerPeer is one browser: a socket in one swarm. Only its own goroutine
// uses it.
type offerPeer struct {
	conn     *websocket.Conn
	infoHash [20]byte
	peerID   [20]byte
	sdp      []byte // JSON-escaped, without quotes
	prefix   []byte // `{"action":"announce","info_hash":"…","peer_id":"…"`
	rng      *rand.Rand
	msg      []byte
	in       bytes.Buffer
	received int64
	joined   bool
}

var (
	errTrackerFailure = errors.New("tracker failure")
	errUnexpectedMsg  = errors.New("unexpected message")
)

// announceWithOffers announces with n offers (event=started on the first
// announce) and reads messages until the tracker's reply, returning the
// offers of other peers received meanwhile.
func (p *offerPeer) announceWithOffers(n int) (int, error) {
	m := append(p.msg[:0], p.prefix...)
	m = append(m, `,"numwant":`...)
	m = strconv.AppendInt(m, int64(n), 10)
	m = append(m, `,"uploaded":0,"downloaded":0,"left":1048576`...)
	if !p.joined {
		m = append(m, `,"event":"started"`...)
	}
	m = append(m, `,"offers":[`...)
	for i := range n {
		if i > 0 {
			m = append(m, ',')
		}
		var offerID [20]byte
		for j := range offerID {
			offerID[j] = byte(p.rng.Uint32())
		}
		m = appendJSONBinary(append(m, `{"offer_id":`...), offerID[:])
		m = append(m, `,"offer":{"type":"offer","sdp":"`...)
		m = append(m, p.sdp...)
		m = append(m, `"}}`...)
	}
	m = append(m, "]}"...)
	p.msg = m
	if err := p.conn.WriteMessage(websocket.TextMessage, m); err != nil {
		return 0, err
	}
	offers := 0
	for {
		msg, err := p.read()
		if err != nil {
			return offers, err
		}
		// Most messages are offers: look for that key first. A key's quotes
		// cannot occur unescaped inside a string, so a failure whose reason
		// mentions offer_id is not mistaken for an offer.
		switch {
		case bytes.Contains(msg, []byte(`"offer_id"`)):
			p.received++
			if p.received%64 == 1 { // check a sample in full, cheaply
				if err := p.checkOffer(msg); err != nil {
					return offers, err
				}
			}
			offers++
		case bytes.Contains(msg, []byte(`"failure reason"`)):
			return offers, fmt.Errorf("%w: %s", errTrackerFailure, truncate(msg, 200))
		case bytes.Contains(msg, []byte(`"interval"`)):
			if !p.joined {
				if err := p.checkReply(msg); err != nil {
					return offers, err
				}
				p.joined = true
			}
			return offers, nil
		default:
			return offers, fmt.Errorf("%w: %s", errUnexpectedMsg, truncate(msg, 200))
		}
	}
}

func (p *offerPeer) read() ([]byte, error) {
	_, r, err := p.conn.NextReader()
	if err != nil {
		return nil, err
	}
	p.in.Reset()
	if _, err := p.in.ReadFrom(r); err != nil {
		return nil, err
	}
	return p.in.Bytes(), nil
}

// relayedOffer is an offer as the tracker relays it.
type relayedOffer struct {
	Action   string `json:"action"`
	InfoHash string `json:"info_hash"`
	PeerID   string `json:"peer_id"`
	OfferID  string `json:"offer_id"`
	Offer    struct {
		Type string `json:"type"`
		SDP  string `json:"sdp"`
	} `json:"offer"`
	Interval *int `json:"interval"`
}

func (p *offerPeer) checkOffer(msg []byte) error {
	var o relayedOffer
	if err := json.Unmarshal(msg, &o); err != nil {
		return fmt.Errorf("offer %s: %w", truncate(msg, 200), err)
	}
	ih, okIH := binaryString(o.InfoHash)
	from, okFrom := binaryString(o.PeerID)
	_, okID := binaryString(o.OfferID)
	switch {
	case o.Action != "announce" || o.Offer.Type != "offer" || len(o.Offer.SDP) != benchSDPSize:
		return fmt.Errorf("%w: %s", errUnexpectedMsg, truncate(msg, 200))
	case !okIH || !okFrom || !okID || ih != p.infoHash:
		return fmt.Errorf("%w: bad ids in %s", errUnexpectedMsg, truncate(msg, 200))
	case from == p.peerID:
		return fmt.Errorf("%w: own offer relayed back", errUnexpectedMsg)
	}
	return nil
}

func (p *offerPeer) checkReply(msg []byte) error {
	var r relayedOffer
	if err := json.Unmarshal(msg, &r); err != nil {
		return fmt.Errorf("reply %s: %w", truncate(msg, 200), err)
	}
	if ih, ok := binaryString(r.InfoHash); r.Action != "announce" || r.Interval == nil || !ok || ih != p.infoHash {
		return fmt.Errorf("%w: reply %s", errUnexpectedMsg, truncate(msg, 200))
	}
	return nil
}

// binaryString decodes a WebTorrent id: 20 code points, each a byte.
func binaryString(s string) ([20]byte, bool) {
	var b [20]byte
	i := 0
	for _, r := range s {
		if r > 0xff || i == len(b) {
			return b, false
		}
		b[i] = byte(r)
		i++
	}
	return b, i == len(b)
}

// appendJSONBinary appends b as a quoted JSON string whose code points are
// the bytes, as browsers send ids (bytes ≥ 0x80 become two UTF-8 bytes).
func appendJSONBinary(dst, b []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for _, c := range b {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		case c < 0x80:
			dst = append(dst, c)
		default:
			dst = utf8.AppendRune(dst, rune(c))
		}
	}
	return append(dst, '"')
}

// benchSDPSize is the length of every fake SDP (after JSON decoding), about
// what a browser's data-channel-only offer weighs.
const benchSDPSize = 520

// fakeSDP returns a JSON-escaped data-channel offer of benchSDPSize bytes
// with random credentials.
func fakeSDP(rng *rand.Rand) []byte {
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alnum[rng.IntN(len(alnum))]
		}
		return string(b)
	}
	var fp strings.Builder
	for i := range 32 {
		if i > 0 {
			fp.WriteByte(':')
		}
		fmt.Fprintf(&fp, "%02X", byte(rng.Uint32()))
	}
	sdp := "v=0\r\no=- " + strconv.FormatUint(rng.Uint64()>>1, 10) + " 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
		"a=group:BUNDLE 0\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS\r\n" +
		"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n" +
		"a=ice-ufrag:" + word(4) + "\r\na=ice-pwd:" + word(24) + "\r\na=ice-options:trickle\r\n" +
		"a=fingerprint:sha-256 " + fp.String() + "\r\na=setup:actpass\r\na=mid:0\r\n" +
		"a=sctp-port:5000\r\na=max-message-size:262144\r\n"
	if len(sdp) > benchSDPSize {
		sdp = sdp[:benchSDPSize]
	}
	sdp += "a=x-pad:" + strings.Repeat("0", max(0, benchSDPSize-len(sdp)-10)) + "\r\n"
	sdp = sdp[:benchSDPSize]
	quoted, _ := json.Marshal(sdp) // a string always marshals
	return quoted[1 : len(quoted)-1]
}

func TestCompactPeerCount(t *testing.T) {
	tests := []struct {
		body    string
		want    int
		wantErr bool
	}{
		{"d8:completei1e10:incompletei2e8:intervali600e5:peers12:abcdefghijkl6:peers60:e", 2, false},
		{"d8:intervali600e5:peers0:e", 0, false},
		{"d14:failure reason7:go awaye", 0, true},
		{"d8:intervali600e5:peers7:abcdefge", 0, true}, // not a multiple of 6
		{"d8:intervali600e5:peers60:abce", 0, true},    // longer than the body
		{"d8:intervali600ee", 0, true},                 // no peers
		{"<html>", 0, true},
	}
	for _, tt := range tests {
		got, err := compactPeerCount([]byte(tt.body))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("compactPeerCount(%q) = %d, %v; want %d, error %v", tt.body, got, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzCompactPeerCount(f *testing.F) {
	f.Add([]byte("d8:intervali600e5:peers6:abcdefe"))
	f.Add([]byte("d14:failure reason1:xe"))
	f.Add([]byte("d5:peers-1:e"))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := compactPeerCount(body)
		if err == nil && (n < 0 || 6*n > len(body)) {
			t.Fatalf("%d peers in a %d-byte body", n, len(body))
		}
	})
}

func TestJSONBinaryRoundTrip(t *testing.T) {
	var all [256]byte
	for i := range all {
		all[i] = byte(i)
	}
	for off := 0; off+20 <= len(all); off += 20 {
		var id [20]byte
		copy(id[:], all[off:])
		var s string
		if err := json.Unmarshal(appendJSONBinary(nil, id[:]), &s); err != nil {
			t.Fatalf("bytes %d..: %v", off, err)
		}
		if got, ok := binaryString(s); !ok || got != id {
			t.Fatalf("bytes %d..: round trip gave %x, %v", off, got, ok)
		}
	}
	if _, ok := binaryString("\u0100" + string(make([]byte, 19))); ok {
		t.Fatal("a code point above 0xff was accepted")
	}
}

func TestFakeSDPSize(t *testing.T) {
	var sdp string
	if err := json.Unmarshal(append(append([]byte{'"'}, fakeSDP(rand.New(rand.NewPCG(1, 2)))...), '"'), &sdp); err != nil {
		t.Fatal(err)
	}
	if len(sdp) != benchSDPSize || !strings.HasPrefix(sdp, "v=0\r\n") || !strings.HasSuffix(sdp, "\r\n") {
		t.Fatalf("SDP of %d bytes: %q", len(sdp), sdp)
	}
}
