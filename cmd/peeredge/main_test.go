package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/peeredge/peeredge/internal/testmedia"
)

// The tests here run the real binary, as an operator would.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "peeredge-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "peeredge")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// process is a running peeredge with its stderr collected.
type process struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	done   chan error
}

type lockedBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func newLockedBuffer() *lockedBuffer { return &lockedBuffer{mu: make(chan struct{}, 1)} }

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.String()
}

func start(t testing.TB, env []string, args ...string) *process {
	t.Helper()
	return startCmd(t, exec.Command(binary, args...), env)
}

// startCmd starts cmd, a peeredge (possibly through a command that execs
// it), with env added to the environment.
func startCmd(t testing.TB, cmd *exec.Cmd, env []string) *process {
	t.Helper()
	cmd.Env = append(append(os.Environ(), "PEEREDGE_SEED_PORT=0"), env...)
	p := &process{cmd: cmd, stderr: newLockedBuffer(), done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	cmd.Stdout = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("peeredge output:\n%s", p.stderr.String())
		}
	})
	return p
}

// waitHTTP waits until the node answers on addr with 200.
func waitHTTP(t testing.TB, p *process, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("peeredge exited: %v", err)
		default:
		}
		resp, err := http.Get("http://" + addr + "/api/v1/videos")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("node did not answer within 20 s")
}

func (p *process) stop(t testing.TB, sig os.Signal) error {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		return err
	case <-time.After(40 * time.Second):
		t.Fatal("peeredge did not stop within 40 s")
		return nil
	}
}

// postUpload sends a clip with the token and returns the answer's status
// and body.
func postUpload(t testing.TB, addr, token, clip string) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("name", filepath.Base(clip))
	fw, _ := mw.CreateFormFile("videofile", filepath.Base(clip))
	b, err := os.ReadFile(clip)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(b)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/api/v1/videos/upload", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	status, answer := do(t, req)
	return status, string(answer)
}

// do sends req and returns the answer's status and body.
func do(t testing.TB, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// upload sends a clip that must be accepted and returns its video's uuid.
func upload(t testing.TB, addr, token, clip string) string {
	t.Helper()
	status, body := postUpload(t, addr, token, clip)
	var out struct {
		Video struct {
			UUID string `json:"uuid"`
		} `json:"video"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil || status != http.StatusOK {
		t.Fatalf("upload: %d %s: %v", status, body, err)
	}
	return out.Video.UUID
}

type videoState struct {
	State struct {
		ID    int    `json:"id"`
		Label string `json:"label"`
	} `json:"state"`
	TranscodingProgress *float64 `json:"transcodingProgress"`
	StateReason         string   `json:"stateReason"`
}

func getVideo(t testing.TB, addr, ref string) videoState {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/api/v1/videos/" + ref)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v videoState
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestFirstStartPrintsTokenOnce checks the admin token is shown on the first
// start only and is the one that authorises uploads.
func TestFirstStartPrintsTokenOnce(t *testing.T) {
	data := t.TempDir()
	addr := freeAddr(t)
	p := start(t, nil, "serve", "--data", data, "--listen", addr)
	waitHTTP(t, p, addr)
	if err := p.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	m := regexp.MustCompile(`Admin token \(shown once[^\n]*\n\n\s+(\S+)`).FindStringSubmatch(p.stderr.String())
	if m == nil {
		t.Fatalf("no admin token printed:\n%s", p.stderr.String())
	}
	token := m[1]

	p2 := start(t, []string{"PEEREDGE_LISTEN=" + addr, "PEEREDGE_DATA=" + data}, "serve")
	waitHTTP(t, p2, addr)
	if strings.Contains(p2.stderr.String(), token) {
		t.Error("token printed again on the second start")
	}
	// Wrong token refused, right token accepted (a body that is not
	// multipart proves we got past authentication).
	for _, tc := range []struct {
		token string
		want  int
	}{{"wrong", http.StatusUnauthorized}, {token, http.StatusBadRequest}} {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/api/v1/videos/upload", strings.NewReader("x"))
		req.Header.Set("Authorization", "Bearer "+tc.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("token %q: status %d, want %d", tc.token, resp.StatusCode, tc.want)
		}
	}
	if err := p2.stop(t, os.Interrupt); err != nil {
		t.Fatalf("exit after SIGINT: %v", err)
	}
}

// TestGracefulShutdownFinishesRequests starts a slow download, sends SIGTERM
// mid-body, and checks the download completes and the node exits cleanly.
func TestGracefulShutdownFinishesRequests(t *testing.T) {
	data := t.TempDir()
	addr := freeAddr(t)
	// A published video whose rung is made large, so that most of it is
	// still unsent when the node is asked to stop.
	clip := testmedia.Make(t, t.TempDir(), testmedia.Clip{Seconds: 1})
	if out, err := exec.Command(binary, "ingest", "--data", data, "--admin-token", "x", clip).CombinedOutput(); err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	dirs, err := filepath.Glob(filepath.Join(data, "media", "streaming-playlists", "hls", "*"))
	if err != nil || len(dirs) != 1 {
		t.Fatalf("published directories %q, %v", dirs, err)
	}
	uuid := filepath.Base(dirs[0])
	payload := bytes.Repeat([]byte("0123456789abcdef"), 4<<20) // 64 MiB
	if err := os.WriteFile(filepath.Join(dirs[0], uuid+"-240-fragmented.mp4"), payload, 0o644); err != nil {
		t.Fatal(err)
	}
	p := start(t, []string{"PEEREDGE_ADMIN_TOKEN=x"}, "serve", "--data", data, "--listen", addr)
	waitHTTP(t, p, addr)

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /static/streaming-playlists/hls/%s/%s-240-fragmented.mp4 HTTP/1.1\r\nHost: x\r\n\r\n", uuid, uuid)
	br := bufio.NewReaderSize(conn, 4096)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, 1<<20)
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatal(err)
	}
	// The node is asked to stop while most of the body is still unsent.
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("body cut off after %d bytes: %v", len(first)+len(rest), err)
	}
	if got := append(first, rest...); !bytes.Equal(got, payload) {
		t.Fatalf("got %d bytes, want %d", len(got), len(payload))
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("exit: %v", err)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("no exit")
	}
	if !strings.Contains(p.stderr.String(), "msg=stopped") {
		t.Errorf("no clean stop logged:\n%s", p.stderr.String())
	}
}

// TestKilledMidJobResumes kills the node while it transcodes and checks that
// its ffmpeg dies with it and that the next start publishes the video.
func TestKilledMidJobResumes(t *testing.T) {
	data := t.TempDir()
	addr := freeAddr(t)
	env := []string{"PEEREDGE_ADMIN_TOKEN=tok", "PEEREDGE_DATA=" + data, "PEEREDGE_LISTEN=" + addr}
	clip := testmedia.Make(t, t.TempDir(), testmedia.Clip{Width: 640, Height: 360, Seconds: 20})
	p := start(t, env, "serve")
	waitHTTP(t, p, addr)
	uuid := upload(t, addr, "tok", clip)
	// The catalogue says "transcoding" before ffprobe runs; the process
	// table alone tells when ffmpeg is at work.
	deadline := time.Now().Add(60 * time.Second)
	for len(ffmpegsIn(t, data)) == 0 {
		v := getVideo(t, addr, uuid)
		if v.State.ID == 1 {
			t.Skip("transcoding finished before the node could be killed")
		}
		if time.Now().After(deadline) {
			t.Fatalf("ffmpeg never started: %+v", v)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(func() { // whatever a failure below leaves running
		for _, pid := range ffmpegsIn(t, data) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	p.cmd.Process.Kill()
	<-p.done
	killed := time.Now()
	// Left alone, an orphaned ffmpeg encodes on until the end of the clip.
	for left := ffmpegsIn(t, data); len(left) > 0; left = ffmpegsIn(t, data) {
		if time.Since(killed) > time.Second {
			t.Errorf("ffmpeg %v still running %v after the node was killed", left, time.Since(killed).Round(time.Millisecond))
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("ffmpeg gone %v after the node's exit was seen", time.Since(killed).Round(time.Millisecond))

	p2 := start(t, env, "serve")
	waitHTTP(t, p2, addr)
	deadline = time.Now().Add(3 * time.Minute)
	for {
		v := getVideo(t, addr, uuid)
		if v.State.ID == 1 {
			break
		}
		if v.State.ID == 7 || time.Now().After(deadline) {
			t.Fatalf("not published after restart: %+v", v)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := p2.stop(t, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p2.stderr.String(), "attempt=2") {
		t.Errorf("the interrupted job was not started again:\n%s", p2.stderr.String())
	}
	// Nothing of the killed run is left in the temporary area.
	entries, _ := os.ReadDir(filepath.Join(data, "tmp"))
	if len(entries) != 0 {
		t.Errorf("tmp not empty after restart: %v", entries)
	}
}

// ffmpegsIn lists the running ffmpeg processes whose command line names a
// path under dir (a zombie's is empty: it no longer counts).
func ffmpegsIn(t *testing.T, dir string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc to find ffmpeg processes in: %v", err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue // exited meanwhile
		}
		args := strings.Split(string(cmdline), "\x00")
		if filepath.Base(args[0]) == "ffmpeg" && strings.Contains(string(cmdline), dir+string(filepath.Separator)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestIngestCommand runs "peeredge ingest" and then serves the result.
func TestIngestCommand(t *testing.T) {
	data := t.TempDir()
	clip := testmedia.Make(t, t.TempDir(), testmedia.Clip{Seconds: 4})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, "ingest", "--data", data, "--name", "Ingested", "--admin-token", "x", clip).CombinedOutput()
	if err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{"published", "master playlist: http://127.0.0.1:9000/static/streaming-playlists/hls/", "240p torrent:"} {
		if !strings.Contains(text, want) {
			t.Errorf("ingest output lacks %q:\n%s", want, text)
		}
	}
	// Not a video: a clear error, exit status 1, nothing created.
	bad := filepath.Join(t.TempDir(), "x.mp4")
	os.WriteFile(bad, []byte("hello"), 0o644)
	out, err = exec.CommandContext(ctx, binary, "ingest", "--data", data, bad).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "not a video") {
		t.Errorf("ingest of a text file: %v\n%s", err, out)
	}
	entries, _ := os.ReadDir(filepath.Join(data, "originals"))
	if len(entries) != 1 {
		t.Errorf("originals holds %d files, want 1", len(entries))
	}
}

// TestSilentConnsUnderFileLimit reproduces the flood that used to stop the
// node: under a 1,024 open-file limit, 1,100 connections from one address
// that never send a byte. The node must go on serving, close them at the
// header timeout, and stop cleanly afterwards.
func TestSilentConnsUnderFileLimit(t *testing.T) {
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("no prlimit (util-linux)")
	}
	const headerTimeout = 2 * time.Second
	tests := []struct {
		name  string
		flags []string
		other string // the address another client comes from
	}{
		// The flood's address is held to its share; others are not.
		{"default limits", nil, "127.0.0.2"},
		// The flood fills the edge's share of the file limit; the silent
		// connections that waited longest make room for one that speaks.
		{"no per-address limit", []string{"--max-conns-per-ip", "0"}, "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := freeAddr(t)
			args := append([]string{"--nofile=1024:1024", binary, "serve", "--data", t.TempDir(), "--listen", addr,
				"--admin-token", "x", "--header-timeout", headerTimeout.String()}, tt.flags...)
			// prlimit execs the node in place: the process is the node's.
			p := startCmd(t, exec.Command(prlimit, args...), nil)
			waitHTTP(t, p, addr)
			closed := make(chan time.Duration, 1100)
			for range cap(closed) {
				c, err := net.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				opened := time.Now()
				go func() {
					c.SetReadDeadline(opened.Add(time.Minute))
					io.Copy(io.Discard, c)
					closed <- time.Since(opened)
				}()
			}
			flooded := time.Now()
			client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
				DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(tt.other)}}).DialContext,
			}}
			for {
				resp, err := client.Get("http://" + addr + "/api/v1/videos")
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						break
					}
				}
				if time.Since(flooded) > headerTimeout+5*time.Second {
					t.Fatalf("another client from %s not served during the flood: %v %v", tt.other, resp, err)
				}
				time.Sleep(100 * time.Millisecond)
			}
			t.Logf("another client from %s served %v into the flood", tt.other, time.Since(flooded).Round(time.Millisecond))
			var longest time.Duration
			for range cap(closed) {
				longest = max(longest, <-closed)
			}
			if longest > headerTimeout+5*time.Second {
				t.Errorf("a silent connection lived %v; want it closed at the header timeout (%v)", longest, headerTimeout)
			}
			waitHTTP(t, p, addr)
			if err := p.stop(t, syscall.SIGTERM); err != nil {
				t.Fatalf("exit: %v", err)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"nope"}, {"serve", "--listen"}, {"serve", "extra"}, {"ingest"}, {"serve", "--max-upload-size", "lots"},
		{"serve", "--max-conns", "-1"}, {"serve", "--smtp-url", "smtp://127.0.0.1:2525"}, {"serve", "--admin-email", "admin@example.org"},
		{"serve", "--smtp-url", "http://mail.example.org", "--admin-email", "admin@example.org"},
		{"serve", "--stun-server", "stun:ok.example,https://stun.example"},
		{"serve", "--tls-cert", "cert.pem"}, {"serve", "--delivery-retry", "-1s"}, {"serve", "--delivery-retry", "7h"}, {"serve", "--listen", "127.0.0.1:0", "--tls-cert", "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem"}} {
		cmd := exec.Command(binary, args...)
		cmd.Env = append(os.Environ(), "PEEREDGE_DATA="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("%q: exit 0, want an error\n%s", args, out)
		}
		if len(out) == 0 {
			t.Errorf("%q: no message", args)
		}
		if slices.Contains(args, "--stun-server") && !strings.Contains(string(out), `STUN/TURN server "https://stun.example"`) {
			t.Errorf("%q: the message does not name the bad server:\n%s", args, out)
		}
	}
}
