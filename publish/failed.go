package publish

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/peeredge/peeredge/origin"
	"github.com/peeredge/peeredge/segmenter"
)

// Failed is the job queue's OnFailed: the video says it failed, instead of
// waiting forever. The whole error goes to the log and Video.Error; the API
// shows only Video.Reason (see reason).
//
// A failed video serves nothing: if an earlier run had published it (a job
// run again after a crash), its files, torrents and swarm entries go too.
func (p *Publisher) Failed(ctx context.Context, j origin.Job, jobErr error) {
	p.logger.Error("publishing failed", "video", j.VideoID, "job", j.ID, "err", jobErr)
	var rungs []origin.Rendition
	v, err := p.cfg.Catalog.UpdateVideo(context.WithoutCancel(ctx), j.VideoID, func(v *origin.Video) error {
		rungs = v.Renditions
		v.State = origin.StateTranscodingFailed
		v.Transcoding = false
		v.Error = jobErr.Error()
		v.Reason = reason(j, jobErr)
		v.Renditions = nil
		return nil
	})
	if err != nil {
		p.logger.Error("mark video failed", "video", j.VideoID, "err", err)
		return
	}
	p.withdraw(v, rungs)
}

// reason says what failed in words an uploader can act on. It is built
// from fixed sentences only: nothing of the error's text (local paths,
// ffmpeg's output, a panic's stack) reaches the public API. The job's id
// lets an administrator find the whole story in the log.
func reason(j origin.Job, err error) string {
	var panicked *origin.PanicError
	switch {
	case errors.As(err, &panicked):
		return fmt.Sprintf("An internal error on the node stopped the publishing of this video. "+
			"The node's administrator can find the details in its log under job %d.", j.ID)
	case outOfSpace(err):
		return "The node ran out of disk space while publishing this video. " +
			"Ask the node's administrator to free some space, then upload the video again."
	case errors.Is(err, origin.ErrJobInterrupted):
		return fmt.Sprintf("Transcoding was interrupted %d times (the node stopped or ran out of memory during it). "+
			"Ask the node's administrator; a shorter or smaller file may get through.", j.Attempts)
	case errors.Is(err, segmenter.ErrNotVideo):
		return "The uploaded file could not be read as a video: it may be damaged or incomplete. " +
			"Check that it plays, then upload it again."
	case errors.Is(err, segmenter.ErrFFmpegFailed):
		return fmt.Sprintf("ffmpeg could not transcode the uploaded file: it may be damaged or in a format ffmpeg cannot decode. "+
			"Check that it plays, then upload it again; the node's log has ffmpeg's own words under job %d.", j.ID)
	}
	return fmt.Sprintf("The node could not publish this video because of an internal error. "+
		"The node's administrator can find the details in its log under job %d.", j.ID)
}

// outOfSpace tells a full disk, whether it reached us as an errno or only
// in ffmpeg's words: it prints strerror ("No space left on device").
func outOfSpace(err error) bool {
	return errors.Is(err, origin.ErrNoSpace) || errors.Is(err, syscall.ENOSPC) ||
		strings.Contains(strings.ToLower(err.Error()), syscall.ENOSPC.Error())
}

// PruneFailedOriginals removes the uploaded sources of videos that failed
// before the given time: nothing will transcode them again, and an
// uploader who wants the video sends it anew. The videos stay in the
// catalogue with their reasons. It returns the uuids it pruned.
func (p *Publisher) PruneFailedOriginals(ctx context.Context, failedBefore time.Time) ([]string, error) {
	var pruned []string
	err := p.cfg.Catalog.EachVideo(ctx, func(v origin.Video) error {
		if v.State != origin.StateTranscodingFailed || !v.UpdatedAt.Before(failedBefore) {
			return nil
		}
		if _, err := os.Stat(p.disk.OriginalPath(v.UUID)); errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err := p.cfg.Store.RemoveOriginal(v.UUID); err != nil {
			return err
		}
		pruned = append(pruned, v.UUID)
		return nil
	})
	if len(pruned) > 0 {
		p.logger.Info("removed originals of failed videos", "uuids", pruned, "failed before", failedBefore)
	}
	return pruned, err
}
