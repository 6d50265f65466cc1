package node

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/peeredge/peeredge/internal/testmedia"
)

// filesVideo is the part of a video's JSON about its files.
type filesVideo struct {
	ID          int64    `json:"id"`
	UUID        string   `json:"uuid"`
	EmbedPath   string   `json:"embedPath"`
	TrackerURLs []string `json:"trackerUrls"`
	Files       []struct {
		ID                 int64  `json:"id"`
		Height             int    `json:"height"`
		FileURL            string `json:"fileUrl"`
		FileDownloadURL    string `json:"fileDownloadUrl"`
		TorrentDownloadURL string `json:"torrentDownloadUrl"`
		MetadataURL        string `json:"metadataUrl"`
		HasAudio           bool   `json:"hasAudio"`
		HasVideo           bool   `json:"hasVideo"`
	} `json:"files"`
	StreamingPlaylists []struct {
		Files []struct {
			ID     int64 `json:"id"`
			Height int   `json:"height"`
		} `json:"files"`
	} `json:"streamingPlaylists"`
}

// TestFileDownloadsAndMetadata: a published rung's download URLs answer
// its bytes (whole and by range) and its torrent as attachments, its
// metadataUrl answers ffprobe's description naming its codecs, and its id
// is the same in files[] and the HLS playlist's files.
func TestFileDownloadsAndMetadata(t *testing.T) {
	t.Parallel()
	n := startNode(t, Config{AdminPassword: testPassword})
	up := n.publishVideo(t, testmedia.Clip{Width: 320, Height: 240, Seconds: 2, Audio: true})
	var v filesVideo
	getJSON(t, n.base+"/api/v1/videos/"+up.UUID, &v)
	if len(v.Files) == 0 || len(v.StreamingPlaylists) != 1 {
		t.Fatalf("files %+v", v)
	}
	if v.EmbedPath != "/videos/embed/"+v.UUID || len(v.TrackerURLs) != 2 {
		t.Errorf("embedPath %q trackerUrls %q", v.EmbedPath, v.TrackerURLs)
	}
	hlsIDs := map[int]int64{}
	for _, f := range v.StreamingPlaylists[0].Files {
		hlsIDs[f.Height] = f.ID
	}
	f := v.Files[0]
	if f.ID == 0 || hlsIDs[f.Height] != f.ID || !f.HasAudio || !f.HasVideo {
		t.Errorf("file id %d (HLS %d), hasAudio %v, hasVideo %v", f.ID, hlsIDs[f.Height], f.HasAudio, f.HasVideo)
	}

	served := fetchFile(t, f.FileURL, "")
	whole := fetchFile(t, f.FileDownloadURL, "")
	name := f.FileDownloadURL[strings.LastIndexByte(f.FileDownloadURL, '/')+1:]
	if whole.status != http.StatusOK || !bytes.Equal(whole.body, served.body) || whole.disposition != `attachment; filename="`+name+`"` {
		t.Errorf("download: %d, %d bytes (served %d), Content-Disposition %q", whole.status, len(whole.body), len(served.body), whole.disposition)
	}
	if served.disposition != "" {
		t.Errorf("the playing URL is an attachment: %q", served.disposition)
	}
	part := fetchFile(t, f.FileDownloadURL, "bytes=100-199")
	if part.status != http.StatusPartialContent || !bytes.Equal(part.body, served.body[100:200]) || !strings.HasPrefix(part.disposition, "attachment") {
		t.Errorf("range download: %d, %d bytes, Content-Disposition %q", part.status, len(part.body), part.disposition)
	}
	torrent := fetchFile(t, f.TorrentDownloadURL, "")
	if torrent.status != http.StatusOK || !bytes.HasPrefix(torrent.body, []byte("d")) || !strings.HasPrefix(torrent.disposition, "attachment") {
		t.Errorf("torrent download: %d %q, Content-Disposition %q", torrent.status, torrent.body[:min(len(torrent.body), 20)], torrent.disposition)
	}

	for range 2 { // the second from the cache
		var m struct {
			Streams []struct {
				CodecName string `json:"codec_name"`
				CodecType string `json:"codec_type"`
				Height    int    `json:"height"`
			} `json:"streams"`
			Format struct {
				Size string `json:"size"`
			} `json:"format"`
		}
		getJSON(t, f.MetadataURL, &m)
		var codecs []string
		for _, s := range m.Streams {
			codecs = append(codecs, s.CodecName)
			if s.CodecType == "video" && s.Height != f.Height {
				t.Errorf("metadata height %d, file %d", s.Height, f.Height)
			}
		}
		slices.Sort(codecs)
		if !slices.Equal(codecs, []string{"aac", "h264"}) || m.Format.Size != strconv.Itoa(len(served.body)) {
			t.Errorf("metadata codecs %q size %q, file %d bytes", codecs, m.Format.Size, len(served.body))
		}
	}
	prefix := n.base + "/api/v1/videos/" + v.UUID + "/metadata/"
	for _, bad := range []string{"0", "x", strconv.FormatInt(f.ID+1, 10), strconv.FormatInt(f.ID+1<<16, 10)} {
		if r := fetchFile(t, prefix+bad, ""); r.status != http.StatusNotFound {
			t.Errorf("metadata of file %s: %d", bad, r.status)
		}
	}
}

type fetched struct {
	status      int
	body        []byte
	disposition string
}

func fetchFile(t *testing.T, url, rangeHeader string) fetched {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rangeHeader != "" {
		req.Header.Set("Range", rangeHeader)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fetched{resp.StatusCode, b, resp.Header.Get("Content-Disposition")}
}
