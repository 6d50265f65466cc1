package swarm

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/anacrolix/torrent/metainfo"
)

// Magnet is everything a magnet link carries. The API renders magnets from
// the catalogue with it, without reading the .torrent.
type Magnet struct {
	InfoHash   string   // hex v1 info hash (xt)
	Name       string   // dn
	Length     int64    // xl; 0 leaves it out
	Trackers   []string // tr
	WebSeeds   []string // ws
	TorrentURL string   // xs
}

// String renders
// magnet:?xt=urn:btih:<hex>&dn=<name>&tr=<each tracker>&ws=<each web seed>&xl=<length>&xs=<torrent URL>.
// Values are percent-encoded (spaces as %20, not '+', which some JavaScript
// parsers keep literally); repeated trackers and web seeds appear once.
func (m Magnet) String() string {
	var b strings.Builder
	b.WriteString("magnet:?xt=urn:btih:")
	b.WriteString(strings.ToLower(m.InfoHash))
	add := func(key, value string) {
		b.WriteByte('&')
		b.WriteString(key)
		b.WriteByte('=')
		b.WriteString(escapeMagnetValue(value))
	}
	if m.Name != "" && m.Name != metainfo.NoName {
		add("dn", m.Name)
	}
	for _, tr := range distinct(m.Trackers) {
		add("tr", tr)
	}
	for _, ws := range distinct(m.WebSeeds) {
		add("ws", ws)
	}
	if m.Length > 0 {
		add("xl", strconv.FormatInt(m.Length, 10))
	}
	if m.TorrentURL != "" {
		add("xs", m.TorrentURL)
	}
	return b.String()
}

// escapeMagnetValue percent-encodes v for a query value. QueryEscape turns a
// literal '+' into %2B, so every '+' left in its output stands for a space.
func escapeMagnetValue(v string) string {
	return strings.ReplaceAll(url.QueryEscape(v), "+", "%20")
}

// distinct keeps the first of each non-empty value.
func distinct(values []string) []string {
	seen := make(map[string]bool)
	var out []string
	for _, v := range values {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
