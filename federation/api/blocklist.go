package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
)

// ServerBlocklist keeps the hosts the admin blocked (origin.Blocklist).
type ServerBlocklist interface {
	// BlockedServers lists them, the latest blocked first.
	BlockedServers() []origin.ServerBlock
	// Block adds a host (origin.ErrAlreadyBlocked if it is in), Unblock
	// removes one (origin.ErrNotBlocked if it is not).
	Block(ctx context.Context, host string) (origin.ServerBlock, error)
	Unblock(ctx context.Context, host string) error
}

const allowBlocklist = "GET, HEAD, POST, OPTIONS"

// routeBlocklist serves PeerTube's instance server blocklist below
// layout.ServerBlocklistPath: rest is what follows it.
func (a *API) routeBlocklist(ctx *fasthttp.RequestCtx, rest string) {
	switch host, ok := strings.CutPrefix(rest, "/"); {
	case rest == "":
		if !a.method(ctx, allowBlocklist, isRead(ctx) || ctx.IsPost()) {
			return
		}
		if ctx.IsPost() {
			a.blockServer(ctx)
		} else {
			a.listBlockedServers(ctx)
		}
	case ok && host != "" && !strings.Contains(host, "/"):
		if a.method(ctx, allowDelete, ctx.IsDelete()) {
			a.unblockServer(ctx, host)
		}
	default:
		writeProblem(ctx, http.StatusNotFound, "no such API endpoint")
	}
}

// serverBlockJSON is PeerTube's ServerBlock. byAccount is the instance
// actor's account (PeerTube's server account), in AccountSummary's shape.
type serverBlockJSON struct {
	ByAccount     accountSummaryJSON `json:"byAccount"`
	BlockedServer struct {
		Host string `json:"host"`
	} `json:"blockedServer"`
	CreatedAt time.Time `json:"createdAt"`
}

// listBlockedServers answers GET: PeerTube's paging (start, count), its
// search (part of the host) and sort (createdAt or -createdAt, the
// default).
func (a *API) listBlockedServers(ctx *fasthttp.RequestCtx) {
	if !a.authorize(ctx) {
		return
	}
	start, count, ok := queryPage(ctx)
	if !ok {
		return
	}
	args := ctx.QueryArgs()
	blocks := a.cfg.Blocklist.BlockedServers()
	switch sort := string(args.Peek("sort")); sort {
	case "", "-createdAt":
	case "createdAt":
		slices.Reverse(blocks)
	default:
		writeProblem(ctx, http.StatusBadRequest, `sort must be "createdAt" or "-createdAt"`)
		return
	}
	if search := strings.ToLower(string(args.Peek("search"))); search != "" {
		blocks = slices.DeleteFunc(blocks, func(b origin.ServerBlock) bool { return !strings.Contains(b.Host, search) })
	}
	total := len(blocks)
	blocks = blocks[min(start, total):min(start+count, total)]
	by := accountSummaryJSON{
		Name: layout.InstanceActorName, DisplayName: layout.InstanceActorName,
		URL: a.cfg.URLs.InstanceActor(), Host: a.cfg.URLs.Host(), Avatars: []string{},
	}
	data := make([]serverBlockJSON, 0, len(blocks))
	for _, b := range blocks {
		j := serverBlockJSON{ByAccount: by, CreatedAt: b.CreatedAt}
		j.BlockedServer.Host = b.Host
		data = append(data, j)
	}
	writeJSON(ctx, http.StatusOK, struct {
		Total int               `json:"total"`
		Data  []serverBlockJSON `json:"data"`
	}{total, data})
}

// blockServer answers POST {"host": "…"}: 204, 400 for a host that is
// not hostname[:port], 409 for the node's own host or one already
// blocked.
func (a *API) blockServer(ctx *fasthttp.RequestCtx) {
	if !a.authorize(ctx) {
		return
	}
	body, ok := a.readBody(ctx, 4<<10, "the request")
	if !ok {
		return
	}
	var req struct {
		Host *string `json:"host"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Host == nil {
		writeProblem(ctx, http.StatusBadRequest, `want a JSON body {"host": "hostname[:port]"}`)
		return
	}
	host := *req.Host
	switch {
	case !validHost(host):
		writeProblem(ctx, http.StatusBadRequest, "host must be a host name with its domain (or an IP address), with an optional :port, and nothing else")
		return
	case strings.EqualFold(host, a.cfg.URLs.Host()):
		writeProblem(ctx, http.StatusConflict, "you cannot block your own server")
		return
	}
	_, err := a.cfg.Blocklist.Block(ctx, host)
	a.blocklistAnswer(ctx, err, "block a server")
}

// unblockServer answers DELETE …/{host}: 204, 400 for an invalid host,
// 404 for one not blocked.
func (a *API) unblockServer(ctx *fasthttp.RequestCtx, host string) {
	if !a.authorize(ctx) {
		return
	}
	if !validHost(host) {
		writeProblem(ctx, http.StatusBadRequest, "host must be a host name with its domain (or an IP address), with an optional :port")
		return
	}
	a.blocklistAnswer(ctx, a.cfg.Blocklist.Unblock(ctx, host), "unblock a server")
}

func (a *API) blocklistAnswer(ctx *fasthttp.RequestCtx, err error, what string) {
	switch {
	case err == nil:
		writeProblemless(ctx, http.StatusNoContent)
	case errors.Is(err, origin.ErrAlreadyBlocked):
		writeProblem(ctx, http.StatusConflict, "this server is already blocked")
	case errors.Is(err, origin.ErrNotBlocked):
		writeProblem(ctx, http.StatusNotFound, "server block entry not found")
	case errors.Is(err, origin.ErrNoSpace):
		a.logger.Error(what, "err", err)
		writeProblem(ctx, http.StatusInsufficientStorage, "could not save the blocklist: the node's disk is full")
	default:
		a.logger.Error(what, "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "could not save the blocklist")
	}
}

// validHost is PeerTube's isHostValid, stricter: hostname[:port] where
// hostname is a DNS name with a top-level domain (ASCII: IDNs in their
// xn-- form), "localhost", an IPv4 address or a bracketed IPv6 one; no
// scheme, user, path or trailing dot.
func validHost(host string) bool {
	if len(host) == 0 || len(host) > 253+6 {
		return false
	}
	name, port := host, ""
	if strings.HasPrefix(host, "[") {
		end := strings.IndexByte(host, ']')
		if end < 0 {
			return false
		}
		ip, err := netip.ParseAddr(host[1:end])
		if err != nil || !ip.Is6() || ip.Zone() != "" {
			return false
		}
		name, port = "", host[end+1:]
		if port != "" && !strings.HasPrefix(port, ":") {
			return false
		}
	} else if i := strings.IndexByte(host, ':'); i >= 0 {
		name, port = host[:i], host[i:]
	}
	if port != "" && !validPort(port[1:]) {
		return false
	}
	if name == "" {
		return strings.HasPrefix(host, "[")
	}
	if ip, err := netip.ParseAddr(name); err == nil {
		return ip.Is4()
	}
	return strings.EqualFold(name, "localhost") || validDNSName(name)
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 || p[0] == '0' {
		return false
	}
	n := 0
	for _, c := range []byte(p) {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n <= 65535
}

// validDNSName wants two labels or more of letters, digits and inner
// hyphens (at most 63 each), the last one a top-level domain: letters
// only, or an xn-- label.
func validDNSName(name string) bool {
	if len(name) > 253 {
		return false
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range []byte(l) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	tld := strings.ToLower(labels[len(labels)-1])
	if strings.HasPrefix(tld, "xn--") {
		return len(tld) > 4
	}
	if len(tld) < 2 {
		return false
	}
	for _, c := range []byte(tld) {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}
