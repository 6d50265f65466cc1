package segmenter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrNotImage is an uploaded image that is not a JPEG, PNG or WebP, or
// that ffmpeg could not decode.
var ErrNotImage = errors.New("not a JPEG, PNG or WebP image")

// imageDemuxer names ffmpeg's demuxer for an image by its magic bytes:
// forcing it keeps ffmpeg from probing an outsider's bytes as anything
// else (the same reason videos' demuxers are whitelisted).
func imageDemuxer(data []byte) (string, bool) {
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		return "jpeg_pipe", true
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "png_pipe", true
	case len(data) >= 12 && bytes.Equal(data[:4], []byte("RIFF")) && bytes.Equal(data[8:12], []byte("WEBP")):
		return "webp_pipe", true
	}
	return "", false
}

// FitImage makes a JPEG of w×h from an uploaded image as PeerTube fits a
// custom thumbnail or preview: scaled to cover the box, the overflow
// cropped. ErrNotImage when data is no image ffmpeg decodes.
func (c Config) FitImage(ctx context.Context, data []byte, w, h int) ([]byte, error) {
	demuxer, ok := imageDemuxer(data)
	if !ok {
		return nil, ErrNotImage
	}
	scratch, err := os.MkdirTemp("", "peeredge-image-")
	if err != nil {
		return nil, fmt.Errorf("fit image: %w", err)
	}
	defer os.RemoveAll(scratch)
	src, dst := filepath.Join(scratch, "source"), filepath.Join(scratch, "fitted.jpg")
	if err := os.WriteFile(src, data, 0o600); err != nil {
		return nil, fmt.Errorf("fit image: %w", err)
	}
	filter := coverFilter(w, h) + ",setsar=1"
	args := []string{"-hide_banner", "-nostdin", "-n", "-loglevel", "warning", "-nostats", "-progress", "pipe:1",
		"-protocol_whitelist", "file", "-f", demuxer, "-i", "file:" + src,
		"-vf", filter, "-frames:v", "1", "-update", "1", "-q:v", jpegQuality, "-map_metadata", "-1", "-f", "image2", "file:" + dst}
	if err := c.runFFmpeg(ctx, args, 0, scratch, func(float64) {}); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("fit image: %w", err)
		}
		return nil, fmt.Errorf("%w: %w", ErrNotImage, err)
	}
	out, err := placeImage(dst, scratch, w, h, func(string) string { return "placed.jpg" })
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotImage, err)
	}
	return os.ReadFile(filepath.Join(scratch, out))
}
