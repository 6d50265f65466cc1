// Package publish is the node's publish workflow. A queued video goes
// through it in one direction:
//
//	transcode (segmenter) → torrents (swarm) → publish (store) → track and seed (swarm) → "published" (catalogue)
//
// Everything is written into a staging directory first and made visible by
// renames (torrents, then the HLS directory in one rename), the tracker
// admits and the seeder seeds each rung, and only then does the catalogue
// say "published": a viewer who learns of a video finds all its files, and
// its first announces are not refused. A job cut off before the end starts
// over and overwrites what was moved.
//
// A failure keeps its whole story (the cause, ffmpeg's words, a panic's
// stack) in the node's log, the job's record and Video.Error; users see
// only Video.Reason, a sentence about what failed and what to do, with no
// path, stack or tool output in it.
//
// The package declares the small interfaces it needs of the catalogue, the
// store, the segmenter, the torrent writer, the tracker and the seeder;
// internal/node passes the real ones.
package publish
