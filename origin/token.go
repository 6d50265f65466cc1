package origin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// keyAdminToken holds the SHA-256 of the admin token; the plaintext is never stored.
const keyAdminToken = "admin/token-sha256"

// EnsureAdminToken makes sure an admin token exists. A non-empty given token
// replaces the stored one and "" is returned. Otherwise, when no token is
// stored yet, a random one (32 bytes, base64url) is created and returned —
// the only time its plaintext is available; later calls return "".
func (c *Catalog) EnsureAdminToken(ctx context.Context, given string) (string, error) {
	c.tokenMu.Lock()
	defer c.tokenMu.Unlock()
	if given != "" {
		h := sha256.Sum256([]byte(given))
		if err := c.update(ctx, func(txn *badger.Txn) error { return txn.Set([]byte(keyAdminToken), h[:]) }); err != nil {
			return "", fmt.Errorf("store admin token: %w", err)
		}
		c.tokenHash = h[:]
		return "", nil
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	h := sha256.Sum256([]byte(token))
	created := false
	err := c.update(ctx, func(txn *badger.Txn) error {
		created = false
		item, err := txn.Get([]byte(keyAdminToken))
		if err == nil {
			c.tokenHash, err = item.ValueCopy(nil)
			return err
		}
		if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		created = true
		return txn.Set([]byte(keyAdminToken), h[:])
	})
	if err != nil {
		return "", fmt.Errorf("ensure admin token: %w", err)
	}
	if !created {
		return "", nil
	}
	c.tokenHash = h[:]
	return token, nil
}

// CheckToken reports whether token is the admin token. The comparison is of
// SHA-256 digests in constant time; the stored digest is cached in memory.
func (c *Catalog) CheckToken(ctx context.Context, token string) bool {
	if token == "" {
		return false
	}
	want := c.adminTokenHash(ctx)
	if len(want) != sha256.Size {
		return false
	}
	got := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(got[:], want) == 1
}

func (c *Catalog) adminTokenHash(ctx context.Context) []byte {
	c.tokenMu.Lock()
	defer c.tokenMu.Unlock()
	if c.tokenHash != nil || ctx.Err() != nil {
		return c.tokenHash
	}
	err := c.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(keyAdminToken))
		if err != nil {
			return err
		}
		c.tokenHash, err = item.ValueCopy(nil)
		return err
	})
	if err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
		c.logger.Warn("read admin token", "err", err)
	}
	return c.tokenHash
}
