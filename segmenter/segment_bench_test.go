package segmenter

import (
	"context"
	"os"
	"testing"

	"github.com/peeredge/peeredge/internal/testmedia"
)

// BenchmarkSegment720p measures a full default ladder (720/480/360/240 with
// audio) for a 10 s clip; "x-realtime" is seconds of video per wall second.
func BenchmarkSegment720p(b *testing.B) {
	testmedia.RequireFFmpeg(b)
	const seconds = 10
	src := testmedia.Make(b, b.TempDir(), testmedia.Clip{Name: "hd.mp4", Width: 1280, Height: 720, FPS: 30, Seconds: seconds, Audio: true})
	cfg := Config{}
	b.ResetTimer()
	for b.Loop() {
		out, err := os.MkdirTemp(b.TempDir(), "out")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := cfg.Segment(context.Background(), src, out, testUUID, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(seconds*float64(b.N)/b.Elapsed().Seconds(), "x-realtime")
}
