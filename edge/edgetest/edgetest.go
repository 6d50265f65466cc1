// Package edgetest runs the node's real edge server on a loopback port for
// other rooms' tests, as net/http/httptest does for net/http.
package edgetest

import (
	"context"
	"net"
	"testing"

	"github.com/peeredge/peeredge/edge"
)

// Serve starts an edge server for cfg on 127.0.0.1 and returns its base
// URL (http://127.0.0.1:port); the server stops when the test ends.
func Serve(t testing.TB, cfg edge.Config) string {
	t.Helper()
	srv, err := edge.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("edge: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}
