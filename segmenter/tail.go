package segmenter

import (
	"strings"
	"sync"
)

// maxTailLine caps one remembered stderr line so a runaway tool cannot grow
// memory without bound.
const maxTailLine = 1024

// tailWriter keeps the last few lines written to it: ffmpeg's closing stderr
// lines are what explains a failure.
type tailWriter struct {
	mu      sync.Mutex
	keep    int
	lines   []string
	partial []byte
}

func newTailWriter(keep int) *tailWriter { return &tailWriter{keep: keep} }

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, b := range p {
		if b == '\n' || b == '\r' {
			t.flushLocked()
			continue
		}
		if len(t.partial) < maxTailLine {
			t.partial = append(t.partial, b)
		}
	}
	return len(p), nil
}

func (t *tailWriter) flushLocked() {
	line := strings.TrimSpace(string(t.partial))
	t.partial = t.partial[:0]
	if line == "" {
		return
	}
	t.lines = append(t.lines, line)
	if len(t.lines) > t.keep {
		t.lines = t.lines[len(t.lines)-t.keep:]
	}
}

// String returns the remembered lines joined with " | ".
func (t *tailWriter) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.flushLocked()
	return strings.Join(t.lines, " | ")
}

// reason explains a failed run: the stderr tail, else the process error.
func (t *tailWriter) reason(runErr error) string {
	if s := t.String(); s != "" {
		return s
	}
	return runErr.Error()
}
