package api

import (
	"context"
	"math"
	"strconv"

	"github.com/peeredge/peeredge/origin"
)

// RemoteVideos is the index of followed instances' videos
// (origin.Catalog): its lookups (its videos are listed by Videos.List);
// without it lists are of local videos only.
type RemoteVideos interface {
	RemoteVideo(ctx context.Context, ref string) (origin.RemoteVideo, error)
}

// actorSummaryJSON is PeerTube's AccountSummary and VideoChannelSummary,
// the account and channel of a video.
type actorSummaryJSON = accountSummaryJSON

// newRemoteVideoJSON renders a followed instance's video: its files stay
// on the origin, and so do its images, whose absolute URLs stand in
// thumbnailPath and previewPath (PeerTube caches remote images and gives
// local paths; the node keeps no byte of a remote video).
func newRemoteVideoJSON(rv origin.RemoteVideo) videoJSON {
	published := rv.Published
	out := videoJSON{
		ID:                 rv.ID,
		UUID:               rv.UUID,
		ShortUUID:          rv.ShortUUID,
		Name:               rv.Name,
		URL:                rv.APID,
		IsLocal:            false,
		Account:            remoteActorJSON(rv.Account),
		Channel:            remoteActorJSON(rv.Channel),
		Description:        rv.Description,
		Support:            rv.Support,
		Duration:           rv.Duration,
		Views:              rv.Views,
		State:              labelled{int(origin.StatePublished), "Published"},
		CreatedAt:          rv.Published,
		UpdatedAt:          rv.Updated,
		PublishedAt:        &published,
		Files:              []webVideoFileJSON{},
		StreamingPlaylists: []streamingPlaylistJSON{},
	}
	if rv.Thumbnail != "" {
		thumb, preview := rv.Thumbnail, rv.Preview
		out.ThumbnailPath, out.PreviewPath = &thumb, &preview
	}
	sp := streamingPlaylistJSON{
		ID:                rv.ID,
		Type:              streamingPlaylistHLS,
		PlaylistURL:       rv.Master,
		SegmentsSha256URL: rv.SegmentsSHA256,
		Files:             make([]fileJSON, 0, len(rv.Files)),
		Redundancies:      []redundancyJSON{},
	}
	for _, f := range rv.Files {
		res := min(f.Height, f.Width)
		if f.Width == 0 {
			res = f.Height
		}
		// What the Video object does not say (the file's id on its host,
		// its download and metadata URLs, its sound) stays null or false.
		file, torrent, magnet := f.URL, f.TorrentURL, f.MagnetURI
		sp.Files = append(sp.Files, fileJSON{webVideoFileJSON: webVideoFileJSON{
			Resolution: labelled{res, strconv.Itoa(res) + "p"},
			Size:       f.Size,
			FPS:        math.Round(f.FPS*1000) / 1000,
			Width:      f.Width,
			Height:     f.Height,
			FileURL:    &file,
			TorrentURL: &torrent,
			MagnetURI:  &magnet,
			HasVideo:   true,
			Storage:    storageFileSystem,
		}})
	}
	out.StreamingPlaylists = append(out.StreamingPlaylists, sp)
	return out
}

// remoteActorJSON is a remote account or channel; the node numbers no
// remote actor, so its id is 0. Nil for none.
func remoteActorJSON(ra origin.RemoteActor) *actorSummaryJSON {
	if ra.URL == "" {
		return nil
	}
	display := ra.DisplayName
	if display == "" {
		display = ra.Name
	}
	return &actorSummaryJSON{Name: ra.Name, DisplayName: display, URL: ra.URL, Host: ra.Host, Avatars: []string{}}
}

// ownerCache looks local videos' channels and accounts up once per
// answer.
type ownerCache struct {
	a        *API
	channels map[int64]*origin.Channel
	users    map[int64]*origin.User
}

func (a *API) ownerCache() *ownerCache {
	return &ownerCache{a: a, channels: map[int64]*origin.Channel{}, users: map[int64]*origin.User{}}
}

// fill sets a local video's account and channel summaries: the channel
// it was uploaded to (root's for videos from before channels). Without
// accounts, or when they cannot be read, they stay out.
func (o *ownerCache) fill(ctx context.Context, j *videoJSON, channelID int64) {
	ch, user := o.owners(ctx, channelID)
	if user == nil {
		return
	}
	account := o.a.accountSummary(*user)
	u := o.a.cfg.URLs
	j.Account = &account
	j.Channel = &actorSummaryJSON{ID: ch.ID, Name: ch.Name, DisplayName: ch.DisplayName, URL: u.Channel(ch.Name), Host: u.Host(), Avatars: []string{}}
}

// fillFull sets a local video's account and channel as the full objects
// of its own answer.
func (o *ownerCache) fillFull(ctx context.Context, j *videoJSON, channelID int64, counts followerCounts) {
	ch, user := o.owners(ctx, channelID)
	if user == nil {
		return
	}
	account, channel := o.a.account(*user, counts), o.a.channel(*ch, *user, counts)
	j.Account, j.Channel = &account, &channel
}

// owners reads (once per cache) the channel channelID and its account;
// nil when there are no accounts or they cannot be read.
func (o *ownerCache) owners(ctx context.Context, channelID int64) (*origin.Channel, *origin.User) {
	accounts := o.a.cfg.Accounts
	if accounts == nil {
		return nil, nil
	}
	ch, ok := o.channels[channelID]
	if !ok {
		ref := origin.AdminChannelName
		if channelID != 0 {
			ref = strconv.FormatInt(channelID, 10)
		}
		if c, err := accounts.Channel(ctx, ref); err == nil {
			ch = &c
		} else {
			o.a.logger.Warn("channel of a video", "channel", channelID, "err", err)
		}
		o.channels[channelID] = ch
	}
	if ch == nil {
		return nil, nil
	}
	user, ok := o.users[ch.AccountID]
	if !ok {
		if u, err := accounts.User(ctx, ch.AccountID); err == nil {
			user = &u
		} else {
			o.a.logger.Warn("account of a channel", "channel", ch.ID, "err", err)
		}
		o.users[ch.AccountID] = user
	}
	if user == nil {
		return nil, nil
	}
	return ch, user
}
