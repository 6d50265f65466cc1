package wtmsg

import (
	"errors"
	"unicode/utf8"
)

// IDLen is the length of every id on the wire: info_hash, peer_id,
// to_peer_id, offer_id.
const IDLen = 20

// ID is one of those ids. It is an alias, not a type of its own, so that
// the tracker's InfoHash and PeerID (aliases too) and pointers to them pass
// to this package's functions without conversions.
type ID = [IDLen]byte

// ErrNotBinaryString is why an id was refused.
var ErrNotBinaryString = errors.New("not a 20-character binary string")

// DecodeID turns a "binary string", as WebTorrent sends its ids (each code
// point one byte value), into 20 bytes. raw is one valid JSON value (as
// encoding/json hands to UnmarshalJSON); anything but such a string of 20
// code points up to U+00FF is an error.
func DecodeID(raw []byte) (ID, error) {
	var id ID
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return id, ErrNotBinaryString
	}
	body := raw[1 : len(raw)-1]
	n := 0
	for i := 0; i < len(body); {
		var r rune
		switch c := body[i]; {
		case c == '\\':
			var size int
			if r, size = decodeEscape(body[i:]); size == 0 {
				return id, ErrNotBinaryString
			}
			i += size
		case c < 0x80:
			r = rune(c)
			i++
		case (c == 0xC2 || c == 0xC3) && i+1 < len(body) && body[i+1]&0xC0 == 0x80:
			// U+0080..U+00FF, half of every random id: decoded inline.
			r = rune(c&0x1F)<<6 | rune(body[i+1]&0x3F)
			i += 2
		default:
			var size int
			r, size = utf8.DecodeRune(body[i:])
			if r == utf8.RuneError && size == 1 {
				return id, ErrNotBinaryString
			}
			i += size
		}
		if r > 0xFF || n == IDLen {
			return id, ErrNotBinaryString
		}
		id[n] = byte(r)
		n++
	}
	if n != IDLen {
		return id, ErrNotBinaryString
	}
	return id, nil
}

// idFromText is DecodeID for a string already unescaped (a JSON object
// key, which encoding/json hands over decoded).
func idFromText(s string) (ID, bool) {
	var id ID
	n := 0
	for _, r := range s {
		if r > 0xFF || n == IDLen {
			return id, false
		}
		id[n] = byte(r)
		n++
	}
	return id, n == IDLen
}

// decodeEscape decodes the JSON escape at b[0] == '\\'; size 0 means invalid.
// A \u escape of a surrogate is returned as is: above 0xFF, so never a valid id byte.
func decodeEscape(b []byte) (rune, int) {
	if len(b) < 2 {
		return 0, 0
	}
	switch b[1] {
	case '"', '\\', '/':
		return rune(b[1]), 2
	case 'b':
		return '\b', 2
	case 'f':
		return '\f', 2
	case 'n':
		return '\n', 2
	case 'r':
		return '\r', 2
	case 't':
		return '\t', 2
	case 'u':
		if len(b) < 6 {
			return 0, 0
		}
		var r rune
		for _, c := range b[2:6] {
			switch {
			case c >= '0' && c <= '9':
				r = r<<4 | rune(c-'0')
			case c >= 'a' && c <= 'f':
				r = r<<4 | rune(c-'a'+10)
			case c >= 'A' && c <= 'F':
				r = r<<4 | rune(c-'A'+10)
			default:
				return 0, 0
			}
		}
		return r, 6
	}
	return 0, 0
}

// AppendID writes 20 bytes as a JSON binary string, as WebTorrent expects
// its ids: bytes ≥ 0x80 become the code points U+0080..U+00FF (two UTF-8
// bytes), control and quote bytes are escaped.
func AppendID(dst []byte, id *ID) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	for _, b := range id {
		switch {
		case b == '"' || b == '\\':
			dst = append(dst, '\\', b)
		case b < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
		case b < 0x80:
			dst = append(dst, b)
		default:
			dst = append(dst, 0xC0|b>>6, 0x80|b&0x3F)
		}
	}
	return append(dst, '"')
}
