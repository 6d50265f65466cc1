package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peeredge/peeredge/edge"
	"github.com/peeredge/peeredge/edge/edgetest"
	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
)

// blocklistEnv is the API with a real catalogue and blocklist, served by
// the real edge on a loopback port; forgotten lists the hosts OnBlock was
// called with.
type blocklistEnv struct {
	*testEnv
	blocklist *origin.Blocklist
	mu        sync.Mutex
	forgotten []string
}

func newBlocklistEnv(t *testing.T) *blocklistEnv {
	t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	catalog, err := origin.OpenCatalog(filepath.Join(t.TempDir(), "catalog"), logger, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { catalog.Close() })
	if _, err := catalog.EnsureAdminToken(ctx, testToken); err != nil {
		t.Fatal(err)
	}
	if _, err := catalog.EnsureAdminUser(ctx, testPassword); err != nil {
		t.Fatal(err)
	}
	bl, err := origin.OpenBlocklist(ctx, catalog)
	if err != nil {
		t.Fatal(err)
	}
	env := &blocklistEnv{blocklist: bl, testEnv: &testEnv{catalog: catalog, p2p: new(testSwitch)}}
	bl.OnBlock = func(_ context.Context, host string) error {
		env.mu.Lock()
		defer env.mu.Unlock()
		env.forgotten = append(env.forgotten, host)
		return nil
	}
	u, err := layout.New("https://video.example/")
	if err != nil {
		t.Fatal(err)
	}
	env.api = New(Config{Videos: catalog, Tokens: catalog, P2P: env.p2p, URLs: u, Accounts: catalog, Blocklist: bl, Logger: logger})
	env.base = edgetest.Serve(t, edge.Config{
		MediaDir: t.TempDir(),
		Mounts:   []edge.Mount{{Path: layout.APIPrefix, Handler: env.api.Handler}},
		Logger:   logger,
	})
	return env
}

func (e *blocklistEnv) block(t *testing.T, token, body string) (*http.Response, []byte) {
	t.Helper()
	return e.do(t, http.MethodPost, layout.ServerBlocklistPath, token, strings.NewReader(body), map[string]string{"Content-Type": "application/json"})
}

type blockListJSON struct {
	Total int `json:"total"`
	Data  []struct {
		ByAccount struct {
			Name string `json:"name"`
			URL  string `json:"url"`
			Host string `json:"host"`
		} `json:"byAccount"`
		BlockedServer struct {
			Host string `json:"host"`
		} `json:"blockedServer"`
		CreatedAt time.Time `json:"createdAt"`
	} `json:"data"`
}

func (e *blocklistEnv) list(t *testing.T, query string) blockListJSON {
	t.Helper()
	resp, b := e.do(t, http.MethodGet, layout.ServerBlocklistPath+query, testToken, nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("list: %s %s", resp.Status, b)
	}
	var l blockListJSON
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatal(err)
	}
	return l
}

func (l blockListJSON) hosts() []string {
	var out []string
	for _, d := range l.Data {
		out = append(out, d.BlockedServer.Host)
	}
	return out
}

func TestServerBlocklist(t *testing.T) {
	t.Parallel()
	env := newBlocklistEnv(t)
	for _, h := range []string{"Bad.Example", "worse.example:8443", "127.0.0.1:9000"} {
		if resp, b := env.block(t, testToken, `{"host":"`+h+`"}`); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("block %s: %s %s", h, resp.Status, b)
		}
		time.Sleep(2 * time.Millisecond) // distinct createdAt, for the order
	}
	if !env.blocklist.Blocked("bad.example") || !env.blocklist.Blocked("WORSE.example:8443") || env.blocklist.Blocked("worse.example") {
		t.Error("Blocked does not say what was blocked")
	}
	env.mu.Lock()
	if want := []string{"bad.example", "worse.example:8443", "127.0.0.1:9000"}; !slices.Equal(env.forgotten, want) {
		t.Errorf("OnBlock got %q; want %q", env.forgotten, want)
	}
	env.mu.Unlock()

	l := env.list(t, "")
	if want := []string{"127.0.0.1:9000", "worse.example:8443", "bad.example"}; l.Total != 3 || !slices.Equal(l.hosts(), want) {
		t.Errorf("list = %d %q; want %q", l.Total, l.hosts(), want)
	}
	if d := l.Data[0]; d.ByAccount.Name != "peertube" || d.ByAccount.URL != "https://video.example/accounts/peertube" ||
		d.ByAccount.Host != "video.example" || time.Since(d.CreatedAt) > time.Minute {
		t.Errorf("entry %+v", d)
	}
	if l := env.list(t, "?sort=createdAt&start=1&count=1"); l.Total != 3 || !slices.Equal(l.hosts(), []string{"worse.example:8443"}) {
		t.Errorf("sorted and paged: %d %q", l.Total, l.hosts())
	}
	if l := env.list(t, "?search=EXAMPLE"); l.Total != 2 {
		t.Errorf("search: %d %q", l.Total, l.hosts())
	}

	// An administrator's OAuth token works as the admin token does.
	resp, b := env.login(t, "root", testPassword)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(b, &tok); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %s %s", resp.Status, b)
	}
	if resp, b := env.do(t, http.MethodDelete, layout.ServerBlocklistPath+"/BAD.example", tok.AccessToken, nil, nil); resp.StatusCode != http.StatusNoContent {
		t.Errorf("unblock: %s %s", resp.Status, b)
	}
	if env.blocklist.Blocked("bad.example") {
		t.Error("still blocked after DELETE")
	}

	for _, tc := range []struct {
		name, method, path, token, body string
		want                            int
	}{
		{"list without a token", http.MethodGet, "", "", "", http.StatusUnauthorized},
		{"block with a wrong token", http.MethodPost, "", "nope", `{"host":"x.example"}`, http.StatusUnauthorized},
		{"unblock without a token", http.MethodDelete, "/worse.example:8443", "", "", http.StatusUnauthorized},
		{"block again", http.MethodPost, "", testToken, `{"host":"WORSE.EXAMPLE:8443"}`, http.StatusConflict},
		{"block itself", http.MethodPost, "", testToken, `{"host":"video.example"}`, http.StatusConflict},
		{"block a URL", http.MethodPost, "", testToken, `{"host":"https://x.example"}`, http.StatusBadRequest},
		{"block a path", http.MethodPost, "", testToken, `{"host":"x.example/inbox"}`, http.StatusBadRequest},
		{"block no host", http.MethodPost, "", testToken, `{"hosts":["x.example"]}`, http.StatusBadRequest},
		{"block a number", http.MethodPost, "", testToken, `{"host":42}`, http.StatusBadRequest},
		{"block not JSON", http.MethodPost, "", testToken, `host=x.example`, http.StatusBadRequest},
		{"unblock unknown", http.MethodDelete, "/good.example", testToken, "", http.StatusNotFound},
		{"unblock invalid", http.MethodDelete, "/bad_host", testToken, "", http.StatusBadRequest},
		{"unblock the list", http.MethodDelete, "", testToken, "", http.StatusMethodNotAllowed},
		{"a deeper path", http.MethodDelete, "/a.example/x", testToken, "", http.StatusNotFound},
		{"a bad sort", http.MethodGet, "?sort=host", testToken, "", http.StatusBadRequest},
		{"a bad count", http.MethodGet, "?count=-1", testToken, "", http.StatusBadRequest},
	} {
		resp, b := env.do(t, tc.method, layout.ServerBlocklistPath+tc.path, tc.token, strings.NewReader(tc.body), nil)
		if resp.StatusCode != tc.want {
			t.Errorf("%s: %s %s; want %d", tc.name, resp.Status, b, tc.want)
		}
	}
	if l := env.list(t, ""); !slices.Equal(l.hosts(), []string{"127.0.0.1:9000", "worse.example:8443"}) {
		t.Errorf("refused requests changed the list: %q", l.hosts())
	}
}

func TestServerBlocklistAbsent(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, envOptions{})
	if resp, b := env.do(t, http.MethodGet, layout.ServerBlocklistPath, testToken, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("without a blocklist: %s %s; want 404", resp.Status, b)
	}
}

func TestValidHost(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{
		"peertube.example":                    true,
		"PeerTube.Example":                    true,
		"a.b.c.example:443":                   true,
		"xn--bcher-kva.example":               true,
		"shop.xn--p1ai":                       true,
		"localhost":                           true,
		"localhost:9000":                      true,
		"127.0.0.1":                           true,
		"192.0.2.1:65535":                     true,
		"[::1]:8080":                          true,
		"[2001:db8::1]":                       true,
		"":                                    false,
		"example":                             false,
		"example.":                            false,
		".example":                            false,
		"a..example":                          false,
		"-a.example":                          false,
		"a-.example":                          false,
		"a_b.example":                         false,
		"a.example:":                          false,
		"a.example:0":                         false,
		"a.example:080":                       false,
		"a.example:65536":                     false,
		"a.example:+80":                       false,
		"a.example:80:80":                     false,
		"https://a.example":                   false,
		"a.example/inbox":                     false,
		"user@a.example":                      false,
		"a.example?x":                         false,
		"1.2.3.999":                           false,
		"a.example.123":                       false,
		"a.e":                                 false,
		"::1":                                 false,
		"[::1":                                false,
		"[::1]x":                              false,
		"[127.0.0.1]":                         false,
		"[fe80::1%eth0]":                      false,
		"bücher.example":                      false,
		strings.Repeat("a", 64) + ".example":  false,
		strings.Repeat("a.", 127) + "example": false,
	} {
		if got := validHost(host); got != want {
			t.Errorf("validHost(%q) = %v; want %v", host, got, want)
		}
	}
}

// FuzzValidHost checks that an accepted host is one the node can compare
// and put in a URL: no scheme, path, user or space, and url.Parse reads
// it back as the host.
func FuzzValidHost(f *testing.F) {
	for _, s := range []string{"peertube.example", "a.example:443", "[::1]:80", "127.0.0.1", "https://x", "a b.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		if !validHost(host) {
			return
		}
		if strings.ContainsAny(host, "/@?# \t\r\n%\\") {
			t.Fatalf("validHost(%q) took a host with a URL delimiter", host)
		}
		u, err := url.Parse("https://" + host + "/inbox")
		if err != nil || u.Host != host {
			t.Fatalf("validHost(%q) took a host that URL parsing reads otherwise (%v)", host, err)
		}
	})
}
