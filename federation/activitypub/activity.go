package activitypub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxObjectBytes bounds any ActivityPub document the node reads (PeerTube
// accepts 500 kB inbox bodies; a Video with many links stays well below).
const MaxObjectBytes = 1 << 20

// Public is the audience that means everyone.
const Public = "https://www.w3.org/ns/activitystreams#Public"

// Errors of the reader.
var (
	ErrTooLarge    = errors.New("activitypub: document too large")
	ErrInvalidJSON = errors.New("activitypub: not a JSON object")
	ErrInvalid     = errors.New("activitypub: invalid document")
	// ErrUnsupportedType is an activity or actor type the node does not
	// handle; the inbox ignores such activities rather than failing.
	ErrUnsupportedType = errors.New("activitypub: unsupported type")
)

// Activity types the node handles.
const (
	TypeFollow   = "Follow"
	TypeAccept   = "Accept"
	TypeReject   = "Reject"
	TypeUndo     = "Undo"
	TypeCreate   = "Create"
	TypeUpdate   = "Update"
	TypeDelete   = "Delete"
	TypeAnnounce = "Announce"
)

var activityTypes = map[string]bool{
	TypeFollow: true, TypeAccept: true, TypeReject: true, TypeUndo: true,
	TypeCreate: true, TypeUpdate: true, TypeDelete: true, TypeAnnounce: true,
}

// Ref is a property that is either an id (a string) or an embedded object
// ({"id": …, "type": …, …}). Raw holds the embedded object, if any.
type Ref struct {
	ID   string
	Type string
	Raw  json.RawMessage
}

// Embedded reports whether the reference carried the object itself.
func (r Ref) Embedded() bool { return r.Raw != nil }

// UnmarshalJSON reads a string or an object with an id.
func (r *Ref) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		return json.Unmarshal(b, &r.ID)
	case len(b) > 0 && b[0] == '{':
		var head struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		}
		if err := json.Unmarshal(b, &head); err != nil {
			return err
		}
		r.ID, r.Type, r.Raw = head.ID, head.Type, append(json.RawMessage(nil), b...)
		return nil
	case string(b) == "null":
		return nil
	}
	return fmt.Errorf("expected an id or an object, got %.20s", b)
}

// MarshalJSON writes the embedded object, or the id.
func (r Ref) MarshalJSON() ([]byte, error) {
	if r.Raw != nil {
		return r.Raw, nil
	}
	return json.Marshal(r.ID)
}

// Refs is a property that is one reference or an array of them
// (attributedTo, to, cc).
type Refs []Ref

// UnmarshalJSON reads a single reference or an array.
func (rs *Refs) UnmarshalJSON(b []byte) error {
	many, err := oneOrMany[Ref](b)
	if err != nil {
		return err
	}
	*rs = nil
	for _, r := range many {
		if r.ID != "" || r.Raw != nil { // drop nulls
			*rs = append(*rs, r)
		}
	}
	return nil
}

// oneOrMany reads a JSON value that is one T or an array of them, the
// two forms ActivityStreams allows for most properties.
func oneOrMany[T any](b []byte) ([]T, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var many []T
		err := json.Unmarshal(b, &many)
		return many, err
	}
	var one T
	if err := json.Unmarshal(b, &one); err != nil {
		return nil, err
	}
	return []T{one}, nil
}

// IDs lists the references' ids.
func (rs Refs) IDs() []string {
	ids := make([]string, 0, len(rs))
	for _, r := range rs {
		if r.ID != "" {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// Has reports whether id is among the references.
func (rs Refs) Has(id string) bool {
	for _, r := range rs {
		if r.ID == id {
			return true
		}
	}
	return false
}

// Strings is a property that is one string or an array of strings
// (Link.rel).
type Strings []string

// UnmarshalJSON reads a string or an array of strings.
func (s *Strings) UnmarshalJSON(b []byte) error {
	many, err := oneOrMany[string](b)
	*s = many
	return err
}

// Context is "@context": a string, an object or an array of both. The
// node does no JSON-LD processing; it keeps it to check its form.
type Context json.RawMessage

// UnmarshalJSON accepts the three forms, and null for none.
func (c *Context) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*c = nil
		return nil
	}
	if len(b) == 0 || (b[0] != '"' && b[0] != '[' && b[0] != '{') {
		return fmt.Errorf("@context must be a string, an object or an array")
	}
	*c = append(Context(nil), b...)
	return nil
}

// MarshalJSON writes the context as read.
func (c Context) MarshalJSON() ([]byte, error) {
	if c == nil {
		return []byte("null"), nil
	}
	return c, nil
}

// Activity is an incoming activity.
type Activity struct {
	Context   Context         `json:"@context"`
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	Actor     Ref             `json:"actor"`
	Object    Ref             `json:"object"`
	Target    Ref             `json:"target"`
	To        Refs            `json:"to"`
	CC        Refs            `json:"cc"`
	Published string          `json:"published"`
	Signature json.RawMessage `json:"signature"` // LD signature, kept for forwarding
}

// ParseActivity reads an activity: at most MaxObjectBytes of one JSON
// object with an http(s) id and actor and a handled type (else
// ErrUnsupportedType, with the activity still returned so the caller can
// log it).
func ParseActivity(data []byte) (*Activity, error) {
	var a Activity
	if err := decode(data, &a); err != nil {
		return nil, err
	}
	if err := checkURL("id", a.ID); err != nil {
		return nil, err
	}
	if err := checkURL("actor", a.Actor.ID); err != nil {
		return nil, err
	}
	if !activityTypes[a.Type] {
		return &a, fmt.Errorf("%w: activity %q", ErrUnsupportedType, a.Type)
	}
	if a.Object.ID == "" && a.Object.Raw == nil {
		return nil, fmt.Errorf("%w: %s without object", ErrInvalid, a.Type)
	}
	if a.Object.ID != "" {
		if err := checkURL("object", a.Object.ID); err != nil {
			return nil, err
		}
	}
	return &a, nil
}

// Actor types PeerTube accepts.
var actorTypes = map[string]bool{"Person": true, "Application": true, "Service": true, "Organization": true, "Group": true}

var usernameRE = regexp.MustCompile(`^[A-Za-z0-9\-_.:]+$`)

// PublicKey is an actor's publicKey.
type PublicKey struct {
	ID           string `json:"id"`
	Owner        string `json:"owner"`
	PublicKeyPem string `json:"publicKeyPem"`
}

// Actor is a remote actor document.
type Actor struct {
	Context           Context   `json:"@context"`
	ID                string    `json:"id"`
	Type              string    `json:"type"`
	PreferredUsername string    `json:"preferredUsername"`
	Name              string    `json:"name"`
	Summary           string    `json:"summary"`
	URL               Refs      `json:"url"`
	Inbox             string    `json:"inbox"`
	Outbox            string    `json:"outbox"`
	Followers         string    `json:"followers"`
	Following         string    `json:"following"`
	Endpoints         Endpoints `json:"endpoints"`
	PublicKey         PublicKey `json:"publicKey"`
	Icon              Images    `json:"icon"`
	Published         string    `json:"published"`
}

// Endpoints of an actor.
type Endpoints struct {
	SharedInbox string `json:"sharedInbox"`
}

// SharedInbox is where broadcasts go: the shared inbox, or the actor's own.
func (a *Actor) SharedInbox() string {
	if a.Endpoints.SharedInbox != "" {
		return a.Endpoints.SharedInbox
	}
	return a.Inbox
}

// ParseActor reads an actor with PeerTube's required fields: a known type,
// id, inbox, preferredUsername, and a publicKey owned by the actor on its
// host.
func ParseActor(data []byte) (*Actor, error) {
	var a Actor
	if err := decode(data, &a); err != nil {
		return nil, err
	}
	if !actorTypes[a.Type] {
		return nil, fmt.Errorf("%w: actor %q", ErrUnsupportedType, a.Type)
	}
	for _, f := range []struct{ name, v string }{{"id", a.ID}, {"inbox", a.Inbox}, {"publicKey.id", a.PublicKey.ID}, {"publicKey.owner", a.PublicKey.Owner}} {
		if err := checkURL(f.name, f.v); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct{ name, v string }{{"outbox", a.Outbox}, {"followers", a.Followers}, {"following", a.Following}, {"endpoints.sharedInbox", a.Endpoints.SharedInbox}} {
		if f.v == "" {
			continue
		}
		if err := checkURL(f.name, f.v); err != nil {
			return nil, err
		}
	}
	if !usernameRE.MatchString(a.PreferredUsername) {
		return nil, fmt.Errorf("%w: preferredUsername %q", ErrInvalid, a.PreferredUsername)
	}
	if a.PublicKey.Owner != a.ID {
		return nil, fmt.Errorf("%w: publicKey.owner %q is not the actor %q", ErrInvalid, a.PublicKey.Owner, a.ID)
	}
	if !SameHost(a.PublicKey.ID, a.ID) {
		return nil, fmt.Errorf("%w: publicKey.id %q not on the actor's host", ErrInvalid, a.PublicKey.ID)
	}
	if !strings.HasPrefix(strings.TrimSpace(a.PublicKey.PublicKeyPem), "-----BEGIN") {
		return nil, fmt.Errorf("%w: publicKeyPem is not PEM", ErrInvalid)
	}
	return &a, nil
}

// Image is an icon or thumbnail.
type Image struct {
	Type      string `json:"type"`
	URL       string `json:"url"`
	MediaType string `json:"mediaType"`
	Width     int    `json:"width"`
	Height    int    `json:"height"`
}

// Images is one image or an array (PeerTube sends icon as an array).
type Images []Image

// UnmarshalJSON reads one image or an array.
func (is *Images) UnmarshalJSON(b []byte) error {
	many, err := oneOrMany[Image](b)
	*is = many
	return err
}

// Link is an entry of a Video's url (and, nested, of a Link's tag): an
// HTML page, an HLS master playlist, a file, a torrent, a magnet, a
// tracker; or an Infohash tag (Name is the hash). The node writes its own
// Video objects with the same types.
type Link struct {
	Type       string          `json:"type"`
	MediaType  string          `json:"mediaType,omitempty"`
	Href       string          `json:"href,omitempty"`
	Name       string          `json:"name,omitempty"`
	Rel        Strings         `json:"rel,omitempty"`
	Height     int             `json:"height,omitempty"`
	Width      int             `json:"width,omitempty"`
	Size       int64           `json:"size,omitempty"`
	FPS        float64         `json:"fps,omitempty"`
	Tag        []Link          `json:"tag,omitempty"`
	Attachment []PropertyValue `json:"attachment,omitempty"`
}

// PropertyValue is a schema.org name/value pair (a file link's
// peertube_format_flag).
type PropertyValue struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

// TypeInfohash is the tag type of a swarm hash in a HLS link.
const TypeInfohash = "Infohash"

// Video is PeerTube's Video object, the fields the node reads and writes.
type Video struct {
	Context         Context `json:"@context,omitempty"`
	ID              string  `json:"id"`
	Type            string  `json:"type"`
	UUID            string  `json:"uuid"`
	Name            string  `json:"name"`
	Duration        string  `json:"duration"` // "PT123S"
	Views           int64   `json:"views"`
	State           int     `json:"state"`
	Sensitive       bool    `json:"sensitive"`
	WaitTranscoding bool    `json:"waitTranscoding"`
	CommentsEnabled bool    `json:"commentsEnabled"`          // PeerTube 6
	CommentsPolicy  int     `json:"commentsPolicy,omitempty"` // PeerTube 7
	DownloadEnabled bool    `json:"downloadEnabled"`
	IsLiveBroadcast bool    `json:"isLiveBroadcast"`
	Published       string  `json:"published"`
	Updated         string  `json:"updated"`
	MediaType       string  `json:"mediaType,omitempty"` // of content
	Content         string  `json:"content,omitempty"`
	Support         string  `json:"support,omitempty"`
	// PeerTube's category, licence and language ({identifier, name}) and
	// tags (Hashtags); absent when not set.
	Category     *Identified `json:"category,omitempty"`
	Licence      *Identified `json:"licence,omitempty"`
	Language     *Identified `json:"language,omitempty"`
	Tag          []Hashtag   `json:"tag,omitempty"`
	AttributedTo Refs        `json:"attributedTo"`
	To           Refs        `json:"to,omitempty"`
	CC           Refs        `json:"cc,omitempty"`
	Icon         Images      `json:"icon"`
	URL          []Link      `json:"url"`
	// The video's collections (URLs); PeerTube counts the likes and
	// dislikes of a video it takes, and drops it when they are missing.
	Likes    string `json:"likes,omitempty"`
	Dislikes string `json:"dislikes,omitempty"`
	Shares   string `json:"shares,omitempty"`
	Comments string `json:"comments,omitempty"`
}

// Identified is PeerTube's {identifier, name} of a Video's category,
// licence or language.
type Identified struct {
	Identifier string `json:"identifier"`
	Name       string `json:"name"`
}

// Hashtag is one of a Video's tags.
type Hashtag struct {
	Type string `json:"type"` // "Hashtag"
	Name string `json:"name"`
}

// MediaTypeHLS is the url entry of the HLS master playlist.
const MediaTypeHLS = "application/x-mpegURL"

// PeerTube's bounds of a video's name, in characters.
const (
	minVideoName = 3
	maxVideoName = 120
)

// ParseVideo reads a Video object as strictly as PeerTube does where the
// node relies on it: an http(s) id, a uuid, a name of 3 to 120
// characters, a duration, published and updated dates, attribution, and
// http(s) url links. Whether its id is on the right host is the caller's
// check (FetchJSON makes it for fetched objects).
func ParseVideo(data []byte) (*Video, error) {
	var v Video
	if err := decode(data, &v); err != nil {
		return nil, err
	}
	return &v, v.validate()
}

func (v *Video) validate() error {
	if v.Type != "Video" {
		return fmt.Errorf("%w: object %q", ErrUnsupportedType, v.Type)
	}
	if err := checkURL("id", v.ID); err != nil {
		return err
	}
	if !uuidRE.MatchString(v.UUID) {
		return fmt.Errorf("%w: uuid %q", ErrInvalid, v.UUID)
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(v.Name)); n < minVideoName || n > maxVideoName {
		return fmt.Errorf("%w: name of %d characters", ErrInvalid, n)
	}
	if _, err := v.Seconds(); err != nil {
		return err
	}
	if v.Views < 0 {
		return fmt.Errorf("%w: views %d", ErrInvalid, v.Views)
	}
	for _, f := range []struct{ name, v string }{{"published", v.Published}, {"updated", v.Updated}} {
		if _, err := time.Parse(time.RFC3339, f.v); err != nil {
			return fmt.Errorf("%w: %s %q", ErrInvalid, f.name, f.v)
		}
	}
	if len(v.AttributedTo) == 0 {
		return fmt.Errorf("%w: Video attributed to no one", ErrInvalid)
	}
	for _, a := range v.AttributedTo {
		if err := checkURL("attributedTo", a.ID); err != nil {
			return err
		}
	}
	for _, i := range v.Icon {
		if err := checkURL("icon", i.URL); err != nil {
			return err
		}
	}
	for _, l := range v.URL {
		if err := l.check(0); err != nil {
			return err
		}
	}
	return nil
}

// uuidRE is a UUID in its canonical text form (any version, either case).
var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// infohashRE is a swarm hash as PeerTube writes it: 40 hex digits.
var infohashRE = regexp.MustCompile(`^[0-9a-fA-F]{40}$`)

// maxLinkDepth bounds nested tags: PeerTube nests one level (a HLS
// link's files).
const maxLinkDepth = 2

func (l Link) check(depth int) error {
	if depth > maxLinkDepth {
		return fmt.Errorf("%w: links nested too deep", ErrInvalid)
	}
	if l.Type == TypeInfohash {
		if !infohashRE.MatchString(l.Name) {
			return fmt.Errorf("%w: Infohash %q", ErrInvalid, l.Name)
		}
		return nil
	}
	if l.Height < 0 || l.Width < 0 || l.Size < 0 || l.FPS < -1 || math.IsNaN(l.FPS) {
		return fmt.Errorf("%w: link %q with negative dimensions", ErrInvalid, l.Href)
	}
	if l.Href != "" && !strings.HasPrefix(l.Href, "magnet:") {
		u, err := url.Parse(l.Href)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "wss" && u.Scheme != "ws") || u.Host == "" || u.User != nil {
			return fmt.Errorf("%w: link %q", ErrInvalid, l.Href)
		}
	}
	for _, t := range l.Tag {
		if err := t.check(depth + 1); err != nil {
			return err
		}
	}
	return nil
}

// Seconds is the duration; PeerTube writes "PT<n>S", other servers may
// use hours and minutes.
func (v *Video) Seconds() (int64, error) {
	d, ok := parseISODuration(v.Duration)
	if !ok {
		return 0, fmt.Errorf("%w: duration %q", ErrInvalid, v.Duration)
	}
	return d, nil
}

// HLS is the HLS master playlist link, or nil.
func (v *Video) HLS() *Link {
	for i := range v.URL {
		if v.URL[i].MediaType == MediaTypeHLS {
			return &v.URL[i]
		}
	}
	return nil
}

// Infohashes lists the swarm hashes a HLS link's Infohash tags carry.
func (l *Link) Infohashes() []string {
	var hs []string
	for _, t := range l.Tag {
		if t.Type == TypeInfohash {
			hs = append(hs, t.Name)
		}
	}
	return hs
}

// Segments is the sha256 segments link of a HLS link, or "".
func (l *Link) Segments() string {
	for _, t := range l.Tag {
		if t.Type == "Link" && t.Name == "sha256" {
			return t.Href
		}
	}
	return ""
}

// parseISODuration reads PT[nH][nM][nS] (whole numbers) into seconds.
func parseISODuration(s string) (int64, bool) {
	rest, ok := strings.CutPrefix(s, "PT")
	if !ok || rest == "" {
		return 0, false
	}
	var total int64
	last := -1
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i == len(rest) || i > 9 {
			return 0, false
		}
		n, _ := strconv.ParseInt(rest[:i], 10, 64)
		unit := strings.IndexByte("HMS", rest[i])
		if unit <= last {
			return 0, false
		}
		last = unit
		total += n * [...]int64{3600, 60, 1}[unit]
		rest = rest[i+1:]
	}
	return total, true
}

// decode reads one bounded JSON object into v, refusing trailing data.
func decode(data []byte, v any) error {
	if len(data) > MaxObjectBytes {
		return fmt.Errorf("%w: %d bytes", ErrTooLarge, len(data))
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return ErrInvalidJSON
	}
	// Valid first: it refuses trailing data, which a Decoder would leave
	// unread.
	if !json.Valid(trimmed) {
		return fmt.Errorf("%w: malformed or trailing data", ErrInvalidJSON)
	}
	if err := json.Unmarshal(trimmed, v); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidJSON, err)
	}
	return nil
}

// checkURL wants an absolute http(s) URL with a host.
func checkURL(name, s string) error {
	if s == "" {
		return fmt.Errorf("%w: no %s", ErrInvalid, name)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return fmt.Errorf("%w: %s %q is not an http(s) URL", ErrInvalid, name, s)
	}
	return nil
}

// SameHost reports whether two URLs have the same host (and port).
func SameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Host != "" && strings.EqualFold(ua.Host, ub.Host)
}
