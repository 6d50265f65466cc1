package activitypub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// collectionPage is an OrderedCollection or one of its pages, the fields
// a crawl follows.
type collectionPage struct {
	ID           string `json:"id"`
	Type         string `json:"type"`
	First        Ref    `json:"first"`
	Next         Ref    `json:"next"`
	OrderedItems []Ref  `json:"orderedItems"`
	Items        []Ref  `json:"items"`
}

func parseCollection(data []byte) (*collectionPage, error) {
	var c collectionPage
	if err := decode(data, &c); err != nil {
		return nil, err
	}
	switch c.Type {
	case "OrderedCollection", "OrderedCollectionPage", "Collection", "CollectionPage":
	default:
		return nil, fmt.Errorf("%w: %q is not a collection", ErrUnsupportedType, c.Type)
	}
	return &c, nil
}

// crawlItem is an outbox entry: an Announce (object: a video's id) or a
// Create (object: the Video, embedded).
type crawlItem struct {
	Type   string `json:"type"`
	Object Ref    `json:"object"`
}

// Crawl reads the outbox (at most CrawlPages pages and CrawlItems items,
// every page on the outbox's host) and keeps the videos its Announce and
// Create activities name, a few at a time. A video that fails is logged
// and skipped; only an unreadable outbox (or a cancelled ctx) is an
// error.
func (r *RemoteVideoIndex) Crawl(ctx context.Context, outbox string) error {
	if err := r.allowed(outbox); err != nil {
		return err
	}
	body, err := r.cfg.Fetcher.FetchJSON(ctx, outbox, 0)
	if err != nil {
		return err
	}
	page, err := parseCollection(body)
	if err != nil {
		return err
	}
	// The collection itself may list items (a small outbox), then its
	// pages follow from first.
	next := page.First
	var items, pages int
	var kept, failed atomic.Int64
	for {
		batch := append(page.OrderedItems, page.Items...)
		batch = batch[:min(len(batch), r.cfg.CrawlItems-items)]
		items += len(batch)
		r.crawlBatch(ctx, outbox, batch, &kept, &failed)
		if items == r.cfg.CrawlItems || pages == r.cfg.CrawlPages || (next.ID == "" && next.Raw == nil) || ctx.Err() != nil {
			break
		}
		pages++
		if page, err = r.crawlPage(ctx, outbox, next); err != nil {
			r.logger.Warn("crawl: page not read", "outbox", outbox, "page", next.ID, "err", err)
			break
		}
		next = page.Next
	}
	r.logger.Info("crawled outbox", "outbox", outbox, "items", items, "videos", kept.Load(), "failed", failed.Load())
	return ctx.Err()
}

// crawlParallel is how many of an outbox's videos are fetched at once:
// enough to hide round trips, few enough not to burden the instance.
const crawlParallel = 4

// crawlBatch keeps the videos of a page's items, crawlParallel at a time.
func (r *RemoteVideoIndex) crawlBatch(ctx context.Context, outbox string, batch []Ref, kept, failed *atomic.Int64) {
	sem := make(chan struct{}, crawlParallel)
	var wg sync.WaitGroup
	for _, it := range batch {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			switch err := r.crawlItem(ctx, outbox, it); {
			case err == nil:
				kept.Add(1)
			case errors.Is(err, errNotVideo):
			default:
				failed.Add(1)
				r.logger.Warn("crawl: video not kept", "outbox", outbox, "item", it.ID, "err", err)
			}
		}()
	}
	wg.Wait()
}

// crawlPage reads a page: embedded, or fetched from the outbox's host.
func (r *RemoteVideoIndex) crawlPage(ctx context.Context, outbox string, ref Ref) (*collectionPage, error) {
	if ref.ID != "" && !SameHost(ref.ID, outbox) {
		return nil, fmt.Errorf("%w: %q", ErrForeignPage, ref.ID)
	}
	if ref.Raw != nil {
		return parseCollection(ref.Raw)
	}
	body, err := r.cfg.Fetcher.FetchJSON(ctx, ref.ID, 0)
	if err != nil {
		return nil, err
	}
	return parseCollection(body)
}

var errNotVideo = fmt.Errorf("%w: not a video activity", ErrUnsupportedType)

// crawlItem keeps the video of an Announce or Create. An embedded Video
// is taken as it is only from the outbox's own host; otherwise the video
// is fetched from the host of its id.
func (r *RemoteVideoIndex) crawlItem(ctx context.Context, outbox string, it Ref) error {
	if it.Raw == nil {
		return errNotVideo // an activity by id only: PeerTube embeds them
	}
	var item crawlItem
	if err := json.Unmarshal(it.Raw, &item); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidJSON, err)
	}
	if item.Type != TypeAnnounce && item.Type != TypeCreate {
		return errNotVideo
	}
	if item.Object.Raw != nil && item.Object.Type != "Video" {
		return errNotVideo
	}
	if item.Object.Raw != nil && SameHost(item.Object.ID, outbox) {
		v, err := ParseVideo(item.Object.Raw)
		if err != nil {
			return err
		}
		return r.Upsert(ctx, v, item.Object.Raw)
	}
	if err := checkURL("object", item.Object.ID); err != nil {
		return err
	}
	return r.Fetch(ctx, item.Object.ID)
}
