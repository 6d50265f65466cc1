package activitypub

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	aliceURL = "https://alice.example/accounts/peertube"
	bobURL   = "https://bob.example/accounts/peertube"
	inboxURL = "https://edge.example/accounts/peertube/inbox?x=1"
)

// Two keys for the whole package's tests: RSA generation is slow.
var testKeys = sync.OnceValues(func() ([2]*rsa.PrivateKey, error) {
	var ks [2]*rsa.PrivateKey
	for i := range ks {
		k, err := GenerateKey()
		if err != nil {
			return ks, err
		}
		ks[i] = k
	}
	return ks, nil
})

func keys(t testing.TB) (alice, bob *rsa.PrivateKey) {
	t.Helper()
	ks, err := testKeys()
	if err != nil {
		t.Fatal(err)
	}
	return ks[0], ks[1]
}

// lookupOf answers keyIds of alice and bob with their keys.
func lookupOf(alice, bob *rsa.PrivateKey) KeyLookup {
	return func(_ context.Context, keyID string) (string, *rsa.PublicKey, error) {
		switch keyID {
		case KeyID(aliceURL):
			return aliceURL, &alice.PublicKey, nil
		case KeyID(bobURL):
			return bobURL, &bob.PublicKey, nil
		}
		return "", nil, fmt.Errorf("unknown key %q", keyID)
	}
}

// toRequest turns a client request into what a server would have seen.
func toRequest(req *http.Request, body []byte) Request {
	h := req.Header.Clone()
	h.Del("Host")
	return Request{Method: req.Method, Target: req.URL.RequestURI(), Host: req.Host, Header: h, Body: body}
}

func signed(t *testing.T, key *rsa.PrivateKey, keyID string, body []byte, at time.Time) Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, inboxURL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/activity+json")
	if err := Sign(req, body, keyID, key, at); err != nil {
		t.Fatal(err)
	}
	return toRequest(req, body)
}

func TestSignVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	alice, bob := keys(t)
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	body := []byte(`{"type":"Follow","id":"https://alice.example/follows/1","actor":"` + aliceURL + `","object":"https://edge.example/accounts/peertube"}`)
	r := signed(t, alice, KeyID(aliceURL), body, now)

	sig := r.Header.Get("Signature")
	for _, want := range []string{`keyId="` + aliceURL + `#main-key"`, `algorithm="rsa-sha256"`, `headers="(request-target) host date digest"`} {
		if !strings.Contains(sig, want) {
			t.Errorf("Signature %q lacks %s", sig, want)
		}
	}
	if got := r.Header.Get("Digest"); !strings.HasPrefix(got, "SHA-256=") {
		t.Errorf("Digest = %q", got)
	}
	v := &Verifier{Lookup: lookupOf(alice, bob), Now: func() time.Time { return now.Add(29 * time.Minute) }}
	owner, err := v.Verify(context.Background(), r)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if owner != aliceURL {
		t.Fatalf("owner = %q", owner)
	}
	if err := CheckSigner(owner, aliceURL); err != nil {
		t.Fatal(err)
	}
	if err := CheckSigner(owner, bobURL); !errors.Is(err, ErrSignerMismatch) {
		t.Fatalf("CheckSigner(bob) = %v", err)
	}
}

func TestVerifyRefusesTampering(t *testing.T) {
	t.Parallel()
	alice, bob := keys(t)
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	body := []byte(`{"type":"Create","id":"https://alice.example/videos/1/activity","actor":"` + aliceURL + `"}`)
	clock := func() time.Time { return now }

	cases := []struct {
		name   string
		mutate func(r *Request)
		signer *rsa.PrivateKey
		keyID  string
		at     time.Time
		want   error
	}{
		{name: "body changed", mutate: func(r *Request) { r.Body = bytes.Replace(r.Body, []byte("Create"), []byte("Delete"), 1) }, want: ErrBadDigest},
		{name: "digest and body changed together", mutate: func(r *Request) {
			r.Body = []byte(`{}`)
			r.Header.Set("Digest", "SHA-256=RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=")
		}, want: ErrBadSignature},
		{name: "digest missing", mutate: func(r *Request) { r.Header.Del("Digest") }, want: ErrBadDigest},
		{name: "signed header changed", mutate: func(r *Request) { r.Host = "evil.example" }, want: ErrBadSignature},
		{name: "path changed", mutate: func(r *Request) { r.Target = "/inbox" }, want: ErrBadSignature},
		{name: "method changed", mutate: func(r *Request) { r.Method = http.MethodPut }, want: ErrBadSignature},
		{name: "date 31 minutes old", at: now.Add(-31 * time.Minute), want: ErrStaleDate},
		{name: "date 31 minutes ahead", at: now.Add(31 * time.Minute), want: ErrStaleDate},
		{name: "date replaced", mutate: func(r *Request) { r.Header.Set("Date", now.Add(time.Second).Format(http.TimeFormat)) }, want: ErrBadSignature},
		{name: "unsigned", mutate: func(r *Request) { r.Header.Del("Signature") }, want: ErrUnsigned},
		{name: "wrong key", signer: bob, want: ErrBadSignature},
		{name: "unknown key", keyID: "https://nobody.example/actor#main-key", want: ErrKeyUnavailable},
		{name: "signature garbage", mutate: func(r *Request) { r.Header.Set("Signature", `keyId="x",signature="AAAA",headers="date`) }, want: ErrMalformedSignature},
		{name: "hmac algorithm", mutate: func(r *Request) {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), "rsa-sha256", "hmac-sha256", 1))
		}, want: ErrBadAlgorithm},
		{name: "digest not signed", mutate: func(r *Request) {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), " digest", "", 1))
		}, want: ErrMissingHeader},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			signer, keyID, at := alice, KeyID(aliceURL), now
			if c.signer != nil {
				signer = c.signer
			}
			if c.keyID != "" {
				keyID = c.keyID
			}
			if !c.at.IsZero() {
				at = c.at
			}
			r := signed(t, signer, keyID, body, at)
			if c.mutate != nil {
				c.mutate(&r)
			}
			v := &Verifier{Lookup: lookupOf(alice, bob), Now: clock}
			owner, err := v.Verify(context.Background(), r)
			if !errors.Is(err, c.want) {
				t.Fatalf("Verify = %q, %v; want %v", owner, err, c.want)
			}
			if owner != "" {
				t.Fatalf("owner %q returned with an error", owner)
			}
		})
	}
}

// A request signed by bob with bob's key verifies, but names bob: the
// inbox refuses it for an activity whose actor is alice.
func TestVerifyKeyOfAnotherActor(t *testing.T) {
	t.Parallel()
	alice, bob := keys(t)
	now := time.Now()
	body := []byte(`{"type":"Follow","id":"https://alice.example/f/2","actor":"` + aliceURL + `","object":"https://edge.example/accounts/peertube"}`)
	r := signed(t, bob, KeyID(bobURL), body, now)
	owner, err := (&Verifier{Lookup: lookupOf(alice, bob)}).Verify(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	act, err := ParseActivity(body)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckSigner(owner, act.Actor.ID); !errors.Is(err, ErrSignerMismatch) {
		t.Fatalf("CheckSigner = %v, want ErrSignerMismatch", err)
	}
}

// A rotated key: the cached key fails, Refresh fetches the new one once.
func TestVerifyRefetchesRotatedKey(t *testing.T) {
	t.Parallel()
	alice, bob := keys(t)
	current := &alice.PublicKey
	var mu sync.Mutex
	fetches := 0
	cache := NewKeyCache(func(_ context.Context, keyID string) (string, *rsa.PublicKey, error) {
		mu.Lock()
		defer mu.Unlock()
		fetches++
		return aliceURL, current, nil
	}, 0, 0)
	cache.refetch = 0
	v := &Verifier{Lookup: cache.Lookup, Refresh: cache.Refresh}
	body := []byte(`{}`)
	if _, err := v.Verify(context.Background(), signed(t, alice, KeyID(aliceURL), body, time.Now())); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	current = &bob.PublicKey // alice now signs with what was bob's key
	mu.Unlock()
	if _, err := v.Verify(context.Background(), signed(t, bob, KeyID(aliceURL), body, time.Now())); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if fetches != 2 {
		t.Fatalf("fetches = %d, want 2 (first use, then one refetch)", fetches)
	}
}

func TestReplayGuard(t *testing.T) {
	t.Parallel()
	g := NewReplayGuard(time.Hour, 3)
	t0 := time.Now()
	if g.Seen("a", t0) {
		t.Fatal("first a seen")
	}
	if !g.Seen("a", t0.Add(59*time.Minute)) {
		t.Fatal("replayed a not refused")
	}
	if g.Seen("a", t0.Add(61*time.Minute)) {
		t.Fatal("a refused after its TTL")
	}
	for i := range 10 {
		g.Seen(fmt.Sprint("id", i), t0.Add(62*time.Minute))
	}
	if n := g.Len(); n != 3 {
		t.Fatalf("Len = %d, want the bound 3", n)
	}
	if !g.Seen("id9", t0.Add(63*time.Minute)) {
		t.Fatal("recent id9 forgotten")
	}
}

func TestKeyCacheBounded(t *testing.T) {
	t.Parallel()
	alice, _ := keys(t)
	fetches := 0
	c := NewKeyCache(func(_ context.Context, keyID string) (string, *rsa.PublicKey, error) {
		fetches++
		return keyID, &alice.PublicKey, nil
	}, time.Hour, 2)
	now := time.Now()
	c.now = func() time.Time { return now }
	ctx := context.Background()
	for _, id := range []string{"a", "a", "b", "c"} {
		now = now.Add(time.Second)
		if _, _, err := c.Lookup(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if fetches != 3 || c.Len() != 2 {
		t.Fatalf("fetches=%d len=%d, want 3 and 2", fetches, c.Len())
	}
	now = now.Add(2 * time.Hour)
	c.Lookup(ctx, "c")
	if fetches != 4 {
		t.Fatalf("expired key not refetched: fetches=%d", fetches)
	}
	c.Refresh(ctx, "c") // within the refetch interval: no fetch
	if fetches != 4 {
		t.Fatalf("Refresh within a minute fetched again: fetches=%d", fetches)
	}
}

func TestKeyPEM(t *testing.T) {
	t.Parallel()
	alice, _ := keys(t)
	pub, err := PublicKeyPEM(&alice.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(pub, "-----BEGIN PUBLIC KEY-----\n") {
		t.Fatalf("public key PEM %q", pub[:40])
	}
	back, err := ParsePublicKeyPEM(pub)
	if err != nil || !back.Equal(&alice.PublicKey) {
		t.Fatalf("ParsePublicKeyPEM: %v", err)
	}
	priv, err := PrivateKeyPEM(alice)
	if err != nil || !strings.HasPrefix(priv, "-----BEGIN PRIVATE KEY-----\n") {
		t.Fatalf("PrivateKeyPEM: %v", err)
	}
	k, err := ParsePrivateKeyPEM(priv)
	if err != nil || !k.Equal(alice) {
		t.Fatalf("ParsePrivateKeyPEM: %v", err)
	}
	for _, bad := range []string{"", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", priv} {
		if _, err := ParsePublicKeyPEM(bad); !errors.Is(err, ErrBadKey) {
			t.Errorf("ParsePublicKeyPEM(%.30q) = %v", bad, err)
		}
	}
}

// nodeScript signs a request with Node's crypto (an implementation of
// draft-cavage written independently of the Go library: it builds the
// signing string itself) and verifies the signature Go made.
const nodeScript = `
const crypto = require('crypto');
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const body = Buffer.from(input.body, 'utf8');
const digest = 'SHA-256=' + crypto.createHash('sha256').update(body).digest('base64');
const lines = ['(request-target): post ' + input.target, 'host: ' + input.host, 'date: ' + input.date, 'digest: ' + digest];
const sig = crypto.sign('sha256', Buffer.from(lines.join('\n')), input.privateKey).toString('base64');
const nodeSigned = {
  Date: input.date, Digest: digest,
  Signature: 'keyId="' + input.keyId + '",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="' + sig + '"',
};
// Check Go's signature: rebuild the string from Go's headers.
const g = input.goHeaders;
const params = Object.fromEntries(g.Signature.split(',').map(p => { const i = p.indexOf('='); return [p.slice(0, i), p.slice(i + 2, -1)]; }));
const goLines = params.headers.split(' ').map(h => h === '(request-target)' ? h + ': post ' + input.target : h + ': ' + (h === 'host' ? input.host : g[h[0].toUpperCase() + h.slice(1)]));
const goDigestOk = g.Digest === digest;
const goOk = crypto.verify('sha256', Buffer.from(goLines.join('\n')), input.publicKey, Buffer.from(params.signature, 'base64'));
process.stdout.write(JSON.stringify({nodeSigned, goOk, goDigestOk}));
`

func TestNodeCryptoInterop(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is needed for the reference signer (scripts/deps.sh installs it): %v", err)
	}
	alice, bob := keys(t)
	privPEM, _ := PrivateKeyPEM(alice)
	pubPEM, _ := PublicKeyPEM(&alice.PublicKey)
	body := `{"type":"Follow","id":"https://alice.example/f/3","actor":"` + aliceURL + `","object":"https://edge.example/accounts/peertube"}`
	now := time.Now().UTC().Truncate(time.Second)
	goReq := signed(t, alice, KeyID(aliceURL), []byte(body), now)

	in, _ := json.Marshal(map[string]any{
		"privateKey": privPEM, "publicKey": pubPEM, "keyId": KeyID(aliceURL),
		"target": goReq.Target, "host": goReq.Host, "date": now.Format(http.TimeFormat), "body": body,
		"goHeaders": map[string]string{"Signature": goReq.Header.Get("Signature"), "Date": goReq.Header.Get("Date"), "Digest": goReq.Header.Get("Digest")},
	})
	cmd := exec.CommandContext(t.Context(), node, "-e", nodeScript)
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var res struct {
		NodeSigned map[string]string
		GoOk       bool
		GoDigestOk bool
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("node output %q: %v", out, err)
	}
	if !res.GoOk || !res.GoDigestOk {
		t.Fatalf("Node's crypto refused Go's signature: %+v", res)
	}
	h := http.Header{}
	for k, v := range res.NodeSigned {
		h.Set(k, v)
	}
	r := Request{Method: http.MethodPost, Target: goReq.Target, Host: goReq.Host, Header: h, Body: []byte(body)}
	v := &Verifier{Lookup: lookupOf(alice, bob)}
	owner, err := v.Verify(context.Background(), r)
	if err != nil || owner != aliceURL {
		t.Fatalf("Go refused Node's signature: %q, %v", owner, err)
	}
	// And the same headers over another body are refused.
	r.Body = []byte(body + " ")
	if _, err := v.Verify(context.Background(), r); !errors.Is(err, ErrBadDigest) {
		t.Fatalf("tampered Node request: %v", err)
	}
}
