package activitypub

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/problem"
)

// webFinger answers /.well-known/webfinger?resource=acct:name@host (or an
// actor's URL) with the actor's self link, as PeerTube does: accounts
// (with the instance actor) first, then channels.
func (s *Server) webFinger(ctx *fasthttp.RequestCtx) {
	if !ctx.IsGet() && !ctx.IsHead() {
		ctx.Response.Header.Set(fasthttp.HeaderAllow, "GET, HEAD")
		problem.Write(ctx, http.StatusMethodNotAllowed, "method not allowed; use GET, HEAD")
		return
	}
	resource := string(ctx.QueryArgs().Peek("resource"))
	var a LocalActor
	var err error
	if acct, ok := strings.CutPrefix(resource, "acct:"); ok {
		name, host, ok := strings.Cut(acct, "@")
		if !ok || name == "" || !usernameRE.MatchString(name) {
			problem.Write(ctx, http.StatusBadRequest, "resource is acct:name@host or an actor's URL")
			return
		}
		if !strings.EqualFold(host, s.urls.Host()) {
			problem.Write(ctx, http.StatusNotFound, "not an actor of this host")
			return
		}
		if a, err = s.actors.Lookup(ctx, KindAccount, name); noSuchObject(err) {
			a, err = s.actors.Lookup(ctx, KindChannel, name)
		}
	} else {
		if checkURL("resource", resource) != nil {
			problem.Write(ctx, http.StatusBadRequest, "resource is acct:name@host or an actor's URL")
			return
		}
		a, err = s.actors.Resolve(ctx, resource)
	}
	if err != nil {
		if noSuchObject(err) {
			problem.Write(ctx, http.StatusNotFound, "no such actor")
			return
		}
		s.logger.Error("activitypub: webfinger", "resource", resource, "err", err)
		problem.Write(ctx, http.StatusInternalServerError, "the catalogue could not be read")
		return
	}
	actorURL := s.actors.URL(a)
	doc := jrd{
		Subject: "acct:" + a.Name + "@" + s.urls.Host(),
		Aliases: []string{actorURL},
		Links:   []jrdLink{{Rel: "self", Type: "application/activity+json", Href: actorURL}},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		problem.Write(ctx, http.StatusInternalServerError, "could not encode the answer")
		return
	}
	ctx.SetContentType("application/jrd+json; charset=utf-8")
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, "public, max-age=300")
	ctx.SetBody(b)
}

// hostMeta answers /.well-known/host-meta: XRD with WebFinger's template.
func (s *Server) hostMeta(ctx *fasthttp.RequestCtx) {
	if !ctx.IsGet() && !ctx.IsHead() {
		ctx.Response.Header.Set(fasthttp.HeaderAllow, "GET, HEAD")
		problem.Write(ctx, http.StatusMethodNotAllowed, "method not allowed; use GET, HEAD")
		return
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">` + "\n")
	b.WriteString(`  <Link rel="lrdd" type="application/xrd+xml" template="`)
	_ = xml.EscapeText(&b, []byte(s.urls.HostMetaTemplate())) // a Buffer does not fail
	b.WriteString(`"/>` + "\n</XRD>\n")
	ctx.SetContentType("application/xrd+xml; charset=utf-8")
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, "public, max-age=300")
	ctx.SetBody(b.Bytes())
}
