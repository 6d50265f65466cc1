package tracker

import (
	"net/netip"
	"slices"
	"strconv"

	"github.com/valyala/fasthttp"
)

// errScrapeDisabled answers scrapes unless Config.Scrape.
var errScrapeDisabled = httpError("scrape is disabled on this tracker")

type httpError string

func (e httpError) Error() string { return string(e) }

// announceScratch is one request's reusable buffers.
type announceScratch struct {
	peers4, peers6, body []byte
}

func newAnnounceScratch(maxPeers int) *announceScratch {
	return &announceScratch{
		peers4: make([]byte, 0, 6*maxPeers),
		peers6: make([]byte, 0, 18*maxPeers),
		body:   make([]byte, 0, 160+24*maxPeers),
	}
}

// ServeAnnounce answers a BEP 3 announce (mounted at /tracker/announce).
func (t *Tracker) ServeAnnounce(ctx *fasthttp.RequestCtx) {
	req, err := parseHTTPAnnounce(ctx.URI().QueryString())
	if err != nil {
		t.stats.refused.Add(1)
		writeHTTPFailure(ctx, err)
		return
	}
	addr := t.ClientAddr(httpRemoteAddr(ctx), ctx.Request.Header.Peek("X-Forwarded-For"))
	if !addr.IsValid() {
		t.stats.refused.Add(1)
		writeHTTPFailure(ctx, httpError("cannot tell your address"))
		return
	}
	if t.IsInternal(ctx.Request.Header.Peek(InternalHeader)) {
		err = t.AdmitInternal(req.infoHash)
	} else {
		err = t.Admit(addr, req.infoHash)
	}
	if err != nil {
		writeHTTPFailure(ctx, err)
		return
	}
	want := 0
	if req.numwant != 0 && req.event != eventStopped {
		want = t.PeerCap(req.numwant)
	}
	a := peerAnnounce{
		infoHash: req.infoHash,
		key:      peerKey(&req.peerID, addr),
		addr:     addr,
		port:     req.port,
		seeder:   req.left == 0,
		event:    req.event,
		want:     want,
	}
	sc := t.scratch.Get().(*announceScratch)
	defer t.scratch.Put(sc)
	if a.event == eventCompleted {
		t.reg.completed(a.infoHash)
	}
	peers4, peers6, counts := t.peers.announce(&a, t.storeTime(t.now()), sc.peers4[:0], sc.peers6[:0])
	counts.downloaded = t.reg.downloaded(a.infoHash)
	sc.body = t.appendAnnounceReply(sc.body[:0], counts, peers4, peers6)
	setBencodeBody(ctx, sc.body)
}

// appendAnnounceReply bencodes an announce answer (keys in sorted order).
func (t *Tracker) appendAnnounceReply(b []byte, c swarmCounts, peers4, peers6 []byte) []byte {
	b = append(b, 'd')
	b = bencodeIntKey(b, "complete", int64(c.complete))
	b = bencodeIntKey(b, "downloaded", int64(c.downloaded))
	b = bencodeIntKey(b, "incomplete", int64(c.incomplete))
	b = bencodeIntKey(b, "interval", int64(t.cfg.Interval.Seconds()))
	b = bencodeIntKey(b, "min interval", int64(t.cfg.MinInterval.Seconds()))
	b = bencodeBytesKey(b, "peers", peers4)
	if len(peers6) > 0 {
		b = bencodeBytesKey(b, "peers6", peers6)
	}
	return append(b, 'e')
}

// ServeScrape answers a BEP 48 scrape (mounted at /tracker/scrape) when
// Config.Scrape is set. Only the info hashes asked for are reported (never
// the whole list), unknown ones are left out, and each costs a rate-limit
// token and counts towards the alarm like an announce.
func (t *Tracker) ServeScrape(ctx *fasthttp.RequestCtx) {
	if !t.cfg.Scrape {
		t.stats.refused.Add(1)
		writeHTTPFailure(ctx, errScrapeDisabled)
		return
	}
	var hashes [maxScrapeHashes]InfoHash
	n, err := parseHTTPScrape(ctx.URI().QueryString(), &hashes)
	if err != nil {
		t.stats.refused.Add(1)
		writeHTTPFailure(ctx, err)
		return
	}
	addr := t.ClientAddr(httpRemoteAddr(ctx), ctx.Request.Header.Peek("X-Forwarded-For"))
	known := hashes[:0]
	for _, ih := range hashes[:n] {
		switch err := t.admit(addr, ih); err {
		case nil:
			known = append(known, ih)
		case ErrUnknownTorrent:
		default:
			writeHTTPFailure(ctx, err)
			return
		}
	}
	t.stats.scrapes.Add(1)
	slices.SortFunc(known, func(a, b InfoHash) int { return compareInfoHashes(&a, &b) })
	b := make([]byte, 0, 16+len(known)*80)
	b = append(b, "d5:filesd"...)
	for _, ih := range known {
		c := t.peers.counts(ih)
		c.downloaded = t.reg.downloaded(ih)
		b = bencodeBytes(b, ih[:])
		b = append(b, 'd')
		b = bencodeIntKey(b, "complete", int64(c.complete))
		b = bencodeIntKey(b, "downloaded", int64(c.downloaded))
		b = bencodeIntKey(b, "incomplete", int64(c.incomplete))
		b = append(b, 'e')
	}
	b = append(b, "ee"...)
	setBencodeBody(ctx, b)
}

func compareInfoHashes(a, b *InfoHash) int {
	for i := range a {
		if a[i] != b[i] {
			return int(a[i]) - int(b[i])
		}
	}
	return 0
}

// httpRemoteAddr is the direct peer's address, unmapped.
func httpRemoteAddr(ctx *fasthttp.RequestCtx) netip.Addr {
	a, _ := netip.AddrFromSlice(ctx.RemoteIP())
	return a.Unmap()
}

// writeHTTPFailure answers HTTP 200 with a bencoded failure reason: clients
// read the reason, not the status.
func writeHTTPFailure(ctx *fasthttp.RequestCtx, err error) {
	var buf [160]byte
	b := append(buf[:0], 'd')
	b = bencodeBytesKey(b, "failure reason", []byte(err.Error()))
	b = append(b, 'e')
	setBencodeBody(ctx, b)
}

func setBencodeBody(ctx *fasthttp.RequestCtx, body []byte) {
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType("text/plain")
	ctx.Response.Header.Set("Cache-Control", "no-store")
	ctx.SetBody(body)
}

func bencodeBytes(b, s []byte) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}

func bencodeKey(b []byte, key string) []byte {
	b = strconv.AppendInt(b, int64(len(key)), 10)
	b = append(b, ':')
	return append(b, key...)
}

func bencodeIntKey(b []byte, key string, v int64) []byte {
	b = bencodeKey(b, key)
	b = append(b, 'i')
	b = strconv.AppendInt(b, v, 10)
	return append(b, 'e')
}

func bencodeBytesKey(b []byte, key string, v []byte) []byte {
	return bencodeBytes(bencodeKey(b, key), v)
}
