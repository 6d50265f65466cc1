package wtmsg

import (
	"encoding/json"
	"strings"
)

// testID is an id with bytes that exercise the encoding: ≥ 0x80, NUL,
// quote, backslash, and UTF-8 lead bytes that are not UTF-8 here.
func testID(a, b byte) ID {
	return ID{a, b, 0x80, 0xFF, 0x00, '"', '\\', 0x7F, 0xC3, 0xA9, 0x1F, 'x', 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 0xFE}
}

// jsBinaryString is how the JS client writes an id: JSON.stringify of a
// string with one code point per byte.
func jsBinaryString(id ID) string {
	var text strings.Builder
	for _, c := range id {
		text.WriteRune(rune(c))
	}
	quoted, _ := json.Marshal(text.String()) // a string always marshals
	return string(quoted)
}
