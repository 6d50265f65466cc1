package tracker

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"testing"

	"github.com/valyala/fasthttp"
)

// BenchmarkServeAnnounce measures the whole HTTP announce path (parse,
// admit, store, encode) on a reused fasthttp context, without the network.
func BenchmarkServeAnnounce(b *testing.B) {
	const torrents, perTorrent = 1000, 100
	reg := NewRegistry()
	for i := range torrents {
		reg.Add(trkHash(i))
	}
	tr := New(Config{Rate: 1e12, Burst: 1 << 30, AlarmDistinct: 1 << 20}, reg)
	for tor := range torrents {
		for p := range perTorrent {
			id := trkPeerID(p)
			addr := trkAddr4(tor*perTorrent + p)
			a := peerAnnounce{infoHash: trkHash(tor), key: peerKey(&id, addr), addr: addr, port: 6881}
			tr.peers.announce(&a, 1, nil, nil)
		}
	}
	uris := make([][]byte, 256)
	for i := range uris {
		ih, id := trkHash(i*3), trkPeerID(1000+i)
		uris[i] = fmt.Appendf(nil, "/tracker/announce?info_hash=%s&peer_id=%s&port=6881&uploaded=0&downloaded=0&left=5&compact=1",
			url.QueryEscape(string(ih[:])), url.QueryEscape(string(id[:])))
	}
	var ctx fasthttp.RequestCtx
	var req fasthttp.Request
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 5000}, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		ctx.Request.SetRequestURIBytes(uris[i%len(uris)])
		ctx.Response.Reset()
		tr.ServeAnnounce(&ctx)
		if body := ctx.Response.Body(); !bytes.Contains(body, []byte("5:peers120:")) {
			b.Fatalf("answer %q", body)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "announces/s")
}
