package origin

import (
	"context"
	"testing"
	"time"

	"github.com/peeredge/peeredge/internal/testclock"
)

func listedIDs(t *testing.T, l []Listed) []int64 {
	t.Helper()
	ids := make([]int64, len(l))
	for i, e := range l {
		if e.Local != nil {
			ids[i] = e.Local.ID
		} else {
			ids[i] = e.Remote.ID
		}
	}
	return ids
}

func withPage(q ListQuery, start, count int) ListQuery {
	q.Start, q.Count = start, count
	return q
}

func TestViewsCountTrendAndSurviveReopen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	c := openTestCatalog(t, dir)
	var vids []Video
	for _, name := range []string{"old favourite", "new hit", "unseen"} {
		v, err := c.CreateVideo(ctx, Video{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		vids = append(vids, v)
	}
	// An unlisted video, however viewed, is in no list.
	hidden, err := c.CreateVideo(ctx, Video{Name: "unlisted", Details: Details{Privacy: PrivacyUnlisted}})
	if err != nil {
		t.Fatal(err)
	}
	rv, err := c.UpsertRemoteVideo(ctx, RemoteVideo{APID: "https://pt.example/videos/watch/1", UUID: "9c9de5e8-0a1b-4d5e-8f00-112233445566",
		Host: "pt.example", Name: "remote", Views: 2, Published: time.Now(), Updated: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	clock := testclock.New(now.AddDate(0, 0, -10))
	views := NewViews(c, ViewsConfig{Now: clock.Now, TrendingDays: 7})
	for range 3 {
		views.AddView(vids[0].ID)
	}
	for range 5 {
		views.AddView(hidden.ID)
	}
	if err := views.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Set(now)
	views.AddView(vids[1].ID)
	// Pending views are not in the catalogue until flushed.
	if v, _ := c.Video(ctx, vids[1].UUID); v.Views != 0 {
		t.Fatalf("unflushed views shown: %d", v.Views)
	}
	if err := views.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		query ListQuery
		want  []int64
	}{
		{"-views", ListQuery{Sort: SortViews}, []int64{vids[0].ID, rv.ID, vids[1].ID, vids[2].ID}},
		{"views", ListQuery{Sort: SortViews, Ascending: true}, []int64{vids[2].ID, vids[1].ID, rv.ID, vids[0].ID}},
		// The old favourite's views are out of the window; the remote
		// video has no trending views.
		{"-trending", ListQuery{Sort: SortTrending}, []int64{vids[1].ID, vids[0].ID, vids[2].ID, rv.ID}},
	}
	for _, tt := range tests {
		list, total, err := views.List(ctx, withPage(tt.query, 0, 10))
		if err != nil {
			t.Fatal(err)
		}
		if got := listedIDs(t, list); total != 4 || !equalIDs(got, tt.want) {
			t.Errorf("%s: got %v (total %d), want %v", tt.name, got, total, tt.want)
		}
	}
	if list, total, _ := views.List(ctx, ListQuery{Sort: SortViews, Start: 1, Count: 2}); total != 4 || !equalIDs(listedIDs(t, list), []int64{rv.ID, vids[1].ID}) {
		t.Errorf("paged: %v (total %d)", listedIDs(t, list), total)
	}

	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c = openTestCatalog(t, dir)
	defer c.Close()
	for i, want := range []int64{3, 1, 0} {
		v, err := c.Video(ctx, vids[i].ShortUUID)
		if err != nil {
			t.Fatal(err)
		}
		if v.Views != want {
			t.Errorf("%s after reopen: %d views, want %d", v.Name, v.Views, want)
		}
	}
	list, _, err := c.Listing(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range list {
		if l.Local != nil && l.Local.ID == vids[0].ID && l.Local.Views != 3 {
			t.Errorf("listing: %d views, want 3", l.Local.Views)
		}
		if l.Remote != nil && l.Remote.Views != 2 {
			t.Errorf("remote listing: %d views, want the origin's 2", l.Remote.Views)
		}
	}
	// A deleted video's views go with it, and views counted after its
	// deletion are dropped.
	views = NewViews(c, ViewsConfig{Now: clock.Now})
	views.AddView(vids[0].ID)
	if err := c.DeleteVideo(ctx, vids[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := views.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if list, total, _ := views.List(ctx, ListQuery{Sort: SortViews, Count: 10}); total != 3 || !equalIDs(listedIDs(t, list), []int64{rv.ID, vids[1].ID, vids[2].ID}) {
		t.Errorf("after delete: %v (total %d)", listedIDs(t, list), total)
	}
}

func TestViewsRunFlushesAtStop(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := openTestCatalog(t, t.TempDir())
	defer c.Close()
	v, err := c.CreateVideo(ctx, Video{Name: "v"})
	if err != nil {
		t.Fatal(err)
	}
	views := NewViews(c, ViewsConfig{FlushEvery: time.Hour})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { views.Run(runCtx); close(done) }()
	views.AddView(v.ID)
	views.AddView(v.ID)
	stop()
	<-done
	got, err := c.Video(ctx, v.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Views != 2 {
		t.Fatalf("views after stop: %d, want 2", got.Views)
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// BenchmarkAddView compares a transaction per view (a synced disk write
// each) with the accumulator, flushed every 1000 views.
func BenchmarkAddView(b *testing.B) {
	for _, every := range []int{1, 1000} {
		name := "batched"
		if every == 1 {
			name = "txn-per-view"
		}
		b.Run(name, func(b *testing.B) { benchmarkViews(b, every) })
	}
}

func benchmarkViews(b *testing.B, flushEvery int) {
	ctx := context.Background()
	c := openTestCatalog(b, b.TempDir())
	defer c.Close()
	v, err := c.CreateVideo(ctx, Video{Name: "v"})
	if err != nil {
		b.Fatal(err)
	}
	views := NewViews(c, ViewsConfig{})
	i := 0
	for b.Loop() {
		views.AddView(v.ID)
		if i++; i%flushEvery == 0 {
			if err := views.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := views.Flush(ctx); err != nil {
		b.Fatal(err)
	}
}
