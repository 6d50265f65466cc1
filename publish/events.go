package publish

import (
	"context"

	"github.com/peeredge/peeredge/origin"
)

// Events hears of a video's public life, after the catalogue says so:
// federation's fan-out to followers. Each call should only queue work
// (it runs on the publishing or editing path); its error is logged, since
// the video's own change has happened and stays.
type Events interface {
	VideoPublished(ctx context.Context, uuid string) error
	VideoUpdated(ctx context.Context, uuid string) error
	VideoDeleted(ctx context.Context, uuid string) error
}

// WithEvents returns a Publisher that tells ev of published, edited and
// removed videos.
func (p *Publisher) WithEvents(ev Events) *Publisher {
	cfg := p.cfg
	cfg.Events = ev
	return New(cfg)
}

// UpdateVideo changes video id in the catalogue (an edit of its texts or
// details) and, when it is published, tells Events it was updated —
// unless it was not public before and is not now: followers had nothing
// of it and get nothing (a video made unlisted or private is withdrawn
// once, by the edit that made it so).
func (p *Publisher) UpdateVideo(ctx context.Context, id int64, fn func(*origin.Video) error) (origin.Video, error) {
	var wasListed bool
	v, err := p.cfg.Catalog.UpdateVideo(ctx, id, func(v *origin.Video) error {
		wasListed = v.Listed()
		return fn(v)
	})
	if err != nil {
		return v, err
	}
	if v.State == origin.StatePublished && (wasListed || v.Listed()) {
		p.tell(ctx, "updated", v.UUID, p.events().VideoUpdated)
	}
	return v, nil
}

func (p *Publisher) events() Events {
	if p.cfg.Events == nil {
		return noEvents{}
	}
	return p.cfg.Events
}

// tell calls one of Events' methods and logs its failure.
func (p *Publisher) tell(ctx context.Context, what, uuid string, fn func(context.Context, string) error) {
	if err := fn(ctx, uuid); err != nil {
		p.logger.Warn("federation not told of a video change", "change", what, "uuid", uuid, "err", err)
	}
}

type noEvents struct{}

func (noEvents) VideoPublished(context.Context, string) error { return nil }
func (noEvents) VideoUpdated(context.Context, string) error   { return nil }
func (noEvents) VideoDeleted(context.Context, string) error   { return nil }
