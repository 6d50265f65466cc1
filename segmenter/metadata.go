package segmenter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"time"
)

// maxMetadata bounds ffprobe's description of one file: a rung has one or
// two streams, a few kilobytes.
const maxMetadata = 1 << 20

// Metadata is ffprobe's JSON description of a file the segmenter wrote —
// its format, streams and chapters — which PeerTube answers at a file's
// metadataUrl.
func (c Config) Metadata(ctx context.Context, path string) ([]byte, error) {
	url, err := fileURL(path)
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	args := []string{"-hide_banner", "-v", "error"}
	args = append(args, safeInputArgs()...)
	args = append(args, "-show_format", "-show_streams", "-show_chapters", "-of", "json", "-i", url)
	cmd := exec.CommandContext(ctx, c.ffprobePath(), args...)
	cmd.WaitDelay = 5 * time.Second
	stdout := &boundedBuffer{max: maxMetadata}
	stderr := newTailWriter(10)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	release := tieToNode(cmd)
	defer release()
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("metadata: %w", ctx.Err())
		}
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return nil, fmt.Errorf("metadata: ffprobe: %s", stderr.reason(err))
		}
		return nil, fmt.Errorf("metadata: run ffprobe: %w", err)
	}
	if stdout.over || !json.Valid(stdout.Bytes()) {
		return nil, errors.New("metadata: ffprobe wrote no JSON within bounds")
	}
	return stdout.Bytes(), nil
}

// boundedBuffer keeps the first max bytes written and notes an overflow.
type boundedBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); len(p) > room {
		b.over = true
		n, _ := b.Buffer.Write(p[:max(room, 0)])
		return n, errors.New("ffprobe output over its bound")
	}
	return b.Buffer.Write(p)
}
