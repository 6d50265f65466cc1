package publish

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/anacrolix/torrent/metainfo"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
	"github.com/peeredge/peeredge/segmenter"
	"github.com/peeredge/peeredge/swarm"
	"github.com/peeredge/peeredge/swarm/p2pml"
)

// Catalog is what the workflow reads and writes of the catalogue.
type Catalog interface {
	UpdateVideo(ctx context.Context, id int64, fn func(*origin.Video) error) (origin.Video, error)
	EachVideo(ctx context.Context, fn func(origin.Video) error) error
	Video(ctx context.Context, ref string) (origin.Video, error)
	DeleteVideo(ctx context.Context, id int64) error
}

// Store stages a video's files, makes them visible at once, and takes
// them back.
type Store interface {
	Disk() layout.Disk
	StagingDir(uuid string) (string, error)
	Publish(staging, uuid string, torrents []string) error
	PublishImages(staging, uuid string, names ...string) error
	Unpublish(uuid string) error
	RemoveOriginal(uuid string) error
	// CustomImages are the video's uploaded thumbnail and preview, fitted
	// (nil: none uploaded).
	CustomImages(uuid string) (thumbnail, preview []byte, err error)
	KeepCustomImages(uuid string, thumbnail, preview []byte) error
}

// Segmenter transcodes a source into a video's HLS files in outDir, or
// makes the images of a published video from its top rung.
type Segmenter interface {
	Segment(ctx context.Context, input, outDir, uuid string, progress func(float64)) (segmenter.Result, error)
	Images(ctx context.Context, input, outDir, uuid string) (thumbnail, preview string, err error)
}

// Torrents writes a rung's torrent in both forms (swarm.TorrentFiles).
type Torrents interface {
	Make(ctx context.Context, spec swarm.TorrentSpec, full, webSeedOnly string) (metainfo.Hash, error)
	MakeWebSeedOnly(src, dst string) error
}

// Tracker admits announces for the info hashes added to it, grouped by
// video (tracker.Registry).
type Tracker interface {
	AddVideo(video string, infoHashes ...[20]byte)
	RemoveVideo(video string)
}

// Seeder seeds a torrent from the files in dataDir, and forgets it
// (seeder.Seeder).
type Seeder interface {
	Seed(ctx context.Context, torrentPath, dataDir string) (metainfo.Hash, error)
	Forget(infoHash metainfo.Hash) error
}

// Space keeps a transcode from filling the disk (origin.Space).
type Space interface {
	CheckRoom(n int64) error
	Watch(ctx context.Context, every time.Duration) (context.Context, func())
}

// spaceWatchEvery is how often the free space is looked at during a
// transcode: ffmpeg writes a few tens of MB/s at most, the reserve is far
// larger than a quarter second of that.
const spaceWatchEvery = 250 * time.Millisecond

// Config is what a Publisher works with. Tracker and Seeder may be nil (a
// node that only ingests, or does not seed): rungs are then published for
// HTTP only and announced when a node serves them (Announce).
type Config struct {
	Catalog   Catalog
	Store     Store
	Segmenter Segmenter
	Torrents  Torrents
	Tracker   Tracker
	Seeder    Seeder
	Space     Space       // nil: no guard
	Events    Events      // nil: nobody is told
	URLs      layout.URLs // where the node's files and trackers are reached
	Logger    *slog.Logger
}

// Publisher runs the workflow for queued videos.
type Publisher struct {
	cfg    Config
	disk   layout.Disk
	logger *slog.Logger
}

// New returns a Publisher for cfg.
func New(cfg Config) *Publisher {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Publisher{cfg: cfg, disk: cfg.Store.Disk(), logger: cfg.Logger}
}

// WithSwarm returns a Publisher that also hands each published rung to the
// tracker and the seeder (either may be nil).
func (p *Publisher) WithSwarm(tr Tracker, sd Seeder) *Publisher {
	cfg := p.cfg
	cfg.Tracker, cfg.Seeder = tr, sd
	return New(cfg)
}

// Transcode is the job queue's handler: it publishes the job's video. A
// video is never seen half-published: the catalogue says "published" only
// after every file is in place, and a job interrupted before that starts
// over.
func (p *Publisher) Transcode(ctx context.Context, j origin.Job) (err error) {
	v, err := p.cfg.Catalog.UpdateVideo(ctx, j.VideoID, func(v *origin.Video) error {
		v.State = origin.StateToTranscode
		v.Transcoding = true
		v.Progress = 0
		v.Error, v.Reason = "", ""
		return nil
	})
	if err != nil {
		return fmt.Errorf("load video %d: %w", j.VideoID, err)
	}
	start := time.Now()
	staging, err := p.cfg.Store.StagingDir(v.UUID)
	if err != nil {
		return fmt.Errorf("staging directory: %w", err)
	}
	defer os.RemoveAll(staging) // a no-op once published

	res, err := p.segment(ctx, v, staging)
	if err != nil {
		return fmt.Errorf("segment: %w", err)
	}
	segmented := time.Since(start)
	if err := p.useCustomImages(staging, v.UUID, &res.Thumbnail, &res.Preview); err != nil {
		return err
	}

	renditions, torrents, err := p.makeTorrents(ctx, staging, v.UUID, res.Renditions)
	if err != nil {
		return err
	}
	// Whatever fails from here takes back what was made public, so that
	// what is served and what the catalogue says agree. (A crash instead
	// leaves it to the store's sweep at the next start.)
	defer func() {
		if err != nil {
			p.withdraw(v, renditions)
		}
	}()
	if err := p.cfg.Store.Publish(staging, v.UUID, torrents); err != nil {
		return fmt.Errorf("publish files: %w", err)
	}
	// The tracker knows the torrents and the seeder has them before the API
	// says "published", so the first viewers' announces are not refused.
	p.announce(ctx, v, renditions)
	published, err := p.cfg.Catalog.UpdateVideo(ctx, v.ID, func(v *origin.Video) error {
		v.State = origin.StatePublished
		v.Transcoding = false
		v.Progress = 1
		v.Duration = res.Duration.Seconds()
		v.Renditions = renditions
		v.Thumbnail, v.Preview = res.Thumbnail, res.Preview
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark published: %w", err)
	}
	p.logger.Info("published", "video", published.ID, "uuid", published.UUID, "renditions", len(renditions),
		"segmenting", segmented.Round(time.Millisecond), "total", time.Since(start).Round(time.Millisecond),
		"master", p.cfg.URLs.MasterPlaylist(published.UUID))
	p.tell(ctx, "published", published.UUID, p.events().VideoPublished)
	return nil
}

// segment transcodes v's original into staging, reporting progress to the
// catalogue; with a space guard, only if its output should fit, and
// stopped if the disk fills up meanwhile.
func (p *Publisher) segment(ctx context.Context, v origin.Video, staging string) (segmenter.Result, error) {
	if p.cfg.Space != nil {
		// The ladder is rarely larger than its source; the watch stops a
		// transcode that outgrows the estimate anyway.
		if err := p.cfg.Space.CheckRoom(2 * v.SourceSize); err != nil {
			return segmenter.Result{}, fmt.Errorf("before transcoding: %w", err)
		}
		var stop func()
		ctx, stop = p.cfg.Space.Watch(ctx, spaceWatchEvery)
		defer stop()
	}
	progress := newProgressWriter(ctx, p.cfg.Catalog, v.ID, p.logger)
	res, err := p.cfg.Segmenter.Segment(ctx, p.disk.OriginalPath(v.UUID), staging, v.UUID, progress.report)
	progress.stop()
	if cause := context.Cause(ctx); err != nil && errors.Is(cause, origin.ErrNoSpace) {
		return res, cause // ffmpeg was stopped for the disk's sake
	}
	return res, err
}

// makeTorrents writes each rung's torrent (both forms) into staging.
func (p *Publisher) makeTorrents(ctx context.Context, staging, uuid string, rungs []segmenter.Rendition) ([]origin.Rendition, []string, error) {
	renditions := make([]origin.Rendition, 0, len(rungs))
	torrents := make([]string, 0, len(rungs))
	for _, r := range rungs {
		name := layout.TorrentFileName(uuid, r.Height)
		hash, err := p.cfg.Torrents.Make(ctx, swarm.TorrentSpec{
			Path:     filepath.Join(staging, r.FileName),
			Name:     r.FileName,
			Trackers: tiers(p.cfg.URLs.Trackers()),
			WebSeeds: []string{p.cfg.URLs.WebSeed(r.FileName)},
		}, layout.StagedTorrentPath(staging, name, true), layout.StagedTorrentPath(staging, name, false))
		if err != nil {
			return nil, nil, fmt.Errorf("torrent for %s: %w", r.FileName, err)
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
			Codecs:       r.Codecs,
		})
	}
	return renditions, torrents, nil
}

// tiers puts each tracker in its own BEP 12 tier.
func tiers(trackers []string) [][]string {
	out := make([][]string, len(trackers))
	for i, t := range trackers {
		out[i] = []string{t}
	}
	return out
}

// Announce hands every published video to the tracker and the seeder; a
// serving node calls it once at start.
func (p *Publisher) Announce(ctx context.Context) error {
	return p.cfg.Catalog.EachVideo(ctx, func(v origin.Video) error {
		if v.State == origin.StatePublished {
			p.announce(ctx, v, v.Renditions)
		}
		return ctx.Err()
	})
}

// withdraw takes back what is public of a video: the tracker stops
// admitting and the seeder stops seeding its rungs, and its files leave
// media/. Failures are logged: there is nobody to return them to, and the
// store's sweep at the next start removes what is left.
func (p *Publisher) withdraw(v origin.Video, rungs []origin.Rendition) {
	if p.cfg.Tracker != nil {
		p.cfg.Tracker.RemoveVideo(v.UUID)
	}
	for _, r := range rungs {
		ih, err := infoHash(r)
		if err != nil || p.cfg.Seeder == nil {
			continue
		}
		if err := p.cfg.Seeder.Forget(ih); err != nil {
			p.logger.Debug("stop seeding withdrawn rung", "video", v.ID, "rung", r.Height, "err", err)
		}
	}
	if err := p.cfg.Store.Unpublish(v.UUID); err != nil {
		p.logger.Error("withdraw published files", "video", v.ID, "err", err)
	}
}

// Remove deletes video id: its catalogue entry first (the API answers 404
// from then on, and a crash before the files are gone leaves them to the
// store's start-up sweep), then what withdraw takes back — tracker,
// seeder, served files and torrents — and its original.
func (p *Publisher) Remove(ctx context.Context, id int64) error {
	v, err := p.cfg.Catalog.Video(ctx, strconv.FormatInt(id, 10))
	if err != nil {
		return fmt.Errorf("remove video %d: %w", id, err)
	}
	if err := p.cfg.Catalog.DeleteVideo(ctx, id); err != nil {
		return fmt.Errorf("remove video %d: %w", id, err)
	}
	p.withdraw(v, v.Renditions)
	if err := p.cfg.Store.RemoveOriginal(v.UUID); err != nil {
		p.logger.Error("remove original of a deleted video", "video", id, "err", err)
	}
	p.logger.Info("video removed", "id", id, "uuid", v.UUID)
	if v.State == origin.StatePublished {
		p.tell(ctx, "deleted", v.UUID, p.events().VideoDeleted)
	}
	return nil
}

// infoHash decodes a rendition's hex info hash.
func infoHash(r origin.Rendition) ([20]byte, error) {
	var ih [20]byte
	b, err := hex.DecodeString(r.InfoHash)
	if err != nil || len(b) != len(ih) {
		return ih, fmt.Errorf("rung %d: bad info hash %q", r.Height, r.InfoHash)
	}
	copy(ih[:], b)
	return ih, nil
}

// announce makes a published video known to the tracker — its rungs'
// torrents and the swarms its watch page's players join, as one video for
// the scan alarm — and seeds its rungs. What cannot be announced or
// seeded is still served over HTTP, so failures are only logged.
func (p *Publisher) announce(ctx context.Context, v origin.Video, rungs []origin.Rendition) {
	if p.cfg.Tracker == nil {
		return
	}
	var hashes [][20]byte
	for _, r := range rungs {
		ih, err := infoHash(r)
		if err != nil {
			p.logger.Error("announce published rung", "video", v.ID, "err", err)
			continue
		}
		hashes = append(hashes, ih)
	}
	players, err := p.playerInfoHashes(v.UUID)
	if err != nil {
		p.logger.Error("player swarms of a published video: viewers will stream over HTTP only", "video", v.ID, "err", err)
	}
	p.cfg.Tracker.AddVideo(v.UUID, append(hashes, players...)...)
	if p.cfg.Seeder == nil {
		return
	}
	for _, r := range rungs {
		if _, err := p.cfg.Seeder.Seed(ctx, p.disk.TorrentPath(r.TorrentName), p.disk.HLSDir(v.UUID)); err != nil {
			p.logger.Error("seed", "video", v.ID, "rung", r.Height, "err", err)
		}
	}
}

// playerInfoHashes are the info hashes players announce for a published
// video: the watch page's player (p2p-media-loader 2.3) sets the swarm id
// to the video's uuid and derives one swarm per variant of the master
// playlist the node wrote; PeerTube's own players up to 7.0 derive theirs
// from the master playlist's URL and the variant's index.
func (p *Publisher) playerInfoHashes(uuid string) ([][20]byte, error) {
	master, err := os.ReadFile(filepath.Join(p.disk.HLSDir(uuid), layout.MasterPlaylistName))
	if err != nil {
		return nil, err
	}
	// The swarm id is the uuid (package web's player sets it so): stable
	// across the node's URLs and its mirrors'.
	hashes, err := p2pml.InfoHashes(uuid, master)
	if err != nil {
		return nil, err
	}
	return append(hashes, p2pml.LegacyInfoHashes(p.cfg.URLs.MasterPlaylist(uuid), len(hashes))...), nil
}

// EnsureWebSeedOnly writes the WebSeed-only form of every published torrent
// that lacks one (videos published by an older node).
func (p *Publisher) EnsureWebSeedOnly(ctx context.Context) error {
	return p.eachRendition(ctx, func(v origin.Video, r origin.Rendition) error {
		dst := p.disk.WebSeedOnlyPath(r.TorrentName)
		if _, err := os.Stat(dst); err == nil {
			return nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if err := p.cfg.Torrents.MakeWebSeedOnly(p.disk.TorrentPath(r.TorrentName), dst); err != nil {
			return fmt.Errorf("video %d: %w", v.ID, err)
		}
		return nil
	})
}

// EnsureImages makes the thumbnail and preview of every published video
// that has none (published by a node older than its images; PeerTube
// instances drop a Video without an icon), one short ffmpeg run from the
// video's top rung each. It runs beside serving: until a video's images
// exist, the API gives null paths and the pages their CSS tile. A video
// whose images cannot be made is logged and skipped (it stays as it was).
func (p *Publisher) EnsureImages(ctx context.Context) {
	var missing []origin.Video
	err := p.cfg.Catalog.EachVideo(ctx, func(v origin.Video) error {
		if v.State == origin.StatePublished && v.Thumbnail == "" && len(v.Renditions) > 0 {
			missing = append(missing, v)
		}
		return nil
	})
	if err != nil {
		p.logger.Error("images of older videos: list", "err", err)
		return
	}
	made := 0
	for _, v := range missing {
		if err := p.ensureImages(ctx, v); err != nil {
			if ctx.Err() != nil {
				return
			}
			p.logger.Warn("images of an older video not made", "video", v.ID, "uuid", v.UUID, "err", err)
			continue
		}
		made++
	}
	if len(missing) > 0 {
		p.logger.Info("images of older videos made", "made", made, "of", len(missing))
	}
}

func (p *Publisher) ensureImages(ctx context.Context, v origin.Video) error {
	staging, err := p.cfg.Store.StagingDir(v.UUID)
	if err != nil {
		return err
	}
	defer os.RemoveAll(staging)
	top := filepath.Join(p.disk.HLSDir(v.UUID), v.Renditions[0].FileName) // the ladder is highest first
	thumb, preview, err := p.cfg.Segmenter.Images(ctx, top, staging, v.UUID)
	if err != nil {
		return err
	}
	if thumb == "" {
		return errors.New("no frame to make them of")
	}
	if err := p.cfg.Store.PublishImages(staging, v.UUID, thumb, preview); err != nil {
		return err
	}
	_, err = p.cfg.Catalog.UpdateVideo(ctx, v.ID, func(v *origin.Video) error {
		if v.State == origin.StatePublished && v.Thumbnail == "" {
			v.Thumbnail, v.Preview = thumb, preview
		}
		return nil
	})
	return err
}

// eachRendition calls fn for every rendition of every published video.
func (p *Publisher) eachRendition(ctx context.Context, fn func(origin.Video, origin.Rendition) error) error {
	return p.cfg.Catalog.EachVideo(ctx, func(v origin.Video) error {
		if v.State != origin.StatePublished {
			return nil
		}
		for _, r := range v.Renditions {
			if err := fn(v, r); err != nil {
				return err
			}
		}
		return nil
	})
}
