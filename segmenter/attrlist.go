package segmenter

import (
	"errors"
	"fmt"
	"strings"
)

// Attribute is one AttributeName=AttributeValue pair of an RFC 8216 §4.2
// attribute list. Value excludes the quotes of a quoted-string.
type Attribute struct {
	Name, Value string
	Quoted      bool
}

var errAttrList = errors.New("malformed attribute list")

// parseAttributeList splits an RFC 8216 attribute list strictly: names are
// [A-Z0-9-]+, quoted-strings contain no '"', CR or LF, unquoted values contain
// no whitespace, quotes or commas, and no name occurs twice.
func parseAttributeList(s string) ([]Attribute, error) {
	var attrs []Attribute
	seen := map[string]bool{}
	for len(s) > 0 {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, fmt.Errorf("%w: missing name=value in %q", errAttrList, s)
		}
		name := s[:eq]
		for _, c := range []byte(name) {
			if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return nil, fmt.Errorf("%w: bad attribute name %q", errAttrList, name)
			}
		}
		if seen[name] {
			return nil, fmt.Errorf("%w: attribute %s repeated", errAttrList, name)
		}
		seen[name] = true
		s = s[eq+1:]
		a := Attribute{Name: name}
		if strings.HasPrefix(s, `"`) {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("%w: unterminated quoted-string for %s", errAttrList, name)
			}
			a.Value, a.Quoted = s[1:1+end], true
			if strings.ContainsAny(a.Value, "\r\n") {
				return nil, fmt.Errorf("%w: line break in %s", errAttrList, name)
			}
			s = s[end+2:]
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			a.Value = s[:end]
			if a.Value == "" || strings.ContainsAny(a.Value, "\" \t\r\n") {
				return nil, fmt.Errorf("%w: bad value %q for %s", errAttrList, a.Value, name)
			}
			s = s[end:]
		}
		attrs = append(attrs, a)
		if s == "" {
			break
		}
		if s[0] != ',' || len(s) == 1 {
			return nil, fmt.Errorf("%w: expected ',' between attributes near %q", errAttrList, s)
		}
		s = s[1:]
	}
	if len(attrs) == 0 {
		return nil, fmt.Errorf("%w: empty", errAttrList)
	}
	return attrs, nil
}

// attribute returns the named attribute of attrs.
func attribute(attrs []Attribute, name string) (Attribute, bool) {
	for _, a := range attrs {
		if a.Name == name {
			return a, true
		}
	}
	return Attribute{}, false
}
