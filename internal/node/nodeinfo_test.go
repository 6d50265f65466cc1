package node

import (
	"net/http"
	"strings"
	"testing"
)

// TestNodeInfo: discovery finds the NodeInfo 2.0 document through the
// well-known link, and the document carries what the schema requires.
func TestNodeInfo(t *testing.T) {
	t.Parallel()
	n := startNode(t, Config{NoSeed: true})
	var wk struct {
		Links []struct{ Rel, Href string }
	}
	getJSON(t, n.base+"/.well-known/nodeinfo", &wk)
	if len(wk.Links) != 1 || wk.Links[0].Rel != "http://nodeinfo.diaspora.software/ns/schema/2.0" || wk.Links[0].Href != n.base+"/nodeinfo/2.0.json" {
		t.Fatalf("well-known nodeinfo: %+v", wk)
	}
	var doc struct {
		Version           string
		Software          struct{ Name, Version string }
		Protocols         []string
		Services          struct{ Inbound, Outbound []string }
		OpenRegistrations *bool
		Usage             struct {
			Users      struct{ Total int }
			LocalPosts *int
		}
		Metadata map[string]any
	}
	ct := getJSON(t, wk.Links[0].Href, &doc)
	if doc.Version != "2.0" || doc.Software.Name != "peeredge" || doc.Software.Version == "" ||
		len(doc.Protocols) != 1 || doc.Protocols[0] != "activitypub" || doc.Services.Inbound == nil || doc.Services.Outbound == nil ||
		doc.OpenRegistrations == nil || *doc.OpenRegistrations || doc.Usage.Users.Total != 1 || doc.Usage.LocalPosts == nil || *doc.Usage.LocalPosts != 0 ||
		doc.Metadata["nodeName"] != strings.TrimPrefix(n.base, "http://") {
		t.Fatalf("nodeinfo document: %+v", doc)
	}
	if !strings.HasPrefix(ct, "application/json") || !strings.Contains(ct, "schema/2.0#") {
		t.Fatalf("nodeinfo content type %q", ct)
	}
	resp, err := http.Post(n.base+"/nodeinfo/2.0.json", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST nodeinfo: %s, want 405", resp.Status)
	}
}
