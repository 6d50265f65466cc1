package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
)

// ResumableUploads keeps resumable uploads (origin.Intake): BeginUpload
// opens one (or finds the same one open), WriteUpload stores a chunk and
// commits the video after the last one, CancelUpload ends one.
type ResumableUploads interface {
	BeginUpload(ctx context.Context, size int64, m origin.Metadata) (origin.UploadSession, bool, error)
	UploadSession(ctx context.Context, id string) (origin.UploadSession, error)
	WriteUpload(ctx context.Context, id string, start int64, body io.Reader) (origin.UploadSession, *origin.Video, error)
	CancelUpload(ctx context.Context, id string) error
}

// Headers of PeerTube's resumable upload (@uploadx/core's protocol).
const (
	headerUploadLength = "X-Upload-Content-Length"
	statusResume       = 308 // "Resume Incomplete", as Google's and uploadx's protocol use it
)

const allowResumable = "POST, PUT, DELETE, OPTIONS"

// maxUploadMeta bounds the JSON metadata of a resumable upload.
const maxUploadMeta = 64 << 10

func (a *API) resumable(ctx *fasthttp.RequestCtx) {
	caller, ok := a.authorizeAdmin(ctx)
	if !ok {
		ctx.SetConnectionClose()
		return
	}
	if a.cfg.Resumable == nil {
		a.refuse(ctx, http.StatusServiceUnavailable, "this node does not take uploads")
		return
	}
	switch {
	case ctx.IsPost():
		a.beginUpload(ctx, caller)
	case ctx.IsPut():
		a.putChunk(ctx)
	default:
		a.cancelUpload(ctx)
	}
}

// beginUpload opens a session from the JSON metadata and the announced
// size: 201 with its Location, or 200 when the same upload is open already.
// channelId is checked as the legacy upload's is (uploadChannel).
func (a *API) beginUpload(ctx *fasthttp.RequestCtx, caller Caller) {
	size, err := strconv.ParseInt(string(ctx.Request.Header.Peek(headerUploadLength)), 10, 64)
	if err != nil || size <= 0 {
		a.refuse(ctx, http.StatusBadRequest, headerUploadLength+" must give the file's size in bytes")
		return
	}
	var meta struct {
		Name        string          `json:"name"`
		Filename    string          `json:"filename"`
		ChannelID   json.RawMessage `json:"channelId"` // a number, or a numeric string
		Description string          `json:"description"`
		Support     string          `json:"support"`
	}
	var fields map[string]json.RawMessage
	body, err := readSmallBody(ctx, maxUploadMeta)
	if err == nil {
		err = json.Unmarshal(body, &meta)
	}
	if err == nil {
		err = json.Unmarshal(body, &fields)
	}
	if err != nil {
		a.refuse(ctx, http.StatusBadRequest, "want a JSON body with the video's name and filename")
		return
	}
	var details origin.Edit
	if err := setDetailsJSON(&details, fields); err != nil {
		writeInvalid(ctx, err)
		ctx.SetConnectionClose()
		return
	}
	if meta.Filename == "" {
		a.refuse(ctx, http.StatusBadRequest, "missing filename")
		return
	}
	given := len(meta.ChannelID) > 0 && string(meta.ChannelID) != "null"
	channel, err := a.uploadChannel(ctx, caller, strings.Trim(string(meta.ChannelID), `"`), given)
	if err != nil {
		status, reason := uploadRefusal(err)
		if status == http.StatusInternalServerError {
			a.logger.Error("resumable upload: channel", "err", err)
		}
		a.refuse(ctx, status, reason)
		return
	}
	s, existed, err := a.cfg.Resumable.BeginUpload(ctx, size, origin.Metadata{
		Name: meta.Name, SourceName: meta.Filename, Description: meta.Description, Support: meta.Support,
		ChannelID: channel, Details: uploadDetails(details),
	})
	if err != nil && writeInvalid(ctx, err) {
		ctx.SetConnectionClose()
		return
	}
	if err != nil {
		status, reason := uploadRefusal(err)
		a.logger.Info("resumable upload refused", "remote", ctx.RemoteIP().String(), "status", status, "err", err)
		a.refuse(ctx, status, reason)
		return
	}
	ctx.Response.Header.Set(fasthttp.HeaderLocation, a.cfg.URLs.ResumableUpload(s.ID))
	status := http.StatusCreated
	if existed {
		status = http.StatusOK
		setStored(ctx, s)
	}
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, cacheControl)
	ctx.SetStatusCode(status)
}

// setStored says how far an upload got: Range: bytes=0-N, or no Range
// while nothing is stored.
func setStored(ctx *fasthttp.RequestCtx, s origin.UploadSession) {
	if s.Stored > 0 {
		ctx.Response.Header.Set(fasthttp.HeaderRange, "bytes=0-"+strconv.FormatInt(s.Stored-1, 10))
	}
}

func uploadID(ctx *fasthttp.RequestCtx) string {
	return string(ctx.QueryArgs().Peek(layout.ResumableUploadParam))
}

// putChunk stores a chunk (Content-Range: bytes first-last/total) or, with
// an empty body and "bytes */total", says how far the upload got: 308 with
// Range until the last byte, then 200 with the video.
func (a *API) putChunk(ctx *fasthttp.RequestCtx) {
	id := uploadID(ctx)
	s, err := a.cfg.Resumable.UploadSession(ctx, id)
	if errors.Is(err, origin.ErrNotFound) {
		a.refuse(ctx, http.StatusNotFound, "no such upload (finished, cancelled or expired)")
		return
	}
	if err != nil {
		a.logger.Error("resumable upload", "upload", id, "err", err)
		a.refuse(ctx, http.StatusInternalServerError, "upload sessions unavailable")
		return
	}
	cr, err := parseContentRange(string(ctx.Request.Header.Peek(fasthttp.HeaderContentRange)))
	if err != nil {
		a.refuse(ctx, http.StatusBadRequest, err.Error())
		return
	}
	if cr.total != s.Size {
		a.refuse(ctx, http.StatusBadRequest, "Content-Range total differs from the announced "+headerUploadLength)
		return
	}
	length := int64(ctx.Request.Header.ContentLength())
	if cr.query {
		if length > 0 {
			a.refuse(ctx, http.StatusBadRequest, `a "bytes */total" query has no body`)
			return
		}
		setStored(ctx, s)
		writeProblemless(ctx, statusResume)
		return
	}
	if length != cr.last-cr.first+1 {
		a.refuse(ctx, http.StatusBadRequest, "Content-Length must be the length of the Content-Range")
		return
	}
	s, v, err := a.cfg.Resumable.WriteUpload(ctx, id, cr.first, io.LimitReader(ctx.RequestBodyStream(), length))
	if err != nil {
		status, reason := uploadRefusal(err)
		switch {
		case errors.Is(err, origin.ErrUploadConflict):
			status, reason = http.StatusConflict, "chunk does not start where the stored bytes end; ask with \"bytes */total\""
		case errors.Is(err, origin.ErrUploadBusy):
			status = http.StatusLocked
		case errors.Is(err, origin.ErrNotFound):
			status, reason = http.StatusNotFound, "no such upload (finished, cancelled or expired)"
		}
		a.logger.Info("resumable chunk refused", "upload", id, "status", status, "stored", s.Stored, "err", err)
		setStored(ctx, s)
		a.refuse(ctx, status, reason)
		return
	}
	if v == nil {
		setStored(ctx, s)
		writeProblemless(ctx, statusResume)
		return
	}
	a.logger.Info("upload accepted", "id", v.ID, "uuid", v.UUID, "name", v.Name, "size", v.SourceSize, "resumable", id)
	writeUploaded(ctx, *v)
}

// writeProblemless answers status with no body.
func writeProblemless(ctx *fasthttp.RequestCtx, status int) {
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, cacheControl)
	ctx.SetStatusCode(status)
}

func (a *API) cancelUpload(ctx *fasthttp.RequestCtx) {
	err := a.cfg.Resumable.CancelUpload(ctx, uploadID(ctx))
	switch {
	case err == nil:
		writeProblemless(ctx, http.StatusNoContent)
	case errors.Is(err, origin.ErrNotFound):
		writeProblem(ctx, http.StatusNotFound, "no such upload (finished, cancelled or expired)")
	case errors.Is(err, origin.ErrUploadBusy):
		writeProblem(ctx, http.StatusLocked, "another request is writing to this upload")
	default:
		a.logger.Error("cancel upload", "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "could not cancel the upload")
	}
}
