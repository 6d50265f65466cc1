package origin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/peeredge/peeredge/internal/layout"
)

// RemoteVideo is a video of another instance the node keeps in its index:
// what its Video object said, pointing at the origin's files. The node
// stores no byte of it.
type RemoteVideo struct {
	// ID is the node's number for it, from the same sequence as local
	// videos' so that the API's numeric ids never collide.
	ID        int64
	APID      string // its ActivityPub id (a URL on Host)
	UUID      string
	ShortUUID string
	Host      string // the origin's host[:port]
	Name      string
	// Description and Support are the origin's texts (markdown).
	Description string `json:",omitempty"`
	Support     string `json:",omitempty"`
	Duration    int64  // seconds
	Views       int64  `json:",omitempty"` // the origin's count
	// Tags are the object's Hashtags (none for videos taken in before
	// they were kept).
	Tags      []string `json:",omitempty"`
	Published time.Time
	Updated   time.Time
	// Thumbnail and Preview are the origin's image URLs; "" for none.
	Thumbnail string `json:",omitempty"`
	Preview   string `json:",omitempty"`
	// Master and SegmentsSHA256 are the origin's HLS master playlist and
	// segment hash map URLs.
	Master         string
	SegmentsSHA256 string `json:",omitempty"`
	Files          []RemoteFile
	// Infohashes are the swarm hashes the object's HLS link carried (hex).
	Infohashes []string `json:",omitempty"`
	Account    RemoteActor
	Channel    RemoteActor
	// FetchedAt is when the node last took the object in.
	FetchedAt time.Time
}

// RemoteFile is one rung of a remote video's HLS playlist.
type RemoteFile struct {
	URL        string
	TorrentURL string `json:",omitempty"`
	MagnetURI  string `json:",omitempty"`
	Height     int
	Width      int     `json:",omitempty"`
	Size       int64   `json:",omitempty"`
	FPS        float64 `json:",omitempty"`
}

// RemoteActor is the account or channel a remote video is attributed to.
type RemoteActor struct {
	URL         string
	Name        string // preferredUsername
	DisplayName string `json:",omitempty"`
	Host        string
}

// DeletedRemoteTTL is how long the node remembers a remote video's
// deletion: longer than a sender's queue retries a delivery (two days for
// the node's own, activitypub.DefaultRetryFor; PeerTube gives up sooner).
const DeletedRemoteTTL = 7 * 24 * time.Hour

// Errors of the remote index.
var (
	// ErrStale is an update older than what the node keeps: ignored.
	ErrStale = errors.New("remote video: older than the one kept")
	// ErrUUIDTaken is a remote video whose uuid names another video (a
	// local one, or one of another id): refused.
	ErrUUIDTaken = errors.New("remote video: uuid already names another video")
)

// Key layout of the remote index.
const (
	prefixRemote     = "rv/"  // rv/<id> → RemoteVideo JSON
	prefixRemoteAP   = "rva/" // rva/<AP id> → id
	prefixRemoteUUID = "rvu/" // rvu/<uuid> → id
	prefixRemoteShrt = "rvs/" // rvs/<shortUUID> → id
	prefixRemoteHost = "rvh/" // rvh/<lower host>/<id> → (empty)
	// rvd/<AP id> → when its Delete arrived (RFC 3339), for
	// DeletedRemoteTTL: a Create or Update its origin sent before the
	// Delete but that arrives after it (a retried delivery) is refused.
	prefixRemoteGone = "rvd/"
	keyRemoteCount   = "count/remote"
)

func remoteHostKey(host string, id int64) []byte {
	return idKey(prefixRemoteHost+strings.ToLower(host)+"/", id)
}

// UpsertRemoteVideo stores rv by its ActivityPub id: a new one gets an id,
// a known one is replaced unless rv is older than it (ErrStale). The uuid
// may not name a local video or another remote one (ErrUUIDTaken).
func (c *Catalog) UpsertRemoteVideo(ctx context.Context, rv RemoteVideo) (RemoteVideo, error) {
	uuid, err := layout.CanonicalUUID(rv.UUID)
	if err != nil {
		return RemoteVideo{}, fmt.Errorf("remote video %q: %w", rv.APID, err)
	}
	rv.UUID = uuid
	if rv.ShortUUID, err = layout.ShortUUID(uuid); err != nil {
		return RemoteVideo{}, err
	}
	if rv.APID == "" || rv.Host == "" {
		return RemoteVideo{}, errors.New("remote video without id or host")
	}
	var out RemoteVideo
	err = c.update(ctx, func(txn *badger.Txn) error {
		if _, err := indexLookup(txn, prefixVideoUUID+uuid); err == nil {
			return ErrUUIDTaken
		}
		byUUID, uuidErr := indexLookup(txn, prefixRemoteUUID+uuid)
		id, err := indexLookup(txn, prefixRemoteAP+rv.APID)
		switch {
		case errors.Is(err, ErrNotFound):
			if uuidErr == nil {
				return ErrUUIDTaken
			}
			if id, err = nextSeq(txn, keyVideoSeq); err != nil {
				return err
			}
			if _, err := addCounter(txn, keyRemoteCount, 1); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			if uuidErr == nil && byUUID != id {
				return ErrUUIDTaken
			}
			old, err := getJSON[RemoteVideo](txn, idKey(prefixRemote, id))
			if err != nil {
				return err
			}
			if rv.Updated.Before(old.Updated) {
				out = old
				return ErrStale
			}
			if old.UUID != uuid { // an origin may not renumber its video
				return ErrUUIDTaken
			}
		}
		if gone, ok, err := deletedAt(txn, rv.APID); err != nil {
			return err
		} else if ok && !rv.Updated.After(gone) {
			return ErrStale
		}
		rv.ID = id
		if err := putJSON(txn, idKey(prefixRemote, id), rv); err != nil {
			return err
		}
		for _, k := range []string{prefixRemoteAP + rv.APID, prefixRemoteUUID + uuid, prefixRemoteShrt + rv.ShortUUID} {
			if err := setIndex(txn, k, id); err != nil {
				return err
			}
		}
		out = rv
		return txn.Set(remoteHostKey(rv.Host, id), nil)
	})
	if err != nil {
		return out, fmt.Errorf("store remote video %s: %w", rv.APID, err)
	}
	return out, nil
}

// RemoteVideo finds a remote video by numeric id, uuid, shortUUID or
// ActivityPub id; ErrNotFound when there is none.
func (c *Catalog) RemoteVideo(ctx context.Context, ref string) (RemoteVideo, error) {
	if err := ctx.Err(); err != nil {
		return RemoteVideo{}, err
	}
	var rv RemoteVideo
	err := c.db.View(func(txn *badger.Txn) error {
		id, err := resolveRemoteRef(txn, ref)
		if err != nil {
			return err
		}
		rv, err = getJSON[RemoteVideo](txn, idKey(prefixRemote, id))
		return err
	})
	if err != nil {
		return RemoteVideo{}, fmt.Errorf("remote video %q: %w", ref, err)
	}
	return rv, nil
}

func resolveRemoteRef(txn *badger.Txn, ref string) (int64, error) {
	if strings.HasPrefix(ref, "https://") || strings.HasPrefix(ref, "http://") {
		return indexLookup(txn, prefixRemoteAP+ref)
	}
	if u, err := layout.CanonicalUUID(ref); err == nil {
		return indexLookup(txn, prefixRemoteUUID+u)
	}
	if len(ref) == layout.ShortUUIDLen {
		return indexLookup(txn, prefixRemoteShrt+ref)
	}
	// A numeric id is the last form: resolveRef's rule for local videos.
	id, err := resolveRef(txn, ref)
	if err != nil {
		return 0, err
	}
	return id, nil
}

// RemoteVideos lists remote videos newest first, with their total.
func (c *Catalog) RemoteVideos(ctx context.Context, start, count int) ([]RemoteVideo, int, error) {
	out, total, err := listNewest[RemoteVideo](ctx, c, prefixRemote, keyRemoteCount, start, count, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("list remote videos: %w", err)
	}
	return out, total, nil
}

// DeleteRemoteVideo removes the remote video with ActivityPub id apID
// (ErrNotFound when it is not kept) and remembers the deletion for
// DeletedRemoteTTL, also of a video not kept (its Create may be late):
// an object of it not updated after now is then refused as ErrStale.
func (c *Catalog) DeleteRemoteVideo(ctx context.Context, apID string) error {
	now := time.Now().UTC().Format(time.RFC3339Nano)
	var kept bool
	err := c.update(ctx, func(txn *badger.Txn) error {
		gone := badger.NewEntry([]byte(prefixRemoteGone+apID), []byte(now)).WithTTL(DeletedRemoteTTL)
		if err := txn.SetEntry(gone); err != nil {
			return err
		}
		id, err := indexLookup(txn, prefixRemoteAP+apID)
		if kept = err == nil; errors.Is(err, ErrNotFound) {
			return nil // the deletion is remembered all the same
		} else if err != nil {
			return err
		}
		return deleteRemoteTxn(txn, id)
	})
	if err == nil && !kept {
		err = ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete remote video %s: %w", apID, err)
	}
	return nil
}

// deletedAt is when the deletion of the remote video apID arrived, if
// it is remembered.
func deletedAt(txn *badger.Txn, apID string) (time.Time, bool, error) {
	item, err := txn.Get([]byte(prefixRemoteGone + apID))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	v, err := item.ValueCopy(nil)
	if err != nil {
		return time.Time{}, false, err
	}
	t, err := time.Parse(time.RFC3339Nano, string(v))
	if err != nil {
		return time.Time{}, false, fmt.Errorf("deletion record of %s: %w", apID, err)
	}
	return t, true, nil
}

func deleteRemoteTxn(txn *badger.Txn, id int64) error {
	rv, err := getJSON[RemoteVideo](txn, idKey(prefixRemote, id))
	if err != nil {
		return err
	}
	for _, k := range [][]byte{
		idKey(prefixRemote, id), []byte(prefixRemoteAP + rv.APID), []byte(prefixRemoteUUID + rv.UUID),
		[]byte(prefixRemoteShrt + rv.ShortUUID), remoteHostKey(rv.Host, id),
	} {
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	_, err = addCounter(txn, keyRemoteCount, -1)
	return err
}

// forgetBatch bounds one transaction of DeleteRemoteHost (badger limits a
// transaction's size).
const forgetBatch = 200

// DeleteRemoteHost removes every remote video of host and reports how
// many there were.
func (c *Catalog) DeleteRemoteHost(ctx context.Context, host string) (int, error) {
	prefix := []byte(prefixRemoteHost + strings.ToLower(host) + "/")
	removed := 0
	for {
		var ids []int64
		err := c.db.View(func(txn *badger.Txn) error {
			opts := badger.DefaultIteratorOptions
			opts.Prefix, opts.PrefetchValues = prefix, false
			it := txn.NewIterator(opts)
			defer it.Close()
			for it.Rewind(); it.Valid() && len(ids) < forgetBatch; it.Next() {
				ids = append(ids, keyID(it.Item().Key()))
			}
			return nil
		})
		if err != nil || len(ids) == 0 {
			return removed, err
		}
		err = c.update(ctx, func(txn *badger.Txn) error {
			for _, id := range ids {
				if err := deleteRemoteTxn(txn, id); err != nil && !errors.Is(err, ErrNotFound) {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return removed, fmt.Errorf("forget host %s: %w", host, err)
		}
		removed += len(ids)
	}
}

// keyID reads the 8-byte id that ends a key.
func keyID(k []byte) int64 {
	if len(k) < 8 {
		return 0
	}
	var id int64
	for _, b := range k[len(k)-8:] {
		id = id<<8 | int64(b)
	}
	return id
}

// Listed is one entry of the combined list of videos: a local video or a
// remote one.
type Listed struct {
	Local  *Video
	Remote *RemoteVideo
}

// LocalListing wraps a list of local videos as Listed entries.
func LocalListing(videos []Video) []Listed {
	out := make([]Listed, len(videos))
	for i := range videos {
		out[i].Local = &videos[i]
	}
	return out
}

// Listing lists local and remote videos together, newest first (by id:
// the order the node took them in), skipping start and returning at most
// count, with the total of both. Unlisted and private local videos are
// left out (and not counted).
func (c *Catalog) Listing(ctx context.Context, start, count int) ([]Listed, int, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	start = max(start, 0)
	var (
		out   []Listed
		total int
	)
	err := c.db.View(func(txn *badger.Txn) error {
		local, err := readCounter(txn, keyVideoCount)
		if err != nil {
			return err
		}
		remote, err := readCounter(txn, keyRemoteCount)
		if err != nil {
			return err
		}
		hidden, err := readCounter(txn, keyHiddenCount)
		if err != nil {
			return err
		}
		total = int(local - hidden + remote)
		if count <= 0 || start >= total {
			return nil
		}
		iter := func(prefix string) *badger.Iterator {
			opts := badger.DefaultIteratorOptions
			opts.Prefix, opts.Reverse, opts.PrefetchValues = []byte(prefix), true, false
			it := txn.NewIterator(opts)
			it.Seek([]byte(prefix + "\xff"))
			return it
		}
		li, ri := iter(prefixVideo), iter(prefixRemote)
		defer li.Close()
		defer ri.Close()
		for skipped := 0; len(out) < count; {
			// The newer (higher id) of the two heads comes first.
			var it *badger.Iterator
			switch {
			case li.Valid() && ri.Valid():
				it = li
				if bytes.Compare(li.Item().Key()[len(prefixVideo):], ri.Item().Key()[len(prefixRemote):]) < 0 {
					it = ri
				}
			case li.Valid():
				it = li
			case ri.Valid():
				it = ri
			default:
				return nil
			}
			var local *Video
			if it == li {
				v, err := itemJSON[Video](it.Item())
				if err == nil {
					err = fillViews(txn, &v)
				}
				if err != nil {
					return err
				}
				if !v.Listed() { // unlisted and private videos are not listed
					it.Next()
					continue
				}
				local = &v
			}
			if skipped < start {
				skipped++
				it.Next()
				continue
			}
			if local != nil {
				out = append(out, Listed{Local: local})
			} else {
				v, err := itemJSON[RemoteVideo](it.Item())
				if err != nil {
					return err
				}
				out = append(out, Listed{Remote: &v})
			}
			it.Next()
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list videos: %w", err)
	}
	return out, total, nil
}
