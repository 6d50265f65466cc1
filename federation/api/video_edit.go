package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/origin"
)

// VideoEdits changes a video in the catalogue (origin.Catalog).
type VideoEdits interface {
	UpdateVideo(ctx context.Context, id int64, fn func(*origin.Video) error) (origin.Video, error)
}

// VideoRemovals deletes a video with everything of it: files, torrents,
// tracker and seeder entries (publish.Publisher).
type VideoRemovals interface {
	Remove(ctx context.Context, id int64) error
}

// maxEditBody bounds a PUT /api/v1/videos/{id} body: the texts, and
// the thumbnail and preview images PeerTube's form may carry.
const maxEditBody = 2*maxCustomImageBytes + 1<<20

// videoByRef finds the local video of a request's {id} to change, or
// answers 404/500, or 403 for a followed instance's video (as PeerTube:
// only its own server may change it).
func (a *API) videoByRef(ctx *fasthttp.RequestCtx, ref string) (origin.Video, bool) {
	v, err := a.cfg.Videos.Video(ctx, ref)
	switch {
	case errors.Is(err, origin.ErrNotFound):
		if a.cfg.Remote != nil {
			if _, rerr := a.cfg.Remote.RemoteVideo(ctx, ref); rerr == nil {
				writeProblem(ctx, http.StatusForbidden, "Cannot manage a video of another server.")
				return v, false
			}
		}
		writeProblem(ctx, http.StatusNotFound, "video not found")
		return v, false
	case err != nil:
		a.logger.Error("get video", "ref", ref, "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "catalogue unavailable")
		return v, false
	}
	return v, true
}

// updateVideo takes PeerTube's PUT /api/v1/videos/{id}, as JSON or as a
// multipart form: name, description, support and the details (tags,
// category, licence, language, privacy, nsfw, comments, download,
// waitTranscoding) change, other fields are ignored. 204 on success.
func (a *API) updateVideo(ctx *fasthttp.RequestCtx, ref string) {
	if !a.authorize(ctx) {
		return
	}
	if a.cfg.Edits == nil {
		writeProblem(ctx, http.StatusServiceUnavailable, "this node does not edit videos")
		return
	}
	edit, images, err := readEdit(ctx)
	if err != nil && writeInvalid(ctx, err) {
		return
	}
	if err != nil {
		writeProblem(ctx, http.StatusBadRequest, err.Error())
		return
	}
	v, ok := a.videoByRef(ctx, ref)
	if !ok {
		return
	}
	if !a.replaceImages(ctx, v, images) {
		return
	}
	_, err = a.cfg.Edits.UpdateVideo(ctx, v.ID, edit.Apply)
	var ie *origin.IntakeError
	switch {
	case err == nil:
		writeProblemless(ctx, http.StatusNoContent)
	case writeInvalid(ctx, err):
	case errors.As(err, &ie):
		writeProblem(ctx, http.StatusBadRequest, ie.Reason)
	case errors.Is(err, origin.ErrNotFound):
		writeProblem(ctx, http.StatusNotFound, "video not found")
	default:
		a.logger.Error("update video", "id", v.ID, "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "could not update the video")
	}
}

var errEditBody = errors.New("want a JSON object or a multipart form with name, description or support")

// readEdit reads the texts of an edit, and the images of a multipart one
// (by field); a field left out stays as it is.
func readEdit(ctx *fasthttp.RequestCtx) (origin.Edit, map[string][]byte, error) {
	var e origin.Edit
	images := map[string][]byte{}
	mediaType, params, _ := mime.ParseMediaType(string(ctx.Request.Header.ContentType()))
	body, err := readSmallBody(ctx, maxEditBody)
	if err != nil {
		return e, nil, errEditBody
	}
	switch mediaType {
	case "application/json":
		var req struct {
			Name        *string `json:"name"`
			Description *string `json:"description"`
			Support     *string `json:"support"`
		}
		var fields map[string]json.RawMessage
		if json.Unmarshal(body, &req) != nil || json.Unmarshal(body, &fields) != nil {
			return e, nil, errEditBody
		}
		e = origin.Edit{Name: req.Name, Description: req.Description, Support: req.Support}
		return e, nil, setDetailsJSON(&e, fields)
	case "multipart/form-data":
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for parts := 0; parts < maxParts; parts++ {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return e, images, nil
			}
			if err != nil {
				return e, nil, errEditBody
			}
			if isDetailField(part.FormName()) {
				b, err := io.ReadAll(io.LimitReader(part, maxFieldSize+1))
				if err != nil || len(b) > maxFieldSize {
					return e, nil, errEditBody
				}
				if err := setDetail(&e, part.FormName(), string(b)); err != nil {
					return e, nil, err
				}
				continue
			}
			if customImageFields[part.FormName()] != nil {
				b, err := io.ReadAll(io.LimitReader(part, maxCustomImageBytes+1))
				if err != nil || len(b) > maxCustomImageBytes || images[part.FormName()] != nil {
					return e, nil, fmt.Errorf("%s: one image of at most %d bytes", part.FormName(), maxCustomImageBytes)
				}
				images[part.FormName()] = b
				continue
			}
			var field **string
			switch part.FormName() {
			case "name":
				field = &e.Name
			case "description":
				field = &e.Description
			case "support":
				field = &e.Support
			default:
				continue // PeerTube's other fields: not the node's to keep
			}
			b, err := io.ReadAll(io.LimitReader(part, maxFieldSize+1))
			if err != nil || len(b) > maxFieldSize {
				return e, nil, errEditBody
			}
			s := string(b)
			*field = &s
		}
		return e, nil, errEditBody
	}
	return e, nil, errEditBody
}

// deleteVideo takes PeerTube's DELETE /api/v1/videos/{id}: 204, and the
// video, its files, torrents and swarm entries are gone.
func (a *API) deleteVideo(ctx *fasthttp.RequestCtx, ref string) {
	if !a.authorize(ctx) {
		return
	}
	if a.cfg.Removals == nil {
		writeProblem(ctx, http.StatusServiceUnavailable, "this node does not delete videos")
		return
	}
	v, ok := a.videoByRef(ctx, ref)
	if !ok {
		return
	}
	err := a.cfg.Removals.Remove(ctx, v.ID)
	switch {
	case err == nil:
		writeProblemless(ctx, http.StatusNoContent)
	case errors.Is(err, origin.ErrNotFound):
		writeProblem(ctx, http.StatusNotFound, "video not found")
	default:
		a.logger.Error("delete video", "id", v.ID, "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "could not delete the video")
	}
}
