package wtmsg

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"unicode/utf8"
)

// Both sides of the protocol in one package make this possible: what a
// client's encoder writes, the tracker's parser reads back, and what the
// tracker's appenders write, a client's parser reads back, field for field.

// trickySDP has what a JSON string encoder must get right: quotes,
// backslashes, control bytes, non-ASCII (two, three and four UTF-8 bytes),
// U+2028, and the characters encoding/json escapes for HTML.
const trickySDP = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n" +
	"a=x:\"quoted\" back\\slash \\\" \\u0041 é ü 日本 😀 \u2028 <&> \x00\x01\x1f\x7f\t\r\n"

// roundTrip is one set of values that every message of both directions
// carries across.
type roundTrip struct {
	infoHash ID
	peer     ID // the offering client
	other    ID // the answering client, and the id of its offer
	sdp      string
	event    Event
	left     int64
	counts   Counts
	interval int
}

// everyByteIDs returns ids that together hold every byte value 0–255.
func everyByteIDs() []ID {
	ids := make([]ID, (256+IDLen-1)/IDLen)
	for i := range ids {
		for k := range IDLen {
			ids[i][k] = byte(i*IDLen + k) // the last one wraps past 255
		}
	}
	return ids
}

func TestRoundTrips(t *testing.T) {
	cases := []struct {
		name string
		rt   roundTrip
	}{
		{"started seeder", roundTrip{infoHash: testID(1, 2), peer: testID(3, 4), other: testID(5, 6), sdp: trickySDP, event: EventStarted,
			counts: Counts{Complete: 1, Incomplete: 2, Downloaded: 3}, interval: 120}},
		{"leecher, regular announce", roundTrip{infoHash: testID(0xFF, 0), peer: testID(0x80, 0x7F), other: testID(0, 0), sdp: "v=0", left: 1 << 40}},
		{"completed", roundTrip{infoHash: testID(9, 9), peer: testID(8, 8), other: testID(7, 7), sdp: trickySDP, event: EventCompleted}},
		{"stopped", roundTrip{infoHash: testID(9, 9), peer: testID(8, 8), other: testID(7, 7), sdp: trickySDP, event: EventStopped}},
		{"unknown event is sent as none", roundTrip{infoHash: testID(9, 9), peer: testID(8, 8), other: testID(7, 7), event: Event(200)}},
		{"all-zero ids, empty SDP", roundTrip{}},
		{"same id everywhere", roundTrip{infoHash: testID(1, 1), peer: testID(1, 1), other: testID(1, 1), sdp: "é"}},
		{"large counts", roundTrip{infoHash: testID(4, 4), peer: testID(5, 5), other: testID(6, 6), left: -1,
			counts: Counts{Complete: 1 << 31, Incomplete: 1 << 40, Downloaded: 1 << 53}, interval: 1 << 30}},
	}
	ids := everyByteIDs()
	for i := range ids {
		cases = append(cases, struct {
			name string
			rt   roundTrip
		}{fmt.Sprintf("bytes %d-%d", i*IDLen, i*IDLen+IDLen-1), roundTrip{
			infoHash: ids[i], peer: ids[(i+1)%len(ids)], other: ids[(i+2)%len(ids)],
			sdp: trickySDP, event: Event(i % 4), left: int64(i % 2), counts: Counts{Complete: i, Incomplete: 2 * i, Downloaded: uint64(3 * i)}, interval: i,
		}})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.rt.check(t) })
	}
}

// TestScrapeReplyEveryByte reads back one scrape reply for ids that hold
// every byte value, as JSON object keys rather than values.
func TestScrapeReplyEveryByte(t *testing.T) {
	ids := everyByteIDs()
	counts := make([]Counts, len(ids))
	want := TrackerMessage{Kind: KindScrapeReply, Action: "scrape", Files: make(map[ID]Counts)}
	for i, ih := range ids {
		counts[i] = Counts{Complete: i, Incomplete: i + 1, Downloaded: uint64(i + 2)}
		want.Files[ih] = counts[i]
	}
	checkTrackerMessage(t, AppendScrapeReply(nil, ids, counts), want)
}

// FuzzRoundTrips runs roundTrip.check on any ids, SDP and numbers.
func FuzzRoundTrips(f *testing.F) {
	f.Add([]byte{1, 2}, []byte("\x00\x7f\x80\xff\"\\"), []byte("é"), trickySDP, uint8(1), int64(0), int32(1), int32(2), uint32(3), int32(120))
	f.Add([]byte{}, []byte{}, []byte{}, "", uint8(9), int64(-1), int32(-1), int32(0), uint32(0), int32(0))
	f.Fuzz(func(t *testing.T, ih, peer, other []byte, sdp string, event uint8, left int64, complete, incomplete int32, downloaded uint32, interval int32) {
		if !utf8.ValidString(sdp) {
			return // written as U+FFFD, as encoding/json does: nothing to read back
		}
		rt := roundTrip{sdp: sdp, event: Event(event), left: left, interval: int(interval),
			counts: Counts{Complete: int(complete), Incomplete: int(incomplete), Downloaded: uint64(downloaded)}}
		copy(rt.infoHash[:], ih)
		copy(rt.peer[:], peer)
		copy(rt.other[:], other)
		rt.check(t)
	})
}

// check sends rt's values through every message: peer announces with two
// offers, the tracker relays them, other answers, the tracker relays the
// answer; the tracker replies, scrapes and refuses.
func (rt *roundTrip) check(t testing.TB) {
	t.Helper()
	announce := Announce{InfoHash: rt.infoHash, PeerID: rt.peer, Event: rt.event, Uploaded: 1, Downloaded: 2, Left: rt.left,
		Offers: []Offer{{ID: rt.other, SDP: rt.sdp}, {ID: rt.peer, SDP: ""}}}
	event := rt.event
	if event > EventStopped {
		event = EventUpdate
	}
	got := parseClient(t, AppendAnnounce(nil, &announce))
	want := ClientMessage{Action: ActionAnnounce, InfoHash: rt.infoHash, PeerID: rt.peer, NumWant: 2, Seeder: rt.left == 0, Event: event}
	offers := got.Offers
	got.Offers = nil
	if !reflect.DeepEqual(got, want) || len(offers) != len(announce.Offers) {
		t.Fatalf("announce read back as %+v with %d offers, want %+v with %d", got, len(offers), want, len(announce.Offers))
	}
	sender := AppendRelaySender(nil, &rt.peer, &rt.infoHash)
	for i := range offers {
		sent := &announce.Offers[i]
		if offers[i].ID != sent.ID || readDescription(t, offers[i].SDP) != (SessionDescription{"offer", sent.SDP}) {
			t.Fatalf("offer %d read back as %x %s", i, offers[i].ID, offers[i].SDP)
		}
		checkTrackerMessage(t, AppendOfferRelay(nil, &offers[i], sender), TrackerMessage{
			Kind: KindRelayedOffer, Action: "announce", InfoHash: rt.infoHash, PeerID: rt.peer, OfferID: sent.ID,
			Description: SessionDescription{"offer", sent.SDP},
		})
	}

	answer := Answer{InfoHash: rt.infoHash, PeerID: rt.other, ToPeerID: rt.peer, OfferID: rt.other, SDP: rt.sdp}
	got = parseClient(t, AppendAnswer(nil, &answer))
	if readDescription(t, got.Answer) != (SessionDescription{"answer", rt.sdp}) {
		t.Fatalf("answer's description read back as %s", got.Answer)
	}
	relayed := AppendAnswerRelay(nil, got.Answer, &got.OfferID, &got.PeerID, &got.InfoHash)
	got.Answer = nil
	want = ClientMessage{Action: ActionAnswer, InfoHash: rt.infoHash, PeerID: rt.other, ToPeerID: rt.peer, OfferID: rt.other}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("answer read back as %+v, want %+v", got, want)
	}
	checkTrackerMessage(t, relayed, TrackerMessage{
		Kind: KindRelayedAnswer, Action: "announce", InfoHash: rt.infoHash, PeerID: rt.other, OfferID: rt.other,
		Description: SessionDescription{"answer", rt.sdp},
	})

	checkTrackerMessage(t, AppendAnnounceReply(nil, &rt.infoHash, rt.interval, rt.counts), TrackerMessage{
		Kind: KindAnnounceReply, Action: "announce", InfoHash: rt.infoHash, Interval: float64(rt.interval),
		Counts: Counts{Complete: rt.counts.Complete, Incomplete: rt.counts.Incomplete}, // downloaded is for scrapes
	})
	checkTrackerMessage(t, AppendScrapeReply(nil, []ID{rt.infoHash}, []Counts{rt.counts}), TrackerMessage{
		Kind: KindScrapeReply, Action: "scrape", Files: map[ID]Counts{rt.infoHash: rt.counts},
	})
	checkTrackerMessage(t, AppendFailure(nil, "announce", rt.sdp, &rt.infoHash), TrackerMessage{
		Kind: KindFailure, Action: "announce", InfoHash: rt.infoHash, Failure: rt.sdp,
	})
	checkTrackerMessage(t, AppendFailure(nil, "scrape", rt.sdp, nil), TrackerMessage{
		Kind: KindFailure, Action: "scrape", Failure: rt.sdp,
	})
}

func parseClient(t testing.TB, data []byte) ClientMessage {
	t.Helper()
	msg, perr := ParseClientMessage(data, 1)
	if perr != nil {
		t.Fatalf("%q refused: %v", data, perr)
	}
	return msg
}

func readDescription(t testing.TB, raw json.RawMessage) SessionDescription {
	t.Helper()
	var d SessionDescription
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("description %q: %v", raw, err)
	}
	return d
}

// checkTrackerMessage reads data as a client does and wants exactly want.
func checkTrackerMessage(t testing.TB, data []byte, want TrackerMessage) {
	t.Helper()
	got, err := ParseTrackerMessage(data)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("%q read as %+v, %v; want %+v", data, got, err, want)
	}
}
