package segmenter

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// This file holds an RFC 8216 checker for the playlists the segmenter writes.
// It is deliberately stricter than players: anything a conforming parser could
// trip on is an error.

var (
	commonTags = map[string]bool{"EXT-X-VERSION": true, "EXT-X-INDEPENDENT-SEGMENTS": true, "EXT-X-START": true, "EXT-X-DEFINE": true}
	mediaTags  = map[string]bool{
		"EXTINF": true, "EXT-X-BYTERANGE": true, "EXT-X-DISCONTINUITY": true, "EXT-X-KEY": true,
		"EXT-X-MAP": true, "EXT-X-PROGRAM-DATE-TIME": true, "EXT-X-DATERANGE": true,
		"EXT-X-TARGETDURATION": true, "EXT-X-MEDIA-SEQUENCE": true, "EXT-X-DISCONTINUITY-SEQUENCE": true,
		"EXT-X-ENDLIST": true, "EXT-X-PLAYLIST-TYPE": true, "EXT-X-I-FRAMES-ONLY": true,
	}
	masterTags = map[string]bool{
		"EXT-X-MEDIA": true, "EXT-X-STREAM-INF": true, "EXT-X-I-FRAME-STREAM-INF": true,
		"EXT-X-SESSION-DATA": true, "EXT-X-SESSION-KEY": true,
	}
	decimalInteger    = regexp.MustCompile(`^(0|[1-9][0-9]{0,19})$`)
	decimalFloat      = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
	decimalResolution = regexp.MustCompile(`^[1-9][0-9]*x[1-9][0-9]*$`)
	byteRangeValue    = regexp.MustCompile(`^([1-9][0-9]*)(@([0-9]+))?$`)
)

// attrRule says how one attribute's value must look.
type attrRule struct {
	quoted bool
	value  *regexp.Regexp // nil: any value of the right quoting
}

var (
	mapAttrs = map[string]attrRule{
		"URI":       {quoted: true},
		"BYTERANGE": {quoted: true, value: byteRangeValue},
	}
	streamInfAttrs = map[string]attrRule{
		"BANDWIDTH":         {value: decimalInteger},
		"AVERAGE-BANDWIDTH": {value: decimalInteger},
		"CODECS":            {quoted: true},
		"RESOLUTION":        {value: decimalResolution},
		"FRAME-RATE":        {value: decimalFloat},
		"HDCP-LEVEL":        {value: regexp.MustCompile(`^(TYPE-0|TYPE-1|NONE)$`)},
		"AUDIO":             {quoted: true},
		"VIDEO":             {quoted: true},
		"SUBTITLES":         {quoted: true},
		"CLOSED-CAPTIONS":   {quoted: true},
		"PROGRAM-ID":        {value: decimalInteger}, // removed in version 6, checked below
	}
)

// checkAttrs parses an attribute list and checks it against rules.
func checkAttrs(tag, list string, rules map[string]attrRule) ([]Attribute, error) {
	attrs, err := parseAttributeList(list)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tag, err)
	}
	for _, a := range attrs {
		rule, ok := rules[a.Name]
		if !ok {
			return nil, fmt.Errorf("%s: unknown attribute %s", tag, a.Name)
		}
		if rule.quoted != a.Quoted {
			return nil, fmt.Errorf("%s: attribute %s quoted=%v, must be %v", tag, a.Name, a.Quoted, rule.quoted)
		}
		if rule.value != nil && !rule.value.MatchString(a.Value) {
			return nil, fmt.Errorf("%s: attribute %s has bad value %q", tag, a.Name, a.Value)
		}
	}
	return attrs, nil
}

type playlistKind int

const (
	mediaKind playlistKind = iota
	masterKind
)

// checkPlaylist returns every RFC 8216 violation found in data.
func checkPlaylist(data []byte, kind playlistKind) []error {
	var errs []error
	fail := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("line %d: "+format, append([]any{line}, args...)...))
	}
	if !utf8.Valid(data) || bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) {
		return []error{fmt.Errorf("not UTF-8 without BOM")}
	}
	if bytes.ContainsRune(data, '\r') {
		fail(0, "carriage return (we write LF line ends only)")
	}
	if !bytes.HasSuffix(data, []byte("\n")) {
		fail(0, "last line not terminated")
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) == 0 || lines[0] != "#EXTM3U" {
		return append(errs, fmt.Errorf("line 1: must be exactly #EXTM3U"))
	}

	var (
		version, versionCount  int
		target                 = -1
		needs                  = map[string]int{} // feature → minimum version
		pendingInf             = false            // EXTINF seen, URI not yet
		pendingRange           = false
		pendingStreamInf       = false
		lastRangeURI           string
		lastRangeEnd           int64 = -1
		rangePending           int64 = -1 // end of a pending EXT-X-BYTERANGE
		rangeImplicit          bool       // pending EXT-X-BYTERANGE has no offset
		segments               int
		endlist, vod           bool
		sawMap, sawIFramesOnly bool
		durations              []float64
		lastNonEmpty           string
		programID              bool
	)
	for i, line := range lines[1:] {
		n := i + 2
		if line == "" {
			continue
		}
		lastNonEmpty = line
		if endlist {
			fail(n, "content after EXT-X-ENDLIST")
		}
		if !strings.HasPrefix(line, "#") { // URI line
			if strings.ContainsAny(line, " \t") {
				fail(n, "whitespace in URI %q", line)
			}
			switch kind {
			case mediaKind:
				if !pendingInf {
					fail(n, "URI %q not preceded by EXTINF", line)
				}
				if rangeImplicit && line != lastRangeURI {
					fail(n, "EXT-X-BYTERANGE without offset follows a range of another resource")
				}
				if pendingRange {
					lastRangeURI, lastRangeEnd = line, rangePending
				} else {
					lastRangeURI, lastRangeEnd = "", -1
				}
				segments++
			case masterKind:
				if !pendingStreamInf {
					fail(n, "URI %q not preceded by EXT-X-STREAM-INF", line)
				}
			}
			pendingInf, pendingRange, pendingStreamInf, rangeImplicit = false, false, false, false
			continue
		}
		if !strings.HasPrefix(line, "#EXT") {
			continue // comment
		}
		name, value, hasValue := strings.Cut(line[1:], ":")
		if !commonTags[name] && !(kind == mediaKind && mediaTags[name]) && !(kind == masterKind && masterTags[name]) {
			fail(n, "tag %s unknown or not allowed in this playlist type", name)
			continue
		}
		if pendingStreamInf {
			fail(n, "EXT-X-STREAM-INF not followed by its URI")
			pendingStreamInf = false
		}
		switch name {
		case "EXT-X-VERSION":
			versionCount++
			v, err := strconv.Atoi(value)
			if err != nil || !decimalInteger.MatchString(value) {
				fail(n, "bad EXT-X-VERSION %q", value)
			}
			version = v
		case "EXT-X-INDEPENDENT-SEGMENTS", "EXT-X-ENDLIST", "EXT-X-DISCONTINUITY", "EXT-X-I-FRAMES-ONLY":
			if hasValue {
				fail(n, "%s takes no value", name)
			}
			if name == "EXT-X-ENDLIST" {
				endlist = true
			}
			if name == "EXT-X-I-FRAMES-ONLY" {
				sawIFramesOnly = true
			}
		case "EXT-X-TARGETDURATION":
			if target >= 0 {
				fail(n, "EXT-X-TARGETDURATION repeated")
			}
			if !decimalInteger.MatchString(value) {
				fail(n, "EXT-X-TARGETDURATION %q not a decimal-integer", value)
			}
			target, _ = strconv.Atoi(value)
		case "EXT-X-MEDIA-SEQUENCE", "EXT-X-DISCONTINUITY-SEQUENCE":
			if segments > 0 || pendingInf {
				fail(n, "%s after the first segment", name)
			}
			if !decimalInteger.MatchString(value) {
				fail(n, "%s %q not a decimal-integer", name, value)
			}
		case "EXT-X-PLAYLIST-TYPE":
			if value != "VOD" && value != "EVENT" {
				fail(n, "bad EXT-X-PLAYLIST-TYPE %q", value)
			}
			vod = value == "VOD"
		case "EXTINF":
			if pendingInf {
				fail(n, "EXTINF without a URI after the previous EXTINF")
			}
			pendingInf = true
			d, _, _ := strings.Cut(value, ",")
			if !strings.Contains(value, ",") {
				fail(n, "EXTINF lacks the comma")
			}
			if !decimalFloat.MatchString(d) {
				fail(n, "EXTINF duration %q malformed", d)
				continue
			}
			if strings.Contains(d, ".") {
				needs["floating-point EXTINF"] = 3
			}
			f, _ := strconv.ParseFloat(d, 64)
			durations = append(durations, f)
		case "EXT-X-BYTERANGE":
			needs["EXT-X-BYTERANGE"] = 4
			m := byteRangeValue.FindStringSubmatch(value)
			if m == nil {
				fail(n, "EXT-X-BYTERANGE %q malformed", value)
				continue
			}
			length, _ := strconv.ParseInt(m[1], 10, 64)
			offset := lastRangeEnd
			rangeImplicit = m[3] == ""
			if m[3] != "" {
				offset, _ = strconv.ParseInt(m[3], 10, 64)
			} else if lastRangeEnd < 0 {
				fail(n, "EXT-X-BYTERANGE without offset and no previous range of the same resource")
			}
			pendingRange, rangePending = true, offset+length
		case "EXT-X-MAP":
			sawMap = true
			attrs, err := checkAttrs(name, value, mapAttrs)
			if err != nil {
				fail(n, "%v", err)
				continue
			}
			if _, ok := attribute(attrs, "URI"); !ok {
				fail(n, "EXT-X-MAP without URI")
			}
		case "EXT-X-STREAM-INF":
			attrs, err := checkAttrs(name, value, streamInfAttrs)
			if err != nil {
				fail(n, "%v", err)
			}
			if _, ok := attribute(attrs, "BANDWIDTH"); !ok {
				fail(n, "EXT-X-STREAM-INF without BANDWIDTH")
			}
			if _, ok := attribute(attrs, "PROGRAM-ID"); ok {
				programID = true
			}
			pendingStreamInf = true
		default:
			if hasValue {
				if _, err := parseAttributeList(value); err != nil && name != "EXT-X-PROGRAM-DATE-TIME" {
					fail(n, "%v", err)
				}
			}
		}
	}
	if versionCount != 1 {
		errs = append(errs, fmt.Errorf("EXT-X-VERSION appears %d times, want 1", versionCount))
	}
	if sawMap && kind == mediaKind {
		if sawIFramesOnly {
			needs["EXT-X-MAP with I-FRAMES-ONLY"] = 5
		} else {
			needs["EXT-X-MAP"] = 6
		}
	}
	for feature, minVersion := range needs {
		if version < minVersion {
			errs = append(errs, fmt.Errorf("%s needs EXT-X-VERSION ≥ %d, have %d", feature, minVersion, version))
		}
	}
	if programID && version >= 6 {
		errs = append(errs, fmt.Errorf("PROGRAM-ID was removed in version 6, playlist declares %d", version))
	}
	switch kind {
	case mediaKind:
		if target < 0 {
			errs = append(errs, fmt.Errorf("no EXT-X-TARGETDURATION"))
		}
		for i, d := range durations {
			if int(math.Round(d)) > target {
				errs = append(errs, fmt.Errorf("segment %d: EXTINF %.3f rounds above EXT-X-TARGETDURATION %d", i, d, target))
			}
		}
		if pendingInf || pendingRange {
			errs = append(errs, fmt.Errorf("segment tags at the end without a URI"))
		}
		if segments == 0 {
			errs = append(errs, fmt.Errorf("no segments"))
		}
		if vod && !endlist {
			errs = append(errs, fmt.Errorf("VOD playlist without EXT-X-ENDLIST"))
		}
		if endlist && lastNonEmpty != "#EXT-X-ENDLIST" {
			errs = append(errs, fmt.Errorf("EXT-X-ENDLIST is not the last line"))
		}
	case masterKind:
		if pendingStreamInf {
			errs = append(errs, fmt.Errorf("EXT-X-STREAM-INF at the end without a URI"))
		}
	}
	return errs
}

func TestCheckPlaylistRejectsViolations(t *testing.T) {
	good := "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n" +
		"#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=\"a.mp4\",BYTERANGE=\"720@0\"\n" +
		"#EXTINF:4.000,\n#EXT-X-BYTERANGE:100@720\na.mp4\n#EXTINF:2.000,\n#EXT-X-BYTERANGE:50@820\na.mp4\n#EXT-X-ENDLIST\n"
	goodMaster := "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n" +
		"#EXT-X-STREAM-INF:BANDWIDTH=1000,AVERAGE-BANDWIDTH=900,CODECS=\"avc1.64001f,mp4a.40.2\",RESOLUTION=640x360,FRAME-RATE=30.000\na-360.m3u8\n"
	tests := []struct {
		name string
		kind playlistKind
		data string
		ok   bool
	}{
		{"good media", mediaKind, good, true},
		{"good master", masterKind, goodMaster, true},
		{"unquoted map byterange (grafov)", mediaKind, strings.Replace(good, `BYTERANGE="720@0"`, "BYTERANGE=720@0", 1), false},
		{"version 5 with map (grafov)", mediaKind, strings.Replace(good, "VERSION:7", "VERSION:5", 1), false},
		{"version 3 with byterange", mediaKind, strings.Replace(strings.Replace(good, "VERSION:7", "VERSION:3", 1), "#EXT-X-MAP:URI=\"a.mp4\",BYTERANGE=\"720@0\"\n", "", 1), false},
		{"no version", mediaKind, strings.Replace(good, "#EXT-X-VERSION:7\n", "", 1), false},
		{"two versions", mediaKind, strings.Replace(good, "#EXT-X-VERSION:7\n", "#EXT-X-VERSION:7\n#EXT-X-VERSION:7\n", 1), false},
		{"missing EXTM3U", mediaKind, strings.TrimPrefix(good, "#EXTM3U\n"), false},
		{"segment above target", mediaKind, strings.Replace(good, "#EXTINF:4.000,", "#EXTINF:4.600,", 1), false},
		{"URI without EXTINF", mediaKind, strings.Replace(good, "#EXTINF:2.000,\n", "", 1), false},
		{"content after endlist", mediaKind, good + "a.mp4\n", false},
		{"vod without endlist", mediaKind, strings.Replace(good, "#EXT-X-ENDLIST\n", "", 1), false},
		{"unknown tag", mediaKind, strings.Replace(good, "#EXT-X-ENDLIST", "#EXT-X-FOO\n#EXT-X-ENDLIST", 1), false},
		{"master tag in media", mediaKind, strings.Replace(good, "#EXT-X-ENDLIST", "#EXT-X-STREAM-INF:BANDWIDTH=1\nx.m3u8\n#EXT-X-ENDLIST", 1), false},
		{"stream-inf without bandwidth", masterKind, strings.Replace(goodMaster, "BANDWIDTH=1000,", "", 1), false},
		{"stream-inf without URI", masterKind, strings.TrimSuffix(goodMaster, "a-360.m3u8\n"), false},
		{"program-id in version 7", masterKind, strings.Replace(goodMaster, "STREAM-INF:", "STREAM-INF:PROGRAM-ID=0,", 1), false},
		{"unquoted codecs", masterKind, strings.Replace(goodMaster, `CODECS="avc1.64001f,mp4a.40.2"`, "CODECS=avc1.64001f", 1), false},
		{"quoted resolution", masterKind, strings.Replace(goodMaster, "RESOLUTION=640x360", `RESOLUTION="640x360"`, 1), false},
		{"whitespace in attribute list", masterKind, strings.Replace(goodMaster, "BANDWIDTH=1000,", "BANDWIDTH=1000, ", 1), false},
		{"implicit offset, other resource", mediaKind, strings.Replace(good, "#EXT-X-BYTERANGE:50@820\na.mp4", "#EXT-X-BYTERANGE:50\nb.mp4", 1), false},
		{"implicit offset, same resource", mediaKind, strings.Replace(good, "#EXT-X-BYTERANGE:50@820", "#EXT-X-BYTERANGE:50", 1), true},
		{"CRLF", mediaKind, strings.ReplaceAll(good, "\n", "\r\n"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := checkPlaylist([]byte(tt.data), tt.kind)
			if tt.ok && len(errs) > 0 {
				t.Fatalf("want no violations, got %v", errs)
			}
			if !tt.ok && len(errs) == 0 {
				t.Fatalf("want a violation, got none")
			}
		})
	}
}

func TestParseAttributeList(t *testing.T) {
	tests := []struct {
		in   string
		want []Attribute
	}{
		{`URI="a.mp4",BYTERANGE="720@0"`, []Attribute{{"URI", "a.mp4", true}, {"BYTERANGE", "720@0", true}}},
		{`BANDWIDTH=1,CODECS="a,b"`, []Attribute{{"BANDWIDTH", "1", false}, {"CODECS", "a,b", true}}},
		{`A=""`, []Attribute{{"A", "", true}}},
		{`a=1`, nil},
		{`A=1,A=2`, nil},
		{`A=1,`, nil},
		{`A="x`, nil},
		{`A=1 2`, nil},
		{`A="x"B=1`, nil},
		{``, nil},
		{`=1`, nil},
	}
	for _, tt := range tests {
		got, err := parseAttributeList(tt.in)
		if tt.want == nil {
			if err == nil {
				t.Errorf("parseAttributeList(%q) = %v, want error", tt.in, got)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("parseAttributeList(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseAttributeList(f *testing.F) {
	for _, s := range []string{`URI="a.mp4",BYTERANGE="720@0"`, `BANDWIDTH=1,CODECS="a,b",RESOLUTION=1x1`, `A=`, `A="`, `,`, `A=1,,B=2`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		attrs, err := parseAttributeList(s)
		if err != nil {
			return
		}
		// Re-encoding what was accepted must give back the same attributes.
		parts := make([]string, len(attrs))
		for i, a := range attrs {
			if a.Quoted {
				parts[i] = a.Name + `="` + a.Value + `"`
			} else {
				parts[i] = a.Name + "=" + a.Value
			}
		}
		again, err := parseAttributeList(strings.Join(parts, ","))
		if err != nil || fmt.Sprint(again) != fmt.Sprint(attrs) {
			t.Fatalf("round trip of %q: %v, %v", s, again, err)
		}
	})
}
