package publish

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/anacrolix/torrent/metainfo"

	"github.com/peeredge/peeredge/internal/layout"
	"github.com/peeredge/peeredge/origin"
	"github.com/peeredge/peeredge/swarm"
	"github.com/peeredge/peeredge/swarm/p2pml"
)

// TestTranscodePublishes runs the whole workflow with real ffmpeg and
// checks every file is where the layout says, each torrent names its file
// and WebSeed and hashes to the rung's info hash, the tracker admits it,
// and nothing is left in staging.
func TestTranscodePublishes(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	v := env.publish(t, New(env.cfg))
	if v.State != origin.StatePublished || v.Transcoding || v.Progress != 1 || len(v.Renditions) != 1 || v.Duration < 1.9 {
		t.Fatalf("video = %+v", v)
	}
	d := env.store.Disk()
	r := v.Renditions[0]
	if r.FileName != layout.RenditionFileName(v.UUID, 240) || r.PlaylistName != layout.MediaPlaylistName(v.UUID, 240) || r.TorrentName != layout.TorrentFileName(v.UUID, 240) {
		t.Errorf("rendition names = %+v", r)
	}
	for _, name := range []string{layout.MasterPlaylistName, layout.SegmentsSHA256Name, r.FileName, r.PlaylistName} {
		if _, err := os.Stat(filepath.Join(d.HLSDir(v.UUID), name)); err != nil {
			t.Errorf("published file missing: %v", err)
		}
	}
	full, info, err := swarm.ReadTorrentFile(d.TorrentPath(r.TorrentName))
	if err != nil {
		t.Fatal(err)
	}
	bare, _, err := swarm.ReadTorrentFile(d.WebSeedOnlyPath(r.TorrentName))
	if err != nil {
		t.Fatal(err)
	}
	ih := full.HashInfoBytes()
	if ih.HexString() != r.InfoHash || bare.HashInfoBytes() != ih {
		t.Errorf("info hashes: full %s, WebSeed-only %s, catalogue %s", ih, bare.HashInfoBytes(), r.InfoHash)
	}
	if info.Name != r.FileName || info.TotalLength() != r.Size || len(full.UrlList) != 1 || full.UrlList[0] != env.cfg.URLs.WebSeed(r.FileName) {
		t.Errorf("torrent names %q (%d bytes), WebSeeds %q", info.Name, info.TotalLength(), full.UrlList)
	}
	if got := full.UpvertedAnnounceList().DistinctValues(); len(got) != 2 || len(bare.UpvertedAnnounceList()) != 0 {
		t.Errorf("trackers: full %q, WebSeed-only %q", got, bare.UpvertedAnnounceList())
	}
	if !env.registry.Known(ih) {
		t.Error("the tracker does not admit the published rung")
	}
	for _, ph := range playerHashes(t, d.HLSDir(v.UUID), v.UUID) {
		if !env.registry.Known(ph) {
			t.Errorf("the tracker does not admit the player's swarm %q", ph)
		}
	}
	for _, ph := range p2pml.LegacyInfoHashes(env.cfg.URLs.MasterPlaylist(v.UUID), len(v.Renditions)) {
		if !env.registry.Known(ph) {
			t.Errorf("the tracker does not admit PeerTube's players' swarm %x", ph)
		}
	}
	if left, _ := os.ReadDir(d.TmpDir()); len(left) != 0 {
		t.Errorf("staging left: %d entries", len(left))
	}
}

// TestEnsureWebSeedOnly: a node that published before the WebSeed-only form
// existed gets it written at start, byte for byte the full torrent without
// trackers.
func TestEnsureWebSeedOnly(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	p := New(env.cfg)
	v := env.publish(t, p)
	d := env.store.Disk()
	name := v.Renditions[0].TorrentName
	want, err := os.ReadFile(d.WebSeedOnlyPath(name))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(d.WebSeedOnlyPath(name)); err != nil {
		t.Fatal(err)
	}
	if err := p.EnsureWebSeedOnly(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(d.WebSeedOnlyPath(name))
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("rewritten WebSeed-only torrent differs (%v)", err)
	}
	mi, err := metainfo.LoadFromFile(d.WebSeedOnlyPath(name))
	if err != nil || mi.Announce != "" || len(mi.AnnounceList) != 0 {
		t.Errorf("WebSeed-only torrent announces: %v %q", err, mi.Announce)
	}
}

// TestAnnounceAtStart: a serving node's publisher hands every published
// rung, and the swarm the player joins for it, to a fresh tracker.
func TestAnnounceAtStart(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	env.publish(t, New(env.cfg).WithSwarm(nil, nil))
	if env.registry.Len() != 0 {
		t.Fatalf("a publisher without a tracker announced %d torrents", env.registry.Len())
	}
	if err := New(env.cfg).Announce(context.Background()); err != nil {
		t.Fatal(err)
	}
	// One rung: its torrent, the watch page player's swarm and PeerTube's
	// players' swarm.
	if env.registry.Len() != 3 {
		t.Errorf("tracker knows %d info hashes after Announce, want 3", env.registry.Len())
	}
}

// playerHashes are the info hashes a p2p-media-loader player configured
// with the video's uuid announces, read from the published master playlist.
func playerHashes(t *testing.T, hlsDir, uuid string) [][20]byte {
	t.Helper()
	master, err := os.ReadFile(filepath.Join(hlsDir, layout.MasterPlaylistName))
	if err != nil {
		t.Fatal(err)
	}
	hashes, err := p2pml.InfoHashes(uuid, master)
	if err != nil || len(hashes) == 0 {
		t.Fatalf("player hashes: %v", err)
	}
	return hashes
}
