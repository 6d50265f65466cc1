package main

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/peeredge/peeredge/federation/activitypub"
)

// remoteActor is another instance's actor on a loopback httptest server:
// its document with its public key, and an inbox that counts the
// activities the node sends it by the id of the Follow they answer.
type remoteActor struct {
	id  string
	key *rsa.PrivateKey

	mu      sync.Mutex
	answers map[string]int
}

func newRemoteActor(t *testing.T) *remoteActor {
	t.Helper()
	key, err := activitypub.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := activitypub.PublicKeyPEM(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	ra := &remoteActor{key: key, answers: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /actor", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"@context": []string{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
			"type":     "Application", "id": ra.id, "preferredUsername": "peertube",
			"inbox": ra.id + "/inbox", "outbox": ra.id + "/outbox",
			"publicKey": map[string]string{"id": activitypub.KeyID(ra.id), "owner": ra.id, "publicKeyPem": pub},
		})
	})
	mux.HandleFunc("POST /actor/inbox", func(w http.ResponseWriter, r *http.Request) {
		var act struct {
			Object struct{ ID string }
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&act); err == nil {
			ra.mu.Lock()
			ra.answers[act.Object.ID]++
			ra.mu.Unlock()
		}
		w.WriteHeader(http.StatusNoContent)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	ra.id = srv.URL + "/actor"
	return ra
}

// answered is how many answers (Accept, Reject) the node sent to the
// Follow with id.
func (ra *remoteActor) answered(id string) int {
	ra.mu.Lock()
	defer ra.mu.Unlock()
	return ra.answers[id]
}

// signedPost is an inbox POST as it goes on the wire: its body and
// headers, so that it can be sent again unchanged.
type signedPost struct {
	url    string
	body   []byte
	header http.Header
}

// sign signs body for url with key under the actor's key id at date.
func (ra *remoteActor) sign(t *testing.T, url string, body []byte, key *rsa.PrivateKey, date time.Time) signedPost {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/activity+json")
	if err := activitypub.Sign(req, body, activitypub.KeyID(ra.id), key, date); err != nil {
		t.Fatal(err)
	}
	return signedPost{url: url, body: body, header: req.Header}
}

func (p signedPost) send(t *testing.T) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, p.url, bytes.NewReader(p.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = p.header.Clone()
	status, _ := do(t, req)
	return status
}

func activityJSON(t *testing.T, v map[string]any) []byte {
	t.Helper()
	v["@context"] = "https://www.w3.org/ns/activitystreams"
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestInboxRefusesBadPOSTs: at a running node's inbox, unsigned, forged
// (signed by a key that is not the actor's), wrongly digested, stale and
// replayed POSTs of a Follow are answered 401 and leave the followers as
// they were; the same Follow properly signed is taken, which shows the
// refusals are the checks' doing.
func TestInboxRefusesBadPOSTs(t *testing.T) {
	t.Parallel()
	a := startFedNode(t, "", "")
	ra := newRemoteActor(t)
	forger, err := activitypub.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	inbox, instance := a.base()+"/inbox", a.base()+"/accounts/peertube"
	follow := func(n string) []byte {
		return activityJSON(t, map[string]any{"type": "Follow", "id": ra.id + "/follows/" + n, "actor": ra.id, "object": instance})
	}
	followers := func() int {
		var f struct{ Total int }
		a.getJSON(t, "/api/v1/server/followers", &f)
		return f.Total
	}
	now := time.Now()

	refused := []struct {
		name string
		post signedPost
	}{
		{"unsigned", signedPost{url: inbox, body: follow("1"), header: http.Header{"Content-Type": {"application/activity+json"}}}},
		{"forged", ra.sign(t, inbox, follow("1"), forger, now)},
		{"wrong digest", func() signedPost {
			p := ra.sign(t, inbox, follow("1"), ra.key, now)
			p.body = follow("2") // the body another sender's signature was not made for
			return p
		}()},
		{"stale", ra.sign(t, inbox, follow("1"), ra.key, now.Add(-time.Hour))},
	}
	for _, r := range refused {
		if status := r.post.send(t); status != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", r.name, status)
		}
	}
	if n := followers(); n != 0 {
		t.Fatalf("%d followers after refused follows", n)
	}

	// The real thing is taken: a follower, and an Accept sent back.
	first := ra.sign(t, inbox, follow("1"), ra.key, time.Now())
	if status := first.send(t); status != http.StatusNoContent {
		t.Fatalf("signed follow: %d", status)
	}
	waitUntil(t, "the follower", 15*time.Second, func() bool { return followers() == 1 && ra.answered(ra.id+"/follows/1") == 1 })
	undo := ra.sign(t, inbox, activityJSON(t, map[string]any{"type": "Undo", "id": ra.id + "/follows/1/undo", "actor": ra.id,
		"object": map[string]any{"type": "Follow", "id": ra.id + "/follows/1", "actor": ra.id, "object": instance}}), ra.key, time.Now())
	if status := undo.send(t); status != http.StatusNoContent {
		t.Fatalf("undo: %d", status)
	}
	waitUntil(t, "the follower gone", 15*time.Second, func() bool { return followers() == 0 })

	// Replays of the Follow, as it was and signed afresh, would make the
	// actor a follower again.
	for name, p := range map[string]signedPost{
		"replayed":            first,
		"replayed, re-signed": ra.sign(t, inbox, follow("1"), ra.key, time.Now()),
	} {
		if status := p.send(t); status != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", name, status)
		}
	}
	// A new Follow from the same actor is handled after anything before
	// it (one sender, in order): once it is answered, a replay taken
	// would have been answered too.
	if status := ra.sign(t, inbox, follow("3"), ra.key, time.Now()).send(t); status != http.StatusNoContent {
		t.Fatalf("second follow: %d", status)
	}
	waitUntil(t, "the second follow answered", 15*time.Second, func() bool { return ra.answered(ra.id+"/follows/3") == 1 })
	if n := ra.answered(ra.id + "/follows/1"); n != 1 {
		t.Errorf("the first follow was answered %d times", n)
	}
	if n := followers(); n != 1 {
		t.Errorf("%d followers, want 1", n)
	}
}
