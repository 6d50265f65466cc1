package activitypub

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// maxSignatureHeader bounds the Signature header we parse; a 4096-bit
// signature and a long keyId fit many times over.
const maxSignatureHeader = 8 << 10

// ErrMalformedSignature is returned for a Signature header that does not
// parse.
var ErrMalformedSignature = errors.New("activitypub: malformed Signature header")

// SignatureParams are the parameters of a draft-cavage Signature header.
type SignatureParams struct {
	KeyID     string
	Algorithm string   // as sent, lower-cased; "" when absent
	Headers   []string // lower-cased; "date" when absent, as the draft says
	Signature string   // base64, as sent
	Created   int64    // 0 when absent
	Expires   int64    // 0 when absent
}

// Signs reports whether name (lower case) is among the signed headers.
func (p SignatureParams) Signs(name string) bool {
	for _, h := range p.Headers {
		if h == name {
			return true
		}
	}
	return false
}

// ParseSignatureHeader parses `keyId="…",algorithm="…",headers="…",
// signature="…"`. It is stricter than the signing library's own reader
// (which splits on every comma and takes the last of repeated
// parameters): a quoted value holding a comma or a backslash, a repeated
// parameter, or anything that is not name=value is refused, so the two
// readers never disagree on what was signed.
func ParseSignatureHeader(s string) (SignatureParams, error) {
	var p SignatureParams
	if len(s) > maxSignatureHeader {
		return p, fmt.Errorf("%w: %d bytes", ErrMalformedSignature, len(s))
	}
	seen := map[string]bool{}
	rest := s
	for {
		rest = strings.TrimLeft(rest, " \t")
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return p, fmt.Errorf("%w: expected name=value", ErrMalformedSignature)
		}
		name := rest[:eq]
		if !isToken(name) {
			return p, fmt.Errorf("%w: bad parameter name %q", ErrMalformedSignature, name)
		}
		rest = rest[eq+1:]
		var value string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return p, fmt.Errorf("%w: unterminated quoted value", ErrMalformedSignature)
			}
			value = rest[1 : 1+end]
			rest = rest[2+end:]
			if strings.ContainsAny(value, ",\\") {
				return p, fmt.Errorf("%w: comma or backslash in %s", ErrMalformedSignature, name)
			}
		} else {
			end := strings.IndexByte(rest, ',')
			if end < 0 {
				end = len(rest)
			}
			value = strings.TrimRight(rest[:end], " \t")
			rest = rest[end:]
			if !isToken(value) {
				return p, fmt.Errorf("%w: bad unquoted value for %s", ErrMalformedSignature, name)
			}
		}
		key := strings.ToLower(name)
		if seen[key] {
			return p, fmt.Errorf("%w: %s repeated", ErrMalformedSignature, name)
		}
		seen[key] = true
		if err := p.set(key, value); err != nil {
			return p, err
		}
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" {
			break
		}
		if rest[0] != ',' {
			return p, fmt.Errorf("%w: expected a comma after %s", ErrMalformedSignature, name)
		}
		rest = rest[1:]
	}
	switch {
	case p.KeyID == "":
		return p, fmt.Errorf("%w: no keyId", ErrMalformedSignature)
	case p.Signature == "":
		return p, fmt.Errorf("%w: no signature", ErrMalformedSignature)
	}
	if p.Headers == nil {
		p.Headers = []string{"date"}
	}
	return p, nil
}

func (p *SignatureParams) set(key, value string) error {
	var err error
	switch key {
	case "keyid":
		p.KeyID = value
	case "algorithm":
		p.Algorithm = strings.ToLower(value)
	case "headers":
		p.Headers = strings.Fields(strings.ToLower(value))
		if len(p.Headers) == 0 {
			return fmt.Errorf("%w: empty headers", ErrMalformedSignature)
		}
	case "signature":
		p.Signature = value
	case "created":
		p.Created, err = strconv.ParseInt(value, 10, 64)
	case "expires":
		p.Expires, err = strconv.ParseInt(value, 10, 64)
	}
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrMalformedSignature, key, err)
	}
	return nil
}

// isToken reports whether s is a non-empty RFC 9110 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
