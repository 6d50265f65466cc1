package activitypub

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/42wim/httpsig"
)

// DateWindow is how far a signed Date may be from the receiver's clock,
// either way: PeerTube's CLOCK_SKEW_SECONDS.
const DateWindow = 30 * time.Minute

// Errors of Verify. Every one means the request is refused (401).
var (
	ErrUnsigned        = errors.New("activitypub: request is not signed")
	ErrBadAlgorithm    = errors.New("activitypub: signature algorithm not accepted")
	ErrMissingHeader   = errors.New("activitypub: a required header is not signed")
	ErrStaleDate       = errors.New("activitypub: Date missing or outside the accepted window")
	ErrBadDigest       = errors.New("activitypub: Digest does not match the body")
	ErrKeyUnavailable  = errors.New("activitypub: signer's key could not be obtained")
	ErrBadSignature    = errors.New("activitypub: signature does not verify")
	ErrSignerMismatch  = errors.New("activitypub: signer is not the activity's actor")
	ErrReplayed        = errors.New("activitypub: activity id already seen")
	errNoLookupDefined = errors.New("activitypub: Verifier without Lookup")
)

// KeyLookup gives the public key named by a keyId and the actor that owns
// it (publicKey.owner, checked against the actor document it came from).
type KeyLookup func(ctx context.Context, keyID string) (owner string, pub *rsa.PublicKey, err error)

// Request is what Verify needs of an incoming request, whatever server
// received it.
type Request struct {
	Method string
	Target string      // path and query as received (the request-target)
	Host   string      // the Host header
	Header http.Header // at least Date, Digest and Signature
	Body   []byte      // the raw body, exactly as received
}

// Verifier checks signed requests.
type Verifier struct {
	// Lookup finds a key (KeyCache.Lookup in the node).
	Lookup KeyLookup
	// Refresh, if set, is asked once more for the key when the signature
	// does not verify with Lookup's, in case the actor rotated its key
	// (KeyCache.Refresh).
	Refresh KeyLookup
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Verify checks r's signature and returns the key's owner, which the
// caller compares with the activity's actor (CheckSigner). The cheap
// checks (header form, algorithm, signed headers, Date, Digest) come
// before any key is fetched.
func (v *Verifier) Verify(ctx context.Context, r Request) (owner string, err error) {
	if v.Lookup == nil {
		return "", errNoLookupDefined
	}
	raw := r.Header.Get("Signature")
	if raw == "" {
		return "", ErrUnsigned
	}
	p, err := ParseSignatureHeader(raw)
	if err != nil {
		return "", err
	}
	switch p.Algorithm {
	case "", "rsa-sha256", "hs2019": // hs2019 with an RSA key is rsa-sha256, as PeerTube reads it
	default:
		return "", fmt.Errorf("%w: %q", ErrBadAlgorithm, p.Algorithm)
	}
	required := signedWithoutBody
	if r.Method != http.MethodGet && r.Method != http.MethodHead || len(r.Body) > 0 {
		required = signedWithBody
	}
	for _, h := range required {
		if !p.Signs(h) {
			return "", fmt.Errorf("%w: %s", ErrMissingHeader, h)
		}
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	if err := checkDate(r.Header.Get("Date"), now()); err != nil {
		return "", err
	}
	if p.Signs("digest") || len(r.Body) > 0 {
		if err := checkDigest(r.Header.Values("Digest"), r.Body); err != nil {
			return "", err
		}
	}
	hr, err := libraryRequest(r, p)
	if err != nil {
		return "", err
	}
	owner, err = v.check(ctx, v.Lookup, hr, p.KeyID)
	if errors.Is(err, ErrBadSignature) && v.Refresh != nil {
		owner, err = v.check(ctx, v.Refresh, hr, p.KeyID)
	}
	return owner, err
}

func (v *Verifier) check(ctx context.Context, lookup KeyLookup, hr *http.Request, keyID string) (string, error) {
	owner, pub, err := lookup(ctx, keyID)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrKeyUnavailable, err)
	}
	if pub == nil || owner == "" {
		return "", fmt.Errorf("%w: lookup gave no key or owner", ErrKeyUnavailable)
	}
	lv, err := httpsig.NewVerifier(hr)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrMalformedSignature, err)
	}
	if err := lv.Verify(pub, httpsig.RSA_SHA256); err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	return owner, nil
}

// libraryRequest rebuilds the request for the signing library with only
// the Signature header and the signed ones, so nothing else (an
// Authorization header, say) changes how it reads the signature.
func libraryRequest(r Request, p SignatureParams) (*http.Request, error) {
	u, err := url.ParseRequestURI(r.Target)
	if err != nil || !strings.HasPrefix(r.Target, "/") {
		return nil, fmt.Errorf("%w: request-target %q", ErrBadSignature, r.Target)
	}
	h := http.Header{"Signature": {r.Header.Get("Signature")}}
	for _, name := range p.Headers {
		if strings.HasPrefix(name, "(") {
			continue
		}
		key := textproto.CanonicalMIMEHeaderKey(name)
		if key == "Host" {
			if r.Host == "" {
				return nil, fmt.Errorf("%w: host", ErrMissingHeader)
			}
			h[key] = []string{r.Host}
			continue
		}
		vals := r.Header.Values(key)
		if len(vals) == 0 {
			return nil, fmt.Errorf("%w: %s signed but absent", ErrMissingHeader, name)
		}
		h[key] = vals
	}
	return &http.Request{Method: r.Method, URL: u, Host: r.Host, Header: h}, nil
}

func checkDate(s string, now time.Time) error {
	if s == "" {
		return fmt.Errorf("%w: no Date", ErrStaleDate)
	}
	t, err := http.ParseTime(s)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStaleDate, err)
	}
	if d := now.Sub(t); d > DateWindow || d < -DateWindow {
		return fmt.Errorf("%w: %s off", ErrStaleDate, d.Round(time.Second))
	}
	return nil
}

// checkDigest wants a SHA-256 entry among the Digest values
// ("SHA-256=<base64>", RFC 3230; several may be listed, comma-separated)
// equal to the body's hash.
func checkDigest(values []string, body []byte) error {
	want := sha256.Sum256(body)
	found := false
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			alg, val, ok := strings.Cut(strings.TrimSpace(item), "=")
			if !ok || !strings.EqualFold(alg, "SHA-256") {
				continue
			}
			found = true
			got, err := base64.StdEncoding.DecodeString(val)
			if err != nil {
				return fmt.Errorf("%w: %w", ErrBadDigest, err)
			}
			if subtle.ConstantTimeCompare(got, want[:]) != 1 {
				return ErrBadDigest
			}
		}
	}
	if !found {
		return fmt.Errorf("%w: no SHA-256 digest", ErrBadDigest)
	}
	return nil
}

// CheckSigner refuses an activity whose actor is not the signer (forwarded
// activities carry LD signatures, which are not checked here).
func CheckSigner(owner, actor string) error {
	if owner == "" || owner != actor {
		return fmt.Errorf("%w: signed by %q, actor %q", ErrSignerMismatch, owner, actor)
	}
	return nil
}
