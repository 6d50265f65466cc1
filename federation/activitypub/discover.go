package activitypub

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/peeredge/peeredge/internal/layout"
)

// maxJRDBytes bounds a WebFinger answer.
const maxJRDBytes = 64 << 10

// jrd is WebFinger's JSON Resource Descriptor.
type jrd struct {
	Subject string    `json:"subject"`
	Aliases []string  `json:"aliases,omitempty"`
	Links   []jrdLink `json:"links"`
}

type jrdLink struct {
	Rel      string `json:"rel"`
	Type     string `json:"type,omitempty"`
	Href     string `json:"href,omitempty"`
	Template string `json:"template,omitempty"`
}

// NormalizeHost checks a remote host as the admin gives it (host or
// host:port, PeerTube's form, no scheme or path) and lowercases it.
func NormalizeHost(host string) (string, error) {
	h := strings.ToLower(strings.TrimSpace(host))
	if h == "" || strings.ContainsAny(h, "/?#@ \\") {
		return "", fmt.Errorf("%w: host %q", ErrInvalid, host)
	}
	u, err := url.Parse("http://" + h)
	if err != nil || u.Host != h || u.Hostname() == "" {
		return "", fmt.Errorf("%w: host %q", ErrInvalid, host)
	}
	if p := u.Port(); p != "" {
		if _, err := net.LookupPort("tcp", p); err != nil {
			return "", fmt.Errorf("%w: port of %q", ErrInvalid, host)
		}
	}
	return h, nil
}

// ResolveInstanceActor finds the instance actor of host as PeerTube does:
// WebFinger acct:peertube@host, its self link. scheme is how remote hosts
// are reached ("https" in production).
func (f *Fetcher) ResolveInstanceActor(ctx context.Context, scheme, host string) (string, error) {
	resource := "acct:" + layout.InstanceActorName + "@" + host
	u := scheme + "://" + host + layout.WebFingerPath + "?resource=" + url.QueryEscape(resource)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrFetch, err)
	}
	req.Header.Set("Accept", "application/jrd+json, application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: webfinger: %w", ErrFetch, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%w: webfinger of %s answered %s", ErrFetch, host, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJRDBytes+1))
	if err != nil {
		return "", fmt.Errorf("%w: webfinger: %w", ErrFetch, err)
	}
	if len(body) > maxJRDBytes {
		return "", fmt.Errorf("%w: webfinger over %d bytes", ErrTooLarge, maxJRDBytes)
	}
	return selfLink(body, scheme, host)
}

// selfLink reads a WebFinger answer of host: its ActivityPub self link,
// which must be on host.
func selfLink(body []byte, scheme, host string) (string, error) {
	var doc jrd
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("%w: webfinger: %w", ErrInvalidJSON, err)
	}
	for _, l := range doc.Links {
		if l.Rel != "self" || !activityMediaType(l.Type) {
			continue
		}
		if err := checkURL("webfinger self", l.Href); err != nil {
			return "", err
		}
		if !SameHost(l.Href, scheme+"://"+host) {
			return "", fmt.Errorf("%w: webfinger of %s names %q", ErrForeignID, host, l.Href)
		}
		return l.Href, nil
	}
	return "", fmt.Errorf("%w: webfinger of %s has no ActivityPub self link", ErrInvalid, host)
}

// FetchActor gets and reads the actor at actorURL.
func (f *Fetcher) FetchActor(ctx context.Context, actorURL string) (*Actor, error) {
	body, err := f.FetchJSON(ctx, actorURL, 0)
	if err != nil {
		return nil, err
	}
	a, err := ParseActor(body)
	if err != nil {
		return nil, err
	}
	if a.ID != actorURL {
		return nil, fmt.Errorf("%w: fetched %q, got actor %q", ErrInvalid, actorURL, a.ID)
	}
	return a, nil
}
