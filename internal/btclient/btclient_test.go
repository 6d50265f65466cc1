package btclient

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/torrent/metainfo"
)

func TestTail(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"", 3, ""},
		{"ab", 3, "ab"},
		{"abc", 3, "abc"},
		{"abcdef", 3, "def"},
	} {
		if got := Tail(tc.s, tc.n); got != tc.want {
			t.Errorf("Tail(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}

func TestStartProcess(t *testing.T) {
	sh := NeedBinary(t, "sh")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tc := range []struct {
		script  string
		wantErr bool
		wantOut string
	}{
		{"echo hello; echo oops >&2", false, "hello\noops\n"},
		{"echo failing; exit 3", true, "failing\n"},
	} {
		p := StartProcess(t, sh, "-c", tc.script)
		err := p.Wait(ctx)
		if (err != nil) != tc.wantErr {
			t.Errorf("%q: err %v, want error %v", tc.script, err, tc.wantErr)
		}
		if got := p.Output().String(); got != tc.wantOut {
			t.Errorf("%q: output %q, want %q", tc.script, got, tc.wantOut)
		}
	}
	// A process that outlives its context is reported, not waited for.
	p := StartProcess(t, sh, "-c", "exec sleep 30")
	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelShort()
	if err := p.Wait(short); err != context.DeadlineExceeded {
		t.Errorf("Wait on a sleeping process: %v, want deadline exceeded", err)
	}
}

// TestQBittorrentWebAPI starts qbittorrent-nox and checks its Web API
// answers without a login and knows no torrent yet.
func TestQBittorrentWebAPI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	qb := StartQBittorrent(t, ctx)
	var ih metainfo.Hash
	ih[0] = 0xAB
	if _, found, err := qb.Torrent(ctx, ih); err != nil || found {
		t.Fatalf("Torrent(unknown) = found %v, err %v; want not found, no error", found, err)
	}
	if fi, err := os.Stat(qb.SaveDir); err != nil || !fi.IsDir() {
		t.Errorf("SaveDir %q: %v", qb.SaveDir, err)
	}
	if !strings.HasPrefix(qb.api, "http://127.0.0.1:") {
		t.Errorf("Web API %q is not on loopback", qb.api)
	}
}
