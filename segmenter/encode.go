package segmenter

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/peeredge/peeredge/internal/layout"
)

// encodePlan is one ffmpeg run: decode the source once, split it and encode
// every rung, each into its own single-file fMP4 through the hls muxer.
type encodePlan struct {
	input       string // file: URL
	demuxer     string
	videoStream int
	audioStream int // -1 without audio
	rungs       []Rung
	mp4s        []string // file: URLs, one per rung
	playlists   []string // file: URLs of the muxer's own playlists, one per rung
	segment     time.Duration
	images      *imagePlan // nil: no thumbnail and preview
}

// x264Preset trades compression for speed; veryfast keeps a full ladder
// within a few times real time on two cores.
const x264Preset = "veryfast"

// x264CRF is the quality target; maxrate caps it at the rung's bitrate.
const x264CRF = "23"

func (p encodePlan) args() []string {
	seg := formatSeconds(p.segment)
	args := []string{"-hide_banner", "-nostdin", "-n", "-loglevel", "warning", "-nostats", "-progress", "pipe:1"}
	args = append(args, safeInputArgs()...)
	args = append(args, "-f", p.demuxer, "-i", p.input, "-filter_complex", p.filterGraph())
	for i, r := range p.rungs {
		gop := int(math.Ceil(r.FPS*p.segment.Seconds())) * 2
		args = append(args,
			"-map", fmt.Sprintf("[v%d]", i),
			"-c:v", "libx264", "-preset", x264Preset, "-crf", x264CRF,
			"-maxrate", strconv.Itoa(r.VideoBitrate), "-bufsize", strconv.Itoa(2*r.VideoBitrate),
			// Keyframes only where a segment starts, at the same instants in every
			// rung: forced every segment, no scene-cut keyframes, and a GOP longer
			// than a segment so x264 never adds its own.
			"-force_key_frames", "expr:gte(t,n_forced*"+seg+")",
			"-sc_threshold", "0", "-g", strconv.Itoa(max(gop, 2)),
		)
		if p.audioStream >= 0 {
			args = append(args,
				"-map", fmt.Sprintf("0:%d", p.audioStream),
				"-c:a", "aac", "-b:a", strconv.Itoa(r.AudioBitrate), "-ac", "2",
			)
		}
		args = append(args,
			"-map_metadata", "-1", "-map_chapters", "-1",
			"-max_muxing_queue_size", "4096",
			"-f", "hls", "-hls_time", seg, "-hls_playlist_type", "vod",
			"-hls_segment_type", "fmp4", "-hls_flags", "single_file+independent_segments",
			"-hls_segment_filename", p.mp4s[i],
			p.playlists[i],
		)
	}
	if p.images != nil {
		args = append(args, p.images.outputArgs()...)
	}
	return args
}

// filterGraph splits the decoded video once per rung (and once more for
// the images) and scales each copy.
func (p encodePlan) filterGraph() string {
	var b strings.Builder
	copies := len(p.rungs)
	if p.images != nil {
		copies++
	}
	fmt.Fprintf(&b, "[0:%d]split=%d", p.videoStream, copies)
	for i := range copies {
		fmt.Fprintf(&b, "[s%d]", i)
	}
	for i, r := range p.rungs {
		fmt.Fprintf(&b, ";[s%d]scale=%d:%d,setsar=1,fps=%s,format=yuv420p[v%d]", i, r.Width, r.Height, fpsArg(r.FPS), i)
	}
	if p.images != nil {
		p.images.filters(&b, fmt.Sprintf("[s%d]", len(p.rungs)))
	}
	return b.String()
}

// fpsArg writes a frame rate as ffmpeg's exact rational where it is an NTSC
// rate (29.97 = 30000/1001), so frame times match across rungs.
func fpsArg(fps float64) string {
	for _, base := range []float64{24, 30, 48, 60, 120} {
		if math.Abs(fps-base*1000/1001) < 0.001 {
			return fmt.Sprintf("%.0f/1001", base*1000)
		}
	}
	if math.Abs(fps-math.Round(fps)) < 0.001 {
		return strconv.Itoa(int(math.Round(fps)))
	}
	return strconv.FormatFloat(fps, 'f', 3, 64)
}

func formatSeconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

// ErrFFmpegFailed is ffmpeg exiting with an error while transcoding; the
// error carries ffmpeg's last stderr lines (which may name local files).
var ErrFFmpegFailed = errors.New("ffmpeg failed")

// stderrLines is how much of ffmpeg's stderr a failure reports.
const stderrLines = 10

// runFFmpeg runs ffmpeg with args, reporting progress against total. A
// cancelled ctx kills ffmpeg; a failure carries ffmpeg's last stderr lines.
// While ffmpeg runs, a pid file (layout.PIDFileName) in workDir, the
// directory it writes into, names it, so that a node restarted after a crash
// can end it if it outlived the node.
func (c Config) runFFmpeg(ctx context.Context, args []string, total time.Duration, workDir string, progress func(float64)) error {
	cmd := exec.CommandContext(ctx, c.ffmpegPath(), args...)
	cmd.WaitDelay = 10 * time.Second
	stderr := newTailWriter(stderrLines)
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("ffmpeg: %w", err)
	}
	c.logger().Debug("ffmpeg", "args", args)
	release := tieToNode(cmd)
	defer release()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("ffmpeg: start: %w", err)
	}
	pidFile := filepath.Join(workDir, layout.PIDFileName(cmd.Process.Pid))
	if err := writePIDFile(pidFile); err != nil {
		// An ffmpeg nothing names must not run: ending it now is all that
		// would stop it if the node died.
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return fmt.Errorf("ffmpeg: %w", err)
	}
	// Removed after Wait: a crash in between leaves a file naming a dead
	// pid, which the restarted node checks before it ends anything.
	defer os.Remove(pidFile)
	done := make(chan struct{})
	go func() {
		defer close(done)
		readProgress(stdout, total, progress)
	}()
	<-done
	err = cmd.Wait()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("ffmpeg: %w", ctx.Err())
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return fmt.Errorf("%w: %w: %s", ErrFFmpegFailed, err, stderr.reason(err))
	}
	return fmt.Errorf("ffmpeg: %w", err)
}

// writePIDFile creates the empty pid file at path; it must not exist yet.
func writePIDFile(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("pid file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("pid file: %w", err)
	}
	return nil
}
