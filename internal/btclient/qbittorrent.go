package btclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/torrent/metainfo"
)

// QBittorrent is a qbittorrent-nox (libtorrent) process driven through its
// Web API. It stands in for a desktop client; transmission-cli 3.00 cannot,
// because it drops tracker-given peers on 127.0.0.0/8 as "martian", so on
// loopback it never connects to anyone.
type QBittorrent struct {
	// SaveDir is where downloads land (SaveDir/<torrent name>).
	SaveDir string
	api     string // http://127.0.0.1:port/api/v2
	proc    *Process
	http    *http.Client
}

// TorrentState is the part of /api/v2/torrents/info the tests read.
type TorrentState struct {
	Hash       string  `json:"hash"`
	Name       string  `json:"name"`
	State      string  `json:"state"`
	Progress   float64 `json:"progress"`
	AmountLeft int64   `json:"amount_left"`
	Downloaded int64   `json:"downloaded"`
	NumSeeds   int     `json:"num_seeds"`
}

// qbConfig keeps qBittorrent on loopback with no peer source but trackers
// (no DHT, LSD, PeX, UPnP), and lets loopback use the Web API without a
// login. It turns libtorrent's SSRF mitigation off: that refuses any
// tracker on a loopback address whose path does not start with /announce,
// such as the node's /tracker/announce (on a real address it does not
// apply).
const qbConfig = `[LegalNotice]
Accepted=true

[BitTorrent]
Session\DHTEnabled=false
Session\LSDEnabled=false
Session\PeXEnabled=false
Session\SSRFMitigation=false
Session\Port=%d
Session\Interface=lo
Session\InterfaceName=lo
Session\InterfaceAddress=127.0.0.1

[Preferences]
Connection\UPnP=false
WebUI\Address=127.0.0.1
WebUI\Port=%d
WebUI\LocalHostAuth=false
WebUI\CSRFProtection=false
WebUI\HostHeaderValidation=false
`

// StartQBittorrent starts qbittorrent-nox with a fresh profile and waits
// (bounded by ctx) until its Web API answers. It skips the test when the
// binary is missing; the process is killed when the test ends.
func StartQBittorrent(t testing.TB, ctx context.Context) *QBittorrent {
	t.Helper()
	bin := NeedBinary(t, "qbittorrent-nox")
	profile := t.TempDir()
	confDir := filepath.Join(profile, "qBittorrent", "config")
	if err := os.MkdirAll(confDir, 0o755); err != nil {
		t.Fatal(err)
	}
	webPort := FreePort(t)
	conf := fmt.Sprintf(qbConfig, FreePort(t), webPort)
	if err := os.WriteFile(filepath.Join(confDir, "qBittorrent.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	q := &QBittorrent{
		SaveDir: t.TempDir(),
		api:     fmt.Sprintf("http://127.0.0.1:%d/api/v2", webPort),
		proc:    StartProcess(t, bin, "--profile="+profile, "--skip-dialog=true"),
		http:    &http.Client{Timeout: 5 * time.Second},
	}
	for {
		if _, err := q.get(ctx, "/app/version"); err == nil {
			return q
		}
		select {
		case <-q.proc.Done():
			t.Fatalf("qbittorrent-nox exited before its Web API answered:\n%s", q.proc.Output().Tail(3000))
		case <-ctx.Done():
			t.Fatalf("qbittorrent-nox Web API did not answer on %s: %v\n%s", q.api, ctx.Err(), q.proc.Output().Tail(3000))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// AddTorrent hands a .torrent file to qBittorrent, to be saved in SaveDir.
func (q *QBittorrent) AddTorrent(t testing.TB, ctx context.Context, torrentPath string) {
	t.Helper()
	data, err := os.ReadFile(torrentPath)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("torrents", filepath.Base(torrentPath))
	if err == nil {
		_, err = fw.Write(data)
	}
	if err == nil {
		err = mw.WriteField("savepath", q.SaveDir)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, q.api+"/torrents/add", &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	answer, err := q.do(req)
	if err != nil || !strings.HasPrefix(string(answer), "Ok") {
		t.Fatalf("qBittorrent refused %s: %v %q", torrentPath, err, answer)
	}
}

// Torrent returns qBittorrent's view of one torrent; found is false until
// it has been added.
func (q *QBittorrent) Torrent(ctx context.Context, ih metainfo.Hash) (st TorrentState, found bool, err error) {
	b, err := q.get(ctx, "/torrents/info?hashes="+ih.HexString())
	if err != nil {
		return st, false, err
	}
	var list []TorrentState
	if err := json.Unmarshal(b, &list); err != nil {
		return st, false, fmt.Errorf("torrents/info answer %q: %w", b, err)
	}
	if len(list) == 0 {
		return st, false, nil
	}
	return list[0], true, nil
}

// WaitComplete polls until qBittorrent has the whole torrent, failing the
// test when ctx ends first.
func (q *QBittorrent) WaitComplete(t testing.TB, ctx context.Context, ih metainfo.Hash) TorrentState {
	t.Helper()
	var last TorrentState
	for {
		st, found, err := q.Torrent(ctx, ih)
		if err == nil && found {
			last = st
			if st.Progress >= 1 && st.AmountLeft == 0 {
				return st
			}
		}
		select {
		case <-q.proc.Done():
			t.Fatalf("qbittorrent-nox exited:\n%s", q.proc.Output().Tail(3000))
		case <-ctx.Done():
			// Fresh context: ctx is over, and the trackers' messages say why.
			diag, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			trackers, _ := q.get(diag, "/torrents/trackers?hash="+ih.HexString())
			cancel()
			t.Fatalf("qBittorrent did not complete %s: %v; last state %+v; trackers %s\n%s",
				ih.HexString(), ctx.Err(), last, trackers, q.proc.Output().Tail(3000))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (q *QBittorrent) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, q.api+path, nil)
	if err != nil {
		return nil, err
	}
	return q.do(req)
}

func (q *QBittorrent) do(req *http.Request) ([]byte, error) {
	resp, err := q.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return b, fmt.Errorf("%s %s: %s", req.Method, req.URL.Path, resp.Status)
	}
	return b, nil
}
