package activitypub

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// AcceptHeader is what the fetcher asks for: ActivityPub's two media types.
const AcceptHeader = `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`

// Fetch defaults.
const (
	DefaultFetchTimeout = 15 * time.Second
	maxRedirects        = 5
)

// Errors of the fetcher.
var (
	ErrForbiddenAddress = errors.New("activitypub: address not allowed for federation")
	ErrFetch            = errors.New("activitypub: fetch failed")
	ErrContentType      = errors.New("activitypub: not an ActivityPub media type")
	ErrForeignID        = errors.New("activitypub: object id not on the host it was fetched from")
)

// Fetcher gets remote ActivityPub documents.
type Fetcher struct {
	client *http.Client
}

// NewFetcher makes a fetcher whose connections only reach public
// addresses, unless allowPrivate (tests, private deployments) is set. The
// address is checked when each connection is dialled, after DNS
// resolution, so a redirect or a name that resolves (or re-resolves) to a
// private address is refused as well.
func NewFetcher(allowPrivate bool) *Fetcher {
	allow := PublicAddr
	if allowPrivate {
		allow = func(netip.Addr) bool { return true }
	}
	return newFetcher(allow)
}

func newFetcher(allow func(netip.Addr) bool) *Fetcher {
	dialer := &net.Dialer{
		Timeout: 10 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %q: %w", ErrForbiddenAddress, address, err)
			}
			if !allow(ap.Addr().Unmap()) {
				return fmt.Errorf("%w: %s", ErrForbiddenAddress, ap.Addr())
			}
			return nil
		},
	}
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would be dialled instead of the checked address
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 10 * time.Second,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &Fetcher{client: &http.Client{
		Transport: tr,
		Timeout:   DefaultFetchTimeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("%w: more than %d redirects", ErrFetch, maxRedirects)
			}
			if req.URL.Scheme != "https" && req.URL.Scheme != "http" {
				return fmt.Errorf("%w: redirect to %q", ErrFetch, req.URL.Scheme)
			}
			return nil
		},
	}}
}

// Client is the fetcher's guarded client, for deliveries.
func (f *Fetcher) Client() *http.Client { return f.client }

// PublicAddr reports whether ip is a public unicast address: not
// loopback, private (RFC 1918, fc00::/7), link-local, multicast,
// unspecified, shared (100.64/10), benchmarking, documentation or
// reserved.
func PublicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 reaches IPv4 space, private parts included
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("100::/64"),
}

// FetchJSON GETs rawURL as ActivityPub JSON: at most maxBytes (0 means
// MaxObjectBytes), only application/activity+json or ld+json answers,
// and the document's id must be on the host that answered (after
// redirects). It returns the body.
func (f *Fetcher) FetchJSON(ctx context.Context, rawURL string, maxBytes int64) ([]byte, error) {
	if maxBytes <= 0 {
		maxBytes = MaxObjectBytes
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%w: %q is not an http(s) URL", ErrFetch, rawURL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	req.Header.Set("Accept", AcceptHeader)
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s answered %s", ErrFetch, u.Host, resp.Status)
	}
	if !activityMediaType(resp.Header.Get("Content-Type")) {
		return nil, fmt.Errorf("%w: %q", ErrContentType, resp.Header.Get("Content-Type"))
	}
	if resp.ContentLength > maxBytes {
		return nil, fmt.Errorf("%w: %d bytes announced", ErrTooLarge, resp.ContentLength)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading: %w", ErrFetch, err)
	}
	if int64(len(body)) > maxBytes {
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, maxBytes)
	}
	var head struct {
		ID string `json:"id"`
	}
	if err := decode(body, &head); err != nil {
		return nil, err
	}
	final := resp.Request.URL
	if !SameHost(head.ID, final.String()) {
		return nil, fmt.Errorf("%w: %q from %s", ErrForeignID, head.ID, final.Host)
	}
	return body, nil
}

func activityMediaType(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch mt {
	case "application/activity+json":
		return true
	case "application/ld+json":
		// The profile is optional; when given it must be ActivityStreams.
		p, ok := params["profile"]
		return !ok || strings.Contains(p, "https://www.w3.org/ns/activitystreams")
	}
	return false
}

// ActorKeyFetcher looks keys up by fetching the actor the keyId names
// (the keyId without its fragment, PeerTube's form): the actor must parse,
// publish that key id, and own it. It is KeyCache's fetch function.
func ActorKeyFetcher(f *Fetcher) KeyLookup {
	return func(ctx context.Context, keyID string) (string, *rsa.PublicKey, error) {
		actorURL, _, _ := strings.Cut(keyID, "#")
		body, err := f.FetchJSON(ctx, actorURL, 0)
		if err != nil {
			return "", nil, err
		}
		a, err := ParseActor(body)
		if err != nil {
			return "", nil, err
		}
		if a.PublicKey.ID != keyID && a.ID != keyID {
			return "", nil, fmt.Errorf("%w: actor %q publishes key %q, not %q", ErrInvalid, a.ID, a.PublicKey.ID, keyID)
		}
		pub, err := ParsePublicKeyPEM(a.PublicKey.PublicKeyPem)
		if err != nil {
			return "", nil, err
		}
		return a.ID, pub, nil
	}
}
