package origin

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestContactMessages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	c := openTestCatalog(t, dir)
	var ids []int64
	for i := range 5 {
		m, err := c.AddContact(ctx, ContactMessage{
			FromEmail: fmt.Sprintf("a%d@example.org", i), FromName: "A", Subject: "s", Body: "hello", SenderIP: "192.0.2.1", Mailed: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		if m.ID == 0 || m.ReceivedAt.IsZero() || m.Mailed {
			t.Fatalf("stored %+v: want an id, a time and not mailed yet", m)
		}
		ids = append(ids, m.ID)
	}
	// A video in the same database does not count as a message.
	if _, err := c.CreateVideo(ctx, Video{Name: "v"}); err != nil {
		t.Fatal(err)
	}
	page, total, err := c.Contacts(ctx, 1, 2)
	if err != nil || total != 5 || len(page) != 2 || page[0].ID != ids[3] || page[1].ID != ids[2] {
		t.Fatalf("Contacts(1, 2) = %+v, %d, %v; want ids %d, %d of 5", page, total, err, ids[3], ids[2])
	}
	if page[0].FromEmail != "a3@example.org" || page[0].SenderIP != "192.0.2.1" {
		t.Errorf("message read back as %+v", page[0])
	}
	if err := c.MarkContactMailed(ctx, ids[4]); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteContact(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteContact(ctx, ids[0]); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting twice = %v, want ErrNotFound", err)
	}
	if err := c.MarkContactMailed(ctx, ids[0]); !errors.Is(err, ErrNotFound) {
		t.Errorf("marking a deleted message = %v, want ErrNotFound", err)
	}

	// All of it survives a restart.
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c = openTestCatalog(t, dir)
	defer c.Close()
	all, total, err := c.Contacts(ctx, 0, 100)
	if err != nil || total != 4 || len(all) != 4 {
		t.Fatalf("after reopening: %d of %d messages, %v; want 4", len(all), total, err)
	}
	if !all[0].Mailed || all[1].Mailed || all[3].ID != ids[1] {
		t.Errorf("after reopening: %+v", all)
	}
	if _, total, _ := c.Videos(ctx, 0, 10); total != 1 {
		t.Errorf("videos total = %d, want 1", total)
	}
}
