package segmenter

import (
	"errors"
	"strings"
	"testing"
)

func TestTailWriter(t *testing.T) {
	w := newTailWriter(3)
	_, _ = w.Write([]byte("one\ntwo\r\nthr"))
	_, _ = w.Write([]byte("ee\n\nfour\n" + strings.Repeat("x", 3*maxTailLine)))
	got := w.String()
	want := "three | four | " + strings.Repeat("x", maxTailLine)
	if got != want {
		t.Fatalf("tail = %q…, want %q…", got[:min(40, len(got))], want[:40])
	}
	if r := newTailWriter(3).reason(errors.New("exit status 1")); r != "exit status 1" {
		t.Fatalf("reason without stderr = %q", r)
	}
}
