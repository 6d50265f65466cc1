package publish

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/peeredge/peeredge/edge"
	"github.com/peeredge/peeredge/edge/edgetest"
	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
	"github.com/peeredge/peeredge/swarm/tracker"
)

// lostPublishCatalog fails the one write that says "published", as a
// catalogue that became unwritable at that moment would.
type lostPublishCatalog struct{ Catalog }

func (c lostPublishCatalog) UpdateVideo(ctx context.Context, id int64, fn func(*origin.Video) error) (origin.Video, error) {
	return c.Catalog.UpdateVideo(ctx, id, func(v *origin.Video) error {
		probe := *v
		if err := fn(&probe); err != nil {
			return err
		}
		if probe.State == origin.StatePublished {
			return errors.New("catalogue write lost")
		}
		return fn(v)
	})
}

// served reports the status the edge answers for each public file of a
// video once published with a 240p rung, and for the images it names
// (if any).
func served(t *testing.T, env *testEnv, uuid string, images ...string) map[string]int {
	t.Helper()
	base := edgetest.Serve(t, edge.Config{MediaDir: env.store.Disk().MediaDir()})
	out := make(map[string]int)
	paths := []string{
		layout.HLSPrefix + uuid + "/" + layout.MasterPlaylistName,
		layout.HLSPrefix + uuid + "/" + layout.RenditionFileName(uuid, 240),
		layout.WebSeedPrefix + layout.RenditionFileName(uuid, 240),
		layout.TorrentPrefix + layout.TorrentFileName(uuid, 240),
	}
	for _, name := range images {
		if _, _, ok := layout.ParseThumbnailFileName(name); ok {
			paths = append(paths, layout.ThumbnailPath(name))
		} else {
			paths = append(paths, layout.PreviewPath(name))
		}
	}
	for _, path := range paths {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		out[path] = resp.StatusCode
	}
	return out
}

func wantNothingServed(t *testing.T, env *testEnv, uuid string, images ...string) {
	t.Helper()
	for path, status := range served(t, env, uuid, images...) {
		if status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404 for a video that is not published", path, status)
		}
	}
	if env.registry.Len() != 0 {
		t.Errorf("the tracker still admits %d torrents of it", env.registry.Len())
	}
}

// TestFailureAfterMoveWithdraws: when the workflow fails after the files
// were moved into media/, the video is failed and nothing of it is served
// or tracked.
func TestFailureAfterMoveWithdraws(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	v := env.ingest(t)
	cfg := env.cfg
	cfg.Catalog = lostPublishCatalog{env.catalog}
	v, _ = env.fail(t, New(cfg), v.ID)
	if v.State != origin.StateTranscodingFailed || len(v.Renditions) != 0 {
		t.Fatalf("video %+v, want failed without rungs", v)
	}
	wantNothingServed(t, env, v.UUID)
	if left := env.filesLeft(t); len(left) != 0 {
		t.Errorf("left: %q", left)
	}
}

// TestCrashBeforeCatalogueWrite: a node killed after moving a video's files
// into media/ and before the catalogue said "published" leaves exactly the
// state built here. At the next start the store's sweep removes the files,
// and when the job's retries then fail, nothing is served.
func TestCrashBeforeCatalogueWrite(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	v := env.publish(t, New(env.cfg))
	images := []string{v.Thumbnail, v.Preview}
	if v.Thumbnail == "" || v.Preview == "" {
		t.Fatalf("published without images: %+v", v)
	}
	for path, status := range served(t, env, v.UUID, images...) {
		if status != http.StatusOK {
			t.Fatalf("published video: GET %s = %d", path, status)
		}
	}
	// The state a crash leaves: files in media/, the catalogue short of
	// "published", and (for the retries to fail) a source that went bad.
	if _, err := env.catalog.UpdateVideo(context.Background(), v.ID, func(v *origin.Video) error {
		v.State, v.Transcoding, v.Renditions = origin.StateToTranscode, true, nil
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.queue.Enqueue(context.Background(), origin.Job{VideoID: v.ID, Kind: origin.JobTranscode}); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(env.store.Disk().OriginalPath(v.UUID), 1000); err != nil {
		t.Fatal(err)
	}

	// The next start: a fresh tracker, and the store's sweep.
	env.registry = tracker.NewRegistry()
	env.cfg.Tracker = env.registry
	swept, err := env.store.Sweep(context.Background(), env.catalog)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(swept.Media) != fmt.Sprint([]string{v.UUID}) {
		t.Errorf("swept %+v, want the half-published video's media", swept)
	}
	wantNothingServed(t, env, v.UUID, images...)
	p := New(env.cfg)
	if err := p.Announce(context.Background()); err != nil {
		t.Fatal(err)
	}
	v, _ = env.fail(t, p, v.ID)
	if v.State != origin.StateTranscodingFailed {
		t.Fatalf("state %v, want failed", v.State)
	}
	wantNothingServed(t, env, v.UUID, images...)
}

// TestEnsureImagesOfOlderVideo: a video published before the node made
// images gets them at start, served and named in the catalogue; one that
// has them is left alone.
func TestEnsureImagesOfOlderVideo(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	p := New(env.cfg)
	v := env.publish(t, p)
	// What an older node left: no images, none named.
	for _, name := range []string{v.Thumbnail, v.Preview} {
		if err := os.Remove(filepath.Join(env.store.Disk().HLSDir(v.UUID), name)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := env.catalog.UpdateVideo(context.Background(), v.ID, func(v *origin.Video) error {
		v.Thumbnail, v.Preview = "", ""
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	p.EnsureImages(context.Background())
	got, err := env.catalog.Video(context.Background(), v.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Thumbnail == "" || got.Preview == "" {
		t.Fatalf("no images after EnsureImages: %+v", got)
	}
	for path, status := range served(t, env, v.UUID, got.Thumbnail, got.Preview) {
		if status != http.StatusOK {
			t.Errorf("GET %s = %d", path, status)
		}
	}
	if left, _ := os.ReadDir(env.store.Disk().TmpDir()); len(left) != 0 {
		t.Errorf("staging left behind: %v", left)
	}
	p.EnsureImages(context.Background())
	if again, _ := env.catalog.Video(context.Background(), v.UUID); again.Thumbnail != got.Thumbnail || !again.UpdatedAt.Equal(got.UpdatedAt) {
		t.Errorf("a video with images was touched: %+v", again)
	}
}
