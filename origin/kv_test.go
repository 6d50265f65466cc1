package origin

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
)

func TestKVAndSettingsPersist(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	ctx := context.Background()
	c, err := OpenCatalog(dir, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b := c.KV("a"), c.KV("b")
	if err := a.Set([]byte("k"), []byte("va")); err != nil {
		t.Fatal(err)
	}
	if err := b.Set([]byte("k"), []byte("vb")); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := a.Get([]byte("missing")); ok || v != nil || err != nil {
		t.Errorf("missing key: %q %v %v", v, ok, err)
	}
	if on, err := c.BoolSetting(ctx, "p2p", true); !on || err != nil {
		t.Errorf("unset setting = %v %v, want default true", on, err)
	}
	if err := c.SetBoolSetting(ctx, "p2p", false); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	c, err = OpenCatalog(dir, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for ns, want := range map[string]string{"a": "va", "b": "vb"} {
		v, ok, err := c.KV(ns).Get([]byte("k"))
		if !ok || err != nil || !bytes.Equal(v, []byte(want)) {
			t.Errorf("namespace %s after reopen: %q %v %v, want %q", ns, v, ok, err, want)
		}
	}
	if on, err := c.BoolSetting(ctx, "p2p", true); on || err != nil {
		t.Errorf("setting after reopen = %v %v, want false", on, err)
	}
	if err := c.KV("a").Delete([]byte("k")); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := c.KV("a").Get([]byte("k")); ok {
		t.Error("deleted key still there")
	}
	if _, ok, _ := c.KV("b").Get([]byte("k")); !ok {
		t.Error("delete in one namespace removed another's key")
	}
}
