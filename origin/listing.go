package origin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// SortField is what a video list is ordered by, as PeerTube's sortable
// video columns the node has.
type SortField int

const (
	SortPublished SortField = iota // the zero value: PeerTube's default -publishedAt
	SortCreated
	SortName
	SortDuration
	SortViews
	SortTrending
)

// ErrUnsupportedSort is a sort the lister cannot do: trending needs the
// views' window (Views.List).
var ErrUnsupportedSort = errors.New("unsupported sort")

// ListQuery is one page of a filtered video list: PeerTube's list options.
// Its zero value lists the first page of every public video, local and
// remote, newest published first.
type ListQuery struct {
	Start, Count int
	Sort         SortField
	// Ascending puts the smallest first (PeerTube's sort without "-").
	Ascending bool
	// Local keeps local videos only (true) or remote ones only (false);
	// nil keeps both.
	Local *bool
	// Privacies keeps the videos of these privacies; empty: public only.
	// Remote videos count as public (the index keeps public ones only).
	Privacies []Privacy
	// Search keeps the videos whose name holds it, case-insensitively.
	Search string
	// TagsOneOf keeps the videos with one of these tags (compared
	// case-insensitively).
	TagsOneOf []string
	// Channels, when not nil, keeps the local videos of these channels
	// only (a video from before channels counts as channel 0's).
	Channels []int64
}

// listEntry is one candidate of a list with its sort keys.
type listEntry struct {
	id        int64
	remote    bool
	name      string // lower-cased
	duration  float64
	created   time.Time
	published time.Time
	score     int64
}

// List lists the videos q keeps, local and remote together, in q's order
// (ties oldest first, by id, as PeerTube breaks them), with their total.
// SortViews orders by total views (a remote video by its origin's);
// SortTrending needs Views.List. It reads the whole index: fine for a
// node's catalogue of thousands, and the filters need it anyway.
func (c *Catalog) List(ctx context.Context, q ListQuery) ([]Listed, int, error) {
	if q.Sort == SortTrending {
		return nil, 0, fmt.Errorf("list videos: %w", ErrUnsupportedSort)
	}
	return c.list(ctx, q, nil)
}

// List is Catalog.List with every sort, trending included: by the views
// of the last TrendingDays days (a remote video has none: the node does
// not learn its views per day).
func (v *Views) List(ctx context.Context, q ListQuery) ([]Listed, int, error) {
	if q.Sort != SortTrending {
		return v.c.list(ctx, q, nil)
	}
	return v.c.list(ctx, q, v.trendingViews)
}

// list is List, with trending's scores when sorting by them.
func (c *Catalog) list(ctx context.Context, q ListQuery, trending func(*badger.Txn) (map[int64]int64, error)) ([]Listed, int, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	q.Start = max(q.Start, 0)
	search := strings.ToLower(q.Search)
	tags := make([]string, len(q.TagsOneOf))
	for i, t := range q.TagsOneOf {
		tags[i] = strings.ToLower(t)
	}
	privacies := q.Privacies
	if len(privacies) == 0 {
		privacies = []Privacy{PrivacyPublic}
	}
	keepName := func(name string) bool { return search == "" || strings.Contains(strings.ToLower(name), search) }
	var out []Listed
	var total int
	err := c.db.View(func(txn *badger.Txn) error {
		var scores map[int64]int64
		var err error
		switch {
		case q.Sort == SortTrending:
			scores, err = trending(txn)
		case q.Sort == SortViews:
			scores, err = totalViews(txn)
		}
		if err != nil {
			return err
		}
		var all []listEntry
		if q.Local == nil || *q.Local {
			err := eachKey(txn, prefixVideo, true, func(item *badger.Item) error {
				v, err := itemJSON[Video](item)
				if err != nil {
					return err
				}
				if !slices.Contains(privacies, v.Visibility()) || !keepName(v.Name) || !hasOneTag(v.Tags, tags) ||
					(q.Channels != nil && !slices.Contains(q.Channels, v.ChannelID)) {
					return nil
				}
				all = append(all, listEntry{id: v.ID, name: strings.ToLower(v.Name), duration: v.Duration,
					created: v.CreatedAt, published: PublishedAt(v), score: scores[v.ID]})
				return nil
			})
			if err != nil {
				return err
			}
		}
		if (q.Local == nil || !*q.Local) && q.Channels == nil && slices.Contains(privacies, PrivacyPublic) {
			err := eachKey(txn, prefixRemote, true, func(item *badger.Item) error {
				rv, err := itemJSON[RemoteVideo](item)
				if err != nil {
					return err
				}
				if !keepName(rv.Name) || !hasOneTag(rv.Tags, tags) {
					return nil
				}
				e := listEntry{id: rv.ID, remote: true, name: strings.ToLower(rv.Name), duration: float64(rv.Duration),
					created: rv.Published, published: rv.Published}
				if q.Sort == SortViews {
					e.score = rv.Views
				}
				all = append(all, e)
				return nil
			})
			if err != nil {
				return err
			}
		}
		total = len(all)
		sort.Slice(all, func(i, j int) bool { return entryBefore(all[i], all[j], q.Sort, q.Ascending) })
		if q.Start >= total || q.Count <= 0 {
			return nil
		}
		for _, e := range all[q.Start:min(total, q.Start+q.Count)] {
			l, err := readListed(txn, e)
			if err != nil {
				return err
			}
			out = append(out, l)
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list videos: %w", err)
	}
	return out, total, nil
}

// PublishedAt is when v was published, as the API shows it: when its
// publication last changed it (UpdatedAt), or, not yet published, its
// creation, which lists it among the newest.
func PublishedAt(v Video) time.Time {
	if v.State == StatePublished {
		return v.UpdatedAt
	}
	return v.CreatedAt
}

// entryBefore orders a before b by field, ties by id ascending.
func entryBefore(a, b listEntry, field SortField, ascending bool) bool {
	var c int
	switch field {
	case SortPublished:
		c = a.published.Compare(b.published)
	case SortCreated:
		c = a.created.Compare(b.created)
	case SortName:
		c = strings.Compare(a.name, b.name)
	case SortDuration:
		switch {
		case a.duration < b.duration:
			c = -1
		case a.duration > b.duration:
			c = 1
		}
	case SortViews, SortTrending:
		switch {
		case a.score < b.score:
			c = -1
		case a.score > b.score:
			c = 1
		}
	}
	if c != 0 {
		return (c < 0) == ascending
	}
	return a.id < b.id
}

// hasOneTag says whether tags holds one of want (lower-cased); true when
// want is empty.
func hasOneTag(tags, want []string) bool {
	if len(want) == 0 {
		return true
	}
	for _, t := range tags {
		if slices.Contains(want, strings.ToLower(t)) {
			return true
		}
	}
	return false
}

// readListed reads the video of a list entry, local with its views.
func readListed(txn *badger.Txn, e listEntry) (Listed, error) {
	if e.remote {
		rv, err := getJSON[RemoteVideo](txn, idKey(prefixRemote, e.id))
		return Listed{Remote: &rv}, err
	}
	v, err := getVideo(txn, e.id)
	if err == nil {
		err = fillViews(txn, &v)
	}
	return Listed{Local: &v}, err
}
