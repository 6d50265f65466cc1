package activitypub

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/42wim/httpsig"
)

// The headers PeerTube signs (HTTP_SIGNATURE in its constants): with a
// body, the digest too.
var (
	signedWithBody    = []string{httpsig.RequestTarget, "host", "date", "digest"}
	signedWithoutBody = []string{httpsig.RequestTarget, "host", "date"}
)

// KeyID is the keyId of an actor's key: its URL and "#main-key", the form
// PeerTube publishes as publicKey.id.
func KeyID(actorURL string) string { return actorURL + "#main-key" }

// Sign signs req as PeerTube does: Date (now), Host (the URL's),
// Digest "SHA-256=<base64>" of body when body is not nil, and a Signature
// header over "(request-target) host date [digest]" with rsa-sha256.
// req's body is not read: body must be what will be sent.
func Sign(req *http.Request, body []byte, keyID string, key *rsa.PrivateKey, now time.Time) error {
	if req.URL == nil || req.URL.Host == "" {
		return errors.New("activitypub: signing a request without a host")
	}
	if key == nil {
		return errors.New("activitypub: signing without a key")
	}
	headers := signedWithoutBody
	if body != nil {
		headers = signedWithBody
	}
	req.Host = req.URL.Host
	req.Header.Set("Host", req.URL.Host) // the library reads the header map
	req.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	req.Header.Del("Digest")
	req.Header.Del("Signature")
	// A Signer is not safe for concurrent use; one per request is cheap.
	s, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		return fmt.Errorf("activitypub: signer: %w", err)
	}
	if err := s.SignRequest(key, keyID, req, body); err != nil {
		return fmt.Errorf("activitypub: signing: %w", err)
	}
	// The library names the algorithm "hs2019" (unsigned, informative);
	// PeerTube sends and older receivers expect "rsa-sha256", which is
	// what was computed.
	sig := req.Header.Get("Signature")
	req.Header.Set("Signature", strings.Replace(sig, `algorithm="hs2019"`, `algorithm="rsa-sha256"`, 1))
	return nil
}
