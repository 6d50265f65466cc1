package wtmsg

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzValidJSON checks our validator against encoding/json's on any input
// (within the nesting bound, which encoding/json does not have).
func FuzzValidJSON(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `"a\u00e9\n"`, `-0.5e+3`, `01`, `{"a":[1,true,null,{"b":"\x"}]}`, `[1,]`, `{"a" 1}`, "\"\x01\"", ` 1 `, `1 2`, `tru`, `"\ud800"`, `1.`, `-`, `[[[[]]]]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.Count(data, []byte("["))+bytes.Count(data, []byte("{")) > maxDepth {
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
