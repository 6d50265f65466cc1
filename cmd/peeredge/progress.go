package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// progress draws a bar on a terminal and plain lines (one per 10 %)
// everywhere else, so logs stay readable.
type progress struct {
	w         io.Writer
	tty       bool
	stage     string
	lastTenth int
	drawn     bool
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, lastTenth: -1}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = os.Getenv("TERM") != "dumb"
		}
	}
	return p
}

func (p *progress) set(stage string, frac float64) {
	frac = min(max(frac, 0), 1)
	if p.tty {
		const width = 30
		full := int(frac * width)
		fmt.Fprintf(p.w, "\r%-12s [%s%s] %5.1f%%", stage, strings.Repeat("#", full), strings.Repeat(" ", width-full), frac*100)
		p.drawn = true
		return
	}
	tenth := int(frac * 10)
	if stage != p.stage || tenth != p.lastTenth {
		fmt.Fprintf(p.w, "%s %3.0f%%\n", stage, float64(tenth)*10)
	}
	p.stage, p.lastTenth = stage, tenth
}

func (p *progress) done() {
	if p.tty && p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}
