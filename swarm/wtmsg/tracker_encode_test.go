package wtmsg

import (
	"encoding/json"
	"strings"
	"testing"
)

// BenchmarkAppendAnnounceRelays writes what a tracker sends for one
// WebTorrent announce: 5 relayed offers of ~1 KiB SDP, sharing one sender
// tail, then the reply, into reused buffers as the tracker's sockets do.
func BenchmarkAppendAnnounceRelays(b *testing.B) {
	sdp, _ := json.Marshal(SessionDescription{Type: "offer", SDP: strings.Repeat("a=candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host\r\n", 16)})
	offers := make([]RawOffer, 5)
	for k := range offers {
		offers[k] = RawOffer{ID: testID(1, byte(k)), SDP: sdp}
	}
	from, ih := testID(2, 2), testID(0xA1, 1)
	var sender, scratch []byte
	b.ReportAllocs()
	for b.Loop() {
		sender = AppendRelaySender(sender[:0], &from, &ih)
		for k := range offers {
			scratch = AppendOfferRelay(scratch[:0], &offers[k], sender)
		}
		scratch = AppendAnnounceReply(scratch[:0], &ih, 120, Counts{Complete: 3, Incomplete: 4})
	}
}
