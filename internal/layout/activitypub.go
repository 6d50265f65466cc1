package layout

// ActivityPub's addresses, in PeerTube's layout: the instance actor is the
// account "peertube" (an Application), users are accounts (Person) and
// channels are video-channels (Group); every actor has an inbox, an
// outbox, followers and following below its own URL, and all share one
// inbox. A video's ActivityPub id is PeerTube's watch URL with its uuid.
const (
	WebFingerPath   = "/.well-known/webfinger"
	HostMetaPath    = "/.well-known/host-meta"
	SharedInboxPath = "/inbox"
	// InstanceActorName is the preferredUsername of the instance actor,
	// as PeerTube names its own (peertube@host).
	InstanceActorName = "peertube"
	// Below an actor's URL.
	ActorInboxSuffix     = "/inbox"
	ActorOutboxSuffix    = "/outbox"
	ActorFollowersSuffix = "/followers"
	ActorFollowingSuffix = "/following"
	// KeyFragment names an actor's key: actor URL + KeyFragment.
	KeyFragment = "#main-key"
)

// Server-level federation admin endpoints (PeerTube's shapes), below
// APIPrefix.
const (
	ServerFollowersPath = "/api/v1/server/followers"
	ServerFollowingPath = "/api/v1/server/following"
	ServerBlocklistPath = "/api/v1/server/blocklist/servers"
)

// InstanceActor is the URL of the instance actor (/accounts/peertube).
func (u URLs) InstanceActor() string { return u.Account(InstanceActorName) }

// SharedInbox is the inbox all of the node's actors share.
func (u URLs) SharedInbox() string { return u.base + SharedInboxPath }

// Inbox, Outbox, Followers and Following are the collections of the actor
// at actorURL (one of Account, Channel or InstanceActor).
func (u URLs) Inbox(actorURL string) string     { return actorURL + ActorInboxSuffix }
func (u URLs) Outbox(actorURL string) string    { return actorURL + ActorOutboxSuffix }
func (u URLs) Followers(actorURL string) string { return actorURL + ActorFollowersSuffix }
func (u URLs) Following(actorURL string) string { return actorURL + ActorFollowingSuffix }

// VideoObject is a video's ActivityPub id: PeerTube's watch URL with its
// uuid, which answers the Video object to ActivityPub clients and
// redirects browsers to the watch page.
func (u URLs) VideoObject(uuid string) string { return u.base + PeerTubeWatchPrefix + uuid }

// WebFinger is the node's WebFinger address.
func (u URLs) WebFinger() string { return u.base + WebFingerPath }
