package segmenter

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/peeredge/peeredge/internal/layout"
)

// Segment is one media segment of a rendition's fragmented MP4.
type Segment struct {
	ByteRange
	Duration float64 // seconds
	SHA256   [32]byte
}

// Rendition is one rung as written to disk.
type Rendition struct {
	Height, Width    int
	FPS              float64
	FileName         string // layout.RenditionFileName
	PlaylistName     string // layout.MediaPlaylistName
	Size             int64
	Bandwidth        int    // peak segment bit rate, bits/s
	AverageBandwidth int    // bits/s over all segments
	Codecs           string // e.g. "avc1.64001f,mp4a.40.2"
	Init             ByteRange
	Segments         []Segment
}

// Result describes everything Segment wrote.
type Result struct {
	Duration   time.Duration
	Renditions []Rendition
	// Thumbnail and Preview are the images' file names in the output
	// directory (layout.ThumbnailFileName, layout.PreviewFileName); both ""
	// when none could be made (see placeImages).
	Thumbnail, Preview string
}

// encodeShare is the part of the progress scale spent in ffmpeg; the rest is
// checking and hashing the output.
const encodeShare = 0.95

// alignTolerance is how far (seconds) the same segment's duration may differ
// between rungs; forced keyframes put every cut on the same frame time.
const alignTolerance = 0.002

var errAlignment = errors.New("renditions are not segment-aligned")

// ErrSourceTruncated means ffmpeg decoded much less of the upload than its
// container declares: the file was cut short after a header that describes
// all of it (a faststart MP4 or a Matroska file copied or downloaded in
// part), and publishing what was decoded would pass a fragment off as the
// video. The error says how much was decodable. It wraps ErrNotVideo, the
// refusal of an upload that cannot be transcoded whole.
var ErrSourceTruncated = fmt.Errorf("%w: source truncated", ErrNotVideo)

// truncationSlack is how much shorter than the video stream's declared
// duration the rungs may last before the source counts as truncated. Whole
// files do not decode shorter than they declare: the project's test clips
// (0.5 to 10 s, 25 to 60 fps, with and without sound, MP4, MOV, Matroska)
// and AVI, MPEG-TS and MP4 files whose sound outlasts the picture or whose
// picture starts late all give their declared duration exactly or up to
// 40 ms more (millisecond timestamps, AAC priming). The second covers a
// frame of a slideshow at 1 fps; the 2 % covers long files whose headers
// round or whose timestamps drift. A file missing more than that was cut,
// and its fragment must not pass for the video. A cut that loses less (the
// last second of a clip, or anything of one shorter than a second) goes
// unnoticed.
func truncationSlack(declared time.Duration) time.Duration {
	return max(time.Second, declared/50)
}

// checkWhole refuses rungs that last well short of the source's declared
// video duration (see truncationSlack); an unknown duration passes.
func checkWhole(decoded, declared time.Duration) error {
	if declared <= 0 || decoded >= declared-truncationSlack(declared) {
		return nil
	}
	return fmt.Errorf("%w: decoded %.1f s of %.1f s", ErrSourceTruncated, decoded.Seconds(), declared.Seconds())
}

// Segment transcodes input into outDir (an empty staging directory): one
// fragmented MP4 per rung, its media playlist, master.m3u8,
// segments-sha256.json, and the video's thumbnail and preview (JPEG).
// progress (may be nil) receives fractions in [0,1].
// On error outDir may hold partial files; the caller discards the staging dir.
func (c Config) Segment(ctx context.Context, input, outDir, uuid string, progress func(float64)) (Result, error) {
	if id, err := layout.CanonicalUUID(uuid); err != nil || id != uuid {
		return Result{}, fmt.Errorf("segment: want a canonical uuid, got %q: %w", uuid, layout.ErrInvalidUUID)
	}
	if progress == nil {
		progress = func(float64) {}
	}
	src, err := c.probe(ctx, input)
	if err != nil {
		return Result{}, err
	}
	rungs := Ladder(src.SourceInfo, c.rungs())
	if len(rungs) == 0 {
		return Result{}, fmt.Errorf("segment: empty ladder for %dx%d", src.Width, src.Height)
	}
	inputURL, err := fileURL(input)
	if err != nil {
		return Result{}, fmt.Errorf("segment: %w", err)
	}
	outDir, err = filepath.Abs(outDir)
	if err != nil {
		return Result{}, fmt.Errorf("segment: %w", err)
	}
	// The muxer's own playlists are scratch; keep them out of the published set.
	scratch, err := os.MkdirTemp(outDir, ".ffmpeg-")
	if err != nil {
		return Result{}, fmt.Errorf("segment: %w", err)
	}
	defer os.RemoveAll(scratch)

	plan := encodePlan{
		input: inputURL, demuxer: src.demuxer, videoStream: src.videoStream, audioStream: src.audioStream,
		rungs: rungs, segment: c.segmentDuration(),
		images: newImagePlan(src, scratch),
	}
	renditions := make([]Rendition, len(rungs))
	for i, r := range rungs {
		renditions[i] = Rendition{
			Height: r.Height, Width: r.Width, FPS: r.FPS,
			FileName:     layout.RenditionFileName(uuid, r.Height),
			PlaylistName: layout.MediaPlaylistName(uuid, r.Height),
		}
		plan.mp4s = append(plan.mp4s, "file:"+filepath.Join(outDir, renditions[i].FileName))
		plan.playlists = append(plan.playlists, "file:"+filepath.Join(scratch, fmt.Sprintf("%d.m3u8", r.Height)))
	}

	start := time.Now()
	log := c.logger().With("uuid", uuid)
	log.Info("segmenting", "source", fmt.Sprintf("%dx%d@%.3f", src.Width, src.Height, src.FPS), "duration", src.Duration, "rungs", len(rungs))
	err = c.runFFmpeg(ctx, plan.args(), src.Duration, outDir, func(f float64) { progress(f * encodeShare) })
	if err != nil {
		return Result{}, err
	}
	for i := range renditions {
		scratchPlaylist := filepath.Join(scratch, fmt.Sprintf("%d.m3u8", rungs[i].Height))
		if err := finishRendition(ctx, &renditions[i], filepath.Join(outDir, renditions[i].FileName), scratchPlaylist, src.HasAudio); err != nil {
			return Result{}, err
		}
	}
	if err := checkAlignment(renditions); err != nil {
		return Result{}, err
	}
	res := Result{Renditions: renditions}
	if res.Thumbnail, res.Preview, err = c.placeImages(scratch, outDir, uuid); err != nil {
		return Result{}, fmt.Errorf("segment: %w", err)
	}
	for _, s := range renditions[0].Segments {
		res.Duration += time.Duration(s.Duration * float64(time.Second))
	}
	if err := checkWhole(res.Duration, src.videoDuration); err != nil {
		return Result{}, fmt.Errorf("segment: %w", err)
	}
	if err := writePlaylists(outDir, renditions); err != nil {
		return Result{}, err
	}
	log.Info("segmented", "took", time.Since(start).Round(time.Millisecond), "duration", res.Duration, "segments", len(renditions[0].Segments))
	progress(1)
	return res, nil
}

// finishRendition reads the muxer's playlist, checks the ranges against the
// file's boxes, reads the codec from the init section and hashes every segment.
func finishRendition(ctx context.Context, r *Rendition, mp4Path, muxerPlaylistPath string, hasAudio bool) error {
	data, err := os.ReadFile(muxerPlaylistPath)
	if err != nil {
		return fmt.Errorf("segment %s: %w", r.FileName, err)
	}
	pl, err := parseMuxerPlaylist(data)
	if err != nil {
		return fmt.Errorf("segment %s: %w", r.FileName, err)
	}
	f, err := os.Open(mp4Path)
	if err != nil {
		return fmt.Errorf("segment %s: %w", r.FileName, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("segment %s: %w", r.FileName, err)
	}
	r.Size = st.Size()
	boxes, err := topLevelBoxes(f, r.Size)
	if err != nil {
		return fmt.Errorf("segment %s: %w", r.FileName, err)
	}
	if err := checkRanges(boxes, pl.Init, pl.Segments, r.Size); err != nil {
		return fmt.Errorf("segment %s: %w", r.FileName, err)
	}
	init := make([]byte, pl.Init.Length)
	if _, err := f.ReadAt(init, pl.Init.Offset); err != nil {
		return fmt.Errorf("segment %s: read init: %w", r.FileName, err)
	}
	video, err := avcCodecString(init)
	if err != nil {
		return fmt.Errorf("segment %s: %w", r.FileName, err)
	}
	r.Codecs = video
	if hasAudio {
		// ffmpeg's native aac encoder writes AAC-LC unless told otherwise.
		r.Codecs += ",mp4a.40.2"
	}
	r.Init = pl.Init
	r.Segments = make([]Segment, len(pl.Segments))
	var totalBits, totalSeconds float64
	for i, ms := range pl.Segments {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("segment %s: %w", r.FileName, err)
		}
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(f, ms.Offset, ms.Length)); err != nil {
			return fmt.Errorf("segment %s: hash: %w", r.FileName, err)
		}
		seg := Segment{ByteRange: ms.ByteRange, Duration: ms.Duration}
		h.Sum(seg.SHA256[:0])
		r.Segments[i] = seg
		bits := float64(ms.Length * 8)
		if ms.Duration > 0 {
			r.Bandwidth = max(r.Bandwidth, int(math.Ceil(bits/ms.Duration)))
		}
		totalBits += bits
		totalSeconds += ms.Duration
	}
	if totalSeconds > 0 {
		r.AverageBandwidth = int(math.Ceil(totalBits / totalSeconds))
	}
	return nil
}

// checkAlignment insists every rung cut its segments at the same times, the
// property that lets players switch rungs at any segment boundary.
func checkAlignment(renditions []Rendition) error {
	ref := renditions[0]
	for _, r := range renditions[1:] {
		if len(r.Segments) != len(ref.Segments) {
			return fmt.Errorf("%w: %dp has %d segments, %dp has %d", errAlignment, r.Height, len(r.Segments), ref.Height, len(ref.Segments))
		}
		for i := range r.Segments {
			if math.Abs(r.Segments[i].Duration-ref.Segments[i].Duration) > alignTolerance {
				return fmt.Errorf("%w: segment %d lasts %.6fs at %dp, %.6fs at %dp", errAlignment, i, r.Segments[i].Duration, r.Height, ref.Segments[i].Duration, ref.Height)
			}
		}
	}
	return nil
}
