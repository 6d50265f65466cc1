package publish

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/peeredge/peeredge/origin"
)

// eventLog records what a Publisher told its Events, failing each call
// when fail is set.
type eventLog struct {
	mu   sync.Mutex
	got  []string
	fail bool
}

func (l *eventLog) add(what, uuid string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, what+" "+uuid)
	if l.fail {
		return errors.New("queue full")
	}
	return nil
}

func (l *eventLog) VideoPublished(_ context.Context, uuid string) error {
	return l.add("published", uuid)
}
func (l *eventLog) VideoUpdated(_ context.Context, uuid string) error { return l.add("updated", uuid) }
func (l *eventLog) VideoDeleted(_ context.Context, uuid string) error { return l.add("deleted", uuid) }

func (l *eventLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.got, ", ")
}

// of is what was told of video uuid, in order.
func (l *eventLog) of(uuid string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.got {
		if what, ok := strings.CutSuffix(e, " "+uuid); ok {
			out = append(out, what)
		}
	}
	return strings.Join(out, ", ")
}

// TestEventsFollowAVideosPublicLife: federation hears of a publication,
// of an edit of a published video (not of an unpublished one, nor of one
// that was and stays private) and of a removal, in that order; a failing
// listener changes none of them.
func TestEventsFollowAVideosPublicLife(t *testing.T) {
	t.Parallel()
	for _, fail := range []bool{false, true} {
		env := newTestEnv(t)
		events := &eventLog{fail: fail}
		p := New(env.cfg).WithEvents(events)
		ctx := context.Background()

		queued := env.ingest(t)
		if _, err := p.UpdateVideo(ctx, queued.ID, func(v *origin.Video) error { v.Name = "still queued"; return nil }); err != nil {
			t.Fatal(err)
		}
		if got := events.String(); got != "" {
			t.Fatalf("fail=%v: an edit of an unpublished video was told: %s", fail, got)
		}
		v := env.publish(t, p)
		edited, err := p.UpdateVideo(ctx, v.ID, func(v *origin.Video) error { v.Name = "renamed"; return nil })
		if err != nil || edited.Name != "renamed" {
			t.Fatalf("fail=%v: edit = %+v, %v", fail, edited, err)
		}
		// Made private (told: followers drop it), edited while private
		// (not told), made public again (told).
		for _, edit := range []func(*origin.Video){
			func(v *origin.Video) { v.Privacy = origin.PrivacyPrivate },
			func(v *origin.Video) { v.Name = "renamed in private" },
			func(v *origin.Video) { v.Privacy = origin.PrivacyPublic },
		} {
			if _, err := p.UpdateVideo(ctx, v.ID, func(v *origin.Video) error { edit(v); return nil }); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.Remove(ctx, v.ID); err != nil {
			t.Fatalf("fail=%v: remove: %v", fail, err)
		}
		if _, err := env.catalog.Video(ctx, v.UUID); !errors.Is(err, origin.ErrNotFound) {
			t.Fatalf("fail=%v: the removed video is still in the catalogue: %v", fail, err)
		}
		// The queue published the first video too, whose early edit was
		// not told.
		if got := events.of(v.UUID); got != "published, updated, updated, updated, deleted" {
			t.Errorf("fail=%v: events of the video = %q", fail, got)
		}
		if got := events.of(queued.UUID); got != "published" {
			t.Errorf("fail=%v: events of the video edited while queued = %q", fail, got)
		}
		if logged := strings.Count(env.log.String(), "federation not told"); fail != (logged == 6) || !fail && logged != 0 {
			t.Errorf("fail=%v: %d failures logged", fail, logged)
		}
	}
}
