package tracker

import (
	"bytes"
	"errors"
)

// maxQueryLen bounds an announce or scrape query. A real announce is about
// 300 bytes; a scrape of maxScrapeHashes hashes fits too.
const maxQueryLen = 2048

// maxScrapeHashes bounds the info hashes of one scrape.
const maxScrapeHashes = 32

// Query errors; their texts are the clients' "failure reason".
var (
	errQueryTooLong  = errors.New("query too long")
	errInfoHash      = errors.New("info_hash must be exactly 20 bytes, percent-encoded")
	errPeerID        = errors.New("peer_id must be exactly 20 bytes, percent-encoded")
	errPort          = errors.New("port must be a number from 1 to 65535")
	errNumber        = errors.New("uploaded, downloaded and left must be non-negative numbers")
	errNumwant       = errors.New("numwant must be a number")
	errEvent         = errors.New("event must be started, stopped, completed or empty")
	errDuplicate     = errors.New("a parameter appears twice")
	errScrapeNoHash  = errors.New("scrape needs at least one info_hash")
	errScrapeTooMany = errors.New("too many info_hash in one scrape")
)

// httpAnnounce is a parsed HTTP announce. Parameters the tracker does
// not use (ip, key, trackerid, compact, no_peer_id, supportcrypto, …) are
// ignored; see the package doc for why "ip" is.
type httpAnnounce struct {
	infoHash InfoHash
	peerID   PeerID
	port     uint16
	left     int64 // -1 when absent: not a seeder
	numwant  int   // -1 when absent
	event    peerEvent
}

const (
	seenInfoHash = 1 << iota
	seenPeerID
	seenPort
	seenUploaded
	seenDownloaded
	seenLeft
	seenNumwant
	seenEvent
)

// parseHTTPAnnounce parses the raw (still percent-encoded) query of an announce
// without allocating. Repeated known parameters are refused: two info_hash
// or two ports make the request ambiguous.
func parseHTTPAnnounce(query []byte) (httpAnnounce, error) {
	r := httpAnnounce{left: -1, numwant: -1}
	if len(query) > maxQueryLen {
		return r, errQueryTooLong
	}
	seen := 0
	for len(query) > 0 {
		var pair []byte
		pair, query, _ = bytes.Cut(query, []byte{'&'})
		key, val, _ := bytes.Cut(pair, []byte{'='})
		var bit int
		var err error
		switch string(key) {
		case "info_hash":
			bit = seenInfoHash
			if !unescape20(val, &r.infoHash) {
				err = errInfoHash
			}
		case "peer_id":
			bit = seenPeerID
			if !unescape20(val, &r.peerID) {
				err = errPeerID
			}
		case "port":
			bit = seenPort
			n, ok := parseUint(val, 5)
			if !ok || n < 1 || n > 65535 {
				err = errPort
			}
			r.port = uint16(n)
		case "uploaded", "downloaded":
			bit = seenUploaded
			if key[0] == 'd' {
				bit = seenDownloaded
			}
			if _, ok := parseUint(val, 19); !ok {
				err = errNumber
			}
		case "left":
			bit = seenLeft
			n, ok := parseUint(val, 19)
			if !ok {
				err = errNumber
			}
			r.left = int64(n)
		case "numwant":
			bit = seenNumwant
			r.numwant, err = parseNumwant(val)
		case "event":
			bit = seenEvent
			r.event, err = parseEvent(val)
		default:
			continue
		}
		if err != nil {
			return r, err
		}
		if seen&bit != 0 {
			return r, errDuplicate
		}
		seen |= bit
	}
	switch {
	case seen&seenInfoHash == 0:
		return r, errInfoHash
	case seen&seenPeerID == 0:
		return r, errPeerID
	case seen&seenPort == 0:
		return r, errPort
	}
	return r, nil
}

// parseEvent accepts the BEP 3 events. "paused" (BEP 21) and "update" (as
// WebTorrent clients say) are regular announces; anything else is refused
// so that a broken client learns about it instead of being half-tracked.
func parseEvent(v []byte) (peerEvent, error) {
	switch string(v) {
	case "", "update", "paused":
		return eventNone, nil
	case "started":
		return eventStarted, nil
	case "stopped":
		return eventStopped, nil
	case "completed":
		return eventCompleted, nil
	}
	return eventNone, errEvent
}

// parseNumwant accepts a decimal number; a negative one (some clients send
// -1) means "the default".
func parseNumwant(v []byte) (int, error) {
	if len(v) > 0 && v[0] == '-' {
		if _, ok := parseUint(v[1:], 9); !ok {
			return 0, errNumwant
		}
		return -1, nil
	}
	n, ok := parseUint(v, 9)
	if !ok {
		return 0, errNumwant
	}
	return int(n), nil
}

// parseUint parses 1 to maxDigits decimal digits.
func parseUint(v []byte, maxDigits int) (uint64, bool) {
	if len(v) == 0 || len(v) > maxDigits {
		return 0, false
	}
	var n uint64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// unescape20 percent-decodes v into exactly 20 bytes. '+' is a space, as
// in every form-encoded query (Go's url.Values encodes 0x20 that way).
func unescape20(v []byte, dst *[20]byte) bool {
	n := 0
	for i := 0; i < len(v); i++ {
		if n == len(dst) {
			return false
		}
		c := v[i]
		switch c {
		case '%':
			if i+2 >= len(v) {
				return false
			}
			hi, ok1 := unhex(v[i+1])
			lo, ok2 := unhex(v[i+2])
			if !ok1 || !ok2 {
				return false
			}
			c = hi<<4 | lo
			i += 2
		case '+':
			c = ' '
		}
		dst[n] = c
		n++
	}
	return n == len(dst)
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// parseHTTPScrape collects the distinct info hashes of a scrape query into dst.
func parseHTTPScrape(query []byte, dst *[maxScrapeHashes]InfoHash) (int, error) {
	if len(query) > maxQueryLen {
		return 0, errQueryTooLong
	}
	n := 0
	for len(query) > 0 {
		var pair []byte
		pair, query, _ = bytes.Cut(query, []byte{'&'})
		key, val, _ := bytes.Cut(pair, []byte{'='})
		if string(key) != "info_hash" {
			continue
		}
		var ih InfoHash
		if !unescape20(val, &ih) {
			return 0, errInfoHash
		}
		dup := false
		for _, h := range dst[:n] {
			if h == ih {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		if n == len(dst) {
			return 0, errScrapeTooMany
		}
		dst[n] = ih
		n++
	}
	if n == 0 {
		return 0, errScrapeNoHash
	}
	return n, nil
}
