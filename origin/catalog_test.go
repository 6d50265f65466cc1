package origin

import (
	"github.com/peeredge/peeredge/internal/layout"

	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

func TestCatalogCreateGetListUpdate(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "db")
	c := openTestCatalog(t, dir)

	var created []Video
	for i := range 5 {
		v, err := c.CreateVideo(ctx, Video{Name: fmt.Sprintf("video %d", i), SourceSize: int64(i)})
		if err != nil {
			t.Fatal(err)
		}
		if v.ID != int64(i+1) {
			t.Errorf("video %d got id %d", i, v.ID)
		}
		if v.State != StateToTranscode || v.CreatedAt.IsZero() || len(v.ShortUUID) != 22 {
			t.Errorf("unexpected defaults: %+v", v)
		}
		if s, _ := layout.ShortUUID(v.UUID); s != v.ShortUUID {
			t.Errorf("ShortUUID %s does not match uuid %s", v.ShortUUID, v.UUID)
		}
		created = append(created, v)
	}

	want := created[2]
	for _, ref := range []string{strconv.FormatInt(want.ID, 10), want.UUID, want.ShortUUID} {
		got, err := c.Video(ctx, ref)
		if err != nil || got.ID != want.ID || got.Name != want.Name || !got.CreatedAt.Equal(want.CreatedAt) {
			t.Errorf("Video(%q) = %+v, %v; want id %d", ref, got, err, want.ID)
		}
	}
	for _, ref := range []string{"0", "-1", "99", "00000000-0000-4000-8000-000000000000", "1111111111111111111112", "nope", "../v/1", ""} {
		if _, err := c.Video(ctx, ref); !errors.Is(err, ErrNotFound) {
			t.Errorf("Video(%q) err = %v, want ErrNotFound", ref, err)
		}
	}

	tests := []struct {
		start, count int
		wantIDs      []int64
	}{
		{0, 2, []int64{5, 4}},
		{2, 2, []int64{3, 2}},
		{4, 10, []int64{1}},
		{5, 10, nil},
		{-3, 1, []int64{5}},
		{0, 0, nil},
	}
	for _, tt := range tests {
		got, total, err := c.Videos(ctx, tt.start, tt.count)
		if err != nil || total != 5 {
			t.Fatalf("Videos(%d,%d) total %d err %v", tt.start, tt.count, total, err)
		}
		var ids []int64
		for _, v := range got {
			ids = append(ids, v.ID)
		}
		if fmt.Sprint(ids) != fmt.Sprint(tt.wantIDs) {
			t.Errorf("Videos(%d,%d) ids %v, want %v", tt.start, tt.count, ids, tt.wantIDs)
		}
	}

	upd, err := c.UpdateVideo(ctx, want.ID, func(v *Video) error {
		v.State = StatePublished
		v.Renditions = append(v.Renditions, Rendition{Height: 720, Width: 1280, FPS: 25, InfoHash: "ab"})
		v.UUID = "tampered" // immutable: must be restored
		v.ID = 42
		return nil
	})
	if err != nil || upd.State != StatePublished || upd.UUID != want.UUID || upd.ID != want.ID || !upd.UpdatedAt.After(want.UpdatedAt) {
		t.Fatalf("UpdateVideo = %+v, %v", upd, err)
	}
	sentinel := errors.New("abort")
	if _, err := c.UpdateVideo(ctx, want.ID, func(v *Video) error { v.Name = "lost"; return sentinel }); !errors.Is(err, sentinel) {
		t.Errorf("aborted update err = %v", err)
	}
	if _, err := c.UpdateVideo(ctx, 99, func(*Video) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Errorf("update of missing video err = %v", err)
	}

	// Reopen: everything persisted.
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c = openTestCatalog(t, dir)
	defer c.Close()
	got, err := c.Video(ctx, want.ShortUUID)
	if err != nil || got.State != StatePublished || got.Name != want.Name || len(got.Renditions) != 1 || got.Renditions[0].Height != 720 {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
	next, err := c.CreateVideo(ctx, Video{Name: "after reopen"})
	if err != nil || next.ID != 6 {
		t.Fatalf("id after reopen = %d, %v; want 6", next.ID, err)
	}

	if err := c.DeleteVideo(ctx, next.ID); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"6", next.UUID, next.ShortUUID} {
		if _, err := c.Video(ctx, ref); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleted video still found by %q: %v", ref, err)
		}
	}
	if _, total, err := c.Videos(ctx, 0, 10); err != nil || total != 5 {
		t.Errorf("total after delete = %d, %v; want 5", total, err)
	}
	if err := c.DeleteVideo(ctx, next.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete err = %v", err)
	}
}

func TestCatalogConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	c := openTestCatalog(t, t.TempDir())
	defer c.Close()
	v, err := c.CreateVideo(ctx, Video{Name: "shared"})
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*2)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if _, err := c.CreateVideo(ctx, Video{Name: "v"}); err != nil {
					errs <- err
				}
				_, err := c.UpdateVideo(ctx, v.ID, func(v *Video) error {
					v.Renditions = append(v.Renditions, Rendition{Height: w*100 + i})
					return nil
				})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got, err := c.Video(ctx, v.UUID)
	if err != nil || len(got.Renditions) != workers*each {
		t.Errorf("renditions after concurrent updates = %d, %v; want %d (a lost update)", len(got.Renditions), err, workers*each)
	}
	list, total, err := c.Videos(ctx, 0, 1000)
	if err != nil || total != workers*each+1 {
		t.Fatalf("total = %d, %v", total, err)
	}
	seen := map[int64]bool{}
	for _, v := range list {
		seen[v.ID] = true
	}
	for id := int64(1); id <= int64(total); id++ {
		if !seen[id] {
			t.Errorf("id %d missing: ids must be a gapless sequence", id)
		}
	}
}

func TestCreateVideoKeepsGivenUUID(t *testing.T) {
	ctx := context.Background()
	c := openTestCatalog(t, t.TempDir())
	defer c.Close()
	const id = "A44521D0-0FB8-4ADE-8002-3385545C3318"
	v, err := c.CreateVideo(ctx, Video{UUID: id, Name: "x"})
	if err != nil || v.UUID != "a44521d0-0fb8-4ade-8002-3385545c3318" || v.ShortUUID != "mhvXdrZT4jP5T8vBxuvm75" {
		t.Fatalf("CreateVideo = %+v, %v", v, err)
	}
	if _, err := c.CreateVideo(ctx, Video{UUID: id, Name: "dup"}); err == nil {
		t.Error("duplicate uuid accepted")
	}
	if _, err := c.CreateVideo(ctx, Video{UUID: "../../etc", Name: "bad"}); !errors.Is(err, layout.ErrInvalidUUID) {
		t.Errorf("invalid uuid err = %v", err)
	}
}

func TestEachVideoVisitsAllAcrossPages(t *testing.T) {
	c := openTestCatalog(t, t.TempDir())
	defer c.Close()
	ctx := context.Background()
	const n = 250 // three pages
	for i := range n {
		if _, err := c.CreateVideo(ctx, Video{Name: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	var ids []int64
	if err := c.EachVideo(ctx, func(v Video) error { ids = append(ids, v.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(ids) != n || ids[0] != n || ids[n-1] != 1 {
		t.Fatalf("visited %d videos from %v to %v, want %d newest first", len(ids), ids[0], ids[len(ids)-1], n)
	}
	stop := errors.New("stop")
	visited := 0
	err := c.EachVideo(ctx, func(Video) error {
		visited++
		if visited == 120 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || visited != 120 {
		t.Errorf("stopped with %v after %d videos, want the callback's error after 120", err, visited)
	}
}
