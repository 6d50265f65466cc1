package wtmsg

import (
	"encoding/json"
	"testing"
)

func TestIDRoundTripsEveryByte(t *testing.T) {
	for start := 0; start < 256; start += IDLen {
		var id ID
		for i := range id {
			id[i] = byte(start + i)
		}
		enc := AppendID(nil, &id)
		if !json.Valid(enc) {
			t.Fatalf("invalid JSON %q", enc)
		}
		got, err := DecodeID(enc)
		if err != nil || got != id {
			t.Fatalf("round trip of %x: got %x, %v", id, got, err)
		}
		// The JS client's own encoding (JSON.stringify of a binary string) must decode too.
		if got, err := DecodeID([]byte(jsBinaryString(id))); err != nil || got != id {
			t.Fatalf("JS-style %s: got %x, %v", jsBinaryString(id), got, err)
		}
	}
}

// FuzzDecodeID checks the id decoder against a reference built on
// encoding/json: decode the JSON string, then require 20 code points ≤ 0xFF.
func FuzzDecodeID(f *testing.F) {
	for _, s := range []string{jsBinaryString(testID(1, 2)), `"aaaaaaaaaaaaaaaaaaa\u00ff"`, `"aaaaaaaaaaaaaaaaaaa\u0100"`, `"aaaaaaaaaaaaaaaaaaa\ud800"`, `"\n"`, `"aaaaaaaaaaaaaaaaaaa\/"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return // DecodeID only ever sees valid JSON
		}
		got, gotErr := DecodeID(raw)
		var s string
		want, wantOK := ID{}, json.Unmarshal(raw, &s) == nil
		if wantOK {
			want, wantOK = idFromText(s)
		}
		if (gotErr == nil) != wantOK || (wantOK && got != want) {
			t.Fatalf("DecodeID(%q) = %x, %v; reference %x, ok=%v", raw, got, gotErr, want, wantOK)
		}
	})
}
