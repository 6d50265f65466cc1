package edge

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// FileServerConfig configures a FileServer.
type FileServerConfig struct {
	// Root is the directory served; nothing outside it is ever opened.
	Root string
	// CacheControl returns the Cache-Control value for a relative path;
	// nil means DefaultCacheControl (a year, immutable, for media and
	// torrents; ten seconds for playlists and JSON; a minute otherwise).
	CacheControl func(name string) string
	// Logger receives trouble on the node (missing root, descriptor
	// exhaustion); nil means slog.Default().
	Logger *slog.Logger
}

// FileServer serves the files under a root directory over GET and HEAD with
// RFC 9110 ranges and conditional requests:
//
//   - single ranges, suffix (bytes=-N) and open-ended (bytes=N-), clamped to
//     the file; 416 with Content-Range: bytes */SIZE when nothing overlaps;
//     an invalid or non-bytes Range header is ignored (200, whole file);
//   - several ranges as multipart/byteranges: ranges that overlap or touch
//     are merged (then sorted), more than 32 ranges or ranges adding up to
//     more than the file are ignored (200, whole file);
//   - strong ETags (see appendETag), Last-Modified, If-Match,
//     If-Unmodified-Since, If-None-Match (weak comparison, "*", lists),
//     If-Modified-Since and If-Range (strong ETag or exact date);
//   - paths with "..", ".", empty or dot-prefixed segments, a leading "/",
//     backslashes or control bytes, symlinks leading out of the root,
//     directories and anything not a regular file are 404 with a generic
//     body; other methods are 405 with Allow.
//
// Bodies are streamed from the file with sendfile; files are opened per
// request, so a replaced file is never served stale.
//
// Where it answers differently from net/http.ServeContent, on purpose (RFC
// 9110; see TestServeMatchesServeContent): bytes=-0 is 416 (net/http: a
// broken 206); a malformed Range, an unknown unit (items=) or bytes=5-2 is
// ignored → 200 (net/http: 416); the unit is case-insensitive (net/http: 416
// for "Bytes="); overlapping or touching ranges are merged and more than 32
// ranges ignored (net/http sends every part as asked).
type FileServer struct {
	rootPath     string
	cacheControl func(string) string
	logger       *slog.Logger

	root atomic.Pointer[rootDir]
	// Reopening a root that was missing at start is rate-limited.
	mu          sync.Mutex
	lastAttempt time.Time
	closed      bool
}

// rootRetryInterval bounds how often a missing root is looked for again.
const rootRetryInterval = time.Second

// NewFileServer returns a FileServer for cfg. A root that does not exist yet
// is logged and looked for again on later requests (which get 404 meanwhile).
func NewFileServer(cfg FileServerConfig) *FileServer {
	s := &FileServer{
		rootPath:     cfg.Root,
		cacheControl: cfg.CacheControl,
		logger:       cfg.Logger,
	}
	if s.cacheControl == nil {
		s.cacheControl = DefaultCacheControl
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	s.dir()
	return s
}

// Close releases the root directory. Requests after Close get 404.
func (s *FileServer) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if d := s.root.Swap(nil); d != nil {
		return d.close()
	}
	return nil
}

// dir returns the open root, opening it if needed (at most once per
// rootRetryInterval), or nil.
func (s *FileServer) dir() *rootDir {
	if d := s.root.Load(); d != nil {
		return d
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if d := s.root.Load(); d != nil || s.closed {
		return d
	}
	if now := time.Now(); now.Sub(s.lastAttempt) >= rootRetryInterval {
		s.lastAttempt = now
		d, err := openRootDir(s.rootPath)
		if err != nil {
			s.logger.Error("edge: media root unavailable", "err", err)
			return nil
		}
		s.root.Store(d)
		return d
	}
	return nil
}

// Header names and values set on every file response.
var (
	headerETag         = []byte(fasthttp.HeaderETag)
	headerLastModified = []byte(fasthttp.HeaderLastModified)
	headerContentRange = []byte(fasthttp.HeaderContentRange)
)

// Serve serves root/relPath. relPath is the decoded request path with the URL
// prefix stripped, e.g. "streaming-playlists/hls/<uuid>/master.m3u8"; it may
// be attacker-controlled and must not start with "/".
func (s *FileServer) Serve(ctx *fasthttp.RequestCtx, relPath string) {
	head := ctx.IsHead()
	if !head && !ctx.IsGet() {
		ctx.Response.Header.Set(fasthttp.HeaderAllow, allowedFileMethods)
		if ctx.IsOptions() {
			ctx.SetStatusCode(fasthttp.StatusNoContent)
			return
		}
		fail(ctx, fasthttp.StatusMethodNotAllowed)
		return
	}
	if !validRelPath(relPath) {
		fail(ctx, fasthttp.StatusNotFound)
		return
	}
	d := s.dir()
	if d == nil {
		fail(ctx, fasthttp.StatusNotFound)
		return
	}
	fd, fi, err := d.openRegular(relPath)
	if err != nil {
		if isNodeTrouble(err) {
			s.logger.Warn("edge: cannot open file", "path", relPath, "err", err)
			fail(ctx, fasthttp.StatusServiceUnavailable)
			return
		}
		fail(ctx, fasthttp.StatusNotFound)
		return
	}
	// From here fd is closed on every path or handed to a body stream.
	s.serveFile(ctx, fd, &fi, relPath, head)
}

func (s *FileServer) serveFile(ctx *fasthttp.RequestCtx, fd int, fi *fileInfo, relPath string, head bool) {
	h := &ctx.Response.Header
	var etagBuf [etagLen]byte
	etag := appendETag(etagBuf[:0], fi)
	h.SetCanonical(headerETag, etag)
	modSec := max(fi.mtimeSec, 0) // 0: no usable modification time
	if modSec > 0 {
		var dateBuf [len(time.RFC1123)]byte
		h.SetCanonical(headerLastModified, fasthttp.AppendHTTPDate(dateBuf[:0], time.Unix(modSec, 0)))
	}
	h.Set(fasthttp.HeaderCacheControl, s.cacheControl(relPath))

	switch evalPreconditions(&ctx.Request.Header, etag, modSec) {
	case notModified:
		closeFD(fd)
		ctx.SetStatusCode(fasthttp.StatusNotModified)
		return
	case preconditionFailed:
		closeFD(fd)
		fail(ctx, fasthttp.StatusPreconditionFailed)
		return
	}

	ctype := ContentType(relPath)
	h.Set(fasthttp.HeaderAcceptRanges, "bytes")
	h.Set(fasthttp.HeaderXContentTypeOptions, "nosniff")
	h.SetContentType(ctype)

	size := fi.size
	var rangeBuf [4]ByteRange
	var ranges []ByteRange
	// Empty files have no satisfiable range; like net/http, serve them whole
	// rather than 416 clients that put Range on every request.
	if rh := ctx.Request.Header.Peek(fasthttp.HeaderRange); len(rh) > 0 && size > 0 &&
		ifRangeHolds(&ctx.Request.Header, etag, modSec) {
		rs, err := appendRanges(rangeBuf[:0], rh, size, maxRangeSpecs)
		switch err {
		case nil:
			// Ranges adding up to more than the file are abuse (or a
			// confused client): the whole file is cheaper for everyone.
			if sumLengths(rs) <= size {
				ranges = coalesceRanges(rs)
			}
		case ErrUnsatisfiable:
			closeFD(fd)
			var crBuf [32]byte
			h.SetCanonical(headerContentRange, appendUnsatisfiedRange(crBuf[:0], size))
			fail(ctx, fasthttp.StatusRequestedRangeNotSatisfiable)
			return
		default: // invalid, or too many ranges: ignore the header
		}
	}

	switch len(ranges) {
	case 0:
		s.sendSection(ctx, fd, ByteRange{Start: 0, Length: size}, fasthttp.StatusOK, head)
	case 1:
		var crBuf [64]byte
		h.SetCanonical(headerContentRange, appendContentRange(crBuf[:0], ranges[0], size))
		s.sendSection(ctx, fd, ranges[0], fasthttp.StatusPartialContent, head)
	default:
		body, length, boundary := newMultipart(ranges, size, ctype)
		h.SetContentType(multipartContentType(boundary))
		ctx.SetStatusCode(fasthttp.StatusPartialContent)
		if head {
			closeFD(fd)
			h.SetContentLength(int(length))
			return
		}
		body.attach(fd)
		ctx.Response.SetBodyStream(body, int(length))
	}
}

func (s *FileServer) sendSection(ctx *fasthttp.RequestCtx, fd int, r ByteRange, status int, head bool) {
	ctx.SetStatusCode(status)
	if head || r.Length == 0 {
		closeFD(fd)
		ctx.Response.Header.SetContentLength(int(r.Length))
		return
	}
	body, err := newSectionBody(fd, r)
	if err != nil {
		s.logger.Warn("edge: cannot seek file", "err", err)
		fail(ctx, fasthttp.StatusServiceUnavailable)
		return
	}
	body.uncork = cork(ctx.Conn())
	ctx.Response.SetBodyStream(body, int(r.Length))
}

// fail answers an error with a generic body naming only the status, so no
// path, name or system error leaks, and keeps it out of caches.
func fail(ctx *fasthttp.RequestCtx, status int) {
	ctx.SetStatusCode(status)
	ctx.Response.Header.SetContentType("text/plain; charset=utf-8")
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, "no-store")
	ctx.Response.SetBodyString(fasthttp.StatusMessage(status) + "\n")
}

// validRelPath accepts a relative path of non-empty segments that are not
// "." or ".." nor hidden (dot-prefixed: partial uploads and the like), with
// no backslash, NUL or other control byte. openat2(RESOLVE_BENEATH) then
// enforces the root against symlinks.
func validRelPath(p string) bool {
	if len(p) == 0 || len(p) > 1024 {
		return false
	}
	segStart := true
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c < 0x20 || c == 0x7f || c == '\\':
			return false
		case c == '/':
			if segStart { // leading "/" or empty segment
				return false
			}
			segStart = true
			continue
		case c == '.' && segStart:
			return false
		}
		segStart = false
	}
	return !segStart // no trailing "/"
}
