package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/peeredge/peeredge/internal/problem"
)

// The contact form's fields, as PeerTube's POST /api/v1/server/contact
// names them.
const (
	fieldEmail   = "fromEmail"
	fieldName    = "fromName"
	fieldSubject = "subject"
	fieldBody    = "body"
)

// contactRule is one field's rule and the words for each way to break it.
// Lengths count Unicode code points after trimming (as the page's script
// does); min 0 means no lower bound (and no "short" message).
type contactRule struct {
	field             string
	min, max          int
	required          string // absent, null or empty
	short, long, form string // shorter than min, longer than max, not an email address
}

// contactRules are the rules of the form in the order its fields appear;
// the page checks the same, with the same words.
var contactRules = [...]contactRule{
	{field: fieldEmail, required: "Email is required.", form: "Email must be valid."},
	{field: fieldName, min: 1, max: 120, required: "Your name is required.",
		short: "Your name must be at least 1 character long.", long: "Your name cannot be more than 120 characters long."},
	{field: fieldSubject, min: 1, max: 120, required: "A subject is required.",
		short: "The subject must be at least 1 character long.", long: "The subject cannot be more than 120 characters long."},
	{field: fieldBody, min: 3, max: 5000, required: "A message is required.",
		short: "The message must be at least 3 characters long.", long: "The message cannot be more than 5000 characters long."},
}

// contactForm is an accepted form, its fields trimmed.
type contactForm struct {
	Email, Name, Subject, Body string
}

// errContactShape refuses a body that is not a JSON object.
var errContactShape = errors.New(`want a JSON object {"fromEmail", "fromName", "subject", "body"}`)

// parseContactForm reads a contact request's JSON body and checks it. It
// returns errContactShape for a body that is not a JSON object; otherwise
// the form, or the fields it got wrong keyed by their names (unknown
// members are ignored, as PeerTube does).
func parseContactForm(b []byte) (contactForm, map[string]problem.InvalidParam, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return contactForm{}, nil, errContactShape
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(b, &members); err != nil {
		return contactForm{}, nil, errContactShape
	}
	var (
		values  [len(contactRules)]string
		invalid map[string]problem.InvalidParam
	)
	for i, r := range contactRules {
		value, msg := checkField(r, members[r.field])
		if msg == "" {
			values[i] = value
			continue
		}
		if invalid == nil {
			invalid = make(map[string]problem.InvalidParam)
		}
		var echo any // what the request carried: a string as sent, else its JSON
		if raw := members[r.field]; len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				echo = s
			} else {
				echo = raw
			}
		}
		invalid[r.field] = problem.Field("body", r.field, msg, echo)
	}
	if invalid != nil {
		return contactForm{}, invalid, nil
	}
	return contactForm{Email: values[0], Name: values[1], Subject: values[2], Body: values[3]}, nil, nil
}

// checkField returns raw's trimmed string, or the message saying what is
// wrong with it under r.
func checkField(r contactRule, raw json.RawMessage) (string, string) {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", r.required
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", r.field + " must be a string."
	}
	if s == "" {
		return "", r.required
	}
	s = trimSpace(s)
	if r.form != "" {
		// The browser's type=email strips the white space before its
		// check too: blank is missing, not malformed.
		switch {
		case s == "":
			return "", r.required
		case !validEmail(s):
			return "", r.form
		}
		return s, ""
	}
	switch n := utf8.RuneCountInString(s); {
	case n < r.min:
		return "", r.short
	case n > r.max:
		return "", r.long
	}
	return s, ""
}

// trimSpace trims what JavaScript's String.prototype.trim trims — Unicode
// White_Space except U+0085, and U+FEFF — so that the page's count of a
// field and the server's agree.
func trimSpace(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return r == '\uFEFF' || (r != '\u0085' && unicode.IsSpace(r))
	})
}

// validEmail applies the HTML Living Standard's "valid email address"
// (the rule of <input type=email>): a local part of ASCII letters, digits
// and .!#$%&'*+/=?^_`{|}~- ; "@"; one or more dot-separated labels of 1 to
// 63 ASCII letters, digits and hyphens that neither start nor end with a
// hyphen. So "a@localhost" is valid, quoted local parts, IP literals and
// non-ASCII domains (browsers send those as punycode) are not.
func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" {
		return false
	}
	for i := 0; i < len(local); i++ {
		if !isAlnum(local[i]) && !strings.ContainsRune(".!#$%&'*+/=?^_`{|}~-", rune(local[i])) {
			return false
		}
	}
	for label := range strings.SplitSeq(domain, ".") {
		if len(label) == 0 || len(label) > 63 || !isAlnum(label[0]) || !isAlnum(label[len(label)-1]) {
			return false
		}
		for i := 0; i < len(label); i++ {
			if !isAlnum(label[i]) && label[i] != '-' {
				return false
			}
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
