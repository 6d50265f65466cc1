package publish

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/peeredge/peeredge/origin"
)

// progressEvery bounds how often transcoding progress is written to the
// catalogue.
const progressEvery = 500 * time.Millisecond

// progressWriter writes ffmpeg's progress to the catalogue at a bounded rate,
// off the goroutine that parses ffmpeg's output.
type progressWriter struct {
	latest chan float64
	done   chan struct{}
	wg     sync.WaitGroup
}

func newProgressWriter(ctx context.Context, c Catalog, id int64, logger *slog.Logger) *progressWriter {
	p := &progressWriter{latest: make(chan float64, 1), done: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		tick := time.NewTicker(progressEvery)
		defer tick.Stop()
		pending, have := 0.0, false
		for {
			select {
			case f := <-p.latest:
				pending, have = f, true
				continue
			case <-tick.C:
			case <-p.done:
				return
			case <-ctx.Done():
				return
			}
			if !have {
				continue
			}
			have = false
			if _, err := c.UpdateVideo(ctx, id, func(v *origin.Video) error {
				v.Progress = pending
				return nil
			}); err != nil && ctx.Err() == nil {
				logger.Warn("write progress", "video", id, "err", err)
			}
		}
	}()
	return p
}

// report keeps only the newest fraction; it never blocks ffmpeg's reader.
func (p *progressWriter) report(f float64) {
	select {
	case <-p.latest:
	default:
	}
	select {
	case p.latest <- f:
	default:
	}
}

func (p *progressWriter) stop() {
	close(p.done)
	p.wg.Wait()
}
