package activitypub

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/internal/problem"
)

// nodeInfoSchema is the NodeInfo 2.0 schema's rel, which discovery looks
// for in the well-known document.
const nodeInfoSchema = "http://nodeinfo.diaspora.software/ns/schema/2.0"

// NodeInfo answers NodeInfo 2.0 discovery: what software this is, which
// protocols it speaks, and its size, as instances and crawlers read them.
type NodeInfo struct {
	// Name and Version of the software ("peeredge", its build's version).
	Name, Version string
	// NodeName is shown by directories; the node's host by default.
	NodeName string
	// LocalVideos counts the node's own videos (localPosts).
	LocalVideos func(ctx context.Context) (int, error)
	// Users is the number of accounts (the admin: 1).
	Users  int
	URLs   layout.URLs
	Logger *slog.Logger
}

// Handler serves layout.NodeInfoWellKnown and layout.NodeInfoPath.
func (ni *NodeInfo) Handler(ctx *fasthttp.RequestCtx) {
	if !ctx.IsGet() && !ctx.IsHead() {
		ctx.Response.Header.Set(fasthttp.HeaderAllow, "GET, HEAD")
		problem.Write(ctx, http.StatusMethodNotAllowed, "method not allowed; use GET, HEAD")
		return
	}
	switch string(ctx.Path()) {
	case layout.NodeInfoWellKnown:
		writeDoc(ctx, "application/json", map[string]any{
			"links": []map[string]string{{"rel": nodeInfoSchema, "href": ni.URLs.NodeInfo()}},
		})
	case layout.NodeInfoPath:
		n, err := ni.LocalVideos(ctx)
		if err != nil {
			if ni.Logger != nil {
				ni.Logger.Error("nodeinfo: count videos", "err", err)
			}
			problem.Write(ctx, http.StatusInternalServerError, "catalogue unavailable")
			return
		}
		name := ni.NodeName
		if name == "" {
			name = ni.URLs.Host()
		}
		writeDoc(ctx, `application/json; profile="`+nodeInfoSchema+`#"`, nodeInfoDoc{
			Version:   "2.0",
			Software:  software{Name: ni.Name, Version: ni.Version},
			Protocols: []string{"activitypub"},
			Services:  services{Inbound: []string{}, Outbound: []string{}},
			Usage: usage{
				Users:      users{Total: ni.Users, ActiveMonth: ni.Users, ActiveHalfyear: ni.Users},
				LocalPosts: n,
			},
			Metadata: map[string]any{"nodeName": name},
		})
	default:
		problem.Write(ctx, http.StatusNotFound, "not found")
	}
}

// nodeInfoDoc is NodeInfo 2.0 (every field the schema requires).
type nodeInfoDoc struct {
	Version           string         `json:"version"`
	Software          software       `json:"software"`
	Protocols         []string       `json:"protocols"`
	Services          services       `json:"services"`
	OpenRegistrations bool           `json:"openRegistrations"`
	Usage             usage          `json:"usage"`
	Metadata          map[string]any `json:"metadata"`
}

type software struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type services struct {
	Inbound  []string `json:"inbound"`
	Outbound []string `json:"outbound"`
}

type usage struct {
	Users      users `json:"users"`
	LocalPosts int   `json:"localPosts"`
}

type users struct {
	Total          int `json:"total"`
	ActiveMonth    int `json:"activeMonth"`
	ActiveHalfyear int `json:"activeHalfyear"`
}

func writeDoc(ctx *fasthttp.RequestCtx, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		problem.Write(ctx, http.StatusInternalServerError, "could not encode the answer")
		return
	}
	ctx.SetContentType(contentType)
	// Crawlers come often; the numbers may be a few minutes old.
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, "public, max-age=300")
	ctx.SetBody(append(b, '\n'))
}
