package activitypub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func readSeed(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "activities", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseActivityShapes(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]struct {
		typ, actor, object string
		embedded           bool
		to, cc             int
	}{
		"follow.json":       {TypeFollow, "https://pt.example/accounts/peertube", "https://edge.example/accounts/peertube", false, 0, 0},
		"accept.json":       {TypeAccept, "https://pt.example/accounts/peertube", "https://edge.example/accounts/peertube/follows/7", true, 0, 0},
		"undo.json":         {TypeUndo, "https://pt.example/accounts/peertube", "https://pt.example/accounts/peertube/follows/42", true, 0, 0},
		"announce.json":     {TypeAnnounce, "https://pt.example/accounts/peertube", "https://pt.example/videos/watch/8f3c1a4e-2b7d-4c1e-9a0b-5d6e7f8a9b0c", false, 1, 1},
		"delete.json":       {TypeDelete, "https://pt.example/accounts/alice", "https://pt.example/videos/watch/8f3c1a4e-2b7d-4c1e-9a0b-5d6e7f8a9b0c", false, 1, 0},
		"create-video.json": {TypeCreate, "https://pt.example/accounts/alice", "https://pt.example/videos/watch/8f3c1a4e-2b7d-4c1e-9a0b-5d6e7f8a9b0c", true, 1, 1},
	} {
		a, err := ParseActivity(readSeed(t, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if a.Type != want.typ || a.Actor.ID != want.actor || a.Object.ID != want.object || a.Object.Embedded() != want.embedded || len(a.To) != want.to || len(a.CC) != want.cc {
			t.Errorf("%s: got %s actor=%s object=%s embedded=%v to=%d cc=%d", name, a.Type, a.Actor.ID, a.Object.ID, a.Object.Embedded(), len(a.To), len(a.CC))
		}
	}
	a, _ := ParseActivity(readSeed(t, "announce.json"))
	if !a.To.Has(Public) || a.CC.IDs()[0] != "https://pt.example/accounts/peertube/followers" {
		t.Errorf("announce audience: to=%v cc=%v", a.To.IDs(), a.CC.IDs())
	}
}

func TestParseVideo(t *testing.T) {
	t.Parallel()
	a, err := ParseActivity(readSeed(t, "create-video.json"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := ParseVideo(a.Object.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := v.Seconds(); s != 123 || v.UUID != "8f3c1a4e-2b7d-4c1e-9a0b-5d6e7f8a9b0c" || v.Name != "A test video" {
		t.Errorf("video %+v", v)
	}
	if got := v.AttributedTo.IDs(); !reflect.DeepEqual(got, []string{"https://pt.example/accounts/alice", "https://pt.example/video-channels/alice_channel"}) {
		t.Errorf("attributedTo %v", got)
	}
	if len(v.Icon) != 1 || v.Icon[0].MediaType != "image/jpeg" || v.Icon[0].Width != 280 {
		t.Errorf("icon %+v", v.Icon)
	}
	hls := v.HLS()
	if hls == nil {
		t.Fatal("no HLS link")
	}
	if got := hls.Infohashes(); !reflect.DeepEqual(got, []string{"3b1e0f7c9d2a4b6c8e0f1a2b3c4d5e6f7a8b9c0d"}) {
		t.Errorf("infohashes %v", got)
	}
	if !strings.HasSuffix(hls.Segments(), "-segments-sha256.json") {
		t.Errorf("segments %q", hls.Segments())
	}
	var rung *Link
	for i := range hls.Tag {
		if hls.Tag[i].MediaType == "video/mp4" {
			rung = &hls.Tag[i]
		}
	}
	if rung == nil || rung.Height != 720 || rung.Size != 123456 || rung.FPS != 30 {
		t.Errorf("rung %+v", rung)
	}
	if got := v.URL[len(v.URL)-2].Rel; !reflect.DeepEqual(got, Strings{"tracker", "websocket"}) {
		t.Errorf("tracker rel %v", got)
	}
}

func TestParseActor(t *testing.T) {
	t.Parallel()
	a, err := ParseActor(readSeed(t, "actor.json"))
	if err != nil {
		t.Fatal(err)
	}
	if a.SharedInbox() != "https://pt.example/inbox" || a.PublicKey.ID != "https://pt.example/accounts/peertube#main-key" || a.Type != "Application" {
		t.Errorf("actor %+v", a)
	}
}

func TestReaderRefusals(t *testing.T) {
	t.Parallel()
	follow := string(readSeed(t, "follow.json"))
	actor := string(readSeed(t, "actor.json"))
	video := `{"type":"Video","id":"https://pt.example/videos/watch/1","uuid":"8f3c1a4e-2b7d-4c1e-9a0b-5d6e7f8a9b0c","name":"vid",` +
		`"duration":"PT1S","published":"2026-11-30T10:00:00Z","updated":"2026-11-30T10:00:00Z","attributedTo":["https://pt.example/accounts/a"]}`
	cases := []struct {
		name  string
		parse func([]byte) error
		doc   string
		want  error
	}{
		{"too large", activity, `{"pad":"` + strings.Repeat("a", MaxObjectBytes) + `"}`, ErrTooLarge},
		{"array", activity, `[1]`, ErrInvalidJSON},
		{"trailing", activity, follow + `{}`, ErrInvalidJSON},
		{"bad context", activity, strings.Replace(follow, `"@context":[`, `"@context":3,"x":[`, 1), ErrInvalidJSON},
		{"actor as number", activity, strings.Replace(follow, `"actor":"https://pt.example/accounts/peertube"`, `"actor":7`, 1), ErrInvalidJSON},
		{"no actor", activity, strings.Replace(follow, `"actor"`, `"actress"`, 1), ErrInvalid},
		{"javascript id", activity, strings.Replace(follow, `"id":"https://pt.example/accounts/peertube/follows/42"`, `"id":"javascript:alert(1)"`, 1), ErrInvalid},
		{"unknown type", activity, strings.Replace(follow, `"Follow"`, `"Like"`, 1), ErrUnsupportedType},
		{"no object", activity, strings.Replace(follow, `"object"`, `"objet"`, 1), ErrInvalid},
		{"actor key of another owner", actorDoc, strings.Replace(actor, `"owner":"https://pt.example/accounts/peertube"`, `"owner":"https://pt.example/accounts/root"`, 1), ErrInvalid},
		{"actor key on another host", actorDoc, strings.Replace(actor, `"id":"https://pt.example/accounts/peertube#main-key"`, `"id":"https://evil.example/k#main-key"`, 1), ErrInvalid},
		{"actor bad username", actorDoc, strings.Replace(actor, `"preferredUsername":"peertube"`, `"preferredUsername":"a b"`, 1), ErrInvalid},
		{"actor type", actorDoc, strings.Replace(actor, `"Application"`, `"Note"`, 1), ErrUnsupportedType},
		{"actor no inbox", actorDoc, strings.Replace(actor, `"inbox":`, `"inbux":`, 1), ErrInvalid},
		{"video bad duration", videoDoc, strings.Replace(video, `PT1S`, `1 second`, 1), ErrInvalid},
		{"video no name", videoDoc, strings.Replace(video, `"name":"vid"`, `"name":" "`, 1), ErrInvalid},
		{"video short name", videoDoc, strings.Replace(video, `"name":"vid"`, `"name":" ab "`, 1), ErrInvalid},
		{"video long name", videoDoc, strings.Replace(video, `"name":"vid"`, `"name":"`+strings.Repeat("é", 121)+`"`, 1), ErrInvalid},
		{"video no uuid", videoDoc, strings.Replace(video, `"uuid":"8f3c1a4e-2b7d-4c1e-9a0b-5d6e7f8a9b0c"`, `"uuid":"8f3c1a4e"`, 1), ErrInvalid},
		{"video file link", videoDoc, strings.Replace(video, `"duration"`, `"url":[{"type":"Link","href":"file:///etc/passwd"}],"duration"`, 1), ErrInvalid},
		{"video bad date", videoDoc, strings.Replace(video, `"published":"2026-11-30T10:00:00Z"`, `"published":"yesterday"`, 1), ErrInvalid},
		{"video no updated", videoDoc, strings.Replace(video, `"updated"`, `"updatd"`, 1), ErrInvalid},
		{"video unattributed", videoDoc, strings.Replace(video, `"attributedTo":["https://pt.example/accounts/a"]`, `"attributedTo":[]`, 1), ErrInvalid},
		{"video attributed to a script", videoDoc, strings.Replace(video, `https://pt.example/accounts/a`, `javascript:x`, 1), ErrInvalid},
		{"video negative views", videoDoc, strings.Replace(video, `"duration"`, `"views":-1,"duration"`, 1), ErrInvalid},
		{"video bad infohash", videoDoc, strings.Replace(video, `"duration"`, `"url":[{"type":"Link","mediaType":"application/x-mpegURL","href":"https://pt.example/m.m3u8","tag":[{"type":"Infohash","name":"zz"}]}],"duration"`, 1), ErrInvalid},
		{"video negative size", videoDoc, strings.Replace(video, `"duration"`, `"url":[{"type":"Link","mediaType":"video/mp4","href":"https://pt.example/a.mp4","size":-4}],"duration"`, 1), ErrInvalid},
		{"video too deep", videoDoc, strings.Replace(video, `"duration"`, `"url":[{"type":"Link","tag":[{"type":"Link","tag":[{"type":"Link","tag":[{"type":"Link"}]}]}]}],"duration"`, 1), ErrInvalid},
	}
	for _, c := range cases {
		if err := c.parse([]byte(c.doc)); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if err := videoDoc([]byte(video)); err != nil {
		t.Errorf("valid minimal video: %v", err)
	}
}

func activity(b []byte) error { _, err := ParseActivity(b); return err }
func actorDoc(b []byte) error { _, err := ParseActor(b); return err }
func videoDoc(b []byte) error { _, err := ParseVideo(b); return err }

func TestParseISODuration(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]int64{"PT123S": 123, "PT1H2M3S": 3723, "PT5M": 300, "PT0S": 0} {
		if got, ok := parseISODuration(s); !ok || got != want {
			t.Errorf("%s = %d, %v", s, got, ok)
		}
	}
	for _, s := range []string{"", "PT", "P1D", "PTS", "PT1S2M", "PT1X", "PT12", "PT1S1S", "PT9999999999S"} {
		if _, ok := parseISODuration(s); ok {
			t.Errorf("%q accepted", s)
		}
	}
}

func seedActivities(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join("testdata", "activities", "*.json"))
	recorded, _ := filepath.Glob(filepath.Join("testdata", "peertube", "*.json"))
	paths = append(paths, recorded...)
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzParseActivity: the readers never panic, and what they accept is
// valid JSON whose fields survive a re-encode and re-parse.
func FuzzParseActivity(f *testing.F) {
	seedActivities(f)
	f.Add([]byte(`{"type":"Follow","id":"https://a/1","actor":{"id":"https://a/u"},"object":{"id":"https://b/u"},"to":"https://x/y"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if a, err := ParseActivity(data); err == nil {
			if !json.Valid(data) {
				t.Fatalf("accepted invalid JSON %q", data)
			}
			again, err := json.Marshal(a)
			if err != nil {
				t.Fatalf("re-encoding: %v", err)
			}
			b, err := ParseActivity(again)
			if err != nil {
				t.Fatalf("re-parse of %s: %v", again, err)
			}
			if a.ID != b.ID || a.Type != b.Type || a.Actor.ID != b.Actor.ID || a.Object.ID != b.Object.ID {
				t.Fatalf("round trip changed %+v into %+v", a, b)
			}
			if a.Object.Embedded() {
				_, _ = ParseVideo(a.Object.Raw)
			}
		}
		_, _ = ParseActor(data)
		if c, err := parseCollection(data); err == nil {
			_ = append(c.OrderedItems, c.Items...)
		}
		if v, err := ParseVideo(data); err == nil {
			_, _ = images(v.Icon)
			if h := v.HLS(); h != nil {
				_ = h.Infohashes()
				_ = h.Segments()
				_ = rungFiles(h.Tag)
			}
		}
	})
}

// FuzzParseSignatureHeader: no panics; an accepted header has a keyId, a
// signature and lower-case headers, and the library's own reader (through
// a full verification attempt) never panics on it.
func FuzzParseSignatureHeader(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "signatures", "*.txt"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add(`keyId="a,b",signature="x"`)
	f.Add(`keyId="a",keyId="b",signature="x"`)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseSignatureHeader(s)
		if err != nil {
			return
		}
		if p.KeyID == "" || p.Signature == "" || len(p.Headers) == 0 {
			t.Fatalf("accepted %q as %+v", s, p)
		}
		for _, h := range p.Headers {
			if h != strings.ToLower(h) || strings.ContainsAny(h, " \t") {
				t.Fatalf("header name %q", h)
			}
		}
		if strings.ContainsAny(p.KeyID, `,"\`) {
			t.Fatalf("keyId %q", p.KeyID)
		}
		// Whatever parses never verifies without the key's signature.
		alice, bob := keys(t)
		body := []byte("{}")
		req, _ := http.NewRequest(http.MethodPost, "https://edge.example/inbox", bytes.NewReader(body))
		if err := Sign(req, body, KeyID(aliceURL), alice, time.Now()); err != nil {
			t.Fatal(err)
		}
		r := toRequest(req, body)
		r.Header.Set("Signature", s)
		if owner, err := (&Verifier{Lookup: lookupOf(alice, bob)}).Verify(context.Background(), r); err == nil {
			t.Fatalf("forged header %q verified as %q", s, owner)
		}
	})
}
