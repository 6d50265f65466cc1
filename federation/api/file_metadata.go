package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
)

// FileMetadata describes a local video's published rung: ffprobe's JSON
// (format, streams, chapters), which PeerTube answers at a file's
// metadataUrl. uuid and fileName come from the catalogue.
type FileMetadata interface {
	FileMetadata(ctx context.Context, uuid, fileName string) ([]byte, error)
}

// Bounds of the metadata endpoint: a rung never changes once published, so
// its description is probed once and kept (up to metadataCacheSize of
// them); probes run a few at a time, each bounded in time, so requests
// cannot pile up ffprobe processes.
const (
	metadataCacheSize = 256
	metadataProbes    = 2
	metadataTimeout   = 15 * time.Second
)

// metadataCache keeps rung descriptions by uuid and file name.
type metadataCache struct {
	probes chan struct{}
	mu     sync.Mutex
	byFile map[string]json.RawMessage
}

func newMetadataCache() *metadataCache {
	return &metadataCache{probes: make(chan struct{}, metadataProbes), byFile: map[string]json.RawMessage{}}
}

func (c *metadataCache) get(ctx context.Context, src FileMetadata, uuid, fileName string) (json.RawMessage, error) {
	key := uuid + "/" + fileName
	c.mu.Lock()
	m, ok := c.byFile[key]
	c.mu.Unlock()
	if ok {
		return m, nil
	}
	ctx, cancel := context.WithTimeout(ctx, metadataTimeout)
	defer cancel()
	select {
	case c.probes <- struct{}{}:
		defer func() { <-c.probes }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	b, err := src.FileMetadata(ctx, uuid, fileName)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.byFile) >= metadataCacheSize {
		for k := range c.byFile { // any one: a miss costs one probe
			delete(c.byFile, k)
			break
		}
	}
	c.byFile[key] = b
	return b, nil
}

// routeFileMetadata answers /api/v1/videos/{ref}/metadata/{fileId}; it
// reports whether path was one.
func (a *API) routeFileMetadata(ctx *fasthttp.RequestCtx, path string) bool {
	rest, ok := strings.CutPrefix(path, videoPrefix)
	if !ok {
		return false
	}
	ref, idText, ok := strings.Cut(rest, layout.FileMetadataSegment)
	if !ok || strings.Contains(ref, "/") || strings.Contains(idText, "/") {
		return false
	}
	if a.method(ctx, allowRead, isRead(ctx)) {
		a.fileMetadata(ctx, ref, idText)
	}
	return true
}

func (a *API) fileMetadata(ctx *fasthttp.RequestCtx, ref, idText string) {
	if a.cfg.FileMetadata == nil {
		writeProblem(ctx, http.StatusNotFound, "file metadata is not kept on this node")
		return
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	videoID, height, ok := layout.ParseFileID(id)
	if err != nil || !ok {
		writeProblem(ctx, http.StatusNotFound, "no such file")
		return
	}
	v, err := a.cfg.Videos.Video(ctx, ref)
	switch {
	case errors.Is(err, origin.ErrNotFound):
		writeProblem(ctx, http.StatusNotFound, "video not found")
		return
	case err != nil:
		a.logger.Error("file metadata: video", "ref", ref, "err", err)
		writeProblem(ctx, http.StatusInternalServerError, "catalogue unavailable")
		return
	}
	r, ok := publishedRung(v, videoID, height)
	if !ok {
		writeProblem(ctx, http.StatusNotFound, "no such file")
		return
	}
	m, err := a.metadata.get(ctx, a.cfg.FileMetadata, v.UUID, r.FileName)
	if err != nil {
		a.logger.Error("file metadata", "video", v.UUID, "file", r.FileName, "err", err)
		writeProblem(ctx, http.StatusServiceUnavailable, "the file's metadata cannot be read now")
		return
	}
	writeJSON(ctx, http.StatusOK, m)
}

// publishedRung is v's rung of the given height, if v is the video videoID
// names and is published.
func publishedRung(v origin.Video, videoID int64, height int) (origin.Rendition, bool) {
	if v.ID != videoID || v.State != origin.StatePublished {
		return origin.Rendition{}, false
	}
	for _, r := range v.Renditions {
		if r.Height == height {
			return r, true
		}
	}
	return origin.Rendition{}, false
}
