package api

import (
	"strconv"
	"testing"
)

func TestParseContentRange(t *testing.T) {
	t.Parallel()
	good := []struct {
		in   string
		want contentRange
	}{
		{"bytes 0-99/100", contentRange{0, 99, 100, false}},
		{"bytes 100-199/1000", contentRange{100, 199, 1000, false}},
		{"bytes */1000", contentRange{total: 1000, query: true}},
		{" bytes 5-5/6 ", contentRange{5, 5, 6, false}},
	}
	for _, tt := range good {
		got, err := parseContentRange(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("%q: %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{
		"", "bytes", "bytes 0-99", "bytes 0-99/*", "bytes */*", "items 0-9/10",
		"bytes 10-9/100", "bytes 0-100/100", "bytes -5/100", "bytes 0-/100",
		"bytes +1-2/10", "bytes 0x1-2/10", "bytes 1-2/1000000000000000000000",
		"bytes 0-99/100/1", "bytes 0 - 99/100",
	} {
		if got, err := parseContentRange(in); err == nil {
			t.Errorf("%q accepted as %+v", in, got)
		}
	}
}

func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"bytes 0-99/100", "bytes */5", "bytes 9-9/10", "bytes 1-0/3", "bytes 99999999999999999999-1/2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseContentRange(s)
		if err != nil {
			return
		}
		if r.total < 0 || (!r.query && (r.first < 0 || r.first > r.last || r.last >= r.total)) {
			t.Fatalf("%q: accepted an impossible range %+v", s, r)
		}
		// What is accepted reads back the same when written canonically.
		canon := "bytes */" + strconv.FormatInt(r.total, 10)
		if !r.query {
			canon = "bytes " + strconv.FormatInt(r.first, 10) + "-" + strconv.FormatInt(r.last, 10) + "/" + strconv.FormatInt(r.total, 10)
		}
		if r2, err := parseContentRange(canon); err != nil || r2 != r {
			t.Fatalf("%q → %+v, but %q → %+v, %v", s, r, canon, r2, err)
		}
	})
}
