package segmenter

import (
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/peeredge/peeredge/internal/testmedia"
)

func TestProbe(t *testing.T) {
	testmedia.RequireFFmpeg(t)
	dir := t.TempDir()
	cfg := Config{}
	tests := []struct {
		name string
		path string
		want SourceInfo
	}{
		{"mp4 with audio", testmedia.Make(t, dir, testmedia.Clip{Name: "av.mp4", Width: 640, Height: 360, FPS: 30, Seconds: 2, Audio: true}),
			SourceInfo{Width: 640, Height: 360, FPS: 30, Duration: 2 * time.Second, HasAudio: true, VideoCodec: "h264"}},
		{"mkv without audio", testmedia.Make(t, dir, testmedia.Clip{Name: "v.mkv", Width: 320, Height: 240, FPS: 25, Seconds: 2}),
			SourceInfo{Width: 320, Height: 240, FPS: 25, Duration: 2 * time.Second, VideoCodec: "h264"}},
		{"rotated quarter turn", testmedia.Make(t, dir, testmedia.Clip{Name: "rot.mp4", Width: 640, Height: 360, FPS: 30, Seconds: 1, Rotate: 90}),
			SourceInfo{Width: 360, Height: 640, FPS: 30, Duration: time.Second, VideoCodec: "h264"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cfg.Probe(context.Background(), tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if got.Width != tt.want.Width || got.Height != tt.want.Height || got.HasAudio != tt.want.HasAudio || got.VideoCodec != tt.want.VideoCodec {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if math.Abs(got.FPS-tt.want.FPS) > 0.01 {
				t.Errorf("FPS %v, want %v", got.FPS, tt.want.FPS)
			}
			if d := got.Duration - tt.want.Duration; d < -100*time.Millisecond || d > 100*time.Millisecond {
				t.Errorf("Duration %v, want ≈%v", got.Duration, tt.want.Duration)
			}
		})
	}
}

func TestProbeRefuses(t *testing.T) {
	testmedia.RequireFFmpeg(t)
	dir := t.TempDir()
	cfg := Config{}
	tests := []struct {
		name   string
		path   string
		reason string // part of the error that explains the refusal
	}{
		{"audio only", makeAudioOnly(t, dir), "no video stream"},
		{"garbage", writeFile(t, filepath.Join(dir, "garbage.mp4"), []byte("this is not a video at all, just some text\x00\x01\x02")), "Invalid data"},
		{"empty", writeFile(t, filepath.Join(dir, "empty.mp4"), nil), "ffprobe"},
		{"png image", writeFile(t, filepath.Join(dir, "img.mp4"), []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde")), "whitelist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cfg.Probe(context.Background(), tt.path)
			if !errors.Is(err, ErrNotVideo) || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("err = %v, want ErrNotVideo mentioning %q", err, tt.reason)
			}
		})
	}
	t.Run("missing file is not ErrNotVideo", func(t *testing.T) {
		_, err := cfg.Probe(context.Background(), filepath.Join(dir, "nope.mp4"))
		if !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrNotVideo) {
			t.Fatalf("err = %v, want fs.ErrNotExist", err)
		}
	})
}

// fifoWatch reports whether anyone opened the FIFO at path for reading while
// it ran: opening a FIFO's write end without blocking succeeds only then.
type fifoWatch struct {
	opened atomic.Bool
	stop   chan struct{}
	done   chan struct{}
}

func watchFIFO(t *testing.T, path string) *fifoWatch {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	w := &fifoWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				w.opened.Store(true)
				f.Close() // the reader sees EOF and gives up
			}
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

func (w *fifoWatch) Stop() bool {
	close(w.stop)
	<-w.done
	return w.opened.Load()
}

// Playlists and concat lists name other files; probing or segmenting them
// must refuse without ever opening what they point at.
func TestCraftedReferencesAreRefused(t *testing.T) {
	testmedia.RequireFFmpeg(t)
	crafted := map[string]string{
		"hls.m3u8":       "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nsecret.mp4\n#EXT-X-ENDLIST\n",
		"hls-as.mp4":     "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nsecret.mp4\n#EXT-X-ENDLIST\n",
		"list.ffconcat":  "ffconcat version 1.0\nfile secret.mp4\n",
		"concat-as.webm": "ffconcat version 1.0\nfile secret.mp4\n",
	}
	for name, body := range crafted {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			input := writeFile(t, filepath.Join(dir, name), []byte(body))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()

			w := watchFIFO(t, filepath.Join(dir, "secret.mp4"))
			_, err := Config{}.Probe(ctx, input)
			if w.Stop() {
				t.Error("Probe opened the referenced file")
			}
			if !errors.Is(err, ErrNotVideo) || !strings.Contains(err.Error(), "not on whitelist") {
				t.Errorf("Probe err = %v, want ErrNotVideo with ffprobe's reason", err)
			}

			out := t.TempDir()
			if err := os.Remove(filepath.Join(dir, "secret.mp4")); err != nil {
				t.Fatal(err)
			}
			w = watchFIFO(t, filepath.Join(dir, "secret.mp4"))
			_, err = Config{}.Segment(ctx, input, out, testUUID, nil)
			if w.Stop() {
				t.Error("Segment opened the referenced file")
			}
			if !errors.Is(err, ErrNotVideo) {
				t.Errorf("Segment err = %v, want ErrNotVideo", err)
			}
		})
	}
	// Control: without the whitelists, ffprobe does follow the playlist, so
	// the FIFO watch above can see an open.
	t.Run("control: unrestricted ffprobe follows the playlist", func(t *testing.T) {
		dir := t.TempDir()
		input := writeFile(t, filepath.Join(dir, "hls.m3u8"), []byte(crafted["hls.m3u8"]))
		w := watchFIFO(t, filepath.Join(dir, "secret.mp4"))
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = exec.CommandContext(ctx, "ffprobe", "-v", "quiet", input).Run()
		if !w.Stop() {
			t.Fatal("unrestricted ffprobe did not open the referenced file; the watch proves nothing")
		}
	})
}
