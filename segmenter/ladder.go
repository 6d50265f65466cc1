package segmenter

import (
	"math"
	"slices"
)

// Rung is one rendition to encode.
type Rung struct {
	Height, Width              int
	FPS                        float64
	VideoBitrate, AudioBitrate int // bits/s
}

// referenceBitrates are H.264 target bitrates at 30 fps for 16:9 pictures of
// the given height; other shapes are interpolated by pixel count.
var referenceBitrates = []struct{ height, bitrate int }{
	{144, 200_000},
	{240, 400_000},
	{360, 800_000},
	{480, 1_200_000},
	{720, 2_500_000},
	{1080, 4_500_000},
	{1440, 8_000_000},
	{2160, 14_000_000},
}

const (
	maxFPS         = 60
	maxLowResFPS   = 30  // rungs below lowResHeight keep at most this
	lowResHeight   = 720 // from this height up the source frame rate (≤60) is kept
	fallbackFPS    = 30  // when the source does not say
	minDimension   = 2
	highAudioRate  = 128_000
	midAudioRate   = 96_000
	lowAudioRate   = 64_000
	midAudioHeight = 480
	lowAudioHeight = 240
)

// Ladder returns the source's own height plus every configured rung below it,
// deduplicated and in descending order, with even widths keeping the aspect
// ratio, capped frame rates and H.264/AAC bitrates. rungs nil means DefaultRungs.
func Ladder(src SourceInfo, rungs []int) []Rung {
	if src.Width <= 0 || src.Height <= 0 {
		return nil
	}
	if rungs == nil {
		rungs = DefaultRungs()
	}
	top := evenFloor(src.Height)
	heights := []int{top}
	for _, h := range rungs {
		if h > 0 && h < src.Height {
			heights = append(heights, evenFloor(h))
		}
	}
	slices.Sort(heights)
	heights = slices.Compact(heights)
	slices.Reverse(heights)

	out := make([]Rung, 0, len(heights))
	for _, h := range heights {
		w := evenRound(float64(h) * float64(src.Width) / float64(src.Height))
		fps := rungFPS(src.FPS, h)
		r := Rung{Height: h, Width: w, FPS: fps, VideoBitrate: videoBitrate(w, h, fps)}
		if src.HasAudio {
			r.AudioBitrate = audioBitrate(h)
		}
		out = append(out, r)
	}
	return out
}

func evenFloor(n int) int {
	return max(minDimension, n&^1)
}

func evenRound(f float64) int {
	return max(minDimension, int(math.Round(f/2))*2)
}

// rungFPS caps the frame rate by an integer divisor so frames stay on the
// source's time grid (60 → 30, 50 → 25, 120 → 60).
func rungFPS(src float64, height int) float64 {
	if src <= 0 || math.IsNaN(src) || math.IsInf(src, 0) {
		return fallbackFPS
	}
	limit := float64(maxFPS)
	if height < lowResHeight {
		limit = maxLowResFPS
	}
	// Allow a hair above the limit so 59.94/29.97 are not divided.
	if src <= limit*1.001 {
		return src
	}
	return src / math.Ceil(src/(limit*1.001))
}

// videoBitrate interpolates referenceBitrates by pixel count and raises it for
// high frame rates (1.5× at 60 fps).
func videoBitrate(width, height int, fps float64) int {
	pixels := float64(width * height)
	area := func(h int) float64 { return float64(h) * float64(h) * 16 / 9 }
	ref := referenceBitrates
	var base float64
	switch {
	case pixels <= area(ref[0].height):
		base = float64(ref[0].bitrate) * pixels / area(ref[0].height)
	case pixels >= area(ref[len(ref)-1].height):
		last := ref[len(ref)-1]
		base = float64(last.bitrate) * pixels / area(last.height)
	default:
		for i := 1; i < len(ref); i++ {
			lo, hi := ref[i-1], ref[i]
			if pixels <= area(hi.height) {
				frac := (pixels - area(lo.height)) / (area(hi.height) - area(lo.height))
				base = float64(lo.bitrate) + frac*float64(hi.bitrate-lo.bitrate)
				break
			}
		}
	}
	if fps > 30 {
		base *= 1 + 0.5*(min(fps, maxFPS)-30)/30
	}
	return max(50_000, int(math.Round(base/1000))*1000)
}

func audioBitrate(height int) int {
	switch {
	case height <= lowAudioHeight:
		return lowAudioRate
	case height < midAudioHeight:
		return midAudioRate
	default:
		return highAudioRate
	}
}
