package node

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Until the web room serves the watch page: a page with the contract's
// DOM, on a server that proxies everything else to the node.
var (
	pagesMu sync.Mutex
	pages   = map[*testNode]*httptest.Server{}
)

func playerPage(n *testNode, v apiVideo, p2p string) string {
	pagesMu.Lock()
	defer pagesMu.Unlock()
	srv := pages[n]
	if srv == nil {
		target, _ := url.Parse(n.base)
		proxy := httputil.NewSingleHostReverseProxy(target)
		mux := http.NewServeMux()
		mux.Handle("/", proxy)
		mux.HandleFunc("GET /player.js", func(w http.ResponseWriter, r *http.Request) {
			http.ServeFile(w, r, playerBundle)
		})
		mux.HandleFunc("GET /w/{uuid}", func(w http.ResponseWriter, r *http.Request) {
			uuid := r.PathValue("uuid")
			host := strings.TrimPrefix(n.base, "http://")
			fmt.Fprintf(w, `<!doctype html><meta charset="utf-8"><title>watch</title>
<div id="player" class="player" data-uuid="%s" data-master="%s" data-segments-sha256="%s" data-trackers='["ws://%s/tracker/socket"]' data-config="/api/v1/config" data-p2p="%s">
<video id="video" controls playsinline preload="metadata" width="640" height="360"></video></div>
<div id="p2p-stats" data-p2p-bytes="0" data-http-bytes="0" data-peers="0" data-p2p-segments="0" data-p2p-rejected="0" data-mode=""></div>
<input type="checkbox" id="p2p-switch"><label for="p2p-switch">Help share this video with other viewers (P2P)</label>
<aside id="privacy-reminder" hidden>Others see your address. <a href="/about#p2p-privacy">More</a> <button type="button" id="privacy-dismiss">Hide</button></aside>
<script src="/player.js" defer></script>`, html.EscapeString(uuid), html.EscapeString(v.StreamingPlaylists[0].PlaylistURL),
				html.EscapeString(v.StreamingPlaylists[0].SegmentsSha256URL), host, r.URL.Query().Get("p2p"))
		})
		srv = httptest.NewServer(mux)
		pages[n] = srv
	}
	return srv.URL + "/w/" + v.UUID + "?p2p=" + p2p
}

var _ = testing.T{}
