package origin

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/peeredge/peeredge/internal/smalldisk"
)

// TestContactOnFullDisk: a message that would eat into the disk reserve is
// refused with ErrNoSpace, and the messages stored before are all there.
func TestContactOnFullDisk(t *testing.T) {
	root := smalldisk.Mount(t, 128<<20)
	ctx := context.Background()
	s := newTestSpace(t, root, MinDiskReserve)
	c, err := OpenCatalog(filepath.Join(root, "catalog"), testLogger(t), s)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	first, err := c.AddContact(ctx, ContactMessage{FromEmail: "a@b", Body: "kept"})
	if err != nil {
		t.Fatal(err)
	}
	// Another program leaves less than the reserve, more than the
	// catalogue's headroom: the catalogue could write, but a message is
	// refused as an upload would be.
	smalldisk.Fill(t, root, 2*CatalogHeadroom)
	if _, err := c.AddContact(ctx, ContactMessage{FromEmail: "a@b", Body: "refused"}); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("AddContact on a disk under its reserve = %v, want ErrNoSpace", err)
	}
	got, total, err := c.Contacts(ctx, 0, 10)
	if err != nil || total != 1 || len(got) != 1 || got[0].ID != first.ID || got[0].Body != "kept" {
		t.Errorf("after the refusal: %+v, %d, %v; want the first message alone", got, total, err)
	}
}
