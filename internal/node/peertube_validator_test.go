package node

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peeredge/peeredge/internal/peertube"
	"github.com/peeredge/peeredge/internal/testmedia"
)

// peerTubeValidatorScript runs PeerTube's own check of incoming Video
// objects (sanitizeAndCheckVideoTorrentObject, which drops what fails)
// on each file named on its command line.
const peerTubeValidatorScript = `
import { readFileSync } from 'fs'
const { sanitizeAndCheckVideoTorrentObject } = await import(process.env.PT_VALIDATOR)
for (const f of process.argv.slice(2)) {
  console.log('valid=' + sanitizeAndCheckVideoTorrentObject(JSON.parse(readFileSync(f, 'utf8'))))
}
process.exit(0)
`

// TestVideoObjectPeerTubeAccepts: PeerTube 6.3's validator (from the
// harness's build, made when missing) keeps the node's Video object,
// and drops it without its icons (so the check can tell).
func TestVideoObjectPeerTubeAccepts(t *testing.T) {
	t.Parallel()
	root := peertube.Built(t)
	validator := filepath.Join(root, "src", "dist", "core", "helpers", "custom-validators", "activitypub", "videos.js")
	n := startNode(t, Config{})
	v := n.publishVideo(t, testmedia.Clip{Width: 320, Height: 240, Seconds: 2})
	req, _ := http.NewRequest(http.MethodGet, n.base+"/videos/watch/"+v.UUID, nil)
	req.Header.Set("Accept", "application/activity+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("video object: %s", resp.Status)
	}
	var noIcon map[string]any
	if err := json.Unmarshal(body, &noIcon); err != nil {
		t.Fatal(err)
	}
	noIcon["icon"] = []any{}
	stripped, _ := json.Marshal(noIcon)

	dir := t.TempDir()
	conf := filepath.Join(dir, "config")
	if err := os.MkdirAll(conf, 0o755); err != nil {
		t.Fatal(err)
	}
	def, err := os.ReadFile(filepath.Join(root, "src", "config", "default.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The node's URLs are on 127.0.0.1, which PeerTube's URL check takes
	// (without a TLD) when its own host is 127.0.0.1 too.
	files := map[string][]byte{
		filepath.Join(conf, "default.yaml"): def,
		filepath.Join(conf, "dev.yaml"):     []byte("webserver: { https: false, hostname: '127.0.0.1', port: 9000 }\nlog: { level: 'warn' }\n"),
		filepath.Join(dir, "check.mjs"):     []byte(peerTubeValidatorScript),
		filepath.Join(dir, "ours.json"):     body,
		filepath.Join(dir, "no-icon.json"):  stripped,
	}
	for name, b := range files {
		if err := os.WriteFile(name, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("node", filepath.Join(dir, "check.mjs"), filepath.Join(dir, "ours.json"), filepath.Join(dir, "no-icon.json"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NODE_ENV=dev", "NODE_CONFIG_DIR="+conf, "PT_VALIDATOR="+validator)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("PeerTube's validator: %v\n%s", err, out)
	}
	var verdicts []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "valid=") {
			verdicts = append(verdicts, line)
		}
	}
	if strings.Join(verdicts, " ") != "valid=true valid=false" {
		t.Errorf("PeerTube's verdicts %v (ours, without icons)\n%s\n%s", verdicts, out, body)
	}
}
