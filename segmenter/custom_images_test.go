package segmenter

import (
	"bytes"
	"context"
	"errors"
	"image/jpeg"
	"testing"

	"github.com/peeredge/peeredge/internal/testmedia"
)

// TestFitImage fits real images of each kind PeerTube takes, and refuses
// what is no image or no readable one.
func TestFitImage(t *testing.T) {
	t.Parallel()
	testmedia.RequireFFmpeg(t)
	dir := t.TempDir()
	render := func(name string, w, h int) []byte { return testmedia.SolidImage(t, dir, name, "red", w, h) }
	wide, tall := render("wide.jpg", 1920, 1080), render("tall.png", 300, 900)
	webp := render("small.webp", 100, 50)
	tests := []struct {
		name   string
		data   []byte
		w, h   int
		refuse bool
	}{
		{"jpeg to thumbnail", wide, 280, 157, false},
		{"png to preview", tall, 850, 480, false},
		{"webp upscaled", webp, 280, 157, false},
		{"text", []byte("hello, not an image"), 280, 157, true},
		{"empty", nil, 280, 157, true},
		{"jpeg magic, garbage body", append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte{1}, 300)...), 280, 157, true},
		{"truncated png", tall[:len(tall)/3], 280, 157, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := Config{}.FitImage(context.Background(), tt.data, tt.w, tt.h)
			if tt.refuse {
				if !errors.Is(err, ErrNotImage) {
					t.Fatalf("err %v, want ErrNotImage", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(out))
			if err != nil || cfg.Width != tt.w || cfg.Height != tt.h {
				t.Fatalf("got %dx%d (%v), want a %dx%d JPEG", cfg.Width, cfg.Height, err, tt.w, tt.h)
			}
		})
	}
}

// FuzzImageDemuxer: any bytes are judged without panic, and only the
// three image signatures are taken.
func FuzzImageDemuxer(f *testing.F) {
	f.Add([]byte{0xff, 0xd8, 0xff})
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBP"))
	f.Add([]byte("RIFF"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, ok := imageDemuxer(data)
		if ok != (d != "") {
			t.Fatalf("demuxer %q, ok %v", d, ok)
		}
		if ok && d != "jpeg_pipe" && d != "png_pipe" && d != "webp_pipe" {
			t.Fatalf("demuxer %q", d)
		}
	})
}
