package origin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/peeredge/peeredge/internal/layout"
)

// DefaultUploadSessionTTL is how long a resumable upload may sit idle
// before SweepUploads removes it and its bytes.
const DefaultUploadSessionTTL = 24 * time.Hour

// Why a resumable upload's request was refused, besides the intake's own
// errors (an *IntakeError matches them with errors.Is).
var (
	// ErrUploadConflict: a chunk does not start where the stored bytes end.
	ErrUploadConflict = errors.New("upload conflict")
	// ErrUploadBusy: another request is writing to the same upload.
	ErrUploadBusy = errors.New("upload busy")
)

// UploadSession is a resumable upload in flight. Its state is in the
// catalogue and its bytes at layout.Disk.ResumablePath, so both survive a
// restart.
type UploadSession struct {
	ID string
	// Key is what the sender's metadata hashes to: announcing the same
	// upload again finds this session rather than starting over.
	Key  string
	Size int64 // announced bytes of the whole file
	// Stored is how many bytes are written, fsynced and recorded: only
	// these count. Bytes past it in the file (a crash in the middle of a
	// chunk) are cut off before the next chunk is written.
	Stored  int64
	Meta    Metadata
	Created time.Time
	Touched time.Time // last change; the idle time is counted from it
}

// Complete reports whether every announced byte is stored.
func (s UploadSession) Complete() bool { return s.Stored == s.Size }

func (in *Intake) sessions() *KV { return in.cfg.Catalog.KV("upload") }

func sessionKey(id string) []byte { return []byte("s/" + id) }
func indexKey(key string) []byte  { return []byte("k/" + key) }

// UploadSession returns the session id (ErrNotFound when there is none).
func (in *Intake) UploadSession(ctx context.Context, id string) (UploadSession, error) {
	if !layout.IsUploadID(id) {
		return UploadSession{}, fmt.Errorf("upload %q: %w", id, ErrNotFound)
	}
	b, ok, err := in.sessions().Get(sessionKey(id))
	if err != nil {
		return UploadSession{}, fmt.Errorf("upload %s: %w", id, err)
	}
	if !ok {
		return UploadSession{}, fmt.Errorf("upload %s: %w", id, ErrNotFound)
	}
	var s UploadSession
	if err := json.Unmarshal(b, &s); err != nil {
		return UploadSession{}, fmt.Errorf("upload %s: %w", id, err)
	}
	return s, nil
}

func (in *Intake) saveSession(s UploadSession) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return in.sessions().Set(sessionKey(s.ID), b)
}

// BeginUpload opens a resumable upload of size bytes described by m, after
// checking m, the size limit and the room on disk. When the same upload
// (same size and metadata) is already open, it returns that session and
// existed; the sender resumes it.
func (in *Intake) BeginUpload(ctx context.Context, size int64, m Metadata) (s UploadSession, existed bool, err error) {
	switch {
	case size <= 0:
		return s, false, intakeErr(ErrUploadInvalid, nil, "the announced size must be a positive number of bytes")
	case in.cfg.MaxSize > 0 && size > in.cfg.MaxSize:
		return s, false, intakeErr(ErrUploadTooLarge, nil, "file of %d bytes exceeds the limit of %d", size, in.cfg.MaxSize)
	}
	if m.Name, err = validName(m.Name); err != nil {
		return s, false, err
	}
	if err := validMetadataText(m); err != nil {
		return s, false, err
	}
	m.SourceName = cleanSourceName(m.SourceName)
	if err := in.Room(size); err != nil {
		return s, false, err
	}
	h := sha256.New()
	_ = json.NewEncoder(h).Encode(struct {
		Size int64
		Meta Metadata
	}{size, m})
	key := hex.EncodeToString(h.Sum(nil))

	in.mu.Lock() // one session per key
	defer in.mu.Unlock()
	if id, ok, err := in.sessions().Get(indexKey(key)); err != nil {
		return s, false, intakeErr(ErrIntakeFailed, err, "read upload sessions")
	} else if ok {
		s, err := in.UploadSession(ctx, string(id))
		if err == nil && s.Key == key {
			return s, true, nil
		}
	}
	var raw [layout.UploadIDLen / 2]byte
	_, _ = rand.Read(raw[:])
	now := time.Now().UTC()
	s = UploadSession{ID: hex.EncodeToString(raw[:]), Key: key, Size: size, Meta: m, Created: now, Touched: now}
	if err := in.saveSession(s); err != nil {
		return UploadSession{}, false, sessionErr(err)
	}
	if err := in.sessions().Set(indexKey(key), []byte(s.ID)); err != nil {
		_ = in.sessions().Delete(sessionKey(s.ID))
		return UploadSession{}, false, sessionErr(err)
	}
	in.cfg.Logger.Info("resumable upload opened", "upload", s.ID, "bytes", size)
	return s, false, nil
}

func sessionErr(err error) *IntakeError {
	if errors.Is(err, ErrNoSpace) {
		return noSpace(err)
	}
	return intakeErr(ErrIntakeFailed, err, "save upload session")
}

// claim marks upload id as being written to; release undoes it.
func (in *Intake) claim(id string) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.busy[id] {
		return false
	}
	in.busy[id] = true
	return true
}

func (in *Intake) release(id string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	delete(in.busy, id)
}

// WriteUpload stores a chunk of upload id that starts at byte start of the
// file: the bytes already stored are skipped (a sender may send them again),
// a chunk starting past them is refused (ErrUploadConflict, nothing
// changes). Whatever arrives of the chunk is kept, also when the sender goes
// away in the middle: it is fsynced and recorded before WriteUpload
// returns. When the last byte is stored the upload is committed as Commit
// does (the file is renamed into place) and the video is returned; a file
// the node refuses ends its session.
func (in *Intake) WriteUpload(ctx context.Context, id string, start int64, body io.Reader) (UploadSession, *Video, error) {
	if !in.claim(id) {
		return UploadSession{}, nil, intakeErr(ErrUploadBusy, nil, "another request is writing to this upload")
	}
	defer in.release(id)
	s, err := in.UploadSession(ctx, id)
	if err != nil {
		return s, nil, err
	}
	if start > s.Stored {
		return s, nil, intakeErr(ErrUploadConflict, nil, "chunk starts at byte %d, but only %d bytes are stored", start, s.Stored)
	}
	if s.Stored < s.Size {
		if s, err = in.appendChunk(ctx, s, start, body); err != nil {
			return s, nil, err
		}
	}
	if !s.Complete() {
		return s, nil, nil
	}
	// The whole file is here: it becomes a video even if the sender has
	// gone in the meantime.
	file := &Received{path: in.cfg.Store.disk.ResumablePath(id), size: s.Size}
	v, err := in.Commit(context.WithoutCancel(ctx), file, s.Meta)
	if err != nil {
		if errors.Is(err, ErrUploadNotVideo) || errors.Is(err, ErrUploadInvalid) {
			in.removeSession(s) // the sender's file is refused for good
		}
		return s, nil, err
	}
	in.removeSession(s)
	return s, &v, nil
}

// appendChunk writes body, which starts at byte start of the file, after
// the stored bytes, then fsyncs and records what arrived.
func (in *Intake) appendChunk(ctx context.Context, s UploadSession, start int64, body io.Reader) (UploadSession, error) {
	// Bytes the sender sends again are read and dropped.
	if skip := s.Stored - start; skip > 0 {
		if n, err := io.CopyN(io.Discard, body, skip); err != nil {
			if n < skip && errors.Is(err, io.EOF) {
				return s, nil
			}
			return s, readErr(ctx, err)
		}
	}
	f, err := os.OpenFile(in.cfg.Store.disk.ResumablePath(s.ID), os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return s, intakeErr(ErrIntakeFailed, err, "open upload file")
	}
	defer f.Close()
	// Cut what a crash left past the recorded bytes, then append.
	if err := f.Truncate(s.Stored); err != nil {
		return s, intakeErr(ErrIntakeFailed, err, "truncate upload file")
	}
	if _, err := f.Seek(s.Stored, io.SeekStart); err != nil {
		return s, intakeErr(ErrIntakeFailed, err, "seek upload file")
	}
	n, copyErr := in.copyBody(ctx, f, io.LimitReader(body, s.Size-s.Stored), s.Stored, nil, s.Size)
	if n > 0 {
		if err := f.Sync(); err != nil {
			return s, intakeErr(ErrIntakeFailed, err, "sync upload file")
		}
		s.Stored += n
		s.Touched = time.Now().UTC()
		// Recorded even when the request is cancelled: the bytes are safe.
		if err := in.saveSession(s); err != nil {
			s.Stored -= n
			return s, sessionErr(err)
		}
	}
	return s, copyErr
}

// CancelUpload ends upload id and removes its bytes.
func (in *Intake) CancelUpload(ctx context.Context, id string) error {
	if !in.claim(id) {
		return intakeErr(ErrUploadBusy, nil, "another request is writing to this upload")
	}
	defer in.release(id)
	s, err := in.UploadSession(ctx, id)
	if err != nil {
		return err
	}
	in.removeSession(s)
	in.cfg.Logger.Info("resumable upload cancelled", "upload", id, "stored", s.Stored)
	return nil
}

// removeSession forgets s and removes its bytes (which are gone already
// once committed). Failures are logged: SweepUploads removes the rest.
func (in *Intake) removeSession(s UploadSession) {
	if err := errors.Join(in.sessions().Delete(indexKey(s.Key)), in.sessions().Delete(sessionKey(s.ID))); err != nil {
		in.cfg.Logger.Warn("forget upload session", "upload", s.ID, "err", err)
	}
	if err := os.Remove(in.cfg.Store.disk.ResumablePath(s.ID)); err != nil && !errors.Is(err, os.ErrNotExist) {
		in.cfg.Logger.Warn("remove upload bytes", "upload", s.ID, "err", err)
	}
}

// SweepUploads removes the sessions idle for longer than ttl with their
// bytes, and upload bytes no session owns (a crash between the two
// removals). It returns the ids removed.
func (in *Intake) SweepUploads(ctx context.Context, ttl time.Duration) ([]string, error) {
	cutoff := time.Now().Add(-ttl)
	var expired []UploadSession
	live := make(map[string]bool)
	err := in.sessions().Each(ctx, func(key, value []byte) error {
		if len(key) < 2 || string(key[:2]) != "s/" {
			return nil
		}
		var s UploadSession
		if err := json.Unmarshal(value, &s); err != nil {
			return fmt.Errorf("upload session %s: %w", key, err)
		}
		live[s.ID] = true
		if s.Touched.Before(cutoff) {
			expired = append(expired, s)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sweep uploads: %w", err)
	}
	var removed []string
	for _, s := range expired {
		if !in.claim(s.ID) {
			continue // being written to: not idle
		}
		in.removeSession(s)
		in.release(s.ID)
		removed = append(removed, s.ID)
	}
	entries, err := os.ReadDir(in.cfg.Store.disk.UploadsDir())
	if err != nil {
		return removed, fmt.Errorf("sweep uploads: %w", err)
	}
	for _, e := range entries {
		id := e.Name()
		if !layout.IsUploadID(id) || live[id] {
			continue
		}
		// A session opened since the walk has no bytes yet: its file is
		// created by its first chunk, under the claim.
		if !in.claim(id) {
			continue
		}
		if _, err := in.UploadSession(ctx, id); errors.Is(err, ErrNotFound) {
			if err := os.Remove(in.cfg.Store.disk.ResumablePath(id)); err == nil {
				removed = append(removed, id)
			}
		}
		in.release(id)
	}
	return removed, nil
}
