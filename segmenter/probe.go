package segmenter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// ErrNotVideo means the upload is not a video this node can transcode; it is
// wrapped with the reason (often ffprobe's own message).
var ErrNotVideo = errors.New("not a video")

// maxDimension bounds width and height; anything larger is a decoding bomb
// rather than an upload we want to transcode.
const maxDimension = 16384

// SourceInfo describes an upload's main video stream as displayed (after
// rotation metadata is applied).
type SourceInfo struct {
	Width, Height int
	FPS           float64
	Duration      time.Duration // 0 when the container does not say (e.g. MediaRecorder WebM)
	HasAudio      bool
	VideoCodec    string
}

// probed is what Segment needs beyond SourceInfo.
type probed struct {
	SourceInfo
	demuxer     string // alias forced with -f
	videoStream int    // absolute stream index
	audioStream int    // absolute stream index, -1 without audio
	// videoDuration is how long the container says the video stream lasts,
	// which is what the rungs, cut on its frames, add up to; 0 when unknown.
	// It differs from Duration when another stream lasts longer (a sound
	// track running on after the picture) or the stream starts late.
	videoDuration time.Duration
}

// Probe inspects path with ffprobe. It returns ErrNotVideo (wrapped with the
// reason) when the file is not in an allowed container, has no video stream
// or cannot be parsed.
func (c Config) Probe(ctx context.Context, path string) (SourceInfo, error) {
	p, err := c.probe(ctx, path)
	return p.SourceInfo, err
}

func (c Config) probe(ctx context.Context, path string) (probed, error) {
	if _, err := os.Stat(path); err != nil {
		return probed{}, fmt.Errorf("probe: %w", err)
	}
	url, err := fileURL(path)
	if err != nil {
		return probed{}, fmt.Errorf("probe: %w", err)
	}
	args := []string{"-hide_banner", "-v", "error"}
	args = append(args, safeInputArgs()...)
	args = append(args, "-show_format", "-show_streams", "-of", "json", "-i", url)
	cmd := exec.CommandContext(ctx, c.ffprobePath(), args...)
	cmd.WaitDelay = 5 * time.Second
	var stdout bytes.Buffer
	stderr := newTailWriter(10)
	cmd.Stdout = &stdout
	cmd.Stderr = stderr
	c.logger().Debug("ffprobe", "args", args)
	release := tieToNode(cmd)
	defer release()
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return probed{}, fmt.Errorf("probe: %w", ctx.Err())
		}
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return probed{}, fmt.Errorf("%w: ffprobe: %s", ErrNotVideo, stderr.reason(err))
		}
		return probed{}, fmt.Errorf("probe: run ffprobe: %w", err)
	}
	return parseProbe(stdout.Bytes())
}

type ffprobeOutput struct {
	Streams []ffprobeStream `json:"streams"`
	Format  struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
	} `json:"format"`
}

type ffprobeStream struct {
	Index        int    `json:"index"`
	CodecType    string `json:"codec_type"`
	CodecName    string `json:"codec_name"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	AvgFrameRate string `json:"avg_frame_rate"`
	RFrameRate   string `json:"r_frame_rate"`
	Duration     string `json:"duration"`
	Disposition  struct {
		AttachedPic int `json:"attached_pic"`
	} `json:"disposition"`
	Tags struct {
		Rotate   string `json:"rotate"`
		Duration string `json:"DURATION"` // Matroska's per-track statistics tag, e.g. 00:00:06.021000000
	} `json:"tags"`
	SideData []struct {
		Rotation *float64 `json:"rotation"`
	} `json:"side_data_list"`
}

// parseProbe turns ffprobe's JSON into a probed source, refusing what the
// segmenter cannot or must not transcode.
func parseProbe(data []byte) (probed, error) {
	var out ffprobeOutput
	if err := json.Unmarshal(data, &out); err != nil {
		return probed{}, fmt.Errorf("%w: unreadable ffprobe output: %v", ErrNotVideo, err)
	}
	demuxer, ok := demuxerAllowed(out.Format.FormatName)
	if !ok {
		return probed{}, fmt.Errorf("%w: container %q is not allowed", ErrNotVideo, out.Format.FormatName)
	}
	p := probed{demuxer: demuxer, videoStream: -1, audioStream: -1}
	var video *ffprobeStream
	for i := range out.Streams {
		s := &out.Streams[i]
		switch {
		case s.CodecType == "video" && s.Disposition.AttachedPic == 0 && video == nil:
			video = s
		case s.CodecType == "audio" && p.audioStream < 0:
			p.audioStream = s.Index
		}
	}
	if video == nil {
		return probed{}, fmt.Errorf("%w: no video stream", ErrNotVideo)
	}
	if video.Width <= 0 || video.Height <= 0 || video.Width > maxDimension || video.Height > maxDimension {
		return probed{}, fmt.Errorf("%w: video dimensions %dx%d out of range", ErrNotVideo, video.Width, video.Height)
	}
	p.videoStream = video.Index
	p.Width, p.Height = video.Width, video.Height
	if quarterTurn(video) {
		// ffmpeg auto-rotates while decoding, so the rungs see the displayed shape.
		p.Width, p.Height = p.Height, p.Width
	}
	p.VideoCodec = video.CodecName
	p.HasAudio = p.audioStream >= 0
	p.FPS = parseRate(video.AvgFrameRate)
	if p.FPS <= 0 || p.FPS > 1000 {
		p.FPS = parseRate(video.RFrameRate)
	}
	if p.FPS > 1000 {
		p.FPS = 0
	}
	p.Duration = parseSeconds(out.Format.Duration)
	if p.Duration <= 0 {
		p.Duration = parseSeconds(video.Duration)
	}
	// MP4, AVI and MPEG-TS give the stream's duration, Matroska only its
	// tag; elsewhere the container's is the closest there is.
	p.videoDuration = parseSeconds(video.Duration)
	if p.videoDuration <= 0 {
		p.videoDuration = parseClock(video.Tags.Duration)
	}
	if p.videoDuration <= 0 {
		p.videoDuration = p.Duration
	}
	return p, nil
}

// quarterTurn reports whether the stream's display matrix or legacy rotate tag
// turns it by 90 or 270 degrees.
func quarterTurn(s *ffprobeStream) bool {
	deg := 0.0
	if r, err := strconv.ParseFloat(s.Tags.Rotate, 64); err == nil {
		deg = r
	}
	for _, sd := range s.SideData {
		if sd.Rotation != nil {
			deg = *sd.Rotation
		}
	}
	turns := int(math.Round(deg/90)) % 4
	return turns == 1 || turns == -1 || turns == 3 || turns == -3
}

// parseRate reads ffprobe's "num/den" frame rates; 0 when unknown.
func parseRate(s string) float64 {
	num, den, found := strings.Cut(s, "/")
	n, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0
	}
	if !found {
		return n
	}
	d, err := strconv.ParseFloat(den, 64)
	if err != nil || d == 0 {
		return 0
	}
	return n / d
}

// parseSeconds reads ffprobe's decimal seconds; 0 when unknown or absurd.
func parseSeconds(s string) time.Duration {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0
	}
	return seconds(f)
}

// parseClock reads an "HH:MM:SS.fraction" duration (Matroska's DURATION
// tag); 0 when unknown or absurd.
func parseClock(s string) time.Duration {
	h, rest, ok1 := strings.Cut(s, ":")
	m, sec, ok2 := strings.Cut(rest, ":")
	hours, err1 := strconv.Atoi(h)
	minutes, err2 := strconv.Atoi(m)
	secs, err3 := strconv.ParseFloat(sec, 64)
	if !ok1 || !ok2 || err1 != nil || err2 != nil || err3 != nil ||
		hours < 0 || minutes < 0 || minutes > 59 || !(secs >= 0 && secs < 60) {
		return 0
	}
	return seconds(float64(hours)*3600 + float64(minutes)*60 + secs)
}

// seconds converts a duration in seconds; 0 when not positive or absurd
// (over 11 days: no upload lasts that long, and a header saying so lies).
func seconds(f float64) time.Duration {
	if !(f > 0 && f <= 1e6) {
		return 0
	}
	return time.Duration(f * float64(time.Second))
}
