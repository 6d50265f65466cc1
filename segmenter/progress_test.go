package segmenter

import (
	"strings"
	"testing"
	"time"
)

func TestProgressFraction(t *testing.T) {
	tests := []struct {
		line  string
		total time.Duration
		want  float64
		ok    bool
	}{
		{"out_time_us=5000000", 10 * time.Second, 0.5, true},
		{"out_time_us=12000000", 10 * time.Second, 1, true},
		{"out_time_us=-23000", 10 * time.Second, 0, true},
		{"out_time_us=N/A", 10 * time.Second, 0, false},
		{"out_time_us=5000000", 0, 0, false},
		{"out_time_ms=5000000", 10 * time.Second, 0, false},
		{"progress=end", 10 * time.Second, 1, true},
		{"progress=continue", 10 * time.Second, 0, false},
		{"frame=12", 10 * time.Second, 0, false},
		{"garbage", 10 * time.Second, 0, false},
		{"  out_time_us=2500000\r", 10 * time.Second, 0.25, true},
	}
	for _, tt := range tests {
		got, ok := progressFraction(tt.line, tt.total)
		if ok != tt.ok || got != tt.want {
			t.Errorf("progressFraction(%q, %v) = %v, %v; want %v, %v", tt.line, tt.total, got, ok, tt.want, tt.ok)
		}
	}
}

func TestReadProgressIsMonotonic(t *testing.T) {
	stream := "frame=1\nout_time_us=1000000\nprogress=continue\nout_time_us=500000\nout_time_us=3000000\n" +
		strings.Repeat("x", maxProgressLine+10) + "\nout_time_us=3500000\nprogress=end\n"
	var got []float64
	readProgress(strings.NewReader(stream), 4*time.Second, func(f float64) { got = append(got, f) })
	want := []float64{0.25, 0.75}
	// The over-long line stops parsing (and the rest is drained), so only the
	// reports before it count.
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("reports %v, want %v", got, want)
	}
}

func FuzzProgressFraction(f *testing.F) {
	for _, s := range []string{"out_time_us=5000000", "progress=end", "out_time_us=-9223372036854775808", "out_time_us=N/A", "=", "out_time_us="} {
		f.Add(s, int64(10*time.Second))
	}
	f.Fuzz(func(t *testing.T, line string, total int64) {
		got, ok := progressFraction(line, time.Duration(total))
		if ok && (got < 0 || got > 1 || got != got) {
			t.Fatalf("progressFraction(%q, %d) = %v outside [0,1]", line, total, got)
		}
	})
}
