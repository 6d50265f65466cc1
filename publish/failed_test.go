package publish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anacrolix/torrent/metainfo"

	"github.com/peeredge/peeredge/edge"
	"github.com/peeredge/peeredge/edge/edgetest"
	"github.com/peeredge/peeredge/federation/api"
	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
	"github.com/peeredge/peeredge/segmenter"
	"github.com/peeredge/peeredge/swarm"
)

// panickingSegmenter stands for a bug in the workflow: the real segmenter
// cannot be made to panic.
type panickingSegmenter struct{ segmenter.Config }

func (panickingSegmenter) Segment(_ context.Context, input, _, _ string, _ func(float64)) (segmenter.Result, error) {
	var rungs []segmenter.Rendition
	return segmenter.Result{Renditions: rungs[len(input):]}, nil // out of range, as a real bug would be
}

// failingSegmenter fails as ffmpeg does, naming local files in its words.
type failingSegmenter struct{ segmenter.Config } // fails Segment; Images as the real one

func (s failingSegmenter) Segment(_ context.Context, input, outDir, _ string, _ func(float64)) (segmenter.Result, error) {
	if err := os.WriteFile(outDir+"/partial.mp4", []byte("x"), 0o644); err != nil {
		return segmenter.Result{}, err
	}
	return segmenter.Result{}, fmt.Errorf("%w: exit status 1: %s: Invalid data found when processing input | Error opening output %s/partial.mp4",
		segmenter.ErrFFmpegFailed, input, outDir)
}

// fullDiskTorrents fails as a full disk does while a torrent is written.
type fullDiskTorrents struct{ swarm.TorrentFiles }

func (fullDiskTorrents) Make(_ context.Context, spec swarm.TorrentSpec, full, _ string) (metainfo.Hash, error) {
	return metainfo.Hash{}, &os.PathError{Op: "write", Path: full, Err: syscall.ENOSPC}
}

// TestFailureReasons makes the workflow fail in each way it can and checks
// that the video says so in words a user can act on, with nothing of the
// error's text in them, that the whole error is kept for the administrator,
// and that nothing was published.
func TestFailureReasons(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc    string
		prepare func(env *testEnv, v origin.Video, cfg *Config)
		reason  string // a phrase of the reason
		detail  string // a phrase of the private detail
	}{
		{"damaged original", func(env *testEnv, v origin.Video, _ *Config) {
			// Cut short after intake: ffprobe finds no moov atom.
			if err := os.Truncate(env.store.Disk().OriginalPath(v.UUID), 1000); err != nil {
				t.Fatal(err)
			}
		}, "could not be read as a video", "moov atom not found"},
		{"ffmpeg fails", func(_ *testEnv, _ origin.Video, cfg *Config) { cfg.Segmenter = failingSegmenter{} }, "ffmpeg could not transcode", "Invalid data found"},
		{"disk full", func(_ *testEnv, _ origin.Video, cfg *Config) { cfg.Torrents = fullDiskTorrents{} }, "ran out of disk space", "no space left on device"},
		{"panic", func(_ *testEnv, _ origin.Video, cfg *Config) { cfg.Segmenter = panickingSegmenter{} }, "internal error", "goroutine"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			env := newTestEnv(t)
			v := env.ingest(t)
			cfg := env.cfg
			tt.prepare(env, v, &cfg)
			v, j := env.fail(t, New(cfg), v.ID)
			if v.State != origin.StateTranscodingFailed || v.Transcoding {
				t.Fatalf("state %v (transcoding %v), want failed", v.State, v.Transcoding)
			}
			if !strings.Contains(v.Reason, tt.reason) {
				t.Errorf("reason %q does not say %q", v.Reason, tt.reason)
			}
			checkNoInternals(t, v.Reason, env.store.Disk().Root())
			if !strings.Contains(v.Error, tt.detail) || !strings.Contains(env.log.String(), tt.detail) {
				t.Errorf("detail %q lost: video error %q", tt.detail, v.Error)
			}
			if !strings.Contains(j.Error, tt.detail) {
				t.Errorf("job record %q lacks %q", j.Error, tt.detail)
			}
			if left := env.filesLeft(t); len(left) != 0 {
				t.Errorf("a failed video left files: %q", left)
			}
		})
	}
}

// checkNoInternals fails if s carries a stack, a source position, a local
// path or a tool's raw output.
func checkNoInternals(t *testing.T, s, dataDir string) {
	t.Helper()
	for _, bad := range []string{"goroutine", ".go:", "panic", dataDir, os.TempDir(), "/", "exit status", "runtime."} {
		if strings.Contains(s, bad) {
			t.Errorf("%q shows %q", s, bad)
		}
	}
}

// TestPanicShowsNoStackInAPI: a job that panics leaves its stack in the
// log and the job's record, while the public API, asked by a stranger,
// shows the failure without a stack or a path.
func TestPanicShowsNoStackInAPI(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	v := env.ingest(t)
	cfg := env.cfg
	cfg.Segmenter = panickingSegmenter{}
	v, j := env.fail(t, New(cfg), v.ID)
	for where, text := range map[string]string{"log": env.log.String(), "job record": j.Error, "video's private error": v.Error} {
		if !strings.Contains(text, "slice bounds out of range") || !strings.Contains(text, "goroutine") {
			t.Errorf("the %s lacks the panic and its stack", where)
		}
	}

	a := api.New(api.Config{Videos: env.catalog, Tokens: env.catalog, P2P: alwaysOn{}, URLs: env.cfg.URLs})
	base := edgetest.Serve(t, edge.Config{MediaDir: env.store.Disk().MediaDir(), Mounts: []edge.Mount{{Path: layout.APIPrefix, Handler: a.Handler}}})
	for _, path := range []string{layout.VideosPath + "/" + v.UUID, layout.VideosPath} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %s %v", path, resp.Status, err)
		}
		var got struct {
			StateReason string          `json:"stateReason"`
			Data        json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		if path == layout.VideosPath {
			var list []struct{ StateReason string }
			if err := json.Unmarshal(got.Data, &list); err != nil || len(list) != 1 {
				t.Fatalf("list: %s", body)
			}
			got.StateReason = list[0].StateReason
		}
		if !strings.Contains(got.StateReason, "internal error") || !strings.Contains(got.StateReason, fmt.Sprintf("job %d", j.ID)) {
			t.Errorf("GET %s: stateReason %q", path, got.StateReason)
		}
		checkNoInternals(t, got.StateReason, env.store.Disk().Root())
		for _, bad := range []string{"goroutine", ".go:", "nil map", env.store.Disk().Root()} {
			if strings.Contains(string(body), bad) {
				t.Errorf("GET %s shows %q anywhere in %s", path, bad, body)
			}
		}
	}
}

type alwaysOn struct{}

func (alwaysOn) P2PEnabled() bool                   { return true }
func (alwaysOn) SetP2P(context.Context, bool) error { return errors.New("fixed") }

// TestPruneFailedOriginals: a failed video's original goes once it has
// been failed for long enough; a published video's stays.
func TestPruneFailedOriginals(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	good := env.publish(t, New(env.cfg))
	bad := env.ingest(t)
	cfg := env.cfg
	cfg.Segmenter = failingSegmenter{}
	p := New(cfg)
	bad, _ = env.fail(t, p, bad.ID)
	ctx := context.Background()
	if pruned, err := p.PruneFailedOriginals(ctx, bad.UpdatedAt); err != nil || len(pruned) != 0 {
		t.Fatalf("pruned %q, %v before the video had been failed long enough", pruned, err)
	}
	pruned, err := p.PruneFailedOriginals(ctx, bad.UpdatedAt.Add(time.Second))
	if err != nil || len(pruned) != 1 || pruned[0] != bad.UUID {
		t.Fatalf("pruned %q, %v; want the failed video's original", pruned, err)
	}
	d := env.store.Disk()
	if _, err := os.Stat(d.OriginalPath(bad.UUID)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed video's original still there: %v", err)
	}
	if _, err := os.Stat(d.OriginalPath(good.UUID)); err != nil {
		t.Errorf("published video's original removed: %v", err)
	}
	if again, err := p.PruneFailedOriginals(ctx, time.Now().Add(time.Hour)); err != nil || len(again) != 0 {
		t.Errorf("second prune: %q, %v", again, err)
	}
	if v, err := env.catalog.Video(ctx, bad.UUID); err != nil || v.State != origin.StateTranscodingFailed || v.Reason == "" {
		t.Errorf("the failed video's record changed: %+v, %v", v, err)
	}
}
