package swarm

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/anacrolix/torrent/metainfo"
)

func TestMagnet(t *testing.T) {
	dir := t.TempDir()
	path, _ := writeRandomFile(t, dir, "v.mp4", 123_456, 9)
	name := "Vidéo & friends + more=1.mp4"
	mi, ih, err := BuildTorrent(context.Background(), TorrentSpec{
		Path: path,
		Name: name,
		Trackers: [][]string{
			{"http://127.0.0.1:9000/tracker/announce?x=1&y=2"},
			{"ws://127.0.0.1:9000/tracker/socket", "http://127.0.0.1:9000/tracker/announce?x=1&y=2"},
		},
		WebSeeds: []string{"http://127.0.0.1:9000/static/v%20x.mp4"},
	})
	if err != nil {
		t.Fatal(err)
	}
	torrentURL := "http://127.0.0.1:9000/lazy-static/torrents/v.torrent?a=b&c=d"
	extraSeed := "http://127.0.0.2:9000/static/v.mp4"
	info, err := mi.UnmarshalInfo()
	if err != nil {
		t.Fatal(err)
	}
	uri := Magnet{
		InfoHash:   ih.HexString(),
		Name:       info.BestName(),
		Length:     info.TotalLength(),
		Trackers:   mi.UpvertedAnnounceList().DistinctValues(),
		WebSeeds:   append(mi.UrlList, extraSeed, "http://127.0.0.1:9000/static/v%20x.mp4"), // the last is a duplicate
		TorrentURL: torrentURL,
	}.String()
	wantPrefix := "magnet:?xt=urn:btih:" + ih.HexString() + "&dn="
	if !strings.HasPrefix(uri, wantPrefix) {
		t.Fatalf("magnet %q does not start with %q", uri, wantPrefix)
	}
	if strings.Contains(uri, "+") || strings.Contains(uri, " ") {
		t.Errorf("magnet %q has a '+' or a raw space; spaces must be %%20", uri)
	}

	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	wantTrackers := []string{"http://127.0.0.1:9000/tracker/announce?x=1&y=2", "ws://127.0.0.1:9000/tracker/socket"}
	wantSeeds := []string{"http://127.0.0.1:9000/static/v%20x.mp4", extraSeed}
	switch {
	case u.Scheme != "magnet":
		t.Errorf("scheme %q", u.Scheme)
	case q.Get("xt") != "urn:btih:"+ih.HexString():
		t.Errorf("xt %q", q.Get("xt"))
	case q.Get("dn") != name:
		t.Errorf("dn %q, want %q", q.Get("dn"), name)
	case !slices.Equal(q["tr"], wantTrackers):
		t.Errorf("tr %q, want %q", q["tr"], wantTrackers)
	case !slices.Equal(q["ws"], wantSeeds):
		t.Errorf("ws %q, want %q", q["ws"], wantSeeds)
	case q.Get("xl") != "123456":
		t.Errorf("xl %q", q.Get("xl"))
	case q.Get("xs") != torrentURL:
		t.Errorf("xs %q", q.Get("xs"))
	}

	m, err := metainfo.ParseMagnetUri(uri)
	if err != nil {
		t.Fatalf("anacrolix ParseMagnetUri: %v", err)
	}
	switch {
	case m.InfoHash != ih:
		t.Errorf("anacrolix info hash %s, want %s", m.InfoHash, ih)
	case m.DisplayName != name:
		t.Errorf("anacrolix display name %q", m.DisplayName)
	case !slices.Equal(m.Trackers, wantTrackers):
		t.Errorf("anacrolix trackers %q", m.Trackers)
	case !slices.Equal(m.Params["ws"], wantSeeds):
		t.Errorf("anacrolix ws %q", m.Params["ws"])
	}
}

func TestMagnetMinimal(t *testing.T) {
	const ih = "2A7BE854DF1626FFAA6C514E8A6A5ABB3E172833"
	if got, want := (Magnet{InfoHash: ih, Name: "a.mp4", Length: 10}).String(), "magnet:?xt=urn:btih:"+strings.ToLower(ih)+"&dn=a.mp4&xl=10"; got != want {
		t.Fatalf("magnet %q, want %q", got, want)
	}
	if got, want := (Magnet{InfoHash: ih, Name: metainfo.NoName}).String(), "magnet:?xt=urn:btih:"+strings.ToLower(ih); got != want {
		t.Fatalf("magnet %q, want %q", got, want)
	}
}
