package tracker

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func FuzzParseSocketMessage(f *testing.F) {
	ih := jsonStr(wsBinStr(wsID(0xA1, 1)))
	peer := jsonStr(wsBinStr(wsID(0x81, 0xAA)))
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
		req, perr := parseSocketMessage(data, 100)
		// The parser validates in the same pass as it reads fields: an
		// object is refused as invalid exactly when encoding/json refuses it.
		trimmed := bytes.TrimLeft(data, " \t\r\n")
		if len(trimmed) > 0 && trimmed[0] == '{' && bytes.Count(data, []byte("["))+bytes.Count(data, []byte("{")) <= wsMaxDepth {
			refusedAsInvalid := perr != nil && perr.Reason == "message is not valid JSON"
			if refusedAsInvalid == json.Valid(data) {
				t.Fatalf("parse of %q: refused as invalid %v, json.Valid %v", data, refusedAsInvalid, json.Valid(data))
			}
		}
		if perr != nil {
			if perr.Reason == "" || (perr.Action != "announce" && perr.Action != "scrape") {
				t.Fatalf("unusable failure %+v", perr)
			}
			reply := appendFailure(nil, perr.Action, perr.Reason, &perr.InfoHash)
			if !json.Valid(reply) {
				t.Fatalf("failure reply is not JSON: %q", reply)
			}
			return
		}
		// Every accepted id survives our encoding exactly.
		ids := [][idLen]byte{req.InfoHash, req.PeerID, req.ToPeerID, req.OfferID}
		ids = append(ids, req.InfoHashes...)
		for _, o := range req.Offers {
			ids = append(ids, o.ID)
			reply := appendOfferRelay(nil, &o, &req.PeerID, &req.InfoHash)
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
		if req.Action == wsActionAnswer && !json.Valid(appendAnswerRelay(nil, req.Answer, &req.OfferID, &req.PeerID, &req.InfoHash)) {
			t.Fatal("relayed answer is not JSON")
		}
		if req.Action == wsActionScrape && len(req.InfoHashes) == 0 {
			t.Fatal("scrape accepted without info hashes")
		}
	})
}

// FuzzValidJSON checks our validator against encoding/json's on any input
// (within the nesting bound, which encoding/json does not have).
func FuzzValidJSON(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `"a\u00e9\n"`, `-0.5e+3`, `01`, `{"a":[1,true,null,{"b":"\x"}]}`, `[1,]`, `{"a" 1}`, "\"\x01\"", ` 1 `, `1 2`, `tru`, `"\ud800"`, `1.`, `-`, `[[[[]]]]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.Count(data, []byte("["))+bytes.Count(data, []byte("{")) > wsMaxDepth {
			return
		}
		if got, want := validJSON(data), json.Valid(data); got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid = %v", data, got, want)
		}
	})
}

// TestValidJSONWordBoundaries puts each byte that matters inside a string at
// every position of the 8-byte words validString skips, plus bytes ≥ 0x80
// next to it, and compares with encoding/json.
func TestValidJSONWordBoundaries(t *testing.T) {
	specials := []string{`"`, `\`, `\n`, `\u00e9`, `\x`, "\x00", "\x1f", " ", "\x7f", "\xc3\xa9", "\xff", `\\`}
	for _, special := range specials {
		for pos := range 20 {
			for _, filler := range []string{"a", "\xe9"} {
				body := strings.Repeat(filler, pos) + special + strings.Repeat(filler, 20-pos)
				data := []byte(`{"s":"` + body + `"}`)
				if got, want := validJSON(data), json.Valid(data); got != want {
					t.Fatalf("validJSON(%q) = %v, json.Valid = %v", data, got, want)
				}
			}
		}
	}
}

// FuzzDecodeID checks the id decoder against a reference built on
// encoding/json: decode the JSON string, then require 20 code points ≤ 0xFF.
func FuzzDecodeID(f *testing.F) {
	for _, s := range []string{jsonStr(wsBinStr(wsID(1, 2))), `"aaaaaaaaaaaaaaaaaaa\u00ff"`, `"aaaaaaaaaaaaaaaaaaa\u0100"`, `"aaaaaaaaaaaaaaaaaaa\ud800"`, `"\n"`, `"aaaaaaaaaaaaaaaaaaa\/"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return // DecodeID only ever sees valid JSON
		}
		got, gotErr := DecodeID(raw)
		var s string
		wantOK := json.Unmarshal(raw, &s) == nil
		var want [20]byte
		n := 0
		for _, r := range s {
			if r > 0xFF || n == 20 {
				wantOK = false
				break
			}
			want[n] = byte(r)
			n++
		}
		wantOK = wantOK && n == 20
		if (gotErr == nil) != wantOK || (wantOK && got != want) {
			t.Fatalf("DecodeID(%q) = %x, %v; reference %x, ok=%v", raw, got, gotErr, want, wantOK)
		}
	})
}
