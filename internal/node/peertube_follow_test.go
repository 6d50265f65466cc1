package node

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ptFollowPort is the PeerTube instance this test starts (its Redis
// database is the port modulo 16).
const ptFollowPort = 9513

// startPeerTube starts a real PeerTube (../shared/peertube) on port under
// the harness lock and stops it at the end of the test. It returns its
// base URL and an admin token.
func startPeerTube(t *testing.T, port int) (string, string) {
	t.Helper()
	root := os.Getenv("PT_ROOT")
	if root == "" {
		root = "/tmp/peertube"
	}
	scripts := "/work/shared/peertube"
	lock, err := os.OpenFile(filepath.Join(root, "harness.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lock.Close() })
	p := strconv.Itoa(port)
	cmd := exec.Command(filepath.Join(scripts, "start.sh"), p)
	cmd.Env = append(os.Environ(), "PT_ROOT="+root)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("start PeerTube: %v\n%s", err, out)
	}
	instance := filepath.Join(root, "pt-"+p)
	t.Cleanup(func() {
		if pid, err := os.ReadFile(filepath.Join(instance, "server.pid")); err == nil {
			if n, err := strconv.Atoi(strings.TrimSpace(string(pid))); err == nil {
				_ = syscall.Kill(n, syscall.SIGTERM)
			}
		}
		if log, err := os.ReadFile(filepath.Join(instance, "server.log")); err == nil && t.Failed() {
			lines := strings.Split(string(log), "\n")
			t.Logf("PeerTube log tail:\n%s", strings.Join(lines[max(0, len(lines)-60):], "\n"))
		}
	})
	out, err := exec.Command("bash", "-c", "source "+filepath.Join(scripts, "api.sh")+" && tok "+p).Output()
	if err != nil {
		t.Fatalf("PeerTube token: %v", err)
	}
	return "http://127.0.0.1:" + p, strings.TrimSpace(string(out))
}

// ptFollows reads a PeerTube follow list: the state of the follow whose
// other end is actorURL ("" when absent).
func ptFollowState(t *testing.T, base, which, actorURL string) string {
	t.Helper()
	var f serverFollows
	getJSON(t, base+"/api/v1/server/"+which, &f)
	for _, d := range f.Data {
		if d.Follower.URL == actorURL || d.Following.URL == actorURL {
			return d.State
		}
	}
	return ""
}

func waitState(t *testing.T, what string, state func() string, want string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		got := state()
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %q, want %q", what, got, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestPeerTubeFollows: a real PeerTube follows the node (its admin API)
// and the node accepts; the node follows PeerTube and PeerTube accepts.
// It needs the PeerTube of ../shared/peertube (PEEREDGE_PEERTUBE=1).
func TestPeerTubeFollows(t *testing.T) {
	if os.Getenv("PEEREDGE_PEERTUBE") == "" {
		t.Skip("set PEEREDGE_PEERTUBE=1 to run against a real PeerTube (../shared/peertube)")
	}
	n := startNode(t, Config{NoSeed: true, FederationAllowPrivate: true})
	pt, ptToken := startPeerTube(t, ptFollowPort)
	nodeHost := strings.TrimPrefix(n.base, "http://")
	ptActor := pt + "/accounts/peertube"
	nodeActor := n.base + "/accounts/peertube"

	// PeerTube follows the node.
	req, _ := http.NewRequest(http.MethodPost, pt+"/api/v1/server/following", bytes.NewReader([]byte(`{"hosts":["`+nodeHost+`"]}`)))
	req.Header.Set("Authorization", "Bearer "+ptToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("PeerTube follow: %s", resp.Status)
	}
	waitState(t, "the node's follower PeerTube", func() string { return ptFollowState(t, n.base, "followers", ptActor) }, "accepted")
	waitState(t, "PeerTube's following of the node", func() string { return ptFollowState(t, pt, "following", nodeActor) }, "accepted")

	// The node follows PeerTube.
	body, _ := json.Marshal(map[string][]string{"hosts": {strings.TrimPrefix(pt, "http://")}})
	if resp, b := n.request(t, http.MethodPost, "/api/v1/server/following", n.token, bytes.NewReader(body), map[string]string{"Content-Type": "application/json"}); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("node follow: %s %s", resp.Status, b)
	}
	waitState(t, "the node's following of PeerTube", func() string { return ptFollowState(t, n.base, "following", ptActor) }, "accepted")
	waitState(t, "PeerTube's follower node", func() string { return ptFollowState(t, pt, "followers", nodeActor) }, "accepted")
}
