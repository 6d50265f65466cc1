package segmenter

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"image/jpeg"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/peeredge/peeredge/internal/layout"
)

// imagePlan adds PeerTube's thumbnail and preview to the ladder's own
// ffmpeg run: one more copy of the decoded picture, of which a single frame
// is scaled twice and written as JPEG. Decoding the source again for one
// frame would cost a second run; this costs a filter branch.
type imagePlan struct {
	at       time.Duration // the frame's time from the video's first frame
	portrait bool          // source not wider than tall: letterboxed on a shaded copy
	// thumbnail and preview are file: URLs in the run's scratch directory;
	// the segmenter names the images by their bytes once they are written.
	thumbnail, preview string
}

// newImagePlan plans the images of src, written by ffmpeg into scratch.
func newImagePlan(src probed, scratch string) *imagePlan {
	return &imagePlan{
		at:        imageTime(cmp.Or(src.videoDuration, src.Duration)),
		portrait:  src.Width <= src.Height,
		thumbnail: "file:" + filepath.Join(scratch, thumbnailScratch),
		preview:   "file:" + filepath.Join(scratch, previewScratch),
	}
}

// imageMaxTime is how far into a video its images are taken at most.
const imageMaxTime = 2 * time.Second

// imageTime picks the frame: a tenth into the video, at most imageMaxTime,
// past a fade-in's black first frame yet early enough for a short clip.
// An unknown duration takes the first frame rather than risk none.
func imageTime(duration time.Duration) time.Duration {
	return min(duration/10, imageMaxTime)
}

// jpegQuality is ffmpeg's -q:v for the images (2 best, 31 worst): small
// files that still look clean at their size.
const jpegQuality = "3"

// filters appends the images' branch, fed by the split's output in: the
// first frame at or after at, fitted to each size as PeerTube fits images
// (covering the box and cropping the overflow; a portrait source shown
// whole over a darkened, covering copy of itself). The work is done in
// full-range 4:4:4, the form JPEG stores, so that odd sizes (157) are kept.
func (ip imagePlan) filters(b *strings.Builder, in string) {
	at := strconv.FormatFloat(ip.at.Seconds(), 'f', 3, 64)
	// Only the first such frame passes: every later one would be scaled
	// twice for nothing (measured: a third more time on a 720p ladder).
	fmt.Fprintf(b, ";%ssetpts=PTS-STARTPTS,select='gte(t,%s)*eq(selected_n,0)',split=2[ithumb][iprev]", in, at)
	ip.fit(b, "ithumb", layout.ThumbnailWidth, layout.ThumbnailHeight, "thumb")
	ip.fit(b, "iprev", layout.PreviewWidth, layout.PreviewHeight, "prev")
}

// coverFilter scales a picture to cover w×h and crops the overflow.
func coverFilter(w, h int) string {
	return fmt.Sprintf("scale=%d:%d:force_original_aspect_ratio=increase:out_range=full,format=yuv444p,crop=%d:%d", w, h, w, h)
}

func (ip imagePlan) fit(b *strings.Builder, in string, w, h int, out string) {
	cover := coverFilter(w, h)
	if !ip.portrait {
		fmt.Fprintf(b, ";[%s]%s,setsar=1[%s]", in, cover, out)
		return
	}
	fmt.Fprintf(b, ";[%s]split[%s_b][%s_f]", in, out, out)
	// Half-way to black: luma halved, chroma halved towards neutral.
	fmt.Fprintf(b, ";[%s_b]%s,lutyuv=y=val/2:u=128+(val-128)/2:v=128+(val-128)/2[%s_bg]", out, cover, out)
	fmt.Fprintf(b, ";[%s_f]scale=%d:%d:force_original_aspect_ratio=decrease:out_range=full,format=yuv444p[%s_fg]", out, w, h, out)
	fmt.Fprintf(b, ";[%s_bg][%s_fg]overlay=(W-w)/2:(H-h)/2:format=yuv444,setsar=1[%s]", out, out, out)
}

func (ip imagePlan) outputArgs() []string {
	var args []string
	for _, o := range []struct{ label, url string }{{"[thumb]", ip.thumbnail}, {"[prev]", ip.preview}} {
		args = append(args, "-map", o.label, "-frames:v", "1", "-update", "1", "-q:v", jpegQuality,
			"-map_metadata", "-1", "-f", "image2", o.url)
	}
	return args
}

// errNoImage is an image ffmpeg did not write (no frame at its time) or
// wrote in a shape other than asked.
var errNoImage = errors.New("image not made")

// placeImage reads the JPEG ffmpeg wrote at src, checks its size and writes
// it into outDir under the name name builds from its bytes.
func placeImage(src, outDir string, w, h int, name func(tag string) string) (string, error) {
	data, err := os.ReadFile(src)
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("%w: %s missing", errNoImage, filepath.Base(src))
	}
	if err != nil {
		return "", fmt.Errorf("image: %w", err)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", errNoImage, filepath.Base(src), err)
	}
	if cfg.Width != w || cfg.Height != h {
		return "", fmt.Errorf("%w: %s is %dx%d, want %dx%d", errNoImage, filepath.Base(src), cfg.Width, cfg.Height, w, h)
	}
	file := name(layout.ImageTag(data))
	if err := os.WriteFile(filepath.Join(outDir, file), data, outputFileMode); err != nil {
		return "", fmt.Errorf("image: %w", err)
	}
	return file, nil
}

// placeImages moves both images into outDir; a video without them (a source
// whose frames end before the chosen time, which its duration should rule
// out) is still published, without images, rather than refused.
func (c Config) placeImages(scratch, outDir, uuid string) (thumbnail, preview string, err error) {
	thumbnail, err = placeImage(filepath.Join(scratch, thumbnailScratch), outDir, layout.ThumbnailWidth, layout.ThumbnailHeight,
		func(tag string) string { return layout.ThumbnailFileName(uuid, tag) })
	if err == nil {
		preview, err = placeImage(filepath.Join(scratch, previewScratch), outDir, layout.PreviewWidth, layout.PreviewHeight,
			func(tag string) string { return layout.PreviewFileName(uuid, tag) })
	}
	if errors.Is(err, errNoImage) {
		if thumbnail != "" {
			_ = os.Remove(filepath.Join(outDir, thumbnail))
		}
		c.logger().Warn("video published without thumbnail and preview", "uuid", uuid, "err", err)
		return "", "", nil
	}
	if err != nil {
		return "", "", err
	}
	return thumbnail, preview, nil
}

// Scratch names of the images while ffmpeg writes them.
const (
	thumbnailScratch = "thumbnail.jpg"
	previewScratch   = "preview.jpg"
)

// Images makes the thumbnail and preview of a video published before the
// segmenter made them, from input (its top rung: the picture at its
// displayed shape), into outDir, in one short ffmpeg run that decodes up to
// the chosen frame. Both names are "" when no image could be made.
func (c Config) Images(ctx context.Context, input, outDir, uuid string) (thumbnail, preview string, err error) {
	if id, err := layout.CanonicalUUID(uuid); err != nil || id != uuid {
		return "", "", fmt.Errorf("images: want a canonical uuid, got %q: %w", uuid, layout.ErrInvalidUUID)
	}
	src, err := c.probe(ctx, input)
	if err != nil {
		return "", "", fmt.Errorf("images: %w", err)
	}
	inputURL, err := fileURL(input)
	if err != nil {
		return "", "", fmt.Errorf("images: %w", err)
	}
	outDir, err = filepath.Abs(outDir)
	if err != nil {
		return "", "", fmt.Errorf("images: %w", err)
	}
	scratch, err := os.MkdirTemp(outDir, ".ffmpeg-")
	if err != nil {
		return "", "", fmt.Errorf("images: %w", err)
	}
	defer os.RemoveAll(scratch)
	ip := newImagePlan(src, scratch)
	var graph strings.Builder
	ip.filters(&graph, fmt.Sprintf("[0:%d]", src.videoStream))
	args := []string{"-hide_banner", "-nostdin", "-n", "-loglevel", "warning", "-nostats", "-progress", "pipe:1"}
	args = append(args, safeInputArgs()...)
	args = append(args, "-f", src.demuxer, "-i", inputURL, "-filter_complex", strings.TrimPrefix(graph.String(), ";"))
	args = append(args, ip.outputArgs()...)
	if err := c.runFFmpeg(ctx, args, src.Duration, outDir, func(float64) {}); err != nil {
		return "", "", fmt.Errorf("images: %w", err)
	}
	return c.placeImages(scratch, outDir, uuid)
}
