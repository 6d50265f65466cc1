package api

import (
	"errors"
	"strconv"
	"strings"
)

// contentRange is a chunk's Content-Range as resumable upload clients send
// it (RFC 9110 §14.4): "bytes first-last/total", or "bytes */total" for a
// status query without a body.
type contentRange struct {
	first, last int64 // inclusive; meaningless when query
	total       int64
	query       bool
}

var errContentRange = errors.New(`Content-Range must be "bytes first-last/total" or "bytes */total"`)

// maxRangeDigits bounds each number: 18 digits cannot overflow an int64.
const maxRangeDigits = 18

// parseContentRange reads a Content-Range header value. The total is
// required (an upload's size is announced up front); a range must lie
// within it.
func parseContentRange(v string) (contentRange, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(v), "bytes ")
	if !ok {
		return contentRange{}, errContentRange
	}
	span, totalText, ok := strings.Cut(rest, "/")
	if !ok {
		return contentRange{}, errContentRange
	}
	total, ok := rangeNumber(totalText)
	if !ok {
		return contentRange{}, errContentRange
	}
	if span == "*" {
		return contentRange{total: total, query: true}, nil
	}
	firstText, lastText, ok := strings.Cut(span, "-")
	if !ok {
		return contentRange{}, errContentRange
	}
	first, ok1 := rangeNumber(firstText)
	last, ok2 := rangeNumber(lastText)
	if !ok1 || !ok2 || first > last || last >= total {
		return contentRange{}, errContentRange
	}
	return contentRange{first: first, last: last, total: total}, nil
}

// rangeNumber reads a non-empty run of at most maxRangeDigits ASCII digits.
func rangeNumber(s string) (int64, bool) {
	if s == "" || len(s) > maxRangeDigits {
		return 0, false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
