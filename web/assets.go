package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/layout"
)

// assetsFS is web/assets: the hand-written CSS and JavaScript, and the
// player bundle when scripts/web.sh built it before the binary.
//
//go:embed all:assets
var assetsFS embed.FS

// playerScript is the player bundle's name under assets/.
const playerScript = "dist/player.js"

// Cache-Control of the assets: a URL carrying the content's hash names
// those bytes forever; any other may change with the next binary.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

type asset struct {
	body        []byte
	hash        string // hex, shortened: the ?v= of the pages' links
	etag        string
	contentType string
}

type assets struct{ files map[string]asset }

// loadAssets reads and hashes every servable file under assets/ (not
// README.md or dot files).
func loadAssets() (*assets, error) {
	a := &assets{files: map[string]asset{}}
	err := fs.WalkDir(assetsFS, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "assets/")
		if d.IsDir() || name == "README.md" || strings.HasPrefix(path.Base(name), ".") {
			return nil
		}
		b, err := assetsFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		h := hex.EncodeToString(sum[:8])
		ct := mime.TypeByExtension(path.Ext(name))
		switch path.Ext(name) {
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".css":
			ct = "text/css; charset=utf-8"
		case ".map":
			ct = "application/json; charset=utf-8"
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		a.files[name] = asset{body: b, hash: h, etag: `"` + h + `"`, contentType: ct}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: embedded assets: %w", err)
	}
	return a, nil
}

func (a *assets) has(name string) bool {
	_, ok := a.files[name]
	return ok
}

// assetURL is the local URL of an asset with its content hash; a missing
// asset's URL has none (and answers 404).
func (w *Web) assetURL(name string) string {
	u := w.cfg.URLs.Local(layout.AssetsPrefix + name)
	if f, ok := w.assets.files[name]; ok {
		u += "?v=" + f.hash
	}
	return u
}

func (w *Web) serveAsset(ctx *fasthttp.RequestCtx, name string) {
	f, ok := w.assets.files[name]
	if !ok {
		w.notFound(ctx)
		return
	}
	h := &ctx.Response.Header
	h.Set(fasthttp.HeaderXContentTypeOptions, "nosniff")
	h.Set(fasthttp.HeaderETag, f.etag)
	if v := ctx.QueryArgs().Peek("v"); string(v) == f.hash {
		h.Set(fasthttp.HeaderCacheControl, cacheImmutable)
	} else {
		h.Set(fasthttp.HeaderCacheControl, cacheRevalidate)
	}
	if etagMatches(ctx.Request.Header.Peek(fasthttp.HeaderIfNoneMatch), f.etag) {
		ctx.SetStatusCode(http.StatusNotModified)
		return
	}
	ctx.SetContentType(f.contentType)
	ctx.SetBody(f.body)
}

// etagMatches is If-None-Match's weak comparison against one strong tag.
func etagMatches(header []byte, etag string) bool {
	for _, t := range bytes.Split(header, []byte(",")) {
		t = bytes.TrimSpace(t)
		t = bytes.TrimPrefix(t, []byte("W/"))
		if string(t) == "*" || string(t) == etag {
			return true
		}
	}
	return false
}
