package seeder

import (
	"bytes"
	"testing"

	"github.com/anacrolix/torrent/metainfo"
	"github.com/anacrolix/torrent/storage"
)

func TestCompletionRecordRoundTrip(t *testing.T) {
	for _, pieces := range []int{1, 7, 8, 9, 2047} {
		r := newCompletionRecord(int64(pieces)*16384-5, -1234567890, pieces)
		for i := 0; i < pieces; i += 3 {
			r.set(i, true)
		}
		got, err := decodeCompletionRecord(r.encode())
		if err != nil {
			t.Fatalf("%d pieces: %v", pieces, err)
		}
		if got.size != r.size || got.modTime != r.modTime || got.pieces != pieces || !bytes.Equal(got.bits, r.bits) {
			t.Errorf("%d pieces: decoded %+v, want %+v", pieces, got, r)
		}
		if got.allComplete() != (pieces == 1) {
			t.Errorf("%d pieces, every third set: allComplete = %v", pieces, got.allComplete())
		}
		if want := 1 + (pieces+7)/8; len(r.encode()) > want+20 {
			t.Errorf("%d pieces: record is %d bytes, want about %d", pieces, len(r.encode()), want)
		}
	}
}

func TestKVCompletionPersistsThroughKV(t *testing.T) {
	kv := newMapKV()
	ih := metainfo.HashBytes([]byte("x"))
	c := newKVCompletion(kv)
	key := func(i int) metainfo.PieceKey { return metainfo.PieceKey{InfoHash: ih, Index: i} }

	if got, _ := c.Get(key(0)); got.Ok {
		t.Fatalf("unknown torrent reported known: %+v", got)
	}
	if err := c.Set(key(0), true); err != nil { // ignored: no record yet
		t.Fatal(err)
	}
	if _, found, _ := kv.Get(completionKey(ih)); found {
		t.Fatal("Set on an unknown torrent wrote a record")
	}

	r := newCompletionRecord(40000, 1, 3)
	r.set(0, true)
	r.set(2, true)
	if err := c.store(ih, r); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(key(1), true); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(key(2), false); err != nil {
		t.Fatal(err)
	}

	fresh := newKVCompletion(kv) // as after a restart
	if rec, err := fresh.load(ih); err != nil || rec == nil {
		t.Fatalf("load = %v, %v", rec, err)
	}
	want := []storage.Completion{{Ok: true, Complete: true}, {Ok: true, Complete: true}, {Ok: true, Complete: false}, {}}
	i := 0
	for got := range fresh.GetRange(ih, 0, 4) {
		if got != want[i] {
			t.Errorf("piece %d: %+v, want %+v", i, got, want[i])
		}
		i++
	}
	if err := fresh.forget(ih); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := kv.Get(completionKey(ih)); found {
		t.Error("record survived forget")
	}
}

func TestDecodeCompletionRecordRejectsGarbage(t *testing.T) {
	valid := newCompletionRecord(100, 5, 10).encode()
	for name, b := range map[string][]byte{
		"empty":         nil,
		"wrong version": append([]byte{2}, valid[1:]...),
		"short bitmap":  valid[:len(valid)-1],
		"long bitmap":   append(append([]byte(nil), valid...), 0),
		"truncated":     valid[:2],
		"huge pieces":   {1, 1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	} {
		if r, err := decodeCompletionRecord(b); err == nil {
			t.Errorf("%s: decoded %+v", name, r)
		}
	}
}

// FuzzDecodeCompletionRecord: KV values are decoded without panics, and
// whatever decodes survives an encode/decode round trip unchanged (varints
// may be non-canonical in the input, so bytes can differ).
func FuzzDecodeCompletionRecord(f *testing.F) {
	r := newCompletionRecord(123456, 1700000000000000000, 13)
	r.set(12, true)
	f.Add(r.encode())
	f.Add(newCompletionRecord(1, 0, 1).encode())
	f.Add([]byte{1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeCompletionRecord(b)
		if err != nil {
			return
		}
		r.allComplete()
		again, err := decodeCompletionRecord(r.encode())
		if err != nil {
			t.Fatalf("re-encoding of %x does not decode: %v", b, err)
		}
		if again.size != r.size || again.modTime != r.modTime || again.pieces != r.pieces || !bytes.Equal(again.bits, r.bits) {
			t.Fatalf("round trip changed %+v into %+v", r, again)
		}
	})
}
