package wtmsg

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

// FuzzParseTrackerMessage: whatever a tracker sends is read or refused
// without harm, and what is read, written again by the tracker's
// appenders, reads back the same.
func FuzzParseTrackerMessage(f *testing.F) {
	for _, s := range []string{
		`{"action":"announce","interval":120,"info_hash":"aaaaaaaaaaaaaaaaaaaa","complete":1,"incomplete":0}`,
		`{"action":"announce","offer":{"type":"offer","sdp":"v=0"},"offer_id":"\u00ff\u0000bbbbbbbbbbbbbbbbbb","peer_id":"cccccccccccccccccccc","info_hash":"dddddddddddddddddddd"}`,
		`{"action":"announce","answer":{"type":"answer","sdp":"v=0"},"offer_id":"\u00ff\u0000bbbbbbbbbbbbbbbbbb","peer_id":"cccccccccccccccccccc","info_hash":"dddddddddddddddddddd"}`,
		`{"action":"scrape","files":{"aaaaaaaaaaaaaaaaaaaa":{"complete":1,"incomplete":2,"downloaded":3.0}}}`,
		`{"info_hash":"\u0100aaaaaaaaaaaaaaaaaaa"}`,
		`{"failure reason":"peer-to-peer is disabled","action":"announce"}`,
		`{"action":"announce","offer":null,"interval":1e400}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseTrackerMessage(data)
		if err != nil {
			return
		}
		if m.Kind < KindAnnounceReply || m.Kind > KindFailure {
			t.Fatalf("read %q as kind %d", data, m.Kind)
		}
		again, ok := appendTrackerMessage(&m)
		if !ok {
			return
		}
		back, err := ParseTrackerMessage(again)
		if err != nil || !reflect.DeepEqual(back, m) {
			t.Fatalf("%q read as %+v, written again as %q, read back as %+v, %v", data, m, again, back, err)
		}
	})
}

// appendTrackerMessage writes m with the tracker's appender of its kind;
// false when that appender cannot say it (it writes a fixed action, and
// whole seconds).
func appendTrackerMessage(m *TrackerMessage) ([]byte, bool) {
	switch m.Kind {
	case KindFailure:
		return AppendFailure(nil, m.Action, m.Failure, &m.InfoHash), true
	case KindRelayedOffer:
		desc, _ := json.Marshal(m.Description)
		return AppendOfferRelay(nil, &RawOffer{ID: m.OfferID, SDP: desc}, AppendRelaySender(nil, &m.PeerID, &m.InfoHash)), m.Action == "announce"
	case KindRelayedAnswer:
		desc, _ := json.Marshal(m.Description)
		return AppendAnswerRelay(nil, desc, &m.OfferID, &m.PeerID, &m.InfoHash), m.Action == "announce"
	case KindAnnounceReply:
		whole := m.Interval == math.Trunc(m.Interval) && math.Abs(m.Interval) < 1<<53
		return AppendAnnounceReply(nil, &m.InfoHash, int(m.Interval), m.Counts), m.Action == "announce" && whole
	case KindScrapeReply:
		var hashes []ID
		var counts []Counts
		for ih, c := range m.Files {
			hashes = append(hashes, ih)
			counts = append(counts, c)
		}
		return AppendScrapeReply(nil, hashes, counts), true
	}
	return nil, false
}
