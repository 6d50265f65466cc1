package edge

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/origin"
)

// formOverhead is what a multipart body may carry beyond the video file
// itself (boundaries, part headers, the name and other small fields).
const formOverhead = 1 << 20

var bearerPrefix = []byte("Bearer ")

// BearerToken is the token of an "Authorization: Bearer" header, or "".
func BearerToken(ctx *fasthttp.RequestCtx) string {
	token, ok := bytes.CutPrefix(ctx.Request.Header.Peek(fasthttp.HeaderAuthorization), bearerPrefix)
	if !ok {
		return ""
	}
	return string(bytes.TrimSpace(token))
}

// upload takes PeerTube's legacy upload (multipart/form-data with videofile
// and name) and streams it to the intake.
func (s *Server) upload(ctx *fasthttp.RequestCtx) {
	if !ctx.IsPost() {
		ctx.Response.Header.Set("Allow", "POST, OPTIONS")
		writeProblem(ctx, http.StatusMethodNotAllowed, "use POST with multipart/form-data")
		return
	}
	if s.cfg.Intake == nil {
		writeProblem(ctx, http.StatusServiceUnavailable, "this node does not take uploads")
		return
	}
	token := BearerToken(ctx)
	if token == "" || s.cfg.Authorize == nil || !s.cfg.Authorize(ctx, token) {
		ctx.Response.Header.Set(fasthttp.HeaderWWWAuthenticate, `Bearer realm="peeredge"`)
		writeProblem(ctx, http.StatusUnauthorized, "a valid bearer token is required to upload")
		return
	}
	// Refuse what cannot fit before reading a byte of it.
	if n := int64(ctx.Request.Header.ContentLength()); s.cfg.MaxUploadSize > 0 && n > s.cfg.MaxUploadSize+formOverhead {
		ctx.SetConnectionClose()
		writeProblem(ctx, http.StatusRequestEntityTooLarge, "upload larger than this node accepts")
		return
	}
	contentType := string(ctx.Request.Header.ContentType())
	v, err := s.cfg.Intake.Upload(ctx, contentType, ctx.RequestBodyStream())
	if err != nil {
		status, reason := http.StatusInternalServerError, "upload failed"
		var ie *origin.IntakeError
		if errors.As(err, &ie) {
			status, reason = ie.Status, ie.Reason
		}
		if status >= 500 {
			s.logger.Error("upload", "remote", ctx.RemoteIP().String(), "err", err)
		} else {
			s.logger.Info("upload refused", "remote", ctx.RemoteIP().String(), "status", status, "reason", reason)
		}
		// The rest of a refused body is not worth reading.
		ctx.SetConnectionClose()
		writeProblem(ctx, status, reason)
		return
	}
	s.logger.Info("upload accepted", "id", v.ID, "uuid", v.UUID, "name", v.Name, "size", v.SourceSize)
	var answer uploadAnswer
	answer.Video.ID, answer.Video.UUID, answer.Video.ShortUUID = v.ID, v.UUID, v.ShortUUID
	body, _ := json.Marshal(answer)
	ctx.SetContentType("application/json; charset=utf-8")
	ctx.SetBody(body)
}

// uploadAnswer is PeerTube's answer to an upload.
type uploadAnswer struct {
	Video struct {
		ID        int64  `json:"id"`
		UUID      string `json:"uuid"`
		ShortUUID string `json:"shortUUID"`
	} `json:"video"`
}
