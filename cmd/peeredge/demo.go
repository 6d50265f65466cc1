package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/peeredge/peeredge/federation/api"
	"github.com/peeredge/peeredge/internal/node"
	"github.com/peeredge/peeredge/origin"
)

const demoName = "peeredge demo"

// demo makes a short test-pattern clip with ffmpeg, ingests it the first
// time, prints where to watch it and serves the node.
func demo(ctx context.Context, args []string) error {
	var o options
	fs := newFlagSet("demo", &o)
	seconds := fs.Int("seconds", 20, "length of the demo clip")
	if err := o.parse(fs, args); err != nil {
		return err
	}
	n, err := node.Open(ctx, o.cfg)
	if err != nil {
		return err
	}
	defer n.Close()

	v, found, err := findDemo(ctx, n)
	if err != nil {
		return err
	}
	if !found {
		clip := filepath.Join(o.cfg.DataDir, "demo-clip.mp4")
		if err := makeDemoClip(ctx, o.cfg.FFmpeg, clip, *seconds); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "ingesting %s (%d s, 1280x720)\n", clip, *seconds)
		if v, err = ingestFile(ctx, n, clip, demoName); err != nil {
			return err
		}
		_ = os.Remove(clip) // the node keeps its own copy of the original
	}
	printPublished(n, v)
	if len(v.Renditions) > 0 {
		r := v.Renditions[0]
		fmt.Printf("  %4dp magnet:     %s\n", r.Height, api.MagnetURI(n.URLs(), r, n.P2PEnabled()))
	}
	fmt.Printf("\nWatch it in a browser: %s\n   (open it in two windows: the second gets its segments from the first)\n", n.URLs().Watch(v.ShortUUID))
	fmt.Printf("Or: ffplay %s   (Ctrl-C stops the node)\n\n", n.URLs().MasterPlaylist(v.UUID))
	return serveNode(ctx, n, o.cfg.Listen)
}

func findDemo(ctx context.Context, n *node.Node) (origin.Video, bool, error) {
	var demo origin.Video
	errFound := errors.New("found")
	err := n.Catalog().EachVideo(ctx, func(v origin.Video) error {
		if v.Name == demoName && v.State == origin.StatePublished {
			demo = v
			return errFound
		}
		return nil
	})
	if errors.Is(err, errFound) {
		return demo, true, nil
	}
	return origin.Video{}, false, err
}

// makeDemoClip renders a test pattern with a tone, like an upload would be.
func makeDemoClip(ctx context.Context, ffmpeg, out string, seconds int) error {
	if seconds < 1 || seconds > 600 {
		return fmt.Errorf("-seconds %d: want 1 to 600", seconds)
	}
	d := fmt.Sprint(seconds)
	cmd := exec.CommandContext(ctx, ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration="+d,
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration="+d,
		"-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-shortest", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("make demo clip with %s: %w: %s", ffmpeg, err, msg)
	}
	return nil
}
