package origin

import (
	"bytes"
	"context"
	"encoding/base64"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

func TestAdminToken(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := openTestCatalog(t, dir)

	if c.CheckToken(ctx, "anything") || c.CheckToken(ctx, "") {
		t.Fatal("a token is accepted before one exists")
	}
	tok, err := c.EnsureAdminToken(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if raw, err := base64.RawURLEncoding.DecodeString(tok); err != nil || len(raw) != 32 {
		t.Fatalf("token %q is not 32 bytes of base64url: %v", tok, err)
	}
	again, err := c.EnsureAdminToken(ctx, "")
	if err != nil || again != "" {
		t.Fatalf("second EnsureAdminToken = %q, %v; the plaintext must be shown once", again, err)
	}
	tests := []struct {
		token string
		want  bool
	}{
		{tok, true},
		{tok + "x", false},
		{tok[:len(tok)-1], false},
		{"", false},
	}
	for _, tt := range tests {
		if got := c.CheckToken(ctx, tt.token); got != tt.want {
			t.Errorf("CheckToken(%q) = %v, want %v", tt.token, got, tt.want)
		}
	}

	// Reopen: the hash persisted, the cache starts empty.
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c = openTestCatalog(t, dir)
	defer c.Close()
	if !c.CheckToken(ctx, tok) {
		t.Fatal("token rejected after reopen")
	}
	if got, _ := c.EnsureAdminToken(ctx, ""); got != "" {
		t.Fatalf("EnsureAdminToken after reopen created %q", got)
	}

	// A given token replaces the stored one.
	if got, err := c.EnsureAdminToken(ctx, "operator-chosen"); err != nil || got != "" {
		t.Fatalf("EnsureAdminToken(given) = %q, %v", got, err)
	}
	if c.CheckToken(ctx, tok) || !c.CheckToken(ctx, "operator-chosen") {
		t.Error("given token did not replace the generated one")
	}

	// Neither plaintext is stored anywhere in the database.
	err = c.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			if bytes.Contains(v, []byte("operator-chosen")) || bytes.Contains(v, []byte(tok)) {
				t.Errorf("key %q holds a plaintext token", it.Item().Key())
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
