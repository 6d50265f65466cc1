package origin

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func remoteSample(host string, n int, updated time.Time) RemoteVideo {
	return RemoteVideo{
		APID:    fmt.Sprintf("https://%s/videos/watch/%08d-0000-4000-8000-000000000000", host, n),
		UUID:    fmt.Sprintf("%08d-0000-4000-8000-000000000000", n),
		Host:    host,
		Name:    fmt.Sprintf("remote %d", n),
		Updated: updated,
		Master:  "https://" + host + "/m.m3u8",
	}
}

// TestRemoteIndex: upserts keep one entry per ActivityPub id, ignore older
// updates, refuse uuids of other videos; lookups by every reference;
// listing merges local and remote videos by arrival; deletes by id and
// by host.
func TestRemoteIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := openTestCatalog(t, t.TempDir())
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

	local1, err := c.CreateVideo(ctx, Video{Name: "local one"})
	if err != nil {
		t.Fatal(err)
	}
	a1, err := c.UpsertRemoteVideo(ctx, remoteSample("a.example", 1, t0))
	if err != nil {
		t.Fatal(err)
	}
	if a1.ID != local1.ID+1 || a1.ShortUUID == "" {
		t.Fatalf("first remote %+v", a1)
	}
	local2, err := c.CreateVideo(ctx, Video{Name: "local two"})
	if err != nil {
		t.Fatal(err)
	}
	b1, err := c.UpsertRemoteVideo(ctx, remoteSample("b.example:8443", 2, t0))
	if err != nil {
		t.Fatal(err)
	}

	// Update: newer replaces (same id), older is ignored.
	newer := remoteSample("a.example", 1, t0.Add(time.Hour))
	newer.Name = "renamed"
	if got, err := c.UpsertRemoteVideo(ctx, newer); err != nil || got.ID != a1.ID || got.Name != "renamed" {
		t.Fatalf("update: %+v %v", got, err)
	}
	older := remoteSample("a.example", 1, t0)
	older.Name = "stale"
	if _, err := c.UpsertRemoteVideo(ctx, older); !errors.Is(err, ErrStale) {
		t.Fatalf("stale update: %v", err)
	}

	// A uuid already used locally, or by another remote id, is refused.
	clash := remoteSample("c.example", 3, t0)
	clash.UUID = local1.UUID
	if _, err := c.UpsertRemoteVideo(ctx, clash); !errors.Is(err, ErrUUIDTaken) {
		t.Fatalf("local uuid clash: %v", err)
	}
	clash = remoteSample("c.example", 3, t0)
	clash.UUID = a1.UUID
	if _, err := c.UpsertRemoteVideo(ctx, clash); !errors.Is(err, ErrUUIDTaken) {
		t.Fatalf("remote uuid clash: %v", err)
	}

	for _, ref := range []string{a1.APID, a1.UUID, a1.ShortUUID, fmt.Sprint(a1.ID)} {
		if got, err := c.RemoteVideo(ctx, ref); err != nil || got.ID != a1.ID || got.Name != "renamed" {
			t.Errorf("RemoteVideo(%s) = %+v, %v", ref, got, err)
		}
	}
	if _, err := c.RemoteVideo(ctx, fmt.Sprint(local1.ID)); !errors.Is(err, ErrNotFound) {
		t.Errorf("a local id as remote: %v", err)
	}
	if _, err := c.Video(ctx, fmt.Sprint(a1.ID)); !errors.Is(err, ErrNotFound) {
		t.Errorf("a remote id as local: %v", err)
	}

	names := func(start, count int) ([]string, int) {
		t.Helper()
		list, total, err := c.Listing(ctx, start, count)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, l := range list {
			if l.Local != nil {
				out = append(out, l.Local.Name)
			} else {
				out = append(out, l.Remote.Name)
			}
		}
		return out, total
	}
	if got, total := names(0, 10); total != 4 || fmt.Sprint(got) != fmt.Sprint([]string{b1.Name, local2.Name, "renamed", local1.Name}) {
		t.Errorf("listing %v of %d", got, total)
	}
	if got, _ := names(1, 2); fmt.Sprint(got) != fmt.Sprint([]string{local2.Name, "renamed"}) {
		t.Errorf("listing page %v", got)
	}

	if err := c.DeleteRemoteVideo(ctx, a1.APID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteRemoteVideo(ctx, a1.APID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if _, err := c.RemoteVideo(ctx, a1.UUID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted still found by uuid: %v", err)
	}
	for i := 10; i < 10+forgetBatch+5; i++ { // more than one batch
		if _, err := c.UpsertRemoteVideo(ctx, remoteSample("B.example:8443", i, t0)); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := c.DeleteRemoteHost(ctx, "b.example:8443"); err != nil || n != forgetBatch+6 {
		t.Errorf("forget host: %d, %v", n, err)
	}
	if list, total, err := c.RemoteVideos(ctx, 0, 10); err != nil || total != 0 || len(list) != 0 {
		t.Errorf("after forgetting: %d %v", total, err)
	}
}

// TestRemoteDeletionRemembered: a Create or Update that its origin sent
// before the Delete but that arrives after it (a retried delivery) does
// not bring the video back, also when the Delete came first of all; an
// object updated after the deletion is taken; the memory survives a
// restart.
func TestRemoteDeletionRemembered(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	c := openTestCatalog(t, dir)
	before := time.Now().Add(-time.Minute)
	// (reopened below; the first catalogue is closed there)
	kept := remoteSample("a.example", 1, before)
	if _, err := c.UpsertRemoteVideo(ctx, kept); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteRemoteVideo(ctx, kept.APID); err != nil {
		t.Fatal(err)
	}
	neverSeen := remoteSample("a.example", 2, before)
	if err := c.DeleteRemoteVideo(ctx, neverSeen.APID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleting a video not kept: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c = openTestCatalog(t, dir)
	t.Cleanup(func() { c.Close() })

	late := kept
	late.Name = "renamed before the delete"
	for _, rv := range []RemoteVideo{late, neverSeen} {
		if _, err := c.UpsertRemoteVideo(ctx, rv); !errors.Is(err, ErrStale) {
			t.Errorf("%s updated before its deletion: %v, want ErrStale", rv.APID, err)
		}
	}
	if _, total, err := c.RemoteVideos(ctx, 0, 10); err != nil || total != 0 {
		t.Fatalf("after late objects, %d remote videos kept (%v)", total, err)
	}
	reborn := remoteSample("a.example", 2, time.Now().Add(time.Minute))
	if _, err := c.UpsertRemoteVideo(ctx, reborn); err != nil {
		t.Errorf("an object updated after the deletion: %v", err)
	}
}
