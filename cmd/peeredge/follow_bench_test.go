package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/peeredge/peeredge/internal/testmedia"
)

// BenchmarkFollow100Videos: how long a follow takes to bring an
// instance's videos across. Node A (a process) publishes 100 one-rung
// clips; for each iteration a new node B (a process) follows A through
// its REST API, and the time from the follow request until B lists all
// 100 is measured. A sits behind a counting reverse proxy on loopback
// (its public URL), so the requests B makes of A are counted and timed
// by kind: discovery, actors, outbox pages, video objects, inbox.
//
//	go test -run '^$' -bench Follow100Videos -benchtime 1x -v ./cmd/peeredge/
//
// Making the 100 videos (transcoding them) takes a minute or so and is
// not measured.
func BenchmarkFollow100Videos(b *testing.B) {
	const videos = 100
	clip := testmedia.Make(b, b.TempDir(), testmedia.Clip{Seconds: 1})
	proxy := newCountingProxy(b)
	a := startFedNode(b, "", "", "--public-url", "http://"+proxy.addr, "--workers", "2")
	proxy.target(a.addr)
	made := time.Now()
	uuids := make([]string, videos)
	for i := range uuids {
		uuids[i] = upload(b, a.addr, fedToken, clip)
	}
	for _, u := range uuids {
		a.waitPublished(b, u)
	}
	b.Logf("A published %d videos in %v", videos, time.Since(made).Round(time.Millisecond))
	host := &fedNode{addr: proxy.addr} // A as B reaches it

	var total time.Duration
	for b.Loop() {
		b.StopTimer()
		n := startFedNode(b, "", "")
		proxy.reset()
		b.StartTimer()
		began := time.Now()
		if status, body := n.call(b, http.MethodPost, "/api/v1/server/following", `{"hosts":["`+proxy.addr+`"]}`); status != http.StatusNoContent {
			b.Fatalf("follow: %d %s", status, body)
		}
		var accepted time.Duration
		waitUntil(b, "B to list A's videos", 2*time.Minute, func() bool {
			if accepted == 0 && n.followingAccepted(b, host) {
				accepted = time.Since(began)
			}
			return len(n.videos(b)) == videos
		})
		took := time.Since(began)
		b.StopTimer()
		total += took
		b.Logf("follow accepted after %v; all %d videos listed after %v", accepted.Round(time.Millisecond), videos, took.Round(time.Millisecond))
		b.Logf("requests B made of A:\n%s", proxy.report())
		if m := regexp.MustCompile(`msg="crawled outbox"[^\n]*`).FindString(n.p.stderr.String()); m != "" {
			b.Logf("B: %s", m)
		}
		if err := n.p.stop(b, syscall.SIGTERM); err != nil {
			b.Errorf("B's exit: %v", err)
		}
		b.StartTimer()
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/follow")
	b.ReportMetric(0, "ns/op") // the figure is s/follow; the loop's own time includes B's start
}

// followingAccepted tells whether n lists its follow of other accepted.
func (n *fedNode) followingAccepted(t testing.TB, other *fedNode) bool {
	var f struct {
		Data []struct {
			State     string
			Following struct{ URL string }
		}
	}
	n.getJSON(t, "/api/v1/server/following", &f)
	for _, d := range f.Data {
		if d.State == "accepted" && d.Following.URL == other.base()+"/accounts/peertube" {
			return true
		}
	}
	return false
}

// countingProxy forwards to a node and counts and times the requests by
// kind.
type countingProxy struct {
	addr string
	mu   sync.Mutex
	to   *url.URL
	by   map[string]*kindCount
}

type kindCount struct {
	n    int
	time time.Duration
}

func newCountingProxy(t testing.TB) *countingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &countingProxy{addr: ln.Addr().String(), by: map[string]*kindCount{}}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		p.mu.Lock()
		to := p.to
		p.mu.Unlock()
		r.Out.URL.Scheme, r.Out.URL.Host = to.Scheme, to.Host
		r.Out.Host = r.In.Host // the node signs and checks the public host
	}}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		rp.ServeHTTP(w, r)
		p.count(kindOf(r), time.Since(began))
	})}}
	srv.Start()
	t.Cleanup(srv.Close)
	return p
}

func (p *countingProxy) target(addr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.to = &url.URL{Scheme: "http", Host: addr}
}

func (p *countingProxy) count(kind string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.by[kind]
	if c == nil {
		c = &kindCount{}
		p.by[kind] = c
	}
	c.n++
	c.time += d
}

func (p *countingProxy) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.by = map[string]*kindCount{}
}

func (p *countingProxy) report() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range p.by {
			if !yield(k) {
				return
			}
		}
	}) {
		c := p.by[k]
		fmt.Fprintf(&b, "  %-14s %4d requests, %v in all, %v each\n", k, c.n, c.time.Round(time.Millisecond), (c.time / time.Duration(c.n)).Round(time.Microsecond))
	}
	return b.String()
}

// kindOf sorts a request to the node by what B wanted of it.
func kindOf(r *http.Request) string {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/.well-known/"), strings.HasPrefix(p, "/nodeinfo/"):
		return "discovery"
	case strings.HasSuffix(p, "/inbox"):
		return "inbox"
	case strings.HasSuffix(p, "/outbox"):
		return "outbox pages"
	case strings.HasPrefix(p, "/videos/watch/"):
		return "video objects"
	case strings.HasPrefix(p, "/accounts/"), strings.HasPrefix(p, "/video-channels/"):
		return "actors"
	case strings.HasPrefix(p, "/api/"):
		return "api"
	}
	return "other"
}
