package edge

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/valyala/fasthttp"
)

// ETags are strong: `"` + 16 hex digits of xxhash64(inode, size, mtime in ns) + `"`.
// Strong is honest here because media files are written once under names
// that never change and are never modified in place: any new content is a new
// file (new inode, new mtime), hence a new tag. The device number is left out
// so tags survive a remount. A file rewritten in place with the same size
// within the same nanosecond would keep its tag; the node never does that.
const etagLen = 18

func appendETag(dst []byte, fi *fileInfo) []byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[0:], fi.ino)
	binary.LittleEndian.PutUint64(key[8:], uint64(fi.size))
	binary.LittleEndian.PutUint64(key[16:], uint64(fi.mtimeSec))
	binary.LittleEndian.PutUint64(key[24:], uint64(fi.mtimeNsec))
	sum := xxhash.Sum64(key[:])
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	for shift := 60; shift >= 0; shift -= 4 {
		dst = append(dst, hexDigits[(sum>>uint(shift))&0xf])
	}
	return append(dst, '"')
}

// precondition is the outcome of the conditional request headers.
type precondition int

const (
	proceed precondition = iota
	notModified
	preconditionFailed
)

// evalPreconditions applies RFC 9110 §13.2.2 in its order for a GET or HEAD:
// If-Match, else If-Unmodified-Since (→ 412); then If-None-Match, else
// If-Modified-Since (→ 304). modSec is Last-Modified in Unix seconds, or 0
// when the file has no usable modification time (date conditions are then
// ignored). If-Range is handled with the Range header.
func evalPreconditions(h *fasthttp.RequestHeader, etag []byte, modSec int64) precondition {
	if v := h.Peek(fasthttp.HeaderIfMatch); len(v) > 0 {
		if !etagListMatch(v, etag, false) {
			return preconditionFailed
		}
	} else if v := h.Peek(fasthttp.HeaderIfUnmodifiedSince); len(v) > 0 && modSec > 0 {
		if t, ok := parseHTTPDate(v); ok && modSec > t.Unix() {
			return preconditionFailed
		}
	}
	if v := h.Peek(fasthttp.HeaderIfNoneMatch); len(v) > 0 {
		if etagListMatch(v, etag, true) {
			return notModified
		}
	} else if v := h.Peek(fasthttp.HeaderIfModifiedSince); len(v) > 0 && modSec > 0 {
		if t, ok := parseHTTPDate(v); ok && modSec <= t.Unix() {
			return notModified
		}
	}
	return proceed
}

// ifRangeHolds reports whether a Range header may be honoured: no If-Range,
// or If-Range carries our ETag (strong comparison, so a W/ tag never holds)
// or exactly our Last-Modified date (RFC 9110 §13.1.5).
func ifRangeHolds(h *fasthttp.RequestHeader, etag []byte, modSec int64) bool {
	v := trimOWS(h.Peek(fasthttp.HeaderIfRange))
	if len(v) == 0 {
		return true
	}
	if v[0] == '"' || bytes.HasPrefix(v, []byte("W/")) {
		return bytes.Equal(v, etag)
	}
	t, ok := parseHTTPDate(v)
	return ok && modSec > 0 && t.Unix() == modSec
}

// etagListMatch reports whether an If-Match / If-None-Match value ("*" or a
// list of entity-tags) matches etag: with weak comparison (If-None-Match)
// W/"x" matches "x"; with strong comparison (If-Match) weak tags never match.
// A malformed list matches nothing from the malformed element on.
func etagListMatch(list, etag []byte, weak bool) bool {
	list = trimOWS(list)
	if len(list) == 1 && list[0] == '*' {
		return true // the file exists
	}
	for {
		for len(list) > 0 && (list[0] == ',' || list[0] == ' ' || list[0] == '\t') {
			list = list[1:]
		}
		if len(list) == 0 {
			return false
		}
		isWeak := false
		if bytes.HasPrefix(list, []byte("W/")) {
			isWeak = true
			list = list[2:]
		}
		if len(list) < 2 || list[0] != '"' {
			return false
		}
		end := bytes.IndexByte(list[1:], '"')
		if end < 0 {
			return false
		}
		tag := list[:end+2]
		if bytes.Equal(tag, etag) && (weak || !isWeak) {
			return true
		}
		list = list[end+2:]
	}
}

// parseHTTPDate accepts the IMF-fixdate of RFC 9110 quickly and the two
// obsolete formats through net/http.
func parseHTTPDate(v []byte) (time.Time, bool) {
	if t, err := fasthttp.ParseHTTPDate(v); err == nil {
		return t, true
	}
	t, err := http.ParseTime(string(v))
	return t, err == nil
}
