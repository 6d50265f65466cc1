package activitypub

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
)

// apNode is the ActivityPub side of a node on a loopback port: real
// catalogue, real fasthttp server, real fetcher and signed deliveries.
type apNode struct {
	base    string
	urls    layout.URLs
	actors  *Actors
	follows *Follows
	inbox   *Inbox
	store   Store
}

type apNodeOptions struct {
	manual bool
	local  LocalVideos
	remote RemoteVideos
}

// testDirectory is the node's one user and channel, as the catalogue
// makes them on first start.
type testDirectory struct{ since time.Time }

func (d testDirectory) Account(_ context.Context, name string) (LocalActor, error) {
	if name != origin.AdminUsername {
		return LocalActor{}, ErrNoSuchObject
	}
	return LocalActor{Kind: KindAccount, Type: "Person", Name: name, Published: d.since}, nil
}

func (d testDirectory) Channel(_ context.Context, name string) (LocalActor, error) {
	if name != origin.AdminChannelName {
		return LocalActor{}, ErrNoSuchObject
	}
	return LocalActor{Kind: KindChannel, Type: "Group", Name: name, DisplayName: origin.AdminChannelDisplayName, Published: d.since, Owner: origin.AdminUsername}, nil
}

// directDeliverer makes each delivery at once (the queue's job in the
// node).
type directDeliverer struct {
	keys   *Actors
	client *http.Client
}

func (d directDeliverer) Deliver(ctx context.Context, dl Delivery) error {
	key, err := d.keys.PrivateKey(dl.KeyID)
	if err != nil {
		return err
	}
	req, err := signedPost(ctx, dl, key, time.Now(), "")
	if err != nil {
		return err
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("delivery to %s: answered %s", dl.Inbox, resp.Status)
	}
	return nil
}

func startAPNode(t *testing.T, opts apNodeOptions) *apNode {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	urls, err := layout.New(base)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := origin.OpenCatalog(t.TempDir(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	actors := NewActors(testDirectory{since: time.Now()}, NewKeyStore(cat.KV("keys")), urls, time.Now())
	fetcher := NewFetcher(true)
	store := cat.KV("follows")
	follows := NewFollows(FollowsConfig{Actors: actors, Store: store, Fetcher: fetcher, Deliver: directDeliverer{actors, fetcher.Client()},
		Remote: opts.remote, ManualApproval: opts.manual, Scheme: "http"})
	cache := NewKeyCache(ActorKeyFetcher(fetcher), 0, 0)
	inbox := NewInbox(InboxConfig{Verifier: &Verifier{Lookup: cache.Lookup, Refresh: cache.Refresh}, Replay: NewReplayGuard(0, 0), Follows: follows, Remote: opts.remote})
	srv := NewServer(actors, follows, inbox, opts.local, nil)
	mounts := srv.Mounts()
	hs := &fasthttp.Server{
		StreamRequestBody:  true,
		MaxRequestBodySize: 1 << 20,
		Handler: func(ctx *fasthttp.RequestCtx) {
			p := string(ctx.Path())
			if h, ok := mounts[p]; ok {
				h(ctx)
				return
			}
			for prefix, h := range mounts {
				if strings.HasSuffix(prefix, "/") && strings.HasPrefix(p, prefix) {
					h(ctx)
					return
				}
			}
			ctx.SetStatusCode(http.StatusNotFound)
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = hs.Serve(ln) })
	wg.Go(func() { srv.Run(ctx) })
	t.Cleanup(func() {
		cancel()
		_ = hs.Shutdown()
		wg.Wait()
	})
	return &apNode{base: base, urls: urls, actors: actors, follows: follows, inbox: inbox, store: store}
}

// received is one POST to a test actor's inbox, with what verifying its
// signature against the node's published key concluded.
type received struct {
	path   string
	body   []byte
	signer string
	err    error
}

// testActor is another instance's actor, served by net/http with its
// own key: it follows nodes and records what their inboxes get.
type testActor struct {
	srv  *httptest.Server
	id   string
	key  *rsa.PrivateKey
	got  chan received
	name string
}

func newTestActor(t *testing.T, name string) *testActor {
	t.Helper()
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ra := &testActor{key: key, got: make(chan received, 16), name: name}
	fetcher := NewFetcher(true)
	verifier := &Verifier{Lookup: ActorKeyFetcher(fetcher)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /"+name, func(w http.ResponseWriter, r *http.Request) {
		pub, _ := PublicKeyPEM(&key.PublicKey)
		doc := map[string]any{
			"@context": []string{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
			"type":     "Application", "id": ra.id, "preferredUsername": name,
			"inbox": ra.id + "/inbox", "outbox": ra.id + "/outbox",
			"endpoints": map[string]string{"sharedInbox": ra.srv.URL + "/inbox"},
			"publicKey": map[string]string{"id": ra.id + "#main-key", "owner": ra.id, "publicKeyPem": pub},
		}
		w.Header().Set("Content-Type", ContentType)
		_ = json.NewEncoder(w).Encode(doc)
	})
	inbox := func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, MaxInboxBytes))
		signer, err := verifier.Verify(r.Context(), Request{Method: r.Method, Target: r.URL.RequestURI(), Host: r.Host, Header: r.Header, Body: body})
		ra.got <- received{path: r.URL.Path, body: body, signer: signer, err: err}
		w.WriteHeader(http.StatusNoContent)
	}
	mux.HandleFunc("POST /"+name+"/inbox", inbox)
	mux.HandleFunc("POST /inbox", inbox)
	ra.srv = httptest.NewServer(mux)
	t.Cleanup(ra.srv.Close)
	ra.id = ra.srv.URL + "/" + name
	return ra
}

func (ra *testActor) keyID() string { return ra.id + "#main-key" }

// next waits for the next POST to the actor's inboxes.
func (ra *testActor) next(t *testing.T) received {
	t.Helper()
	select {
	case r := <-ra.got:
		return r
	case <-time.After(15 * time.Second):
		t.Fatal("nothing arrived at the test actor's inbox")
	}
	return received{}
}

// post sends body to url signed with key under keyID at date (the zero
// key: unsigned); edit changes the request after signing.
func post(t *testing.T, url, contentType string, body []byte, keyID string, key *rsa.PrivateKey, date time.Time, edit func(*http.Request)) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if key != nil {
		if err := Sign(req, body, keyID, key, date); err != nil {
			t.Fatal(err)
		}
	}
	if edit != nil {
		edit(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// getAP GETs url as an ActivityPub client and decodes the 200 answer.
func getAP(t *testing.T, url string, v any) http.Header {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", AcceptHeader)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", url, resp.Status, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, b)
	}
	return resp.Header
}

// waitFor polls cond until it holds or 15 s passed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func followJSON(id, actor, object string) []byte {
	b, _ := json.Marshal(map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "type": "Follow", "id": id, "actor": actor, "object": object})
	return b
}
