package node

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/peeredge/peeredge/internal/jsonshape"
	"github.com/peeredge/peeredge/internal/peertube"
	"github.com/peeredge/peeredge/internal/testmedia"
	"github.com/peeredge/peeredge/origin"
)

// parityEnv picks where PeerTube's answers come from: unset or "fixtures"
// reads testdata/peertube-parity (no PeerTube started); "live" uploads to a
// real PeerTube 6.3 through the harness (scripts/test.sh sets it: ~15 s);
// "record" is live and rewrites the fixtures from its answers.
const parityEnv = "PEEREDGE_PARITY"

const parityFixtures = "testdata/peertube-parity"

// parityEndpoint is one endpoint both answer, with the coverage the node
// must keep.
//
// The target is 95 % of PeerTube's fields per endpoint (issue 11). Until
// the node gets there, minPercent is a ratchet: the coverage measured when
// it was last raised, rounded down. A drop below it fails; raise it as
// fields land (the test says when it can be raised), never lower it.
type parityEndpoint struct {
	name       string
	fixture    string
	path       func(videoUUID string) string
	minPercent int
}

var parityEndpoints = []parityEndpoint{
	{"GET /api/v1/videos/{id}", "video.json", func(id string) string { return "/api/v1/videos/" + id }, 100},
	{"GET /api/v1/videos", "videos.json", func(string) string { return "/api/v1/videos" }, 100},
	{"GET /api/v1/config", "config.json", func(string) string { return "/api/v1/config" }, 97},
	{"GET /api/v1/accounts/{name}", "account.json", func(string) string { return "/api/v1/accounts/" + origin.AdminUsername }, 100},
	{"GET /api/v1/video-channels/{handle}", "channel.json", func(string) string { return "/api/v1/video-channels/" + origin.AdminChannelName }, 100},
}

// TestPeerTubeParity uploads the same clip to the node and (live) to a
// real PeerTube 6.3, reads the same endpoints from both and compares their
// shapes (internal/jsonshape: field names and JSON types, nested; array
// elements count once; PeerTube's null matches any value). It prints the
// coverage per endpoint and what the node lacks, and fails when an
// endpoint's coverage falls below its ratchet.
func TestPeerTubeParity(t *testing.T) {
	t.Parallel()
	mode := os.Getenv(parityEnv)
	switch mode {
	case "":
		mode = "fixtures"
	case "fixtures", "live", "record":
	default:
		t.Fatalf("%s=%q: want fixtures, live or record", parityEnv, mode)
	}
	clip := testmedia.Make(t, t.TempDir(), testmedia.Clip{Width: 320, Height: 240, Seconds: 2})

	var reference map[string]any
	source := "fixtures (" + parityFixtures + ", recorded from PeerTube 6.3)"
	if mode == "fixtures" {
		reference = readParityFixtures(t)
	} else {
		reference = livePeerTubeAnswers(t, clip, mode == "record")
		source = "live PeerTube 6.3"
	}

	n := startNode(t, Config{AdminPassword: testPassword})
	body, ct := multipartBody(t, map[string]string{"name": "parity clip"}, clip)
	resp, b := n.upload(t, n.token, body, ct)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("node upload: %s %s", resp.Status, b)
	}
	var created struct{ Video struct{ UUID string } }
	if err := json.Unmarshal(b, &created); err != nil {
		t.Fatal(err)
	}
	n.waitPublished(t, created.Video.UUID)

	var table, details strings.Builder
	fmt.Fprintf(&table, "REST parity with PeerTube, whose answers are from %s:\n", source)
	fmt.Fprintf(&table, "  %-38s %-24s %s\n", "endpoint", "coverage", "minimum (target 95 %)")
	for _, e := range parityEndpoints {
		var got any
		getJSON(t, n.base+e.path(created.Video.UUID), &got)
		c := jsonshape.Compare(reference[e.fixture], got)
		fmt.Fprintf(&table, "  %-38s %-24s %d %%\n", e.name, c, e.minPercent)
		if c.Total < 10 {
			t.Errorf("%s: PeerTube's answer has only %d fields; the reference is broken", e.name, c.Total)
		}
		if r := c.Report(); r != "" {
			fmt.Fprintf(&details, "%s lacks:\n%s", e.name, r)
		}
		switch measured := int(c.Percent()); {
		case measured < e.minPercent:
			t.Errorf("%s: coverage %s fell below its minimum %d %%", e.name, c, e.minPercent)
		case measured > e.minPercent:
			t.Logf("%s: coverage %d %% is above its minimum %d %%: raise the ratchet", e.name, measured, e.minPercent)
		}
	}
	t.Logf("%s\n%s", table.String(), details.String())
}

// readParityFixtures reads PeerTube's recorded answers by fixture name.
func readParityFixtures(t *testing.T) map[string]any {
	t.Helper()
	answers := map[string]any{}
	for _, e := range parityEndpoints {
		b, err := os.ReadFile(filepath.Join(parityFixtures, e.fixture))
		if err != nil {
			t.Fatalf("%v (record them with %s=record and PT_ROOT set)", err, parityEnv)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v", e.fixture, err)
		}
		answers[e.fixture] = v
	}
	return answers
}

// livePeerTubeAnswers uploads clip to a real PeerTube, reads the endpoints
// anonymously (as the node is read) and, when record is set, writes them
// as the fixtures.
func livePeerTubeAnswers(t *testing.T, clip string, record bool) map[string]any {
	t.Helper()
	pt := peertube.Start(t, peertube.Options{})
	_, uuid := pt.Upload(t, clip, "parity clip")
	pt.WaitPublished(t, uuid, 3*time.Minute)
	var video struct {
		ShortUUID string `json:"shortUUID"`
	}
	pt.GetJSON(t, "/api/v1/videos/"+uuid, &video)
	answers := map[string]any{}
	for _, e := range parityEndpoints {
		var raw json.RawMessage
		if st := pt.Do(t, http.MethodGet, e.path(uuid), "", nil, &raw); st != http.StatusOK {
			t.Fatalf("PeerTube GET %s: %d", e.path(uuid), st)
		}
		norm, err := normaliseAnswer(raw, pt.Host, uuid, video.ShortUUID)
		if err != nil {
			t.Fatalf("PeerTube GET %s: %v", e.path(uuid), err)
		}
		var v any
		if err := json.Unmarshal(norm, &v); err != nil {
			t.Fatal(err)
		}
		answers[e.fixture] = v
		if record {
			if err := os.MkdirAll(parityFixtures, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(parityFixtures, e.fixture), norm, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if record {
		t.Logf("recorded PeerTube's answers into %s", parityFixtures)
	}
	return answers
}

var (
	isoDate = regexp.MustCompile(`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"`)
	anyUUID = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
)

// normaliseAnswer makes a recorded answer stable between recordings: one
// host, fixed dates and UUIDs, the video's shortUUID fixed; indented with
// sorted keys, for readable diffs. Shapes are untouched.
func normaliseAnswer(raw []byte, host, uuid, shortUUID string) ([]byte, error) {
	s := strings.ReplaceAll(string(raw), host, "peertube.example")
	s = strings.ReplaceAll(s, url.QueryEscape(host), "peertube.example") // in magnets
	s = strings.ReplaceAll(s, uuid, "00000000-0000-4000-8000-000000000001")
	if shortUUID != "" {
		s = strings.ReplaceAll(s, shortUUID, "shortuuid0000000000001")
	}
	s = anyUUID.ReplaceAllString(s, "00000000-0000-4000-8000-000000000000")
	s = isoDate.ReplaceAllString(s, `"2026-01-01T00:00:00.000Z"`)
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
