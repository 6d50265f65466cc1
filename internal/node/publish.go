package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/peeredge/peeredge/edge"
	"github.com/peeredge/peeredge/origin"
	"github.com/peeredge/peeredge/swarm"
)

// progressEvery bounds how often transcoding progress is written to the
// catalogue.
const progressEvery = 500 * time.Millisecond

// markFailed is the queue's OnFailed: the video shows why it failed
// (ffmpeg's last lines included) instead of waiting forever.
func (n *Node) markFailed(ctx context.Context, j origin.Job, jobErr error) {
	n.logger.Error("transcoding failed", "video", j.VideoID, "job", j.ID, "err", jobErr)
	if _, err := n.catalog.UpdateVideo(context.WithoutCancel(ctx), j.VideoID, func(v *origin.Video) error {
		v.State = origin.StateTranscodingFailed
		v.Transcoding = false
		v.Error = n.withoutPaths(jobErr.Error())
		return nil
	}); err != nil {
		n.logger.Error("mark video failed", "video", j.VideoID, "err", err)
	}
}

// transcode runs one transcode job: segment into a staging directory, build
// a torrent per rendition, then publish everything at once. A video is never
// seen half-published: the catalogue says "published" only after every file
// is in place, and a job interrupted before that starts over.
func (n *Node) transcode(ctx context.Context, j origin.Job) error {
	v, err := n.catalog.UpdateVideo(ctx, j.VideoID, func(v *origin.Video) error {
		v.State = origin.StateToTranscode
		v.Transcoding = true
		v.Progress = 0
		v.Error = ""
		return nil
	})
	if err != nil {
		return fmt.Errorf("load video %d: %w", j.VideoID, err)
	}
	start := time.Now()
	staging, err := n.store.StagingDir(v.UUID)
	if err != nil {
		return fmt.Errorf("staging directory: %w", err)
	}
	defer os.RemoveAll(staging) // a no-op once published

	progress := n.progressWriter(ctx, v.ID)
	res, err := n.segmenter.Segment(ctx, n.store.OriginalPath(v.UUID), staging, v.UUID, progress.report)
	progress.stop()
	if err != nil {
		return fmt.Errorf("segment: %w", err)
	}
	segmented := time.Since(start)

	renditions := make([]origin.Rendition, 0, len(res.Renditions))
	torrents := make([]string, 0, len(res.Renditions))
	for _, r := range res.Renditions {
		name := v.UUID + "-" + strconv.Itoa(r.Height) + "-hls.torrent"
		mi, hash, err := swarm.BuildTorrent(ctx, swarm.TorrentSpec{
			Path:      filepath.Join(staging, r.FileName),
			Name:      r.FileName,
			Trackers:  tiers(n.urls.Trackers()),
			WebSeeds:  []string{n.urls.WebSeed(r.FileName)},
			CreatedBy: "peeredge",
		})
		if err != nil {
			return fmt.Errorf("torrent for %s: %w", r.FileName, err)
		}
		if err := swarm.WriteTorrentFile(mi, filepath.Join(staging, name)); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		if err := swarm.WriteTorrentFile(swarm.WebSeedOnly(mi), filepath.Join(staging, webSeedOnlyName(name))); err != nil {
			return fmt.Errorf("write WebSeed-only %s: %w", name, err)
		}
		torrents = append(torrents, name)
		renditions = append(renditions, origin.Rendition{
			Height:       r.Height,
			Width:        r.Width,
			FPS:          r.FPS,
			Size:         r.Size,
			FileName:     r.FileName,
			PlaylistName: r.PlaylistName,
			TorrentName:  name,
			InfoHash:     hash.HexString(),
			Bandwidth:    r.Bandwidth,
		})
	}

	// Torrents first, then the HLS directory in one rename, then the
	// catalogue: a crash in between leaves the video unpublished and the
	// restarted job overwrites what was moved.
	for _, name := range torrents {
		if err := os.Rename(filepath.Join(staging, webSeedOnlyName(name)), n.webSeedOnlyPath(name)); err != nil {
			return fmt.Errorf("publish WebSeed-only %s: %w", name, err)
		}
		if err := os.Rename(filepath.Join(staging, name), filepath.Join(n.store.TorrentsDir(), name)); err != nil {
			return fmt.Errorf("publish %s: %w", name, err)
		}
	}
	if err := n.store.PublishDir(staging, v.UUID); err != nil {
		return fmt.Errorf("publish HLS directory: %w", err)
	}
	// The tracker knows the torrents and the seeder has them before the API
	// says "published", so the first viewers' announces are not refused.
	if n.tracker != nil {
		for _, r := range renditions {
			if err := n.announceRendition(ctx, v, r); err != nil {
				n.logger.Error("announce published rung", "video", v.ID, "err", err)
			}
		}
	}
	v, err = n.catalog.UpdateVideo(ctx, v.ID, func(v *origin.Video) error {
		v.State = origin.StatePublished
		v.Transcoding = false
		v.Progress = 1
		v.Duration = res.Duration.Seconds()
		v.Renditions = renditions
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark published: %w", err)
	}
	n.logger.Info("published", "video", v.ID, "uuid", v.UUID, "renditions", len(renditions),
		"segmenting", segmented.Round(time.Millisecond), "total", time.Since(start).Round(time.Millisecond),
		"master", n.urls.MasterPlaylist(v.UUID))
	return nil
}

// tiers puts each tracker in its own BEP 12 tier.
func tiers(trackers []string) [][]string {
	out := make([][]string, len(trackers))
	for i, t := range trackers {
		out[i] = []string{t}
	}
	return out
}

// progressWriter writes ffmpeg's progress to the catalogue at a bounded rate,
// off the goroutine that parses ffmpeg's output.
type progressWriter struct {
	latest chan float64
	done   chan struct{}
	wg     sync.WaitGroup
}

func (n *Node) progressWriter(ctx context.Context, id int64) *progressWriter {
	p := &progressWriter{latest: make(chan float64, 1), done: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		tick := time.NewTicker(progressEvery)
		defer tick.Stop()
		pending, have := 0.0, false
		for {
			select {
			case f := <-p.latest:
				pending, have = f, true
				continue
			case <-tick.C:
			case <-p.done:
				return
			case <-ctx.Done():
				return
			}
			if !have {
				continue
			}
			have = false
			if _, err := n.catalog.UpdateVideo(ctx, id, func(v *origin.Video) error {
				v.Progress = pending
				return nil
			}); err != nil && ctx.Err() == nil {
				n.logger.Warn("write progress", "video", id, "err", err)
			}
		}
	}()
	return p
}

// report keeps only the newest fraction; it never blocks ffmpeg's reader.
func (p *progressWriter) report(f float64) {
	select {
	case <-p.latest:
	default:
	}
	select {
	case p.latest <- f:
	default:
	}
}

func (p *progressWriter) stop() {
	close(p.done)
	p.wg.Wait()
}

// withoutPaths keeps the node's own directories out of reasons shown in the
// public API.
func (n *Node) withoutPaths(msg string) string {
	if abs, err := filepath.Abs(n.cfg.DataDir); err == nil {
		msg = strings.ReplaceAll(msg, "file:"+abs+string(filepath.Separator), "")
		msg = strings.ReplaceAll(msg, abs+string(filepath.Separator), "")
	}
	return msg
}

// webSeedOnlyName names a torrent's WebSeed-only form in the staging area.
func webSeedOnlyName(name string) string { return "webseed-only-" + name }

// webSeedOnlyPath is where the edge finds a torrent's WebSeed-only form.
func (n *Node) webSeedOnlyPath(name string) string {
	return filepath.Join(n.store.TorrentsDir(), edge.WebSeedOnlyDir, name)
}

// ensureWebSeedOnly writes the WebSeed-only form of every published
// torrent that lacks one (videos published by an older node).
func (n *Node) ensureWebSeedOnly(ctx context.Context) error {
	if err := os.MkdirAll(filepath.Join(n.store.TorrentsDir(), edge.WebSeedOnlyDir), 0o755); err != nil {
		return err
	}
	return n.eachRendition(ctx, func(v origin.Video, r origin.Rendition) error {
		dst := n.webSeedOnlyPath(r.TorrentName)
		if _, err := os.Stat(dst); err == nil {
			return nil
		}
		mi, _, err := swarm.ReadTorrentFile(filepath.Join(n.store.TorrentsDir(), r.TorrentName))
		if err != nil {
			return fmt.Errorf("video %d: %w", v.ID, err)
		}
		return swarm.WriteTorrentFile(swarm.WebSeedOnly(mi), dst)
	})
}

// eachRendition calls fn for every rendition of every published video.
func (n *Node) eachRendition(ctx context.Context, fn func(origin.Video, origin.Rendition) error) error {
	const page = 100
	for start := 0; ; start += page {
		videos, total, err := n.catalog.Videos(ctx, start, page)
		if err != nil {
			return err
		}
		for _, v := range videos {
			if v.State != origin.StatePublished {
				continue
			}
			for _, r := range v.Renditions {
				if err := fn(v, r); err != nil {
					return err
				}
			}
		}
		if len(videos) == 0 || start+len(videos) >= total {
			return nil
		}
	}
}
