package origin

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestListFiltersSortsAndPages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := openTestCatalog(t, t.TempDir())
	defer c.Close()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	create := func(v Video) int64 {
		t.Helper()
		v.State = StatePublished
		got, err := c.CreateVideo(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		return got.ID
	}
	a := create(Video{Name: "Alpha cat", Duration: 10, ChannelID: 1, CreatedAt: t0.Add(3 * time.Hour), Details: Details{Tags: []string{"cats", "fun"}}})
	b := create(Video{Name: "beta dog", Duration: 30, ChannelID: 2, CreatedAt: t0.Add(time.Hour), Details: Details{Tags: []string{"Dogs"}}})
	cc := create(Video{Name: "Gamma CAT", Duration: 20, CreatedAt: t0.Add(2 * time.Hour)})
	d := create(Video{Name: "hidden cat", Duration: 1, ChannelID: 1, Details: Details{Tags: []string{"cats"}, Privacy: PrivacyUnlisted}})
	e := create(Video{Name: "secret", Duration: 2, ChannelID: 2, Details: Details{Privacy: PrivacyPrivate}})
	rv, err := c.UpsertRemoteVideo(ctx, RemoteVideo{APID: "https://pt.example/videos/watch/1", UUID: "9c9de5e8-0a1b-4d5e-8f00-112233445566",
		Host: "pt.example", Name: "remote cat", Duration: 5, Tags: []string{"Cats"}, Published: t0, Updated: t0})
	if err != nil {
		t.Fatal(err)
	}
	r := rv.ID
	// Editing b publishes it anew: newest by publishedAt, still oldest
	// local by createdAt.
	if _, err := c.UpdateVideo(ctx, b, func(v *Video) error { v.Support = "thanks"; return nil }); err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	tests := []struct {
		name  string
		q     ListQuery
		want  []int64
		total int
	}{
		{"default -publishedAt", ListQuery{}, []int64{b, cc, a, r}, 4},
		{"publishedAt", ListQuery{Ascending: true}, []int64{r, a, cc, b}, 4},
		{"-createdAt", ListQuery{Sort: SortCreated}, []int64{a, cc, b, r}, 4},
		{"createdAt", ListQuery{Sort: SortCreated, Ascending: true}, []int64{r, b, cc, a}, 4},
		{"name", ListQuery{Sort: SortName, Ascending: true}, []int64{a, b, cc, r}, 4},
		{"-name", ListQuery{Sort: SortName}, []int64{r, cc, b, a}, 4},
		{"-duration", ListQuery{Sort: SortDuration}, []int64{b, cc, a, r}, 4},
		{"duration", ListQuery{Sort: SortDuration, Ascending: true}, []int64{r, a, cc, b}, 4},
		{"local", ListQuery{Local: &yes}, []int64{b, cc, a}, 3},
		{"remote", ListQuery{Local: &no}, []int64{r}, 1},
		{"search", ListQuery{Search: "CAT"}, []int64{cc, a, r}, 3},
		{"search none", ListQuery{Search: "zebra"}, nil, 0},
		{"one tag", ListQuery{TagsOneOf: []string{"CATS"}}, []int64{a, r}, 2},
		{"one tag, local", ListQuery{TagsOneOf: []string{"cats"}, Local: &yes}, []int64{a}, 1},
		{"tags one of", ListQuery{TagsOneOf: []string{"dogs", "fun"}}, []int64{b, a}, 2},
		{"unlisted", ListQuery{Privacies: []Privacy{PrivacyUnlisted}}, []int64{d}, 1},
		{"all privacies", ListQuery{Privacies: []Privacy{PrivacyPublic, PrivacyUnlisted, PrivacyPrivate}}, []int64{b, e, d, cc, a, r}, 6},
		{"channel", ListQuery{Channels: []int64{1}}, []int64{a}, 1},
		{"channel 0", ListQuery{Channels: []int64{0}}, []int64{cc}, 1},
		{"channel and privacies", ListQuery{Channels: []int64{2}, Privacies: []Privacy{PrivacyPublic, PrivacyPrivate}}, []int64{b, e}, 2},
		{"search and sort", ListQuery{Search: "cat", Sort: SortName, Ascending: true, Local: &yes}, []int64{a, cc}, 2},
		{"page", ListQuery{Start: 1, Count: 2}, []int64{cc, a}, 4},
		{"page past the end", ListQuery{Start: 10}, nil, 4},
		{"count 0", ListQuery{Count: 0, Start: 0, Sort: SortName}, nil, 4},
		{"views", ListQuery{Sort: SortViews}, []int64{a, b, cc, r}, 4},
	}
	for _, tt := range tests {
		if tt.q.Count == 0 && tt.name != "count 0" {
			tt.q.Count = 15
		}
		list, total, err := c.List(ctx, tt.q)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := listedIDs(t, list); total != tt.total || !equalIDs(got, tt.want) {
			t.Errorf("%s: got %v (total %d), want %v (total %d)", tt.name, got, total, tt.want, tt.total)
		}
	}
	// Pages of a sort with ties (views: all 0) are stable: walking them
	// one by one visits each video once.
	seen := map[int64]bool{}
	for start := 0; start < 4; start++ {
		list, _, err := c.List(ctx, ListQuery{Sort: SortViews, Start: start, Count: 1})
		if err != nil || len(list) != 1 {
			t.Fatalf("page %d: %v, %v", start, list, err)
		}
		id := listedIDs(t, list)[0]
		if seen[id] {
			t.Errorf("page %d repeats %d", start, id)
		}
		seen[id] = true
	}
	if _, _, err := c.List(ctx, ListQuery{Sort: SortTrending}); !errors.Is(err, ErrUnsupportedSort) {
		t.Errorf("trending without views: %v", err)
	}
}
