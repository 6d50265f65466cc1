//go:build tools

// Package internal pins the module's dependencies until the packages that use
// them exist.
package internal

import (
	_ "github.com/anacrolix/torrent"
	_ "github.com/anacrolix/torrent/metainfo"
	_ "github.com/cespare/xxhash/v2"
	_ "github.com/dgraph-io/badger/v4"
	_ "github.com/fasthttp/websocket"
	_ "github.com/grafov/m3u8"
	_ "github.com/pion/webrtc/v4"
	_ "github.com/valyala/fasthttp"
)
