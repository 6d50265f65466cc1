package origin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"unicode"
	"unicode/utf8"

	"github.com/dgraph-io/badger/v4"
	"github.com/google/uuid"
)

const (
	maxNameRunes     = 120       // PeerTube's limit on a video name
	maxSourceNameLen = 255       // bytes kept of the uploaded file's name
	copyBufferSize   = 256 << 10 // bytes per read while receiving a file
)

// IntakeConfig wires an Intake. Catalog and Store are required; Queue must be
// built on the same Catalog (the video and its job are created in one
// transaction). Probe returns the duration of a playable video file and an
// error saying why when the file is not one; its words reach the uploader.
// MaxSize <= 0 means no limit.
type IntakeConfig struct {
	Catalog *Catalog
	Store   *Store
	Queue   *Queue
	MaxSize int64 // bytes of the video file
	Probe   func(ctx context.Context, path string) (durationSeconds float64, err error)
	// Space, when set, keeps uploads from filling the disk: a file is
	// refused (ErrNoSpace) as soon as writing it would eat into the reserve.
	Space  *Space
	Logger *slog.Logger
}

// Intake turns received video files into catalogue entries with a queued
// transcode job, all or nothing: on any failure no entry, job or file is
// left behind. It knows files and the catalogue, not the protocol a file
// came by: the API parses forms and maps the errors below to answers.
type Intake struct {
	cfg IntakeConfig
	// busy holds the resumable uploads a request is writing to: one
	// writer per session.
	mu   sync.Mutex
	busy map[string]bool
}

// NewIntake returns an Intake using cfg.
func NewIntake(cfg IntakeConfig) *Intake {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Intake{cfg: cfg, busy: make(map[string]bool)}
}

// Why the intake refused or failed a video; an *IntakeError matches one of
// them with errors.Is.
var (
	// ErrUploadInvalid: the sender's data is malformed or incomplete.
	ErrUploadInvalid = errors.New("invalid upload")
	// ErrUploadInterrupted: the sender went away (or the caller gave up).
	ErrUploadInterrupted = errors.New("upload interrupted")
	// ErrUploadTooLarge: over the node's size limit.
	ErrUploadTooLarge = errors.New("upload too large")
	// ErrUploadNotVideo: the file is not a video the node can transcode.
	ErrUploadNotVideo = errors.New("not a playable video")
	// ErrIntakeFailed: the node's own failure (disk, catalogue). A disk too
	// full is ErrNoSpace instead.
	ErrIntakeFailed = errors.New("intake failed")
)

// IntakeError is an intake failure: Kind says whose fault it is, Reason
// says why in words fit for the sender (no local paths), Err is the cause
// for the node's log.
type IntakeError struct {
	Kind   error
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

// Is makes errors.Is(err, ErrUploadTooLarge) and friends work.
func (e *IntakeError) Is(target error) bool { return target == e.Kind }

func intakeErr(kind, err error, format string, args ...any) *IntakeError {
	return &IntakeError{Kind: kind, Reason: fmt.Sprintf(format, args...), Err: err}
}

// readErr classifies an error met while reading what the sender sends.
func readErr(ctx context.Context, err error) *IntakeError {
	if cerr := ctx.Err(); cerr != nil {
		return intakeErr(ErrUploadInterrupted, cerr, "upload interrupted")
	}
	return intakeErr(ErrUploadInvalid, err, "malformed or incomplete upload")
}

// Received is a fully written, fsynced temporary copy of a video file,
// waiting for Commit. Discard it if it is not committed.
type Received struct {
	path string
	size int64
}

// Size is the file's length in bytes.
func (r *Received) Size() int64 { return r.size }

// Discard removes the temporary file; after Commit it does nothing.
func (r *Received) Discard() {
	if r != nil && r.path != "" {
		_ = os.Remove(r.path)
		r.path = ""
	}
}

// Metadata is what the sender says of a video.
type Metadata struct {
	Name        string // required; trimmed, at most 120 characters
	SourceName  string // the file's own name, kept for the record
	Description string // optional; PeerTube's limits (see validText)
	Support     string // optional; PeerTube's limits (see validText)
	ChannelID   int64  // the channel it is published in (0: none said)
	Details            // tags, category, privacy…: checked by Details.Check
	// Thumbnail and Preview are uploaded images already fitted to
	// PeerTube's sizes (JPEG); nil: made from the video's frame. Left out
	// of JSON when nil, so that resumable sessions' keys stay as they were.
	Thumbnail []byte `json:",omitempty"`
	Preview   []byte `json:",omitempty"`
}

// spaceCheckEvery is how much of a file is received between two looks at
// the free space.
const spaceCheckEvery = 8 << 20

// Room says whether a file of n bytes would fit now (ErrNoSpace when not),
// so that a sender can be refused before it sends a byte.
func (in *Intake) Room(n int64) error {
	if in.cfg.Space == nil {
		return nil
	}
	if err := in.cfg.Space.CheckRoom(n); err != nil {
		return noSpace(err)
	}
	return nil
}

func noSpace(err error) *IntakeError {
	if errors.Is(err, ErrNoSpace) {
		return intakeErr(ErrNoSpace, err, "the node is short of disk space; try again later")
	}
	return intakeErr(ErrIntakeFailed, err, "check free disk space")
}

// Receive copies a video file from src into the node's temporary space,
// enforcing MaxSize while it reads (a file over the limit is refused as
// soon as it passes it, without reading the rest).
func (in *Intake) Receive(ctx context.Context, src io.Reader) (*Received, error) {
	return in.receive(ctx, src, -1, nil)
}

// IngestFile runs the intake on a local file, copying it into the store;
// progress (may be nil) is called with bytes copied and the total. An empty
// name defaults to the file's name without extension.
func (in *Intake) IngestFile(ctx context.Context, path, name string, progress func(done, total int64)) (Video, error) {
	f, err := os.Open(path)
	if err != nil {
		return Video{}, intakeErr(ErrUploadInvalid, err, "open %s", path)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Video{}, intakeErr(ErrIntakeFailed, err, "stat %s", path)
	}
	if !st.Mode().IsRegular() {
		return Video{}, intakeErr(ErrUploadInvalid, nil, "%s is not a regular file", path)
	}
	if in.cfg.MaxSize > 0 && st.Size() > in.cfg.MaxSize {
		return Video{}, intakeErr(ErrUploadTooLarge, nil, "file of %d bytes exceeds the limit of %d", st.Size(), in.cfg.MaxSize)
	}
	if name == "" {
		base := filepath.Base(path)
		name = strings.TrimSuffix(base, filepath.Ext(base))
	}
	file, err := in.receive(ctx, f, st.Size(), progress)
	if err != nil {
		return Video{}, err
	}
	defer file.Discard()
	return in.Commit(ctx, file, Metadata{Name: name, SourceName: filepath.Base(path)})
}

// ctxReader stops reading once ctx is done, so that a cancelled request
// stops a copy between two reads.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// receive copies src to a new temporary file, enforcing MaxSize as it goes,
// and fsyncs it. total is the expected size, or -1. On error the temporary
// file is removed.
func (in *Intake) receive(ctx context.Context, src io.Reader, total int64, progress func(done, total int64)) (*Received, error) {
	tmp, err := in.cfg.Store.TempFile("upload-*")
	if err != nil {
		return nil, intakeErr(ErrIntakeFailed, err, "create temporary file")
	}
	ok := false
	defer func() {
		if !ok {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	size, err := in.copyBody(ctx, tmp, src, 0, progress, total)
	if err != nil {
		return nil, err
	}
	if total >= 0 && size != total {
		return nil, intakeErr(ErrIntakeFailed, nil, "read %d bytes, expected %d (file changed while copying?)", size, total)
	}
	if size == 0 {
		return nil, intakeErr(ErrUploadInvalid, nil, "empty video file")
	}
	if err := tmp.Sync(); err != nil {
		return nil, intakeErr(ErrIntakeFailed, err, "sync temporary file")
	}
	if err := tmp.Close(); err != nil {
		return nil, intakeErr(ErrIntakeFailed, err, "close temporary file")
	}
	ok = true
	return &Received{path: tmp.Name(), size: size}, nil
}

// copyBody appends src to dst, which holds have bytes of the file already,
// enforcing MaxSize on the whole file and keeping the reserve of free space
// as it goes; progress (may be nil) sees the whole file's bytes and total.
// It returns how many bytes it appended, also on error: they are written
// (not synced) and whole.
func (in *Intake) copyBody(ctx context.Context, dst *os.File, src io.Reader, have int64, progress func(done, total int64), total int64) (int64, error) {
	sr := ctxReader{ctx: ctx, r: src}
	buf := make([]byte, copyBufferSize)
	var n, checked int64
	for {
		// The free space may fall under the reserve by at most a check's
		// worth of this file: the reserve is far larger.
		if in.cfg.Space != nil && n >= checked {
			if err := in.cfg.Space.CheckRoom(0); err != nil {
				return n, noSpace(err)
			}
			checked = n + spaceCheckEvery
		}
		r, rerr := sr.Read(buf)
		if r > 0 {
			if in.cfg.MaxSize > 0 && have+n+int64(r) > in.cfg.MaxSize {
				return n, intakeErr(ErrUploadTooLarge, nil, "video file exceeds the limit of %d bytes", in.cfg.MaxSize)
			}
			w, err := dst.Write(buf[:r])
			n += int64(w)
			if err != nil {
				if errors.Is(err, syscall.ENOSPC) {
					return n, intakeErr(ErrNoSpace, err, "the node is short of disk space; try again later")
				}
				return n, intakeErr(ErrIntakeFailed, err, "write temporary file")
			}
			if progress != nil {
				progress(have+n, total)
			}
		}
		if errors.Is(rerr, io.EOF) {
			return n, nil
		}
		if rerr != nil {
			return n, readErr(ctx, rerr)
		}
	}
}

// heapAddress matches the " @ 0x55d5c0b2e2c0" that ffmpeg's tools print
// after a component's name: an address in the node's memory.
var heapAddress = regexp.MustCompile(` ?@ ?0x[0-9a-fA-F]+`)

// senderWords is a tool's message as the sender may read it: the
// received file is "the upload", and no address of the node's memory is
// left in it.
func senderWords(msg, path string) string {
	msg = strings.ReplaceAll(msg, "file:"+path, "the upload")
	msg = strings.ReplaceAll(msg, path, "the upload")
	return heapAddress.ReplaceAllString(msg, "")
}

// hiddenInName reports characters a name may not hold: controls, line and
// paragraph separators, and format characters such as the bidirectional
// overrides (U+202E turns "exe.mp4" into what reads as "4pm.exe"), except
// the zero-width joiner and non-joiner, which Persian, Indic scripts and
// emoji sequences need.
func hiddenInName(r rune) bool {
	switch {
	case r == '\u200c' || r == '\u200d':
		return false
	case unicode.IsControl(r), unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp):
		return true
	}
	return false
}

func validName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", intakeErr(ErrUploadInvalid, nil, "missing name")
	case !utf8.ValidString(name):
		return "", intakeErr(ErrUploadInvalid, nil, "name is not valid UTF-8")
	case utf8.RuneCountInString(name) > maxNameRunes:
		return "", intakeErr(ErrUploadInvalid, nil, "name longer than %d characters", maxNameRunes)
	case strings.ContainsFunc(name, hiddenInName):
		return "", intakeErr(ErrUploadInvalid, nil, "name contains control or invisible formatting characters")
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

// Commit probes a received file, moves it to its final place and creates
// the video with its transcode job in one transaction. On success the file
// belongs to the video (Discard does nothing); on error the caller still
// discards it.
func (in *Intake) Commit(ctx context.Context, file *Received, m Metadata) (Video, error) {
	if file == nil || file.path == "" {
		return Video{}, intakeErr(ErrIntakeFailed, nil, "no received file to commit")
	}
	name, err := validName(m.Name)
	if err != nil {
		return Video{}, err
	}
	if err := validMetadataText(m); err != nil {
		return Video{}, err
	}
	if err := m.Details.Check(); err != nil {
		return Video{}, err
	}
	var duration float64
	if in.cfg.Probe != nil {
		duration, err = in.cfg.Probe(ctx, file.path)
		if err != nil {
			if ctx.Err() != nil {
				return Video{}, readErr(ctx, err)
			}
			// The probe's own words say why (no video stream, container
			// refused…), without the node's paths and addresses.
			return Video{}, &IntakeError{Kind: ErrUploadNotVideo, Reason: senderWords(err.Error(), file.path), Err: err}
		}
	}
	if in.cfg.Queue != nil && in.cfg.Queue.c != in.cfg.Catalog {
		return Video{}, intakeErr(ErrIntakeFailed, nil, "intake misconfigured: queue and catalogue differ")
	}
	id := uuid.NewString()
	dst := in.cfg.Store.disk.OriginalPath(id)
	if err := os.Rename(file.path, dst); err != nil {
		return Video{}, intakeErr(ErrIntakeFailed, err, "store original")
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		_ = os.Rename(dst, file.path) // give it back to the caller, who discards it
		return Video{}, intakeErr(ErrIntakeFailed, err, "store original")
	}
	if err := in.cfg.Store.keepCustomImages(id, m.Thumbnail, m.Preview); err != nil {
		_ = os.Rename(dst, file.path)
		return Video{}, intakeErr(ErrIntakeFailed, err, "store images")
	}
	v := Video{
		UUID:        id,
		Name:        name,
		State:       StateToTranscode,
		Duration:    duration,
		SourceSize:  file.size,
		SourceName:  cleanSourceName(m.SourceName),
		Description: strings.TrimSpace(m.Description),
		Support:     strings.TrimSpace(m.Support),
		ChannelID:   m.ChannelID,
		Details:     m.Details,
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
		in.cfg.Store.removeCustomImages(id)
		if ctx.Err() != nil {
			return Video{}, readErr(ctx, err)
		}
		if errors.Is(err, ErrNoSpace) {
			return Video{}, noSpace(err)
		}
		return Video{}, intakeErr(ErrIntakeFailed, err, "create video")
	}
	file.path = "" // the video owns it now
	if in.cfg.Queue != nil {
		in.cfg.Queue.signal()
	}
	in.cfg.Logger.Info("video received", "id", out.ID, "uuid", out.UUID, "bytes", out.SourceSize, "duration", out.Duration)
	return out, nil
}
