package activitypub

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// apServer serves ActivityPub JSON whose id is the request's own URL
// (or the override), counting requests.
func apServer(t *testing.T, listen string, handler http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	l, err := net.Listen("tcp", listen)
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		handler(w, r)
	}))
	s.Listener.Close()
	s.Listener = l
	s.Start()
	t.Cleanup(s.Close)
	return s, &hits
}

func serveID(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/activity+json; charset=utf-8")
	fmt.Fprintf(w, `{"id":"http://%s%s","type":"Note"}`, r.Host, r.URL.Path)
}

func TestFetchJSONAllowed(t *testing.T) {
	t.Parallel()
	var accept atomic.Value
	s, _ := apServer(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		accept.Store(r.Header.Get("Accept"))
		switch r.URL.Path {
		case "/html":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `{"id":"x"}`)
		case "/foreign":
			w.Header().Set("Content-Type", "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"")
			fmt.Fprint(w, `{"id":"https://elsewhere.example/x"}`)
		case "/big":
			w.Header().Set("Content-Type", "application/activity+json")
			fmt.Fprintf(w, `{"id":"http://%s/big","pad":"%s"}`, r.Host, strings.Repeat("a", 2000))
		case "/missing":
			http.NotFound(w, r)
		case "/hop":
			http.Redirect(w, r, "/target", http.StatusFound)
		default:
			serveID(w, r)
		}
	})
	f := NewFetcher(true)
	ctx := context.Background()
	body, err := f.FetchJSON(ctx, s.URL+"/accounts/peertube", 0)
	if err != nil {
		t.Fatalf("FetchJSON: %v", err)
	}
	if !strings.Contains(string(body), `/accounts/peertube"`) {
		t.Fatalf("body %s", body)
	}
	if got := accept.Load(); got != AcceptHeader {
		t.Fatalf("Accept = %q", got)
	}
	if _, err := f.FetchJSON(ctx, s.URL+"/hop", 0); err != nil {
		t.Fatalf("same-host redirect: %v", err)
	}
	for path, want := range map[string]error{
		"/html": ErrContentType, "/foreign": ErrForeignID, "/missing": ErrFetch,
	} {
		if _, err := f.FetchJSON(ctx, s.URL+path, 0); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", path, err, want)
		}
	}
	if _, err := f.FetchJSON(ctx, s.URL+"/big", 1000); !errors.Is(err, ErrTooLarge) {
		t.Errorf("/big: %v, want ErrTooLarge", err)
	}
	if _, err := f.FetchJSON(ctx, "file:///etc/passwd", 0); !errors.Is(err, ErrFetch) {
		t.Errorf("file URL: %v", err)
	}
}

func TestFetchJSONRefusesPrivateAddresses(t *testing.T) {
	t.Parallel()
	s, hits := apServer(t, "127.0.0.1:0", serveID)
	_, port, _ := net.SplitHostPort(s.Listener.Addr().String())
	f := NewFetcher(false)
	ctx := context.Background()
	for _, u := range []string{
		s.URL + "/a",
		"http://localhost:" + port + "/a", // a name resolving to loopback
		"http://[::1]:" + port + "/a",
		"http://10.1.2.3:" + port + "/a",
		"http://169.254.169.254/latest/meta-data",
		"http://0.0.0.0:" + port + "/a",
		"http://[::ffff:127.0.0.1]:" + port + "/a",
	} {
		_, err := f.FetchJSON(ctx, u, 0)
		if !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("%s: %v, want ErrForbiddenAddress", u, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the loopback server got %d requests", n)
	}
}

// A server the fetcher may reach (127.0.0.2 stands for a public address)
// redirects to one it may not: the dial to the target is refused.
func TestFetchJSONRefusesRedirectToPrivate(t *testing.T) {
	t.Parallel()
	target, targetHits := apServer(t, "127.0.0.1:0", serveID)
	entry, entryHits := apServer(t, "127.0.0.2:0", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/secret", http.StatusFound)
	})
	stand := netip.MustParseAddr("127.0.0.2")
	f := newFetcher(func(a netip.Addr) bool { return a == stand })
	_, err := f.FetchJSON(context.Background(), entry.URL+"/actor", 0)
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("redirect to loopback: %v, want ErrForbiddenAddress", err)
	}
	if entryHits.Load() != 1 || targetHits.Load() != 0 {
		t.Fatalf("entry hits %d (want 1), target hits %d (want 0)", entryHits.Load(), targetHits.Load())
	}
}

func TestPublicAddr(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"93.184.215.14": true, "2a00:1450:4007:80e::200e": true,
		"127.0.0.1": false, "10.0.0.1": false, "172.16.5.4": false, "192.168.1.1": false,
		"169.254.169.254": false, "224.0.0.1": false, "0.0.0.0": false, "100.64.1.1": false,
		"::1": false, "fe80::1": false, "fc00::1": false, "ff02::1": false, "::": false,
		"::ffff:10.0.0.1": false, "64:ff9b::a00:1": false, "255.255.255.255": false,
	} {
		if got := PublicAddr(netip.MustParseAddr(s)); got != want {
			t.Errorf("PublicAddr(%s) = %v", s, got)
		}
	}
}

// The key fetcher reads a real actor document from a server, checks it
// and hands its key to the verifier through the cache.
func TestActorKeyFetcher(t *testing.T) {
	t.Parallel()
	alice, _ := keys(t)
	pubPEM, _ := PublicKeyPEM(&alice.PublicKey)
	var actorURL string
	s, hits := apServer(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		fmt.Fprintf(w, `{"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1"],
"type":"Application","id":%q,"preferredUsername":"peertube","inbox":%q,
"endpoints":{"sharedInbox":%q},
"publicKey":{"id":%q,"owner":%q,"publicKeyPem":%q}}`,
			actorURL, actorURL+"/inbox", "http://"+r.Host+"/inbox", KeyID(actorURL), actorURL, pubPEM)
	})
	actorURL = s.URL + "/accounts/peertube"
	cache := NewKeyCache(ActorKeyFetcher(NewFetcher(true)), 0, 0)
	v := &Verifier{Lookup: cache.Lookup, Refresh: cache.Refresh}
	body := []byte(`{"type":"Follow"}`)
	for range 3 {
		req, _ := http.NewRequest(http.MethodPost, "https://edge.example/inbox", strings.NewReader(string(body)))
		if err := Sign(req, body, KeyID(actorURL), alice, time.Now()); err != nil {
			t.Fatal(err)
		}
		owner, err := v.Verify(context.Background(), toRequest(req, body))
		if err != nil || owner != actorURL {
			t.Fatalf("Verify: %q, %v", owner, err)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("actor fetched %d times, want 1 (cached)", n)
	}
	if _, _, err := ActorKeyFetcher(NewFetcher(true))(context.Background(), actorURL+"#other-key"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("key id the actor does not publish: %v", err)
	}
}
