package node

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/peeredge/peeredge/edge/edgetest"
)

// TestServeTLS: with a certificate and key the node's port speaks HTTPS
// only: the API and the pages answer, the addresses it hands out are
// https:// and wss://, the WebSocket tracker upgrades over TLS, and a
// plain-HTTP request gets no page.
func TestServeTLS(t *testing.T) {
	t.Parallel()
	certPath, keyPath := edgetest.WriteCert(t, t.TempDir(), 1)
	n := startNode(t, Config{TLSCert: certPath, TLSKey: keyPath, NoSeed: true})
	base := "https" + strings.TrimPrefix(n.base, "http")
	tlsConf := &tls.Config{RootCAs: edgetest.CertPool(t, certPath)}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConf}, Timeout: 10 * time.Second}

	resp, err := client.Get(base + "/api/v1/config")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Tracker struct{ Enabled bool } `json:"tracker"`
	}
	err = json.NewDecoder(resp.Body).Decode(&cfg)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || !cfg.Tracker.Enabled {
		t.Fatalf("GET /api/v1/config over TLS: %s, %+v, %v", resp.Status, cfg, err)
	}
	if got := n.URLs().Trackers(); len(got) != 2 || !strings.HasPrefix(got[0], base+"/") || !strings.HasPrefix(got[1], "wss://") {
		t.Fatalf("trackers handed out %q, want %s… and wss://…", got, base)
	}

	resp, err = client.Get(base + "/about")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `id="p2p-privacy"`) {
		t.Fatalf("GET /about over TLS: %s", resp.Status)
	}

	// The WebSocket tracker through TLS: an unknown torrent is refused in
	// the protocol's words, which proves the upgrade and the exchange.
	d := websocket.Dialer{TLSClientConfig: tlsConf, HandshakeTimeout: 10 * time.Second}
	ws, _, err := d.Dial("wss"+strings.TrimPrefix(base, "https")+"/tracker/socket", nil)
	if err != nil {
		t.Fatalf("wss tracker: %v", err)
	}
	defer ws.Close()
	id := strings.Repeat("a", 20)
	if err := ws.WriteJSON(map[string]any{"action": "announce", "info_hash": id, "peer_id": id, "numwant": 1, "offers": []any{}}); err != nil {
		t.Fatal(err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var reply map[string]any
	if err := ws.ReadJSON(&reply); err != nil {
		t.Fatalf("wss tracker reply: %v", err)
	}
	if reason, _ := reply["failure reason"].(string); !strings.Contains(reason, "unknown torrent") {
		t.Fatalf("wss tracker answered %v, want an unknown-torrent refusal", reply)
	}

	// Plain HTTP to the TLS port: no page comes back.
	plain := &http.Client{Timeout: 5 * time.Second}
	if resp, err := plain.Get(n.base + "/about"); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatalf("plain HTTP on the TLS port served %s (%d bytes)", resp.Status, len(b))
		}
	}
}
