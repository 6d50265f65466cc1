package activitypub

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/internal/problem"
)

// ContentType is what the node's ActivityPub documents are served as.
const ContentType = "application/activity+json; charset=utf-8"

// Server answers the node's ActivityPub addresses: the actors and their
// collections below /accounts/ and /video-channels/, the inboxes,
// WebFinger and host-meta.
type Server struct {
	actors  *Actors
	follows *Follows
	inbox   *Inbox
	local   LocalVideos
	urls    layout.URLs
	logger  *slog.Logger
}

// NewServer serves actors, their follows, inbox and (when local is set)
// the local videos in their outboxes.
func NewServer(actors *Actors, follows *Follows, inbox *Inbox, local LocalVideos, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.Default()
	}
	return &Server{actors: actors, follows: follows, inbox: inbox, local: local, urls: actors.urls, logger: logger}
}

// Mounts are the paths the server answers, for the edge: each prefix
// (ending in "/") or exact path with its handler.
func (s *Server) Mounts() map[string]fasthttp.RequestHandler {
	return map[string]fasthttp.RequestHandler{
		layout.AccountPrefix:   s.actorHandler(KindAccount, layout.AccountPrefix),
		layout.ChannelPrefix:   s.actorHandler(KindChannel, layout.ChannelPrefix),
		layout.SharedInboxPath: s.inbox.Handler,
		layout.WebFingerPath:   s.webFinger,
		layout.HostMetaPath:    s.hostMeta,
	}
}

// wantsActivity tells an ActivityPub client (which gets JSON) from a
// browser (which is sent to the pages).
func wantsActivity(ctx *fasthttp.RequestCtx) bool {
	accept := string(ctx.Request.Header.Peek(fasthttp.HeaderAccept))
	return strings.Contains(accept, "application/activity+json") || strings.Contains(accept, "application/ld+json") ||
		strings.Contains(accept, "application/json")
}

// actorHandler serves /accounts/{name}[/inbox|/outbox|/followers|/following]
// (and the same below /video-channels/).
func (s *Server) actorHandler(kind ActorKind, prefix string) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		rest := string(ctx.Path())[len(prefix):]
		name, sub, _ := strings.Cut(rest, "/")
		if sub != "" {
			sub = "/" + sub
		}
		if sub == layout.ActorInboxSuffix {
			s.inbox.Handler(ctx)
			return
		}
		if !ctx.IsGet() && !ctx.IsHead() {
			ctx.Response.Header.Set(fasthttp.HeaderAllow, "GET, HEAD")
			problem.Write(ctx, http.StatusMethodNotAllowed, "method not allowed; use GET, HEAD")
			return
		}
		a, err := s.actors.Lookup(ctx, kind, name)
		if err != nil {
			if !noSuchObject(err) {
				s.logger.Error("activitypub: look an actor up", "name", name, "err", err)
				problem.Write(ctx, http.StatusInternalServerError, "the catalogue could not be read")
				return
			}
			problem.Write(ctx, http.StatusNotFound, "no such actor")
			return
		}
		page, ok := pageParam(ctx)
		if !ok {
			return
		}
		var body []byte
		switch sub {
		case "":
			if !wantsActivity(ctx) {
				// People are sent to the pages; PeerTube shows its web
				// client there.
				ctx.Redirect(s.urls.Base()+layout.HomePath, http.StatusFound)
				ctx.Response.Header.Set(fasthttp.HeaderVary, fasthttp.HeaderAccept)
				return
			}
			body, err = s.actors.Document(a)
		case layout.ActorOutboxSuffix:
			body, err = s.outbox(ctx, a, page)
		case layout.ActorFollowersSuffix:
			body, err = s.followers(ctx, a, page)
		case layout.ActorFollowingSuffix:
			body, err = s.following(ctx, a, page)
		default:
			problem.Write(ctx, http.StatusNotFound, "not found")
			return
		}
		if err != nil {
			s.logger.Error("activitypub: answer", "path", string(ctx.Path()), "err", err)
			problem.Write(ctx, http.StatusInternalServerError, "could not build the answer")
			return
		}
		writeActivityJSON(ctx, body)
	}
}

// pageParam is a collection request's page (0 for the collection
// itself), or false after answering 400 to a bad one.
func pageParam(ctx *fasthttp.RequestCtx) (int, bool) {
	p := ctx.QueryArgs().Peek("page")
	if p == nil {
		return 0, true
	}
	n, err := strconv.Atoi(string(p))
	if err != nil || n < 1 || n > 1_000_000 {
		problem.Write(ctx, http.StatusBadRequest, "page is a number from 1")
		return 0, false
	}
	return n, true
}

func writeActivityJSON(ctx *fasthttp.RequestCtx, body []byte) {
	ctx.SetContentType(ContentType)
	ctx.Response.Header.Set(fasthttp.HeaderVary, fasthttp.HeaderAccept)
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, "no-cache")
	ctx.SetBody(body)
}

// Run handles the inbox's activities and crawls new followings' outboxes
// until ctx is done.
func (s *Server) Run(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.follows.Run(ctx)
	}()
	s.inbox.Run(ctx)
	<-done
}
