package activitypub

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
)

// CollectionPageSize is the items of one collection page: PeerTube's
// ACTIVITY_PUB.COLLECTION_ITEMS_PER_PAGE.
const CollectionPageSize = 10

// collection is an OrderedCollection, or with a page an
// OrderedCollectionPage, in PeerTube's shape.
type collection struct {
	Context      any    `json:"@context,omitempty"`
	ID           string `json:"id"`
	Type         string `json:"type"`
	TotalItems   int    `json:"totalItems"`
	First        string `json:"first,omitempty"`
	PartOf       string `json:"partOf,omitempty"`
	Next         string `json:"next,omitempty"`
	OrderedItems []any  `json:"orderedItems,omitzero"` // present, maybe empty, on pages only
}

// pageOf builds the collection at id of total items: without a page its
// head (first page's link), with one that page of items, which holds
// the items of that page only (item(i) for each i in it).
func pageOf(id string, page, total int, item func(i int) (any, error)) ([]byte, error) {
	c := collection{Context: "https://www.w3.org/ns/activitystreams", ID: id, Type: "OrderedCollection", TotalItems: total}
	if page <= 0 {
		c.First = id + "?page=1"
		return json.Marshal(c)
	}
	c.ID, c.Type, c.PartOf = id+"?page="+strconv.Itoa(page), "OrderedCollectionPage", id
	c.OrderedItems = []any{}
	start := (page - 1) * CollectionPageSize
	for i := start; i < total && i < start+CollectionPageSize; i++ {
		it, err := item(i)
		if err != nil {
			return nil, err
		}
		c.OrderedItems = append(c.OrderedItems, it)
	}
	if start+CollectionPageSize < total {
		c.Next = id + "?page=" + strconv.Itoa(page+1)
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("activitypub: encoding collection: %w", err)
	}
	return b, nil
}

// Outbox is the local actor's outbox: an Announce of each published local
// video, oldest first (so pages already read keep their items).
func (s *Server) outbox(ctx context.Context, a LocalActor, page int) ([]byte, error) {
	var uuids []string
	if s.local != nil {
		var err error
		if uuids, err = s.local.PublishedUUIDs(ctx); err != nil {
			return nil, err
		}
	}
	actorURL := s.actors.URL(a)
	return pageOf(s.urls.Outbox(actorURL), page, len(uuids), func(i int) (any, error) {
		return announce(s.urls.VideoActivity(uuids[i], "announces/"+string(a.Kind)+"/"+a.Name), actorURL,
			s.urls.VideoObject(uuids[i]), s.urls.Followers(actorURL)), nil
	})
}

// announce is the Announce of a video by actorURL, public.
func announce(id, actorURL, videoID, followers string) outActivity {
	return outActivity{Type: TypeAnnounce, ID: id, Actor: actorURL, Object: videoID, To: []string{Public}, CC: []string{followers}}
}

// followers is the collection of the accepted followers' URLs of a.
func (s *Server) followers(ctx context.Context, a LocalActor, page int) ([]byte, error) {
	actorURL := s.actors.URL(a)
	rs, err := s.follows.Followers(ctx, actorURL)
	if err != nil {
		return nil, err
	}
	return actorURLs(s.urls.Followers(actorURL), page, rs)
}

// following is the collection of the actors a follows: the instance
// actor's accepted followings; other actors follow no one.
func (s *Server) following(ctx context.Context, a LocalActor, page int) ([]byte, error) {
	actorURL := s.actors.URL(a)
	var rs []FollowRecord
	if actorURL == s.actors.InstanceURL() {
		var err error
		if rs, err = s.follows.Following(ctx); err != nil {
			return nil, err
		}
	}
	return actorURLs(s.urls.Following(actorURL), page, rs)
}

func actorURLs(id string, page int, rs []FollowRecord) ([]byte, error) {
	var urls []string
	for _, r := range rs {
		if r.State == StateAccepted {
			urls = append(urls, r.Remote)
		}
	}
	return pageOf(id, page, len(urls), func(i int) (any, error) { return urls[i], nil })
}
