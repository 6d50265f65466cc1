package origin

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
)

func TestBlocklistPersistsAndCompares(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "db")
	ctx := context.Background()
	c := openTestCatalog(t, dir)
	b, err := OpenBlocklist(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	var forgotten []string
	b.OnBlock = func(_ context.Context, host string) error {
		forgotten = append(forgotten, host)
		return nil
	}
	for _, h := range []string{"Bad.Example", "bad.example:8443", "other.example"} {
		if _, err := b.Block(ctx, h); err != nil {
			t.Fatalf("Block(%q): %v", h, err)
		}
	}
	if _, err := b.Block(ctx, "BAD.example"); !errors.Is(err, ErrAlreadyBlocked) {
		t.Errorf("blocking again: %v; want ErrAlreadyBlocked", err)
	}
	if want := []string{"bad.example", "bad.example:8443", "other.example"}; !slices.Equal(forgotten, want) {
		t.Errorf("OnBlock got %q; want %q", forgotten, want)
	}
	if err := b.Unblock(ctx, "OTHER.example"); err != nil {
		t.Fatal(err)
	}
	if err := b.Unblock(ctx, "other.example"); !errors.Is(err, ErrNotBlocked) {
		t.Errorf("unblocking again: %v; want ErrNotBlocked", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	c = openTestCatalog(t, dir)
	defer c.Close()
	b, err = OpenBlocklist(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]bool{
		"bad.example": true, "BAD.EXAMPLE": true, "bad.example:8443": true,
		"bad.example:9000": false, "other.example": false, "good.example": false, "": false,
	} {
		if got := b.Blocked(host); got != want {
			t.Errorf("after reopening, Blocked(%q) = %v; want %v", host, got, want)
		}
	}
	list := b.BlockedServers()
	if len(list) != 2 || list[0].CreatedAt.Before(list[1].CreatedAt) || list[0].CreatedAt.IsZero() {
		t.Errorf("BlockedServers() = %+v; want both, latest first", list)
	}
}
