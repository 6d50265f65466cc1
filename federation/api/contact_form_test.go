package api

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValidEmail(t *testing.T) {
	t.Parallel()
	label63 := strings.Repeat("a", 63)
	tests := []struct {
		email string
		valid bool
	}{
		{"user@example.org", true},
		{"a@b", true},               // no dot needed in the domain
		{"user@localhost", true},    // likewise
		{"first.last@ex.org", true}, // dots anywhere in the local part...
		{".a..b.@ex.org", true},     // ...even leading, trailing, doubled (the HTML rule allows them)
		{"a!#$%&'*+/=?^_`{|}~-z@ex.org", true},
		{"user@sub-domain.ex-ample.org", true},
		{"user@" + label63 + ".org", true},
		{"user@1.2.3.4", true}, // digits are labels like any other
		{"USER@EXAMPLE.ORG", true},
		{"user@xn--bcher-kva.example", true}, // punycode: what a browser sends for a unicode domain

		{"", false},
		{"user", false},
		{"@example.org", false},
		{"user@", false},
		{"user@@example.org", false},
		{"a@b@example.org", false},
		{"user@" + label63 + "a.org", false}, // label of 64
		{"user@-example.org", false},
		{"user@example-.org", false},
		{"user@example.-org", false},
		{"user@example.org.", false}, // empty last label
		{"user@.example.org", false},
		{"user@example..org", false},
		{"user@exa_mple.org", false},
		{`"quoted"@example.org`, false},
		{`"a b"@example.org`, false},
		{"user name@example.org", false},
		{"user@exam ple.org", false},
		{"user@[192.0.2.1]", false}, // IP literals
		{"usér@example.org", false},
		{"user@bücher.example", false}, // unicode domains
		{"user@例え.jp", false},
		{"user@example.org\n", false},
		{"user@exa\nmple.org", false},
		{"user\r\n@example.org", false},
		{"user(comment)@example.org", false},
		{"user@example.org>", false},
		{"<user@example.org>", false},
		{"a,b@example.org", false},
		{"a;b@example.org", false},
		{"a\x00@example.org", false},
	}
	for _, tt := range tests {
		if got := validEmail(tt.email); got != tt.valid {
			t.Errorf("validEmail(%q) = %v, want %v", tt.email, got, tt.valid)
		}
	}
}

// contactJSONBody builds a request body; a nil value leaves the field out.
func contactJSONBody(t testing.TB, fields map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// validContact is a form that passes every rule; tests change one field.
func validContact() map[string]any {
	return map[string]any{fieldEmail: "ada@example.org", fieldName: "Ada", fieldSubject: "Hello", fieldBody: "A message."}
}

func TestParseContactForm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		field string
		value any // the value set; absent when deleted is true
		del   bool
		msg   string // the field's message; "" when valid
	}{
		{"email absent", fieldEmail, nil, true, "Email is required."},
		{"email null", fieldEmail, nil, false, "Email is required."},
		{"email empty", fieldEmail, "", false, "Email is required."},
		{"email blank", fieldEmail, " \t ", false, "Email is required."},
		{"email invalid", fieldEmail, "ada@", false, "Email must be valid."},
		{"email quoted", fieldEmail, `"ada"@example.org`, false, "Email must be valid."},
		{"email padded", fieldEmail, "  ada@example.org\n", false, ""},
		{"email number", fieldEmail, 42, false, "fromEmail must be a string."},
		{"name absent", fieldName, nil, true, "Your name is required."},
		{"name empty", fieldName, "", false, "Your name is required."},
		{"name blank", fieldName, "   ", false, "Your name must be at least 1 character long."},
		{"name blank unicode", fieldName, "\u00a0\u3000\u2028\ufeff", false, "Your name must be at least 1 character long."},
		{"name 1", fieldName, "A", false, ""},
		{"name 120", fieldName, strings.Repeat("é", 120), false, ""},
		{"name 120 astral", fieldName, strings.Repeat("😀", 120), false, ""}, // code points, not bytes or UTF-16 units
		{"name 121", fieldName, strings.Repeat("é", 121), false, "Your name cannot be more than 120 characters long."},
		{"name 120 padded", fieldName, "  " + strings.Repeat("x", 120) + "  ", false, ""},
		{"name object", fieldName, map[string]string{"a": "b"}, false, "fromName must be a string."},
		{"name array", fieldName, []string{"Ada"}, false, "fromName must be a string."},
		{"name bool", fieldName, true, false, "fromName must be a string."},
		{"subject absent", fieldSubject, nil, true, "A subject is required."},
		{"subject empty", fieldSubject, "", false, "A subject is required."},
		{"subject blank", fieldSubject, "\n", false, "The subject must be at least 1 character long."},
		{"subject 120", fieldSubject, strings.Repeat("s", 120), false, ""},
		{"subject 121", fieldSubject, strings.Repeat("s", 121), false, "The subject cannot be more than 120 characters long."},
		{"body absent", fieldBody, nil, true, "A message is required."},
		{"body empty", fieldBody, "", false, "A message is required."},
		{"body blank", fieldBody, "     ", false, "The message must be at least 3 characters long."},
		{"body 2", fieldBody, "  ab  ", false, "The message must be at least 3 characters long."},
		{"body 3", fieldBody, "abc", false, ""},
		{"body 3 astral", fieldBody, "😀😀😀", false, ""},
		{"body 5000", fieldBody, strings.Repeat("ü", 5000), false, ""},
		{"body 5001", fieldBody, strings.Repeat("ü", 5001), false, "The message cannot be more than 5000 characters long."},
		{"body number", fieldBody, 1.5, false, "body must be a string."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := validContact()
			if tt.del {
				delete(fields, tt.field)
			} else {
				fields[tt.field] = tt.value
			}
			form, invalid, err := parseContactForm(contactJSONBody(t, fields))
			if err != nil {
				t.Fatal(err)
			}
			if tt.msg == "" {
				if invalid != nil {
					t.Fatalf("refused: %+v", invalid)
				}
				return
			}
			if len(invalid) != 1 {
				t.Fatalf("invalid = %+v, want %s alone", invalid, tt.field)
			}
			p, ok := invalid[tt.field]
			if !ok || p.Msg != tt.msg || p.Path != tt.field || p.Param != tt.field || p.Location != "body" || p.Type != "field" {
				t.Fatalf("invalid = %+v, want %s: %q", invalid, tt.field, tt.msg)
			}
			if s, isString := tt.value.(string); isString && p.Value != s {
				t.Errorf("value %q, want the string as sent %q", p.Value, s)
			}
			if tt.value == nil && p.Value != nil {
				t.Errorf("value %v for an absent field", p.Value)
			}
			_ = form
		})
	}
}

func TestParseContactFormTrims(t *testing.T) {
	t.Parallel()
	form, invalid, err := parseContactForm([]byte(`{"fromEmail":" ada@example.org\t","fromName":"\u00a0Ada Lovelace ",` +
		`"subject":" Hi ","body":"\n  line one\n  line two\n\n","extra":{"ignored":true}}`))
	if err != nil || invalid != nil {
		t.Fatalf("%v %+v", err, invalid)
	}
	want := contactForm{Email: "ada@example.org", Name: "Ada Lovelace", Subject: "Hi", Body: "line one\n  line two"}
	if form != want {
		t.Errorf("form %+v, want %+v", form, want)
	}
}

func TestParseContactFormShapes(t *testing.T) {
	t.Parallel()
	for _, body := range []string{"", " ", "null", "[]", `"text"`, "42", "{", `{"fromEmail":"a@b"`, `{"a":1} {}`, `{"a":1}x`, "fromEmail=a@b"} {
		if _, _, err := parseContactForm([]byte(body)); err != errContactShape {
			t.Errorf("%q: err = %v, want errContactShape", body, err)
		}
	}
	_, invalid, err := parseContactForm([]byte(`{}`))
	if err != nil || len(invalid) != 4 {
		t.Errorf("{}: %v, %d fields refused, want all 4", err, len(invalid))
	}
}

func FuzzParseContactForm(f *testing.F) {
	for _, s := range []string{
		`{"fromEmail":"ada@example.org","fromName":"Ada","subject":"Hi","body":"hello"}`,
		`{"fromEmail":" a@b ","fromName":"\u00a0","subject":"\ud83d\ude00","body":"\ufeffabc\ufeff"}`,
		`{"fromEmail":"a@-b","fromName":1,"subject":null,"body":[]}`,
		`{"fromEmail":"\"q\"@b","fromName":"x\r\ny","subject":"\u0085s\u0085","body":"\ud800ab"}`,
		`[]`, `null`, `{"body":"` + strings.Repeat("x", 5001) + `"}`, "{\"fromName\":\"\xff\xfe\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		form, invalid, err := parseContactForm(b)
		if err != nil {
			if invalid != nil || form != (contactForm{}) {
				t.Fatal("a refused shape returned fields")
			}
			return
		}
		if invalid != nil {
			for name, p := range invalid {
				if p.Msg == "" || p.Path != name || p.Location != "body" {
					t.Fatalf("invalid %q: %+v", name, p)
				}
			}
			if _, err := json.Marshal(invalid); err != nil {
				t.Fatalf("invalid params do not encode: %v", err)
			}
			return
		}
		// Accepted: every rule holds of what will be stored.
		if !validEmail(form.Email) {
			t.Fatalf("accepted email %q", form.Email)
		}
		for _, f := range []struct {
			s        string
			min, max int
		}{{form.Name, 1, 120}, {form.Subject, 1, 120}, {form.Body, 3, 5000}} {
			n := utf8.RuneCountInString(f.s)
			if n < f.min || n > f.max || trimSpace(f.s) != f.s {
				t.Fatalf("accepted %q (%d code points)", f.s, n)
			}
		}
	})
}
