package wtmsg

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzParseClientMessage: whatever a client sends is refused with a usable
// failure or read into ids and spans that the tracker's replies and relays
// carry as valid JSON.
func FuzzParseClientMessage(f *testing.F) {
	ih := jsBinaryString(testID(0xA1, 1))
	peer := jsBinaryString(testID(0x81, 0xAA))
	seeds := []string{
		`{"action":"announce","info_hash":` + ih + `,"peer_id":` + peer + `,"numwant":5,"uploaded":0,"downloaded":0,"left":100,"event":"started","offers":[{"offer_id":` + peer + `,"offer":{"type":"offer","sdp":"v=0"}}]}`,
		`{"action":"announce","info_hash":` + ih + `,"peer_id":` + peer + `,"to_peer_id":` + peer + `,"offer_id":` + peer + `,"answer":{"type":"answer","sdp":"v=0"}}`,
		`{"action":"announce","info_hash":` + ih + `,"peer_id":` + peer + `,"left":0,"event":"completed"}`,
		`{"action":"announce","info_hash":` + ih + `,"peer_id":` + peer + `,"event":"stopped"}`,
		`{"action":"announce","info_hash":` + ih + `,"peer_id":` + peer + `,"numwant":0,"left":-1,"event":"<regular>","offers":[]}`,
		`{"action":"scrape","info_hash":` + ih + `}`,
		`{"action":"scrape","info_hash":[` + ih + `,` + peer + `]}`,
		`{"action":"announce","info_hash":"\u00ff\u0000aaaaaaaaaaaaaaaaaa","peer_id":"\u0100aaaaaaaaaaaaaaaaaaa"}`,
		`{"action":"announce","offers":{}}`,
		`{"action":1}`,
		`[1,2]`,
		`{"action":"announce",`,
		`{"action":"announce","offers":[{"offer":{"sdp":"a\r\n"},"offer_id":1},2,null],"x":[tru]}`,
		`{"offers":null,"offers":[{"offer_id":"x","offer":{}}],"act\u0069on":"scrape"} x`,
		``,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		msg, perr := ParseClientMessage(data, 100)
		// The parser validates in the same pass as it reads fields: an
		// object is refused as invalid exactly when encoding/json refuses it.
		trimmed := bytes.TrimLeft(data, " \t\r\n")
		if len(trimmed) > 0 && trimmed[0] == '{' && bytes.Count(data, []byte("["))+bytes.Count(data, []byte("{")) <= maxDepth {
			refusedAsInvalid := perr != nil && errors.Is(perr, ErrInvalidJSON)
			if refusedAsInvalid == json.Valid(data) {
				t.Fatalf("parse of %q: refused as invalid %v, json.Valid %v", data, refusedAsInvalid, json.Valid(data))
			}
		}
		if perr != nil {
			if perr.Error() == "" || (perr.Action != "announce" && perr.Action != "scrape") {
				t.Fatalf("unusable failure %+v", perr)
			}
			reply := AppendFailure(nil, perr.Action, perr.Error(), &perr.InfoHash)
			if !json.Valid(reply) {
				t.Fatalf("failure reply is not JSON: %q", reply)
			}
			return
		}
		// Every accepted id survives our encoding exactly.
		ids := []ID{msg.InfoHash, msg.PeerID, msg.ToPeerID, msg.OfferID}
		ids = append(ids, msg.InfoHashes...)
		sender := AppendRelaySender(nil, &msg.PeerID, &msg.InfoHash)
		for _, o := range msg.Offers {
			ids = append(ids, o.ID)
			reply := AppendOfferRelay(nil, &o, sender)
			if !json.Valid(reply) {
				t.Fatalf("relayed offer is not JSON: %q", reply)
			}
		}
		for _, id := range ids {
			back, err := DecodeID(AppendID(nil, &id))
			if err != nil || back != id {
				t.Fatalf("id %x re-decoded as %x, %v", id, back, err)
			}
		}
		if msg.Action == ActionAnswer && !json.Valid(AppendAnswerRelay(nil, msg.Answer, &msg.OfferID, &msg.PeerID, &msg.InfoHash)) {
			t.Fatal("relayed answer is not JSON")
		}
		if msg.Action == ActionScrape && len(msg.InfoHashes) == 0 {
			t.Fatal("scrape accepted without info hashes")
		}
	})
}

// BenchmarkParseClientMessage parses a WebTorrent-sized announce: 5 offers of ~1 KiB SDP.
func BenchmarkParseClientMessage(b *testing.B) {
	sdp := strings.Repeat("a=candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host\r\n", 16)
	offers := make([]map[string]any, 5)
	for k := range offers {
		offers[k] = map[string]any{"offer_id": json.RawMessage(jsBinaryString(testID(1, byte(k)))), "offer": map[string]any{"type": "offer", "sdp": sdp}}
	}
	msg, _ := json.Marshal(map[string]any{
		"action": "announce", "info_hash": json.RawMessage(jsBinaryString(testID(0xA1, 1))), "peer_id": json.RawMessage(jsBinaryString(testID(2, 2))),
		"uploaded": 0, "downloaded": 0, "left": 1000, "numwant": 5, "offers": offers,
	})
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, perr := ParseClientMessage(msg, 100); perr != nil {
			b.Fatal(perr)
		}
	}
}
