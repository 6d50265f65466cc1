package edge

import (
	"errors"
	"math"
	"slices"
	"strconv"
)

// ByteRange is one satisfiable range of a resource: Length bytes from Start.
type ByteRange struct {
	Start, Length int64
}

// Last is the offset of the range's last byte (the "last-pos" of RFC 9110).
func (r ByteRange) Last() int64 { return r.Start + r.Length - 1 }

var (
	// ErrInvalidRange reports a Range header that is malformed or uses a unit
	// other than bytes. RFC 9110 §14.2 lets (for unknown units: requires) the
	// server ignore it, so the caller serves the whole representation.
	ErrInvalidRange = errors.New("edge: invalid range")
	// ErrUnsatisfiable reports a well-formed Range header none of whose ranges
	// overlaps the resource: answer 416 with Content-Range: bytes */size.
	ErrUnsatisfiable = errors.New("edge: range not satisfiable")

	// errTooManyRanges reports more range-specs than the server accepts; it is
	// answered like an invalid header (the whole representation).
	errTooManyRanges = errors.New("edge: too many ranges")
)

// maxRangeSpecs bounds how many range-specs one request may carry. Players and
// BitTorrent WebSeed clients ask for one; more than a few dozen is abuse.
const maxRangeSpecs = 32

// appendRanges parses an HTTP Range header value against a resource of
// size bytes (RFC 9110 §14), appending to dst (so callers can pass a stack
// buffer). It returns the satisfiable ranges in request order, clamped to
// the resource; ErrUnsatisfiable (→ 416) when none is satisfiable,
// ErrInvalidRange when the header is malformed or not in bytes (→ serve the
// whole representation, since RFC 9110 says to ignore such a header), or
// when it holds more than limit range-specs (limit >= 0).
//
// Unsatisfiable range-specs next to satisfiable ones are dropped. A suffix
// range longer than the resource selects all of it; bytes=-0 selects nothing.
func appendRanges(dst []ByteRange, header []byte, size int64, limit int) ([]ByteRange, error) {
	eq := -1
	for i, c := range header {
		if c == '=' {
			eq = i
			break
		}
	}
	// Range units compare case-insensitively (RFC 9110 §14.1).
	if eq != len("bytes") || !asciiEqualFold(header[:eq], "bytes") {
		return dst, ErrInvalidRange
	}
	base := len(dst)
	specs := 0
	rest := header[eq+1:]
	for len(rest) > 0 {
		var elem []byte
		elem, rest = cutByte(rest, ',')
		elem = trimOWS(elem)
		if len(elem) == 0 {
			continue // the #rule list syntax allows empty elements
		}
		specs++
		if limit >= 0 && specs > limit {
			return dst[:base], errTooManyRanges
		}
		first, last, ok := cutDash(elem)
		if !ok {
			return dst[:base], ErrInvalidRange
		}
		first, last = trimOWS(first), trimOWS(last)
		if len(first) == 0 {
			// suffix-range: the last n bytes.
			n, ok := parseDigits(last)
			if !ok {
				return dst[:base], ErrInvalidRange
			}
			if n == 0 || size <= 0 {
				continue // unsatisfiable
			}
			n = min(n, size)
			dst = append(dst, ByteRange{Start: size - n, Length: n})
			continue
		}
		start, ok := parseDigits(first)
		if !ok {
			return dst[:base], ErrInvalidRange
		}
		end := int64(math.MaxInt64)
		if len(last) > 0 {
			if end, ok = parseDigits(last); !ok || end < start {
				return dst[:base], ErrInvalidRange
			}
		}
		if start >= size {
			continue // unsatisfiable
		}
		end = min(end, size-1)
		dst = append(dst, ByteRange{Start: start, Length: end - start + 1})
	}
	if specs == 0 {
		return dst[:base], ErrInvalidRange // range-set needs at least one range-spec
	}
	if len(dst) == base {
		return dst, ErrUnsatisfiable
	}
	return dst, nil
}

// coalesceRanges applies the multi-range policy: ranges that neither overlap
// nor touch are kept in the client's order; otherwise they are sorted and
// overlapping or adjacent ones merged (RFC 9110 §15.3.7.2 allows both), so a
// response never repeats bytes. It works in place.
func coalesceRanges(rs []ByteRange) []ByteRange {
	if len(rs) < 2 || disjoint(rs) {
		return rs
	}
	slices.SortFunc(rs, func(a, b ByteRange) int {
		switch {
		case a.Start < b.Start:
			return -1
		case a.Start > b.Start:
			return 1
		}
		return 0
	})
	out := rs[:1]
	for _, r := range rs[1:] {
		cur := &out[len(out)-1]
		if r.Start <= cur.Last()+1 {
			cur.Length = max(cur.Last(), r.Last()) - cur.Start + 1
			continue
		}
		out = append(out, r)
	}
	return out
}

// disjoint reports whether no two ranges overlap or touch. n is at most
// maxRangeSpecs, so the quadratic scan is cheap and allocation-free.
func disjoint(rs []ByteRange) bool {
	for i := range rs {
		for j := i + 1; j < len(rs); j++ {
			if rs[i].Start <= rs[j].Last()+1 && rs[j].Start <= rs[i].Last()+1 {
				return false
			}
		}
	}
	return true
}

// sumLengths adds the ranges' lengths, saturating instead of overflowing.
func sumLengths(rs []ByteRange) int64 {
	var sum int64
	for _, r := range rs {
		if sum > math.MaxInt64-r.Length {
			return math.MaxInt64
		}
		sum += r.Length
	}
	return sum
}

// appendContentRange appends "bytes first-last/size".
func appendContentRange(dst []byte, r ByteRange, size int64) []byte {
	dst = append(dst, "bytes "...)
	dst = strconv.AppendInt(dst, r.Start, 10)
	dst = append(dst, '-')
	dst = strconv.AppendInt(dst, r.Last(), 10)
	dst = append(dst, '/')
	return strconv.AppendInt(dst, size, 10)
}

// appendUnsatisfiedRange appends "bytes */size" for a 416.
func appendUnsatisfiedRange(dst []byte, size int64) []byte {
	dst = append(dst, "bytes */"...)
	return strconv.AppendInt(dst, size, 10)
}

// parseDigits parses 1*DIGIT, saturating at MaxInt64: a huge first-pos is
// simply unsatisfiable and a huge last-pos or suffix-length covers everything,
// so overflow is not a syntax error. Signs are not digits.
func parseDigits(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (math.MaxInt64-d)/10 {
			n = math.MaxInt64
			continue
		}
		n = n*10 + d
	}
	return n, true
}

func cutByte(b []byte, sep byte) (before, after []byte) {
	for i, c := range b {
		if c == sep {
			return b[:i], b[i+1:]
		}
	}
	return b, nil
}

func cutDash(b []byte) (first, last []byte, ok bool) {
	for i, c := range b {
		if c == '-' {
			return b[:i], b[i+1:], true
		}
	}
	return nil, nil, false
}

// trimOWS trims optional whitespace (SP / HTAB).
func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// asciiEqualFold compares b with the lower-case ASCII string s, ignoring case.
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}
