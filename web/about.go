package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// exampleViewers is the audience of the about page's worked example.
const exampleViewers = 1000

// aboutPage is the about page's data: every limit as the running node
// applies it, already in words.
type aboutPage struct {
	P2P            bool // the admin switch, now
	MaxPeers       int
	ExampleViewers string // "1,000"
	MinRequests    string // ⌈ExampleViewers / MaxPeers⌉
	Rate           string // "1 request a second"
	Burst          int
	AlarmDistinct  int
	AlarmWindow    string
	AlarmBlock     string // "" when the alarm only warns
	SocketPeerTTL  string
	SocketInterval string
	PeerTTL        string
	Scrape         bool
}

func (w *Web) about(ctx *fasthttp.RequestCtx) {
	p := w.cfg.Privacy
	data := aboutPage{
		P2P:            w.cfg.P2P(),
		MaxPeers:       p.MaxPeers,
		ExampleViewers: thousands(exampleViewers),
		Rate:           rateWords(p.Rate),
		Burst:          p.Burst,
		AlarmDistinct:  p.AlarmDistinct,
		AlarmWindow:    durationWords(p.AlarmWindow),
		SocketPeerTTL:  durationWords(p.SocketPeerTTL),
		SocketInterval: durationWords(p.SocketInterval),
		PeerTTL:        durationWords(p.PeerTTL),
		Scrape:         p.Scrape,
	}
	if p.MaxPeers > 0 {
		data.MinRequests = thousands((exampleViewers + p.MaxPeers - 1) / p.MaxPeers)
	}
	if p.AlarmBlock > 0 {
		data.AlarmBlock = durationWords(p.AlarmBlock)
	}
	w.render(ctx, http.StatusOK, "about", framed, data)
}

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// rateWords says a per-second rate the way people read it: "1 request a
// second", "2.5 requests a second", "1 request every 4 seconds".
func rateWords(perSecond float64) string {
	if perSecond <= 0 {
		return "no requests"
	}
	if perSecond < 1 {
		return "1 request every " + durationWords(time.Duration(float64(time.Second)/perSecond))
	}
	n := strconv.FormatFloat(perSecond, 'f', -1, 64)
	if n == "1" {
		return "1 request a second"
	}
	return n + " requests a second"
}

// durationWords writes d in hours, minutes and seconds ("1 hour 30
// minutes", "21 minutes", "45 seconds"), rounded to the second.
func durationWords(d time.Duration) string {
	d = d.Round(time.Second)
	if d <= 0 {
		return "0 seconds"
	}
	h, m, s := int(d/time.Hour), int(d/time.Minute%60), int(d/time.Second%60)
	var parts []string
	for _, u := range []struct {
		n    int
		unit string
	}{{h, "hour"}, {m, "minute"}, {s, "second"}} {
		switch {
		case u.n == 1:
			parts = append(parts, "1 "+u.unit)
		case u.n > 1:
			parts = append(parts, strconv.Itoa(u.n)+" "+u.unit+"s")
		}
	}
	return strings.Join(parts, " ")
}
