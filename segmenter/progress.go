package segmenter

import (
	"bufio"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// progressFraction interprets one line of ffmpeg's -progress output. It
// reports the fraction of total done for "out_time_us=…" lines and 1 for
// "progress=end"; ok is false for every other line, for "N/A" values and when
// total is unknown.
func progressFraction(line string, total time.Duration) (fraction float64, ok bool) {
	key, value, found := strings.Cut(strings.TrimSpace(line), "=")
	if !found {
		return 0, false
	}
	switch key {
	case "progress":
		if value == "end" {
			return 1, true
		}
		return 0, false
	case "out_time_us":
		if total <= 0 {
			return 0, false
		}
		us, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return 0, false
		}
		f := float64(us) / float64(total.Microseconds())
		if math.IsNaN(f) {
			return 0, false
		}
		return min(1, max(0, f)), true
	}
	return 0, false
}

// maxProgressLine bounds one -progress line; longer ones are garbage.
const maxProgressLine = 64 << 10

// readProgress reports monotonic progress fractions from ffmpeg's -progress
// stream until it ends, then drains it so ffmpeg never blocks on the pipe.
func readProgress(r io.Reader, total time.Duration, report func(float64)) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxProgressLine)
	last := -1.0
	for sc.Scan() {
		f, ok := progressFraction(sc.Text(), total)
		if !ok || f <= last {
			continue
		}
		last = f
		if report != nil {
			report(f)
		}
	}
	_, _ = io.Copy(io.Discard, r)
}
