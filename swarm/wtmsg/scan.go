package wtmsg

import (
	"encoding/binary"
	"math/bits"
)

// A one-pass JSON validator that can also report spans: it accepts exactly
// what json.Valid accepts (a fuzz target checks they agree), and callers
// that need to know where values lie (the relay path relays offers and
// answers verbatim) hook into objects and arrays to record the spans as
// they are validated, so each byte of a message is looked at once. Every
// index is bounds-checked so that a bug here cannot panic, only misreport.

// memberFunc validates the value of member key, which starts at b[at], and
// returns the index after it; depth is the depth of the enclosing object.
type memberFunc func(key []byte, at, depth int) (int, bool)

// elementFunc is memberFunc for the elements of an array.
type elementFunc func(at, depth int) (int, bool)

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// maxDepth bounds nesting; real messages nest three levels deep.
const maxDepth = 64

// validJSON reports whether b is one valid JSON value, exactly as json.Valid
// does (a fuzz target checks they agree) but several times faster on the
// long SDP strings that make up most of a message. Nesting beyond
// maxDepth is refused.
func validJSON(b []byte) bool {
	i, ok := validValue(b, skipSpace(b, 0), 0)
	return ok && skipSpace(b, i) == len(b)
}

func validValue(b []byte, i, depth int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '"':
		return validString(b, i)
	case c == '{':
		return validObject(b, i, depth+1, nil)
	case c == '[':
		return validArray(b, i, depth+1, nil)
	case c == '-' || (c >= '0' && c <= '9'):
		return validNumber(b, i)
	case c == 't':
		return validLiteral(b, i, "true")
	case c == 'f':
		return validLiteral(b, i, "false")
	case c == 'n':
		return validLiteral(b, i, "null")
	}
	return i, false
}

func validLiteral(b []byte, i int, lit string) (int, bool) {
	if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
		return i + len(lit), true
	}
	return i, false
}

// validObject validates the object at b[i] == '{' at nesting depth depth.
// member, if not nil, validates each value (to record it); keys are passed
// raw, escapes and all (memberKey decodes them).
func validObject(b []byte, i, depth int, member memberFunc) (int, bool) {
	if depth > maxDepth {
		return i, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, false
		}
		keyStart := i
		var ok bool
		if i, ok = validString(b, i); !ok {
			return i, false
		}
		key := b[keyStart+1 : i-1]
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != ':' {
			return i, false
		}
		if i = skipSpace(b, i+1); member != nil {
			i, ok = member(key, i, depth)
		} else {
			i, ok = validValue(b, i, depth)
		}
		if !ok {
			return i, false
		}
		var done bool
		if i, done, ok = nextItem(b, i, '}'); done || !ok {
			return i, ok
		}
	}
}

// validArray validates the array at b[i] == '[' at nesting depth depth;
// elem, if not nil, validates each element (to record it).
func validArray(b []byte, i, depth int, elem elementFunc) (int, bool) {
	if depth > maxDepth {
		return i, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, true
	}
	for {
		var ok bool
		if elem != nil {
			i, ok = elem(i, depth)
		} else {
			i, ok = validValue(b, i, depth)
		}
		if !ok {
			return i, false
		}
		var done bool
		if i, done, ok = nextItem(b, i, ']'); done || !ok {
			return i, ok
		}
	}
}

// nextItem reads what follows a member or element: ',' (then next is the
// following item) or closer (then done, and next is just past it).
func nextItem(b []byte, i int, closer byte) (next int, done, ok bool) {
	i = skipSpace(b, i)
	if i >= len(b) {
		return i, false, false
	}
	switch b[i] {
	case closer:
		return i + 1, true, true
	case ',':
		return skipSpace(b, i+1), false, true
	}
	return i, false, false
}

func validString(b []byte, i int) (int, bool) {
	i++
	for i < len(b) {
		if i = skipPlain(b, i); i >= len(b) {
			break
		}
		c := b[i]
		switch {
		case c == '"':
			return i + 1, true
		case c < 0x20:
			return i, false
		case c == '\\':
			if i+1 >= len(b) {
				return i, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(b)-i < 6 || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return i, false
				}
				i += 6
			default:
				return i, false
			}
		default:
			i++
		}
	}
	return i, false
}

// skipPlain skips, 8 bytes at a time, bytes that neither end nor escape a
// string nor are invalid in one (a quote, a backslash, a control byte). It
// returns the index of the first such byte, or where the last partial word
// starts. SDPs are long runs of plain bytes; the word test is the classic
// "has a zero byte" one.
func skipPlain(b []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i : i+8])
		quote := w ^ (ones * '"')
		backslash := w ^ (ones * '\\')
		// (x - ones) &^ x has the high bit set in some byte iff x has a zero byte.
		special := (w-ones*0x20)&^w | (quote-ones)&^quote | (backslash-ones)&^backslash
		if special &= highs; special != 0 {
			// Borrows only run upwards, so the lowest flag is a true one:
			// jump straight to it (little endian: low bits, first byte).
			return i + bits.TrailingZeros64(special)/8
		}
	}
	return i
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func validNumber(b []byte, i int) (int, bool) {
	digits := func(i int) (int, bool) {
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i, i > start
	}
	if b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return i, false
	}
	var ok bool
	if b[i] == '0' {
		i++
	} else if i, ok = digits(i); !ok {
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		if i, ok = digits(i + 1); !ok {
			return i, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i, ok = digits(i); !ok {
			return i, false
		}
	}
	return i, true
}
