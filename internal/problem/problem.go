// Package problem renders error answers in PeerTube's shape: RFC 9457
// problem details with PeerTube's extra "error" field. The API and the edge
// both answer this way, so a client meets one error shape on the whole port.
package problem

import (
	"encoding/json"
	"net/http"

	"github.com/valyala/fasthttp"
)

// ContentType is the media type of a problem body.
const ContentType = "application/problem+json; charset=utf-8"

// Details is a problem body. Status and Detail are set by the caller;
// Title and Error follow from them. The optional members are PeerTube's:
// Instance is the request path, InvalidParams the fields a request got
// wrong, keyed by their names, as PeerTube sends express-validator's
// failures.
type Details struct {
	// Type and Code name an error of PeerTube's OAuth (its res.fail with
	// a type): Code is e.g. "invalid_grant", Type the URL of its doc.
	Type          string                  `json:"type,omitempty"`
	Code          string                  `json:"code,omitempty"`
	Status        int                     `json:"status"`
	Title         string                  `json:"title"`
	Detail        string                  `json:"detail"`
	Error         string                  `json:"error"` // PeerTube ≤ 3.2 read this one
	Instance      string                  `json:"instance,omitempty"`
	InvalidParams map[string]InvalidParam `json:"invalid-params,omitempty"`
}

// InvalidParam is one field a request got wrong, in express-validator's
// shape (PeerTube 6 sends version 7's, with "path"; older clients read
// "param", so both are set).
type InvalidParam struct {
	Type     string `json:"type"` // "field"
	Value    any    `json:"value,omitempty"`
	Msg      string `json:"msg"`
	Path     string `json:"path"`
	Param    string `json:"param"`
	Location string `json:"location"` // "body", "query", "params"
}

// Field returns the InvalidParam of a field of location with msg, and the
// value the request carried (nil: absent).
func Field(location, name, msg string, value any) InvalidParam {
	return InvalidParam{Type: "field", Value: value, Msg: msg, Path: name, Param: name, Location: location}
}

// Body renders d, filling Title and Error.
func (d Details) Body() []byte {
	d.Title = http.StatusText(d.Status)
	d.Error = d.Detail
	b, err := json.Marshal(d)
	if err != nil { // a Value json cannot encode: say so without it
		d.InvalidParams = nil
		b, _ = json.Marshal(d)
	}
	return append(b, '\n')
}

// JSON renders a problem body for status with a human-readable detail.
func JSON(status int, detail string) []byte {
	return Details{Status: status, Detail: detail}.Body()
}

// Write sends a problem answer.
func Write(ctx *fasthttp.RequestCtx, status int, detail string) {
	WriteDetails(ctx, Details{Status: status, Detail: detail})
}

// WriteDetails sends a problem answer with PeerTube's optional members.
func WriteDetails(ctx *fasthttp.RequestCtx, d Details) {
	ctx.SetStatusCode(d.Status)
	ctx.SetContentType(ContentType)
	ctx.SetBody(d.Body())
}
