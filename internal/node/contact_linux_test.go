package node

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/peeredge/peeredge/internal/smalldisk"
	"github.com/peeredge/peeredge/origin"
)

// TestContactOnFullDisk: on a disk short of its reserve a message is
// refused with 507, like an upload, the ones stored before are kept, and
// once there is room again messages are taken without a restart.
func TestContactOnFullDisk(t *testing.T) {
	t.Parallel()
	root := smalldisk.Mount(t, 128<<20)
	n := startContactNode(t, Config{DataDir: filepath.Join(root, "data")})
	if resp, b := n.contact(t, "198.51.100.1", validForm()); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("first message: %s %s", resp.Status, b)
	}
	// Another program leaves less than the reserve (but the catalogue's
	// headroom, so the node goes on working).
	smalldisk.Fill(t, root, 2*origin.CatalogHeadroom)
	resp, b := n.contact(t, "198.51.100.2", validForm())
	if resp.StatusCode != http.StatusInsufficientStorage || !strings.Contains(string(b), "disk is full") {
		t.Errorf("on a full disk: %s %s, want 507", resp.Status, b)
	}
	if list := n.contactList(t); len(list) != 1 {
		t.Errorf("after the refusal: %+v, want the first message alone", list)
	}
	if err := os.Remove(smalldisk.FillerPath(root)); err != nil {
		t.Fatal(err)
	}
	if resp, b := n.contact(t, "198.51.100.3", validForm()); resp.StatusCode != http.StatusNoContent {
		t.Errorf("with room again: %s %s", resp.Status, b)
	}
}
