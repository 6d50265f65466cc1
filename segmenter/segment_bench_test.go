package segmenter

import (
	"context"
	"os"
	"testing"
)

// BenchmarkSegment720p measures a full default ladder (720/480/360/240 with
// audio) for a 10 s clip; "x-realtime" is seconds of video per wall second.
func BenchmarkSegment720p(b *testing.B) {
	requireFFmpeg(b)
	const seconds = 10
	src := makeClip(b, b.TempDir(), clip{name: "hd.mp4", width: 1280, height: 720, fps: 30, seconds: seconds, audio: true})
	cfg := Config{}
	b.ResetTimer()
	for b.Loop() {
		out, err := os.MkdirTemp(b.TempDir(), "out")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := cfg.Segment(context.Background(), src, out, "bench", nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(seconds*float64(b.N)/b.Elapsed().Seconds(), "x-realtime")
}
