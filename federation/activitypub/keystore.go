package activitypub

import (
	"context"
	"crypto/rsa"
	"fmt"
	"sync"
)

// Store is a small durable key-value space (origin.Catalog's KV in the
// node): the actors' keys and the follow state live in it.
type Store interface {
	Get(key []byte) ([]byte, bool, error)
	Set(key, value []byte) error
	Delete(key []byte) error
	Each(ctx context.Context, fn func(key, value []byte) error) error
}

// KeyStore keeps one RSA key per local actor: made once, stored as PKCS#8
// PEM, kept in memory once read. Actors are named by a stable handle
// ("account/peertube", "channel/root_channel"), not their URL, so a new
// public URL keeps the keys.
type KeyStore struct {
	store Store

	mu   sync.Mutex
	keys map[string]*rsa.PrivateKey
}

// NewKeyStore keeps its keys in store.
func NewKeyStore(store Store) *KeyStore {
	return &KeyStore{store: store, keys: map[string]*rsa.PrivateKey{}}
}

// Key returns the key of the actor handle, making and storing one the
// first time. Concurrent first calls make one key.
func (ks *KeyStore) Key(handle string) (*rsa.PrivateKey, error) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if k, ok := ks.keys[handle]; ok {
		return k, nil
	}
	raw, ok, err := ks.store.Get([]byte(handle))
	if err != nil {
		return nil, fmt.Errorf("activitypub: key of %s: %w", handle, err)
	}
	var k *rsa.PrivateKey
	if ok {
		if k, err = ParsePrivateKeyPEM(string(raw)); err != nil {
			return nil, fmt.Errorf("activitypub: stored key of %s: %w", handle, err)
		}
	} else {
		if k, err = GenerateKey(); err != nil {
			return nil, err
		}
		pemKey, err := PrivateKeyPEM(k)
		if err != nil {
			return nil, err
		}
		if err := ks.store.Set([]byte(handle), []byte(pemKey)); err != nil {
			return nil, fmt.Errorf("activitypub: storing key of %s: %w", handle, err)
		}
	}
	ks.keys[handle] = k
	return k, nil
}
