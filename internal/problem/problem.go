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

// JSON renders a problem body for status with a human-readable detail.
func JSON(status int, detail string) []byte {
	b, _ := json.Marshal(struct {
		Status int    `json:"status"`
		Title  string `json:"title"`
		Detail string `json:"detail"`
		Error  string `json:"error"`
	}{status, http.StatusText(status), detail, detail})
	return append(b, '\n')
}

// Write sends a problem answer.
func Write(ctx *fasthttp.RequestCtx, status int, detail string) {
	ctx.SetStatusCode(status)
	ctx.SetContentType(ContentType)
	ctx.SetBody(JSON(status, detail))
}
