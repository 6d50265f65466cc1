package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peeredge/peeredge/edge"
	"github.com/peeredge/peeredge/edge/edgetest"
	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
	"github.com/peeredge/peeredge/segmenter"
)

const (
	testToken    = "test-admin-token"
	testPassword = "test-root-password"
)

// testSwitch is the P2P switch's contract in memory (internal/node's
// switch also persists it and tells the tracker).
type testSwitch struct{ on atomic.Bool }

func (s *testSwitch) P2PEnabled() bool { return s.on.Load() }
func (s *testSwitch) SetP2P(_ context.Context, on bool) error {
	s.on.Store(on)
	return nil
}

// testEnv is the API over a real catalogue, store, queue and intake (with
// the segmenter's ffprobe), served by the real edge on a loopback port.
type testEnv struct {
	base    string
	catalog *origin.Catalog
	store   *origin.Store
	queue   *origin.Queue
	p2p     *testSwitch
	api     *API
	views   *origin.Views // with envOptions.views
}

type envOptions struct {
	maxUpload   int64
	probe       func(context.Context, string) (float64, error) // nil: ffprobe
	swarm       SwarmStats
	bodyTimeout time.Duration // the edge's; 0: its default
	stun        []string
	clientAddrs ClientAddrs
	contactMail ContactMail
	tokenTTL    origin.TokenTTL
	loginLimit  RateLimit
	server      ServerInfo
	remote      bool // the catalogue's remote index is the API's Remote
	views       bool // count views (env.views) and sort by them
}

func newTestEnv(t testing.TB, o envOptions) *testEnv {
	t.Helper()
	dir := t.TempDir()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	catalog, err := origin.OpenCatalog(filepath.Join(dir, "catalog"), logger, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { catalog.Close() })
	if _, err := catalog.EnsureAdminToken(context.Background(), testToken); err != nil {
		t.Fatal(err)
	}
	if _, err := catalog.EnsureAdminUser(context.Background(), testPassword); err != nil {
		t.Fatal(err)
	}
	store, err := origin.NewStore(filepath.Join(dir, "data"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.probe == nil {
		o.probe = func(ctx context.Context, path string) (float64, error) {
			info, err := segmenter.Config{}.Probe(ctx, path)
			return info.Duration.Seconds(), err
		}
	}
	queue := origin.NewQueue(catalog, logger)
	intake := origin.NewIntake(origin.IntakeConfig{Catalog: catalog, Store: store, Queue: queue, MaxSize: o.maxUpload, Probe: o.probe, Logger: logger})
	u, err := layout.New("https://video.example/")
	if err != nil {
		t.Fatal(err)
	}
	env := &testEnv{catalog: catalog, store: store, queue: queue, p2p: new(testSwitch)}
	env.p2p.on.Store(true)
	cfg := Config{Videos: catalog, Uploads: intake, Tokens: catalog, P2P: env.p2p, Swarm: o.swarm, URLs: u, MaxUploadSize: o.maxUpload,
		STUNServers: o.stun, Contacts: catalog, ContactMail: o.contactMail, ClientAddrs: o.clientAddrs, Logger: logger,
		Accounts: catalog, TokenTTL: o.tokenTTL, LoginLimit: o.loginLimit, Server: o.server}
	if o.remote {
		cfg.Remote = catalog
	}
	if o.views {
		env.views = origin.NewViews(catalog, origin.ViewsConfig{Logger: logger})
		cfg.Views = env.views
	}
	env.api = New(cfg)
	env.base = edgetest.Serve(t, edge.Config{
		MediaDir:    store.Disk().MediaDir(),
		Mounts:      []edge.Mount{{Path: layout.APIPrefix, Handler: env.api.Handler}},
		BodyTimeout: o.bodyTimeout,
		Logger:      logger,
	})
	return env
}

// do sends a request and returns the answer with its body read.
func (e *testEnv) do(t testing.TB, method, path, token string, body io.Reader, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func (e *testEnv) get(t testing.TB, path string) (int, []byte) {
	t.Helper()
	resp, b := e.do(t, http.MethodGet, path, "", nil, nil)
	return resp.StatusCode, b
}

// assertNothingLeft checks that refused uploads left no file and no entry.
func (e *testEnv) assertNothingLeft(t testing.TB, wantVideos int) {
	t.Helper()
	var left []string
	for _, d := range []string{e.store.Disk().TmpDir(), e.store.Disk().OriginalsDir()} {
		entries, _ := filepath.Glob(filepath.Join(d, "*"))
		left = append(left, entries...)
	}
	_, total, err := e.catalog.Videos(context.Background(), 0, 1)
	if err != nil || total != wantVideos || len(left) != wantVideos {
		t.Errorf("after refusals: %d videos (%v), files %s; want %d of each", total, err, strings.Join(left, " "), wantVideos)
	}
	jobs, err := e.queue.Jobs(context.Background())
	if err != nil || len(jobs) != wantVideos {
		t.Errorf("jobs = %d, %v; want %d", len(jobs), err, wantVideos)
	}
}
