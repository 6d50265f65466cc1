package api

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
)

// ErrNotImage is an uploaded image that is no JPEG, PNG or WebP.
var ErrNotImage = errors.New("not an image")

// ImageFitter makes a JPEG of w×h out of an uploaded image, covering the
// box and cropping the overflow; ErrNotImage when the bytes are no image.
type ImageFitter interface {
	FitImage(ctx context.Context, data []byte, w, h int) ([]byte, error)
}

// PeerTube's form fields of a video's own images.
const (
	thumbnailField = "thumbnailfile"
	previewField   = "previewfile"
)

// customImageFields are the sizes each field is fitted to.
var customImageFields = map[string]*[2]int{
	thumbnailField: {layout.ThumbnailWidth, layout.ThumbnailHeight},
	previewField:   {layout.PreviewWidth, layout.PreviewHeight},
}

// customImageExtensions are the image files taken (PeerTube's
// CONSTRAINTS_FIELDS.VIDEOS.IMAGE.EXTNAME): FitImage tells them by their
// bytes, not their names.
var customImageExtensions = []string{".png", ".jpg", ".jpeg", ".webp"}

// maxCustomImageBytes is PeerTube's CONSTRAINTS_FIELDS.VIDEOS.IMAGE.FILE_SIZE
// (its config's video.image.size.max).
const maxCustomImageBytes = 4 << 20

// customImage reads an image part, at most maxCustomImageBytes, and fits
// it to its field's size: 400 when it is no JPEG, PNG or WebP (PeerTube's
// image extensions), 413 when too large.
func (a *API) customImage(ctx context.Context, part io.Reader, field string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(part, maxCustomImageBytes+1))
	if err != nil {
		return nil, readError(ctx, err)
	}
	if len(data) > maxCustomImageBytes {
		return nil, refuse(http.StatusRequestEntityTooLarge, nil, "%s exceeds %d bytes", field, maxCustomImageBytes)
	}
	size := customImageFields[field]
	fitted, err := a.cfg.Images.FitImage(ctx, data, size[0], size[1])
	if errors.Is(err, ErrNotImage) {
		return nil, refuse(http.StatusBadRequest, err, "%s must be a JPEG, PNG or WebP image", field)
	}
	if err != nil {
		return nil, readError(ctx, err)
	}
	return fitted, nil
}

// VideoImageEdits replaces a video's images (publish.Publisher): fitted
// JPEGs, a nil one left as it is.
type VideoImageEdits interface {
	ReplaceImages(ctx context.Context, id int64, thumbnail, preview []byte) error
}

// replaceImages fits and applies the images of a video edit, or answers
// 400 (not an image) or 500 and reports false. Without an image fitter
// and editor, images are ignored as other fields the node does not use.
func (a *API) replaceImages(ctx *fasthttp.RequestCtx, v origin.Video, images map[string][]byte) bool {
	if len(images) == 0 || a.cfg.Images == nil || a.cfg.ImageEdits == nil {
		return true
	}
	fitted := map[string][]byte{}
	for field, data := range images {
		size := customImageFields[field]
		out, err := a.cfg.Images.FitImage(ctx, data, size[0], size[1])
		if errors.Is(err, ErrNotImage) {
			writeProblem(ctx, http.StatusBadRequest, field+" must be a JPEG, PNG or WebP image")
			return false
		}
		if err != nil {
			a.logger.Error("fit image", "id", v.ID, "field", field, "err", err)
			writeProblem(ctx, http.StatusInternalServerError, "could not read the image")
			return false
		}
		fitted[field] = out
	}
	if err := a.cfg.ImageEdits.ReplaceImages(ctx, v.ID, fitted[thumbnailField], fitted[previewField]); err != nil {
		a.logger.Error("replace images", "id", v.ID, "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "could not replace the images")
		return false
	}
	return true
}
