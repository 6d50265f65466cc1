// Package segmenter turns one uploaded video into PeerTube's HLS layout: one
// fragmented MP4 per rung of a resolution ladder, byte-range media playlists,
// a master playlist and segments-sha256.json. It drives Debian's ffprobe and
// ffmpeg as child processes with explicit argument lists (never a shell).
package segmenter

import (
	"log/slog"
	"time"
)

// Config selects the tools and the shape of the output. The zero value is usable.
type Config struct {
	FFmpeg, FFprobe string        // binary paths; "" means "ffmpeg"/"ffprobe" from PATH
	SegmentDuration time.Duration // 0 means 4s
	Rungs           []int         // heights; nil means 1080,720,480,360,240
	Logger          *slog.Logger  // nil = slog.Default()
}

// Defaults of a zero Config, which the node's own defaults are.
const (
	DefaultFFmpeg          = "ffmpeg"
	DefaultFFprobe         = "ffprobe"
	DefaultSegmentDuration = 4 * time.Second
)

// DefaultRungs returns the ladder used when Config.Rungs is nil.
func DefaultRungs() []int { return []int{1080, 720, 480, 360, 240} }

func (c Config) ffmpegPath() string {
	if c.FFmpeg == "" {
		return DefaultFFmpeg
	}
	return c.FFmpeg
}

func (c Config) ffprobePath() string {
	if c.FFprobe == "" {
		return DefaultFFprobe
	}
	return c.FFprobe
}

func (c Config) segmentDuration() time.Duration {
	if c.SegmentDuration <= 0 {
		return DefaultSegmentDuration
	}
	return c.SegmentDuration
}

func (c Config) rungs() []int {
	if c.Rungs == nil {
		return DefaultRungs()
	}
	return c.Rungs
}

func (c Config) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.Default()
	}
	return c.Logger
}
