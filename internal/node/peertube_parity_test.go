package node

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/peeredge/peeredge/internal/peertube"
	"github.com/peeredge/peeredge/internal/testmedia"
)

// TestPeerTubeVideoFieldParity uploads one clip to the node and to a real
// PeerTube and compares the field names of their GET /api/v1/videos/{id}
// answers. It only reports what the node lacks (and adds): the parity
// itself is a later issue's gate. It fails when either side cannot
// publish the clip or answers something else than a JSON object.
func TestPeerTubeVideoFieldParity(t *testing.T) {
	t.Parallel()
	pt := peertube.Start(t, peertube.Options{})
	n := startNode(t, Config{AdminPassword: testPassword})
	clip := testmedia.Make(t, t.TempDir(), testmedia.Clip{Width: 320, Height: 240, Seconds: 2})

	_, ptUUID := pt.Upload(t, clip, "parity clip")
	pt.WaitPublished(t, ptUUID, 3*time.Minute)
	var ptVideo map[string]any
	pt.GetJSON(t, "/api/v1/videos/"+ptUUID, &ptVideo)

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
	var nodeVideo map[string]any
	getJSON(t, n.base+"/api/v1/videos/"+created.Video.UUID, &nodeVideo)

	ptFields, nodeFields := fieldPaths(ptVideo), fieldPaths(nodeVideo)
	if len(ptFields) == 0 || len(nodeFields) == 0 {
		t.Fatalf("no fields: PeerTube %d, node %d", len(ptFields), len(nodeFields))
	}
	var lacks, adds []string
	for f := range ptFields {
		if !nodeFields[f] {
			lacks = append(lacks, f)
		}
	}
	for f := range nodeFields {
		if !ptFields[f] {
			adds = append(adds, f)
		}
	}
	slices.Sort(lacks)
	slices.Sort(adds)
	t.Logf("GET /api/v1/videos/{id}: PeerTube 6.3 has %d fields, the node %d", len(ptFields), len(nodeFields))
	t.Logf("the node lacks %d of PeerTube's fields:\n  %s", len(lacks), strings.Join(lacks, "\n  "))
	t.Logf("the node adds %d fields PeerTube lacks:\n  %s", len(adds), strings.Join(adds, "\n  "))
}

// fieldPaths lists the field names of a JSON value as dotted paths, with
// "[]" for the elements of an array (all elements merged).
func fieldPaths(v any) map[string]bool {
	paths := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				paths[p] = true
				walk(p, e)
			}
		case []any:
			for _, e := range x {
				walk(prefix+"[]", e)
			}
		}
	}
	walk("", v)
	return paths
}
