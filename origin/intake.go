package origin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"
	"github.com/google/uuid"
)

const (
	maxFieldSize     = 64 << 10  // bytes of one non-file form field
	maxDiscardBytes  = 32 << 20  // bytes of ignored parts (thumbnails, unknown fields) in one upload
	maxParts         = 256       // parts in one multipart body
	maxNameRunes     = 120       // PeerTube's limit on a video name
	maxSourceNameLen = 255       // bytes kept of the uploaded file's name
	copyBufferSize   = 256 << 10 // bytes per read while receiving a file
)

// IntakeConfig wires an Intake. Catalog and Store are required; Queue must be
// built on the same Catalog (the video and its job are created in one
// transaction). Probe returns the duration of a playable video file and an
// error saying why when the file is not one. MaxSize <= 0 means no limit.
type IntakeConfig struct {
	Catalog *Catalog
	Store   *Store
	Queue   *Queue
	MaxSize int64 // bytes of the video file
	Probe   func(ctx context.Context, path string) (durationSeconds float64, err error)
	Logger  *slog.Logger
}

// Intake turns uploads into catalogue entries with a queued transcode job,
// all or nothing: on any failure no entry, job or file is left behind.
type Intake struct{ cfg IntakeConfig }

// NewIntake returns an Intake using cfg.
func NewIntake(cfg IntakeConfig) *Intake {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Intake{cfg: cfg}
}

// IntakeError is an intake failure with the HTTP status to answer: 400 for a
// malformed, incomplete or interrupted request, 413 when too large, 415 when
// the file is not a video, 500 for the node's own I/O failures.
type IntakeError struct {
	Status int
	Reason string
	Err    error
}

func (e *IntakeError) Error() string {
	if e.Err != nil && e.Err.Error() != e.Reason {
		return e.Reason + ": " + e.Err.Error()
	}
	return e.Reason
}

func (e *IntakeError) Unwrap() error { return e.Err }

func intakeErr(status int, err error, format string, args ...any) *IntakeError {
	return &IntakeError{Status: status, Reason: fmt.Sprintf(format, args...), Err: err}
}

// clientReadErr classifies an error met while reading the request body.
func clientReadErr(ctx context.Context, err error) *IntakeError {
	if cerr := ctx.Err(); cerr != nil {
		return intakeErr(http.StatusBadRequest, cerr, "upload interrupted")
	}
	return intakeErr(http.StatusBadRequest, err, "malformed or incomplete multipart body")
}

// received is a fully written, fsynced temporary copy of an uploaded file.
type received struct {
	path string
	size int64
}

// Upload ingests a multipart/form-data body, read as a stream: the
// "videofile" part goes to a temporary file (size limit enforced while
// copying), "name" is required, PeerTube's other fields are accepted and
// ignored. Fields may come in any order.
func (in *Intake) Upload(ctx context.Context, contentType string, body io.Reader) (Video, error) {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil || mediaType != "multipart/form-data" || params["boundary"] == "" {
		return Video{}, intakeErr(http.StatusBadRequest, err, "content type must be multipart/form-data with a boundary, got %q", contentType)
	}
	mr := multipart.NewReader(body, params["boundary"])

	var (
		file       *received
		sourceName string
		name       string
		haveName   bool
		discarded  int64
	)
	defer func() {
		if file != nil {
			_ = os.Remove(file.path) // no-op once committed (renamed away)
		}
	}()
	for parts := 0; ; parts++ {
		if err := ctx.Err(); err != nil {
			return Video{}, clientReadErr(ctx, err)
		}
		if parts >= maxParts {
			return Video{}, intakeErr(http.StatusBadRequest, nil, "more than %d form parts", maxParts)
		}
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Video{}, clientReadErr(ctx, err)
		}
		switch part.FormName() {
		case "videofile":
			if file != nil {
				return Video{}, intakeErr(http.StatusBadRequest, nil, "more than one videofile")
			}
			sourceName = part.FileName()
			file, err = in.receive(ctx, part, -1, nil)
		case "name":
			if haveName {
				return Video{}, intakeErr(http.StatusBadRequest, nil, "more than one name field")
			}
			haveName = true
			name, err = readField(ctx, part, "name")
		default:
			var n int64
			n, err = io.Copy(io.Discard, io.LimitReader(&sourceReader{ctx: ctx, r: part}, maxDiscardBytes-discarded+1))
			discarded += n
			if err == nil && discarded > maxDiscardBytes {
				err = intakeErr(http.StatusRequestEntityTooLarge, nil, "other form parts exceed %d bytes", maxDiscardBytes)
			}
			if err != nil {
				err = asIntakeErr(ctx, err)
			}
		}
		// No part.Close on error: it would drain the rest of an oversized part.
		if err != nil {
			return Video{}, err
		}
	}
	if file == nil {
		return Video{}, intakeErr(http.StatusBadRequest, nil, "missing videofile")
	}
	if !haveName {
		return Video{}, intakeErr(http.StatusBadRequest, nil, "missing name")
	}
	v, err := in.commit(ctx, file, name, sourceName)
	if err == nil {
		file = nil
	}
	return v, err
}

// IngestFile runs the Upload pipeline on a local file, copying it into the
// store; progress (may be nil) is called with bytes copied and the total.
// An empty name defaults to the file's name without extension.
func (in *Intake) IngestFile(ctx context.Context, path, name string, progress func(done, total int64)) (Video, error) {
	f, err := os.Open(path)
	if err != nil {
		return Video{}, intakeErr(http.StatusBadRequest, err, "open %s", path)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Video{}, intakeErr(http.StatusInternalServerError, err, "stat %s", path)
	}
	if !st.Mode().IsRegular() {
		return Video{}, intakeErr(http.StatusBadRequest, nil, "%s is not a regular file", path)
	}
	if in.cfg.MaxSize > 0 && st.Size() > in.cfg.MaxSize {
		return Video{}, intakeErr(http.StatusRequestEntityTooLarge, nil, "file of %d bytes exceeds the limit of %d", st.Size(), in.cfg.MaxSize)
	}
	if name == "" {
		base := filepath.Base(path)
		name = strings.TrimSuffix(base, filepath.Ext(base))
	}
	file, err := in.receive(ctx, f, st.Size(), progress)
	if err != nil {
		return Video{}, err
	}
	v, err := in.commit(ctx, file, name, filepath.Base(path))
	if err != nil {
		_ = os.Remove(file.path)
	}
	return v, err
}

// sourceReader remembers that an error came from the request (not from our
// disk) and stops reading once ctx is done.
type sourceReader struct {
	ctx context.Context
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		s.err = err
		return 0, err
	}
	n, err := s.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		s.err = err
	}
	return n, err
}

// asIntakeErr gives an error from reading a part its status.
func asIntakeErr(ctx context.Context, err error) error {
	var ie *IntakeError
	if errors.As(err, &ie) {
		return ie
	}
	return clientReadErr(ctx, err)
}

func readField(ctx context.Context, part io.Reader, field string) (string, error) {
	b, err := io.ReadAll(io.LimitReader(&sourceReader{ctx: ctx, r: part}, maxFieldSize+1))
	if err != nil {
		return "", clientReadErr(ctx, err)
	}
	if len(b) > maxFieldSize {
		return "", intakeErr(http.StatusRequestEntityTooLarge, nil, "field %s exceeds %d bytes", field, maxFieldSize)
	}
	return string(b), nil
}

// receive copies src to a new temporary file, enforcing MaxSize as it goes,
// and fsyncs it. On error the temporary file is removed.
func (in *Intake) receive(ctx context.Context, src io.Reader, total int64, progress func(done, total int64)) (*received, error) {
	tmp, err := in.cfg.Store.TempFile("upload-*")
	if err != nil {
		return nil, intakeErr(http.StatusInternalServerError, err, "create temporary file")
	}
	ok := false
	defer func() {
		if !ok {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	sr := &sourceReader{ctx: ctx, r: src}
	buf := make([]byte, copyBufferSize)
	var size int64
	for {
		n, rerr := sr.Read(buf)
		if n > 0 {
			size += int64(n)
			if in.cfg.MaxSize > 0 && size > in.cfg.MaxSize {
				return nil, intakeErr(http.StatusRequestEntityTooLarge, nil, "video file exceeds the limit of %d bytes", in.cfg.MaxSize)
			}
			if _, err := tmp.Write(buf[:n]); err != nil {
				return nil, intakeErr(http.StatusInternalServerError, err, "write temporary file")
			}
			if progress != nil {
				progress(size, total)
			}
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return nil, clientReadErr(ctx, rerr)
		}
	}
	if total >= 0 && size != total {
		return nil, intakeErr(http.StatusInternalServerError, nil, "read %d bytes, expected %d (file changed while copying?)", size, total)
	}
	if size == 0 {
		return nil, intakeErr(http.StatusBadRequest, nil, "empty video file")
	}
	if err := tmp.Sync(); err != nil {
		return nil, intakeErr(http.StatusInternalServerError, err, "sync temporary file")
	}
	if err := tmp.Close(); err != nil {
		return nil, intakeErr(http.StatusInternalServerError, err, "close temporary file")
	}
	ok = true
	return &received{path: tmp.Name(), size: size}, nil
}

func validName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", intakeErr(http.StatusBadRequest, nil, "missing name")
	case !utf8.ValidString(name):
		return "", intakeErr(http.StatusBadRequest, nil, "name is not valid UTF-8")
	case utf8.RuneCountInString(name) > maxNameRunes:
		return "", intakeErr(http.StatusBadRequest, nil, "name longer than %d characters", maxNameRunes)
	case strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "", intakeErr(http.StatusBadRequest, nil, "name contains control characters")
	}
	return name, nil
}

func cleanSourceName(s string) string {
	s = strings.ToValidUTF8(filepath.Base(s), "")
	if s == "." || s == "/" {
		return ""
	}
	for len(s) > maxSourceNameLen {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// commit probes the received file, moves it to its final place and creates
// the video with its transcode job in one transaction. On error the caller
// still owns (and removes) file.path; the moved original is removed here.
func (in *Intake) commit(ctx context.Context, file *received, name, sourceName string) (Video, error) {
	name, err := validName(name)
	if err != nil {
		return Video{}, err
	}
	var duration float64
	if in.cfg.Probe != nil {
		duration, err = in.cfg.Probe(ctx, file.path)
		if err != nil {
			if ctx.Err() != nil {
				return Video{}, clientReadErr(ctx, err)
			}
			// The probe's own words say why (no video stream, container refused…).
			return Video{}, &IntakeError{Status: http.StatusUnsupportedMediaType, Reason: err.Error(), Err: err}
		}
	}
	if in.cfg.Queue != nil && in.cfg.Queue.c != in.cfg.Catalog {
		return Video{}, intakeErr(http.StatusInternalServerError, nil, "intake misconfigured: queue and catalogue differ")
	}
	id := uuid.NewString()
	dst := in.cfg.Store.OriginalPath(id)
	if err := os.Rename(file.path, dst); err != nil {
		return Video{}, intakeErr(http.StatusInternalServerError, err, "store original")
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		_ = os.Remove(dst)
		return Video{}, intakeErr(http.StatusInternalServerError, err, "store original")
	}
	v := Video{
		UUID:       id,
		Name:       name,
		State:      StateToTranscode,
		Duration:   duration,
		SourceSize: file.size,
		SourceName: cleanSourceName(sourceName),
	}
	var out Video
	err = in.cfg.Catalog.update(ctx, func(txn *badger.Txn) error {
		var err error
		if out, err = createVideoTxn(txn, v); err != nil {
			return err
		}
		if in.cfg.Queue != nil {
			_, err = enqueueTxn(txn, Job{VideoID: out.ID, Kind: JobTranscode})
		}
		return err
	})
	if err != nil {
		_ = os.Remove(dst)
		if ctx.Err() != nil {
			return Video{}, clientReadErr(ctx, err)
		}
		return Video{}, intakeErr(http.StatusInternalServerError, err, "create video")
	}
	if in.cfg.Queue != nil {
		in.cfg.Queue.signal()
	}
	in.cfg.Logger.Info("video received", "id", out.ID, "uuid", out.UUID, "bytes", out.SourceSize, "duration", out.Duration)
	return out, nil
}
