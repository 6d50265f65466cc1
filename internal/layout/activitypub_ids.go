package layout

import "net/url"

// Ids of the activities the node sends. Nothing dereferences them (they
// are not served); they only have to be unique URLs on the node's host,
// as receivers remember them to refuse replays.

// Activity is the id of an activity of kind ("follows", "accepts", …)
// sent by the actor at actorURL; id makes it unique.
func (u URLs) Activity(actorURL, kind, id string) string {
	return actorURL + "/" + kind + "/" + url.PathEscape(id)
}

// VideoActivity is the id of an activity about the local video uuid
// ("activity" for its Create, "announces/peertube", "updates/<time>",
// "delete"), below its ActivityPub id as PeerTube names them.
func (u URLs) VideoActivity(uuid, kind string) string { return u.VideoObject(uuid) + "/" + kind }

// HostMetaTemplate is WebFinger's address with the resource left to fill,
// as host-meta's lrdd link gives it.
func (u URLs) HostMetaTemplate() string { return u.WebFinger() + "?resource={uri}" }
