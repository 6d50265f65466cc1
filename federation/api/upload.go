package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/origin"
)

// Limits of PeerTube's legacy upload form.
const (
	maxFieldSize    = 64 << 10 // bytes of one non-file form field
	maxDiscardBytes = 32 << 20 // bytes of ignored parts (thumbnails, unknown fields) in one upload
	maxParts        = 256      // parts in one multipart body
	// formOverhead is what a body may carry beyond the video file itself
	// (boundaries, part headers, the name and other small fields).
	formOverhead = 1 << 20
)

// refuse answers a refused upload and has the connection closed: the rest
// of its body is not worth reading. (The edge lingers on such a close, so
// that a client still sending reads the answer rather than a reset.)
func (a *API) refuse(ctx *fasthttp.RequestCtx, status int, reason string) {
	ctx.SetConnectionClose()
	writeProblem(ctx, status, reason)
}

// upload takes PeerTube's legacy upload (multipart/form-data with
// videofile and name) and streams the file to the intake.
func (a *API) upload(ctx *fasthttp.RequestCtx) {
	caller, ok := a.authorizeAdmin(ctx)
	if !ok {
		ctx.SetConnectionClose()
		return
	}
	if a.cfg.Uploads == nil {
		a.refuse(ctx, http.StatusServiceUnavailable, "this node does not take uploads")
		return
	}
	// Refuse what cannot fit before reading a byte of it.
	n := int64(ctx.Request.Header.ContentLength())
	if a.cfg.MaxUploadSize > 0 && n > a.cfg.MaxUploadSize+formOverhead {
		a.refuse(ctx, http.StatusRequestEntityTooLarge, "upload larger than the limit this node accepts")
		return
	}
	if err := a.cfg.Uploads.Room(max(n, 0)); err != nil {
		status, reason := uploadRefusal(err)
		a.logger.Warn("upload refused", "remote", ctx.RemoteIP().String(), "status", status, "err", err)
		a.refuse(ctx, status, reason)
		return
	}
	v, err := a.receiveForm(ctx, caller, string(ctx.Request.Header.ContentType()), ctx.RequestBodyStream())
	if err != nil && writeInvalid(ctx, err) {
		ctx.SetConnectionClose()
		return
	}
	if err != nil {
		status, reason := uploadRefusal(err)
		if status >= 500 {
			a.logger.Error("upload", "remote", ctx.RemoteIP().String(), "err", err)
		} else {
			a.logger.Info("upload refused", "remote", ctx.RemoteIP().String(), "status", status, "reason", reason)
		}
		a.refuse(ctx, status, reason)
		return
	}
	a.logger.Info("upload accepted", "id", v.ID, "uuid", v.UUID, "name", v.Name, "size", v.SourceSize)
	writeUploaded(ctx, v)
}

// writeUploaded answers a finished upload as PeerTube does.
func writeUploaded(ctx *fasthttp.RequestCtx, v origin.Video) {
	var answer struct {
		Video struct {
			ID        int64  `json:"id"`
			UUID      string `json:"uuid"`
			ShortUUID string `json:"shortUUID"`
		} `json:"video"`
	}
	answer.Video.ID, answer.Video.UUID, answer.Video.ShortUUID = v.ID, v.UUID, v.ShortUUID
	writeJSON(ctx, http.StatusOK, answer)
}

// formError is a refusal of the form itself, with its status.
type formError struct {
	status int
	reason string
	err    error
}

func (e *formError) Error() string {
	if e.err != nil {
		return e.reason + ": " + e.err.Error()
	}
	return e.reason
}

func (e *formError) Unwrap() error { return e.err }

func refuse(status int, err error, format string, args ...any) *formError {
	return &formError{status: status, reason: fmt.Sprintf(format, args...), err: err}
}

// uploadRefusal maps an upload's error to its status and the reason the
// uploader reads.
func uploadRefusal(err error) (int, string) {
	// The edge gives up on a body that pauses too long (its body timeout).
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return http.StatusRequestTimeout, "upload stalled: no data arrived for too long"
	}
	var fe *formError
	if errors.As(err, &fe) {
		return fe.status, fe.reason
	}
	var ie *origin.IntakeError
	if !errors.As(err, &ie) {
		return http.StatusInternalServerError, "upload failed"
	}
	switch {
	case errors.Is(err, origin.ErrUploadInvalid), errors.Is(err, origin.ErrUploadInterrupted):
		return http.StatusBadRequest, ie.Reason
	case errors.Is(err, origin.ErrUploadTooLarge):
		return http.StatusRequestEntityTooLarge, ie.Reason
	case errors.Is(err, origin.ErrUploadNotVideo):
		return http.StatusUnsupportedMediaType, ie.Reason
	case errors.Is(err, origin.ErrNoSpace):
		return http.StatusInsufficientStorage, ie.Reason
	}
	return http.StatusInternalServerError, ie.Reason
}

// readError classifies an error met while reading the body.
func readError(ctx context.Context, err error) *formError {
	if cerr := ctx.Err(); cerr != nil {
		return refuse(http.StatusBadRequest, cerr, "upload interrupted")
	}
	return refuse(http.StatusBadRequest, err, "malformed or incomplete multipart body")
}

// receiveForm reads a multipart/form-data body as a stream: the
// "videofile" part goes to the intake as it arrives, "name" is required,
// "channelId" must name a channel of the caller's account (none: the
// caller's first channel, if the node keeps accounts), "description" and
// "support" are kept, and so are the details (tags, category, licence,
// language, privacy, nsfw, commentsEnabled/commentsPolicy,
// downloadEnabled, waitTranscoding; the intake checks them all against
// PeerTube's limits),
// PeerTube's other fields are accepted and ignored (within limits), and
// the fields may come in any order. On any failure nothing is left behind.
func (a *API) receiveForm(ctx context.Context, caller Caller, contentType string, body io.Reader) (origin.Video, error) {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil || mediaType != "multipart/form-data" || params["boundary"] == "" {
		return origin.Video{}, refuse(http.StatusBadRequest, err, "content type must be multipart/form-data with a boundary, got %q", contentType)
	}
	mr := multipart.NewReader(body, params["boundary"])
	var (
		file                                  *origin.Received
		sourceName                            string
		name, channelID, description, support string
		discarded                             int64
		details                               origin.Edit // tags, category, privacy…
	)
	// PeerTube's text fields the node keeps, each given at most once.
	texts := map[string]*string{"name": &name, "channelId": &channelID, "description": &description, "support": &support}
	seen := make(map[string]bool, len(texts))
	images := map[string][]byte{}
	defer func() { file.Discard() }() // does nothing once committed
	for parts := 0; ; parts++ {
		if err := ctx.Err(); err != nil {
			return origin.Video{}, readError(ctx, err)
		}
		if parts >= maxParts {
			return origin.Video{}, refuse(http.StatusBadRequest, nil, "more than %d form parts", maxParts)
		}
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return origin.Video{}, readError(ctx, err)
		}
		switch field := part.FormName(); {
		case field == "videofile":
			if file != nil {
				return origin.Video{}, refuse(http.StatusBadRequest, nil, "more than one videofile")
			}
			sourceName = part.FileName()
			file, err = a.cfg.Uploads.Receive(ctx, part)
		case customImageFields[field] != nil && a.cfg.Images != nil:
			if images[field] != nil {
				return origin.Video{}, refuse(http.StatusBadRequest, nil, "more than one %s", field)
			}
			images[field], err = a.customImage(ctx, part, field)
		case isDetailField(field):
			var value string
			if value, err = readField(ctx, part, field); err == nil {
				err = setDetail(&details, field, value)
			}
		case texts[field] != nil:
			if seen[field] {
				return origin.Video{}, refuse(http.StatusBadRequest, nil, "more than one %s field", field)
			}
			seen[field] = true
			*texts[field], err = readField(ctx, part, field)
		default:
			var n int64
			n, err = io.Copy(io.Discard, io.LimitReader(part, maxDiscardBytes-discarded+1))
			discarded += n
			switch {
			case err != nil:
				err = readError(ctx, err)
			case discarded > maxDiscardBytes:
				err = refuse(http.StatusRequestEntityTooLarge, nil, "other form parts exceed %d bytes", maxDiscardBytes)
			}
		}
		// No part.Close on error: it would drain the rest of an oversized part.
		if err != nil {
			return origin.Video{}, err
		}
	}
	if file == nil {
		return origin.Video{}, refuse(http.StatusBadRequest, nil, "missing videofile")
	}
	if !seen["name"] {
		return origin.Video{}, refuse(http.StatusBadRequest, nil, "missing name")
	}
	channel, err := a.uploadChannel(ctx, caller, channelID, seen["channelId"])
	if err != nil {
		return origin.Video{}, err
	}
	return a.cfg.Uploads.Commit(ctx, file, origin.Metadata{Name: name, SourceName: sourceName, ChannelID: channel,
		Description: description, Support: support, Details: uploadDetails(details),
		Thumbnail: images[thumbnailField], Preview: images[previewField]})
}

// uploadChannel checks the channelId of an upload: a channel of the
// caller's account. Without one it is the caller's first channel; 0 when
// the node keeps no accounts.
func (a *API) uploadChannel(ctx context.Context, caller Caller, field string, given bool) (int64, error) {
	if a.cfg.Accounts == nil {
		if given {
			return 0, refuse(http.StatusBadRequest, nil, "this node has no channels: leave channelId out")
		}
		return 0, nil
	}
	var want int64
	if given {
		id, err := strconv.ParseInt(strings.TrimSpace(field), 10, 64)
		if err != nil || id <= 0 {
			return 0, refuse(http.StatusBadRequest, nil, "channelId must be a channel's numeric id")
		}
		want = id
	}
	chans, err := a.cfg.Accounts.UserChannels(ctx, caller.User.ID)
	if err != nil {
		return 0, fmt.Errorf("channels of the uploader: %w", err)
	}
	for _, ch := range chans {
		if want == 0 || ch.ID == want {
			return ch.ID, nil
		}
	}
	if given {
		return 0, refuse(http.StatusBadRequest, nil, "unknown video channel %d for this account", want)
	}
	return 0, nil
}

func readField(ctx context.Context, part io.Reader, field string) (string, error) {
	b, err := io.ReadAll(io.LimitReader(part, maxFieldSize+1))
	if err != nil {
		return "", readError(ctx, err)
	}
	if len(b) > maxFieldSize {
		return "", refuse(http.StatusRequestEntityTooLarge, nil, "field %s exceeds %d bytes", field, maxFieldSize)
	}
	return string(b), nil
}
