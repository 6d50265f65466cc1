package segmenter

import (
	"math"
	"testing"
)

func TestLadder(t *testing.T) {
	type shape struct {
		h, w int
		fps  float64
	}
	tests := []struct {
		name  string
		src   SourceInfo
		rungs []int
		want  []shape
	}{
		{"1080p30 default ladder", SourceInfo{Width: 1920, Height: 1080, FPS: 30, HasAudio: true}, nil,
			[]shape{{1080, 1920, 30}, {720, 1280, 30}, {480, 854, 30}, {360, 640, 30}, {240, 426, 30}}},
		{"720p source skips 1080", SourceInfo{Width: 1280, Height: 720, FPS: 25}, nil,
			[]shape{{720, 1280, 25}, {480, 854, 25}, {360, 640, 25}, {240, 426, 25}}},
		{"odd source height becomes even, keeps own rung", SourceInfo{Width: 1000, Height: 563, FPS: 24}, nil,
			[]shape{{562, 998, 24}, {480, 852, 24}, {360, 640, 24}, {240, 426, 24}}},
		{"60 fps kept from 720 up, halved below", SourceInfo{Width: 1920, Height: 1080, FPS: 60}, []int{720, 480},
			[]shape{{1080, 1920, 60}, {720, 1280, 60}, {480, 854, 30}}},
		{"59.94 halves to 29.97", SourceInfo{Width: 854, Height: 480, FPS: 60000.0 / 1001}, []int{240},
			[]shape{{480, 854, 30000.0 / 1001}, {240, 428, 30000.0 / 1001}}},
		{"120 fps capped at 60", SourceInfo{Width: 1280, Height: 720, FPS: 120}, []int{},
			[]shape{{720, 1280, 60}}},
		{"unknown fps", SourceInfo{Width: 640, Height: 360}, []int{},
			[]shape{{360, 640, 30}}},
		{"portrait", SourceInfo{Width: 1080, Height: 1920, FPS: 30}, []int{1080, 720},
			[]shape{{1920, 1080, 30}, {1080, 608, 30}, {720, 406, 30}}},
		{"duplicate and unsorted rungs", SourceInfo{Width: 1280, Height: 720, FPS: 30}, []int{240, 720, 360, 240, -1, 0, 2000},
			[]shape{{720, 1280, 30}, {360, 640, 30}, {240, 426, 30}}},
		{"tiny source", SourceInfo{Width: 3, Height: 1, FPS: 30}, nil,
			[]shape{{2, 6, 30}}},
		{"no dimensions", SourceInfo{}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Ladder(tt.src, tt.rungs)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d rungs %+v, want %d", len(got), got, len(tt.want))
			}
			for i, r := range got {
				w := tt.want[i]
				if r.Height != w.h || r.Width != w.w || math.Abs(r.FPS-w.fps) > 1e-6 {
					t.Errorf("rung %d = %dx%d@%v, want %dx%d@%v", i, r.Width, r.Height, r.FPS, w.w, w.h, w.fps)
				}
				if r.Width%2 != 0 || r.Height%2 != 0 {
					t.Errorf("rung %d has odd dimensions %dx%d", i, r.Width, r.Height)
				}
				if i > 0 && r.VideoBitrate >= got[i-1].VideoBitrate {
					t.Errorf("rung %d bitrate %d not below the rung above (%d)", i, r.VideoBitrate, got[i-1].VideoBitrate)
				}
				if (r.AudioBitrate > 0) != tt.src.HasAudio {
					t.Errorf("rung %d audio bitrate %d with HasAudio=%v", i, r.AudioBitrate, tt.src.HasAudio)
				}
			}
		})
	}
}

func TestVideoBitrate(t *testing.T) {
	tests := []struct {
		w, h     int
		fps      float64
		min, max int
	}{
		{1920, 1080, 30, 4_400_000, 4_600_000},
		{1920, 1080, 60, 6_600_000, 6_900_000},
		{1280, 720, 30, 2_400_000, 2_600_000},
		{640, 360, 30, 750_000, 850_000},
		{3840, 2160, 30, 13_000_000, 15_000_000},
		{7680, 4320, 30, 50_000_000, 60_000_000},
		{2, 2, 30, 50_000, 50_000},
	}
	for _, tt := range tests {
		if got := videoBitrate(tt.w, tt.h, tt.fps); got < tt.min || got > tt.max {
			t.Errorf("videoBitrate(%d, %d, %v) = %d, want in [%d, %d]", tt.w, tt.h, tt.fps, got, tt.min, tt.max)
		}
	}
}

func TestFPSArg(t *testing.T) {
	tests := map[float64]string{30: "30", 30000.0 / 1001: "30000/1001", 60000.0 / 1001: "60000/1001", 24000.0 / 1001: "24000/1001", 25: "25", 12.5: "12.500"}
	for in, want := range tests {
		if got := fpsArg(in); got != want {
			t.Errorf("fpsArg(%v) = %q, want %q", in, got, want)
		}
	}
}
