package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/peeredge/peeredge/internal/node"
	"github.com/peeredge/peeredge/origin"
)

func ingest(ctx context.Context, args []string) error {
	var o options
	fs := newFlagSet("ingest", &o)
	name := fs.String("name", "", "video name (default: the file name)")
	if err := o.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("ingest takes one FILE, got %d arguments", fs.NArg())
	}
	n, err := node.Open(ctx, o.cfg)
	if err != nil {
		return err
	}
	defer n.Close()
	v, err := ingestFile(ctx, n, fs.Arg(0), *name)
	if err != nil {
		return err
	}
	printPublished(n, v)
	return nil
}

// ingestFile takes a local file in and runs the node's queue until that
// video is published or has failed.
func ingestFile(ctx context.Context, n *node.Node, path, name string) (origin.Video, error) {
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	bar := newProgress(os.Stderr)
	v, err := n.Intake().IngestFile(ctx, path, name, func(done, total int64) {
		if total > 0 {
			bar.set("copying", float64(done)/float64(total))
		}
	})
	if err != nil {
		bar.done()
		return origin.Video{}, err
	}
	jobsCtx, stopJobs := context.WithCancel(ctx)
	jobsDone := make(chan error, 1)
	go func() { jobsDone <- n.RunJobs(jobsCtx) }()
	defer func() { stopJobs(); <-jobsDone }()

	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			bar.done()
			return v, fmt.Errorf("interrupted; the job resumes on the next start: %w", ctx.Err())
		case err := <-jobsDone:
			jobsDone <- err // for the deferred wait
			bar.done()
			return v, fmt.Errorf("job queue stopped: %w", errors.Join(err, errors.New("video not published")))
		case <-tick.C:
		}
		v, err = n.Video(ctx, fmt.Sprint(v.ID))
		if err != nil {
			bar.done()
			return v, err
		}
		switch v.State {
		case origin.StatePublished:
			bar.set("published", 1)
			bar.done()
			return v, nil
		case origin.StateTranscodingFailed:
			bar.done()
			return v, fmt.Errorf("transcoding failed: %s", v.Error)
		}
		if v.Transcoding {
			bar.set("transcoding", v.Progress)
		} else {
			bar.set("queued", 0)
		}
	}
}

func printPublished(n *node.Node, v origin.Video) {
	u := n.URLs()
	fmt.Printf("video %d %q published (uuid %s, %.1f s)\n", v.ID, v.Name, v.UUID, v.Duration)
	fmt.Printf("  master playlist: %s\n", u.MasterPlaylist(v.UUID))
	fmt.Printf("  API:             %s\n", u.Video(v.ShortUUID))
	for _, r := range v.Renditions {
		fmt.Printf("  %4dp torrent:    %s\n", r.Height, u.Torrent(r.TorrentName))
	}
}
