package origin

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/dgraph-io/badger/v4"
)

// Namespaces of KV views and settings, apart from the catalogue's own keys.
const (
	prefixKV      = "kv/"  // kv/<namespace>/<key> → opaque bytes
	prefixSetting = "set/" // set/<name> → value
)

// KV is a namespaced key-value view of the catalogue's database, for other
// parts of the node that need a little durable state (the seeder's piece
// completion) without files of their own.
type KV struct {
	c      *Catalog
	prefix string
}

// KV returns the view of namespace ns.
func (c *Catalog) KV(ns string) *KV { return &KV{c: c, prefix: prefixKV + ns + "/"} }

// Get returns the value at key and whether there was one.
func (kv *KV) Get(key []byte) ([]byte, bool, error) {
	var out []byte
	err := kv.c.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(append([]byte(kv.prefix), key...))
		if err != nil {
			return err
		}
		out, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("kv get: %w", err)
	}
	return out, true, nil
}

// Set stores value at key.
func (kv *KV) Set(key, value []byte) error {
	k := append([]byte(kv.prefix), key...)
	v := append([]byte(nil), value...)
	return kv.c.update(context.Background(), func(txn *badger.Txn) error { return txn.Set(k, v) })
}

// Delete removes key; a missing key is not an error.
func (kv *KV) Delete(key []byte) error {
	k := append([]byte(kv.prefix), key...)
	return kv.c.update(context.Background(), func(txn *badger.Txn) error { return txn.Delete(k) })
}

// Each calls fn with every key (without the namespace) and value of the
// view, in key order; fn's error stops the walk and is returned.
func (kv *KV) Each(ctx context.Context, fn func(key, value []byte) error) error {
	return kv.c.db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix = []byte(kv.prefix)
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			item := it.Item()
			v, err := item.ValueCopy(nil)
			if err != nil {
				return fmt.Errorf("kv each: %w", err)
			}
			if err := fn(item.KeyCopy(nil)[len(kv.prefix):], v); err != nil {
				return err
			}
		}
		return nil
	})
}

// BoolSetting reads a persisted switch; def when it was never set.
func (c *Catalog) BoolSetting(ctx context.Context, name string, def bool) (bool, error) {
	v, ok, err := (&KV{c: c, prefix: prefixSetting}).Get([]byte(name))
	if err != nil || !ok {
		return def, err
	}
	b, err := strconv.ParseBool(string(v))
	if err != nil {
		return def, fmt.Errorf("setting %s: %w", name, err)
	}
	return b, nil
}

// SetBoolSetting persists a switch.
func (c *Catalog) SetBoolSetting(ctx context.Context, name string, value bool) error {
	return (&KV{c: c, prefix: prefixSetting}).Set([]byte(name), []byte(strconv.FormatBool(value)))
}
