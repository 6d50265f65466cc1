package swarm

import (
	"bytes"
	"context"
	"net/url"
	"slices"
	"testing"

	"github.com/anacrolix/torrent/metainfo"
)

// FuzzParseTorrent feeds arbitrary bytes to the .torrent parser: it must not
// panic, and whatever it accepts must be consistent enough to build a magnet.
func FuzzParseTorrent(f *testing.F) {
	path, _ := writeRandomFile(f, f.TempDir(), "seed.mp4", 70_000, 11)
	mi, _, err := BuildTorrent(context.Background(), TorrentSpec{
		Path:     path,
		Trackers: [][]string{{"http://127.0.0.1/announce"}},
		WebSeeds: []string{"http://127.0.0.1/seed.mp4"},
	})
	if err != nil {
		f.Fatal(err)
	}
	var good bytes.Buffer
	if err := mi.Write(&good); err != nil {
		f.Fatal(err)
	}
	f.Add(good.Bytes())
	f.Add(good.Bytes()[:good.Len()/2])
	f.Add([]byte("d4:infod6:lengthi-1e4:name1:a12:piece lengthi16384e6:pieces0:ee"))
	f.Add([]byte("d4:infod5:filesld6:lengthi1e4:pathl1:aeee4:name1:a12:piece lengthi0e6:pieces20:aaaaaaaaaaaaaaaaaaaaee"))
	f.Add([]byte("d8:url-list3:abc4:infod4:name1:xee"))
	f.Add([]byte("i1e"))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		mi, info, err := ParseTorrent(data)
		if err != nil {
			return
		}
		total := info.TotalLength()
		if total <= 0 || int64(info.NumPieces()) != pieceCount(total, info.PieceLength) {
			t.Fatalf("accepted inconsistent info: length %d, piece length %d, %d pieces", total, info.PieceLength, info.NumPieces())
		}
		// Its magnet reads back, by anacrolix's parser, as what it was made of.
		trackers := mi.UpvertedAnnounceList().DistinctValues()
		uri := Magnet{InfoHash: mi.HashInfoBytes().HexString(), Name: info.BestName(), Length: total, Trackers: trackers, WebSeeds: mi.UrlList}.String()
		if _, err := url.Parse(uri); err != nil {
			t.Fatalf("magnet %q does not parse: %v", uri, err)
		}
		m, err := metainfo.ParseMagnetUri(uri)
		if err != nil {
			t.Fatalf("anacrolix cannot parse magnet %q: %v", uri, err)
		}
		if m.InfoHash != mi.HashInfoBytes() || !slices.Equal(m.Trackers, distinct(trackers)) || !slices.Equal(m.Params["ws"], distinct(mi.UrlList)) {
			t.Fatalf("magnet %q reads back as %+v", uri, m)
		}
		if name := info.BestName(); name != metainfo.NoName && m.DisplayName != name {
			t.Fatalf("magnet %q names %q, want %q", uri, m.DisplayName, name)
		}
	})
}
