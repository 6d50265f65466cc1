package edge

import (
	"errors"
	"math"
	"slices"
	"testing"
)

// parseRange is appendRanges without a buffer or a limit.
func parseRange(header []byte, size int64) ([]ByteRange, error) {
	return appendRanges(nil, header, size, -1)
}

func TestParseRange(t *testing.T) {
	const size = 1000
	tests := []struct {
		header string
		want   []ByteRange
		err    error
	}{
		{"bytes=0-99", []ByteRange{{0, 100}}, nil},
		{"bytes=0-0", []ByteRange{{0, 1}}, nil},
		{"bytes=999-999", []ByteRange{{999, 1}}, nil},
		{"bytes=500-", []ByteRange{{500, 500}}, nil},
		{"bytes=-100", []ByteRange{{900, 100}}, nil},
		{"bytes=-5000", []ByteRange{{0, 1000}}, nil},
		{"bytes=900-5000", []ByteRange{{900, 100}}, nil},
		{"bytes=0-99999999999999999999999", []ByteRange{{0, 1000}}, nil},
		{"BYTES=0-1", []ByteRange{{0, 2}}, nil},
		{"bytes= 0-1 , 5-6 ,", []ByteRange{{0, 2}, {5, 2}}, nil},
		{"bytes=0-1,,5-6", []ByteRange{{0, 2}, {5, 2}}, nil},
		{"bytes=0-9,2000-3000,-10", []ByteRange{{0, 10}, {990, 10}}, nil},
		{"bytes=1000-", nil, ErrUnsatisfiable},
		{"bytes=1000-2000", nil, ErrUnsatisfiable},
		{"bytes=99999999999999999999999-", nil, ErrUnsatisfiable},
		{"bytes=-0", nil, ErrUnsatisfiable},
		{"bytes=-0,1000-", nil, ErrUnsatisfiable},
		{"bytes=5-2", nil, ErrInvalidRange},
		{"bytes=0-1,5-2", nil, ErrInvalidRange},
		{"items=0-1", nil, ErrInvalidRange},
		{"bytes 0-1", nil, ErrInvalidRange},
		{"bytes=", nil, ErrInvalidRange},
		{"bytes=,", nil, ErrInvalidRange},
		{"bytes=abc", nil, ErrInvalidRange},
		{"bytes=-", nil, ErrInvalidRange},
		{"bytes=--5", nil, ErrInvalidRange},
		{"bytes=+1-2", nil, ErrInvalidRange},
		{"bytes=1-+2", nil, ErrInvalidRange},
		{"bytes=0x10-20", nil, ErrInvalidRange},
		{"bytes=1-2-3", nil, ErrInvalidRange},
		{"", nil, ErrInvalidRange},
	}
	for _, tt := range tests {
		got, err := parseRange([]byte(tt.header), size)
		if !errors.Is(err, tt.err) {
			t.Errorf("parseRange(%q) error = %v, want %v", tt.header, err, tt.err)
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("parseRange(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func TestParseRangeEmptyResource(t *testing.T) {
	for _, h := range []string{"bytes=0-", "bytes=-1", "bytes=0-0"} {
		if _, err := parseRange([]byte(h), 0); !errors.Is(err, ErrUnsatisfiable) {
			t.Errorf("parseRange(%q, 0) error = %v, want ErrUnsatisfiable", h, err)
		}
	}
}

func TestAppendRangesLimit(t *testing.T) {
	h := []byte("bytes=0-0")
	for i := 1; i < maxRangeSpecs; i++ {
		h = append(h, ",0-0"...)
	}
	if rs, err := appendRanges(nil, h, 10, maxRangeSpecs); err != nil || len(rs) != maxRangeSpecs {
		t.Fatalf("%d specs: got %d ranges, err %v", maxRangeSpecs, len(rs), err)
	}
	h = append(h, ",0-0"...)
	if _, err := appendRanges(nil, h, 10, maxRangeSpecs); !errors.Is(err, errTooManyRanges) {
		t.Fatalf("%d specs: err %v, want errTooManyRanges", maxRangeSpecs+1, err)
	}
}

func TestCoalesceRanges(t *testing.T) {
	tests := []struct {
		in, want []ByteRange
	}{
		{[]ByteRange{{0, 10}}, []ByteRange{{0, 10}}},
		// disjoint ranges keep the client's order
		{[]ByteRange{{20, 10}, {0, 10}}, []ByteRange{{20, 10}, {0, 10}}},
		// overlapping: merged
		{[]ByteRange{{0, 100}, {50, 100}}, []ByteRange{{0, 150}}},
		// adjacent: merged
		{[]ByteRange{{0, 10}, {10, 10}}, []ByteRange{{0, 20}}},
		// contained, out of order
		{[]ByteRange{{50, 10}, {0, 100}, {200, 5}}, []ByteRange{{0, 100}, {200, 5}}},
		// a gap of one byte is kept
		{[]ByteRange{{11, 10}, {0, 10}, {5, 1}}, []ByteRange{{0, 10}, {11, 10}}},
	}
	for _, tt := range tests {
		got := coalesceRanges(slices.Clone(tt.in))
		if !slices.Equal(got, tt.want) {
			t.Errorf("coalesceRanges(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func FuzzParseRange(f *testing.F) {
	seeds := []string{
		"bytes=0-99", "bytes=-100", "bytes=500-", "bytes=-0", "bytes=5-2", "items=0-1",
		"bytes=0-1,3-4,-1", "bytes= 0-1 ,, 9-", "BYTES=0-", "bytes=99999999999999999999-",
		"bytes=0-99999999999999999999", "bytes=", "bytes=,", "bytes=--1", "bytes=1-2-3",
	}
	for _, s := range seeds {
		f.Add([]byte(s), int64(1000))
		f.Add([]byte(s), int64(0))
		f.Add([]byte(s), int64(math.MaxInt64))
	}
	f.Fuzz(func(t *testing.T, header []byte, size int64) {
		if size < 0 {
			size = -(size + 1)
		}
		rs, err := parseRange(header, size)
		switch {
		case err == nil:
			if len(rs) == 0 {
				t.Fatalf("no error but no ranges")
			}
		case errors.Is(err, ErrInvalidRange), errors.Is(err, ErrUnsatisfiable):
			if len(rs) != 0 {
				t.Fatalf("error %v with ranges %v", err, rs)
			}
		default:
			t.Fatalf("unexpected error %v", err)
		}
		for _, r := range rs {
			if r.Start < 0 || r.Length <= 0 || r.Start >= size || r.Length > size-r.Start {
				t.Fatalf("range %+v outside [0,%d) for %q", r, size, header)
			}
		}
		merged := coalesceRanges(slices.Clone(rs))
		if sumLengths(merged) > size {
			t.Fatalf("coalesced ranges %v add up to more than %d", merged, size)
		}
		for i := range merged {
			for j := i + 1; j < len(merged); j++ {
				a, b := merged[i], merged[j]
				if a.Start <= b.Last()+1 && b.Start <= a.Last()+1 {
					t.Fatalf("coalesced ranges %v and %v overlap or touch", a, b)
				}
			}
		}
	})
}

func BenchmarkParseRange(b *testing.B) {
	h := []byte("bytes=1048576-2097151")
	var buf [4]ByteRange
	b.ReportAllocs()
	for b.Loop() {
		if _, err := appendRanges(buf[:0], h, 256<<20, maxRangeSpecs); err != nil {
			b.Fatal(err)
		}
	}
}
