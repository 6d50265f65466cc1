package activitypub

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeHost(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"peertube.example": "peertube.example", "PeerTube.Example:8443": "peertube.example:8443",
		" 127.0.0.1:9000 ": "127.0.0.1:9000", "[::1]:9000": "[::1]:9000",
	} {
		if got, err := NormalizeHost(in); err != nil || got != want {
			t.Errorf("%q: %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "https://a.example", "a.example/x", "a@b", "a.example:99999", "a.example:x", "a b", "a.example?x", ":80"} {
		if got, err := NormalizeHost(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q accepted as %q", in, got)
		}
	}
}

func TestSelfLink(t *testing.T) {
	t.Parallel()
	const ok = `{"subject":"acct:peertube@a.example","links":[{"rel":"http://webfinger.net/rel/profile-page","href":"https://a.example/"},
		{"rel":"self","type":"application/activity+json","href":"https://a.example/accounts/peertube"}]}`
	if got, err := selfLink([]byte(ok), "https", "a.example"); err != nil || got != "https://a.example/accounts/peertube" {
		t.Errorf("%q, %v", got, err)
	}
	for doc, want := range map[string]error{
		`{"links":[{"rel":"self","type":"application/activity+json","href":"https://b.example/accounts/peertube"}]}`: ErrForeignID,
		`{"links":[{"rel":"self","type":"text/html","href":"https://a.example/accounts/peertube"}]}`:                 ErrInvalid,
		`{"links":[{"rel":"self","type":"application/activity+json","href":"ftp://a.example/x"}]}`:                   ErrInvalid,
		`{"links":"no"}`: ErrInvalidJSON,
		`[`:              ErrInvalidJSON,
	} {
		if _, err := selfLink([]byte(doc), "https", "a.example"); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", doc, err, want)
		}
	}
}

// FuzzWebFingerAnswer: a remote WebFinger answer never panics the reader,
// and a link it takes is an http(s) URL on the host asked.
func FuzzWebFingerAnswer(f *testing.F) {
	f.Add([]byte(`{"links":[{"rel":"self","type":"application/activity+json","href":"https://a.example/accounts/peertube"}]}`), "a.example")
	f.Add([]byte(`{"links":[{"rel":"self","type":"application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"","href":"http://a.example:80/x"}]}`), "a.example:80")
	f.Fuzz(func(t *testing.T, body []byte, host string) {
		got, err := selfLink(body, "https", host)
		if err != nil {
			return
		}
		if !SameHost(got, "https://"+host) || !(strings.HasPrefix(got, "https://") || strings.HasPrefix(got, "http://")) {
			t.Fatalf("took %q for host %q", got, host)
		}
	})
}
