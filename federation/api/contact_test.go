package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/peeredge/peeredge/origin"
	"github.com/peeredge/peeredge/swarm/tracker"
)

// mailRecorder is a ContactMail that keeps what it was told.
type mailRecorder chan origin.ContactMessage

func (r mailRecorder) Mail(m origin.ContactMessage) { r <- m }

// contactEnv is the API behind a trusted proxy (the loopback address), so
// that each test client is an X-Forwarded-For address of its own.
func contactEnv(t *testing.T, mail ContactMail) *testEnv {
	t.Helper()
	trk := tracker.New(tracker.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, nil)
	return newTestEnv(t, envOptions{clientAddrs: trk, contactMail: mail})
}

// postContact sends a contact request as client (an X-Forwarded-For hop).
func (e *testEnv) postContact(t *testing.T, client string, body []byte) (*http.Response, []byte) {
	t.Helper()
	return e.do(t, http.MethodPost, "/api/v1/server/contact", "", bytes.NewReader(body),
		map[string]string{"Content-Type": "application/json", "X-Forwarded-For": client})
}

// invalidParams is PeerTube's 400 answer to a form that broke rules.
type invalidParams struct {
	Status        int    `json:"status"`
	Detail        string `json:"detail"`
	Error         string `json:"error"`
	Instance      string `json:"instance"`
	InvalidParams map[string]struct {
		Type     string `json:"type"`
		Msg      string `json:"msg"`
		Path     string `json:"path"`
		Param    string `json:"param"`
		Location string `json:"location"`
		Value    any    `json:"value"`
	} `json:"invalid-params"`
}

func TestContactEndpoint(t *testing.T) {
	t.Parallel()
	mail := make(mailRecorder, 10)
	env := contactEnv(t, mail)

	// A form breaking three rules: each field named with its message.
	resp, b := env.postContact(t, "198.51.100.1", contactJSONBody(t, map[string]any{
		fieldEmail: "not-an-email", fieldName: "   ", fieldBody: "hi", "unknown": 1,
	}))
	if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("invalid form: %s %s: %s", resp.Status, resp.Header.Get("Content-Type"), b)
	}
	var p invalidParams
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		fieldEmail:   "Email must be valid.",
		fieldName:    "Your name must be at least 1 character long.",
		fieldSubject: "A subject is required.",
		fieldBody:    "The message must be at least 3 characters long.",
	}
	if len(p.InvalidParams) != len(want) || p.Status != 400 || p.Instance != "/api/v1/server/contact" ||
		p.Detail != "Incorrect request parameters: fromEmail, fromName, subject, body" || p.Error != p.Detail {
		t.Errorf("answer %s", b)
	}
	for field, msg := range want {
		got := p.InvalidParams[field]
		if got.Msg != msg || got.Path != field || got.Param != field || got.Location != "body" || got.Type != "field" {
			t.Errorf("%s: %+v, want %q", field, got, msg)
		}
	}
	if p.InvalidParams[fieldEmail].Value != "not-an-email" || p.InvalidParams[fieldSubject].Value != nil {
		t.Errorf("values echoed: %s", b)
	}

	// Not an object, and too large.
	if resp, b := env.postContact(t, "198.51.100.2", []byte(`["a"]`)); resp.StatusCode != http.StatusBadRequest || !bytes.Contains(b, []byte("JSON object")) {
		t.Errorf("array body: %s %s", resp.Status, b)
	}
	huge := contactJSONBody(t, map[string]any{fieldEmail: "a@b", fieldName: "n", fieldSubject: "s", fieldBody: strings.Repeat("x", 70<<10)})
	if resp, b := env.postContact(t, "198.51.100.3", huge); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("70 KiB body: %s %s", resp.Status, b)
	}

	// A valid message: 204, stored trimmed with the client's address, mailed.
	resp, b = env.postContact(t, "198.51.100.4", contactJSONBody(t, map[string]any{
		fieldEmail: " ada@example.org ", fieldName: "Ada", fieldSubject: "Hello", fieldBody: "First message.",
	}))
	if resp.StatusCode != http.StatusNoContent || len(b) != 0 || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("valid form: %s %v: %s", resp.Status, resp.Header, b)
	}
	select {
	case m := <-mail:
		if m.ID == 0 || m.FromEmail != "ada@example.org" || m.SenderIP != "198.51.100.4" {
			t.Errorf("mailed %+v", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stored message was not handed to the mailer")
	}
	env.postContact(t, "198.51.100.5", contactJSONBody(t, map[string]any{
		fieldEmail: "bob@example.org", fieldName: "Bob", fieldSubject: "Again", fieldBody: "Second message.",
	}))

	// The admin lists them, newest first, and deletes one.
	var list struct {
		Total int           `json:"total"`
		Data  []contactJSON `json:"data"`
	}
	resp, b = env.do(t, http.MethodGet, "/api/v1/admin/contact?count=1", testToken, nil, nil)
	if resp.StatusCode != 200 || json.Unmarshal(b, &list) != nil || list.Total != 2 || len(list.Data) != 1 || list.Data[0].FromName != "Bob" {
		t.Fatalf("admin list: %s %s", resp.Status, b)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("the admin list is answered with CORS")
	}
	resp, b = env.do(t, http.MethodGet, "/api/v1/admin/contact?start=1", testToken, nil, nil)
	if json.Unmarshal(b, &list) != nil || len(list.Data) != 1 {
		t.Fatalf("admin list page 2: %s %s", resp.Status, b)
	}
	ada := list.Data[0]
	if ada.FromEmail != "ada@example.org" || ada.Subject != "Hello" || ada.Body != "First message." || ada.SenderIP != "198.51.100.4" || ada.CreatedAt.IsZero() {
		t.Errorf("listed %+v", ada)
	}
	for _, tt := range []struct {
		method, path, token string
		status              int
	}{
		{http.MethodGet, "/api/v1/admin/contact", "", 401},
		{http.MethodGet, "/api/v1/admin/contact", "wrong", 401},
		{http.MethodDelete, "/api/v1/admin/contact/" + strconv.FormatInt(ada.ID, 10), "", 401},
		{http.MethodDelete, "/api/v1/admin/contact/" + strconv.FormatInt(ada.ID, 10), testToken, 204},
		{http.MethodDelete, "/api/v1/admin/contact/" + strconv.FormatInt(ada.ID, 10), testToken, 404},
		{http.MethodDelete, "/api/v1/admin/contact/nope", testToken, 404},
		{http.MethodDelete, "/api/v1/admin/contact/1/x", testToken, 404},
		{http.MethodPost, "/api/v1/admin/contact", testToken, 405},
		{http.MethodGet, "/api/v1/server/contact", "", 405},
		{http.MethodGet, "/api/v1/admin/contact?count=x", testToken, 400},
	} {
		resp, b := env.do(t, tt.method, tt.path, tt.token, nil, nil)
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s: %s, want %d: %s", tt.method, tt.path, resp.Status, tt.status, b)
		}
	}
	if _, total, _ := env.catalog.Contacts(context.Background(), 0, 10); total != 1 {
		t.Errorf("%d messages left, want 1", total)
	}

	// A browser's preflight for the public endpoint passes.
	resp, _ = env.do(t, http.MethodOptions, "/api/v1/server/contact", "", nil, map[string]string{
		"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type",
	})
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Content-Type") {
		t.Errorf("preflight: %s %v", resp.Status, resp.Header)
	}
}

func TestContactRateLimit(t *testing.T) {
	t.Parallel()
	env := contactEnv(t, nil)
	valid := contactJSONBody(t, validContact())
	// Three per client, refused or accepted alike; IPv6 per /64.
	for i, client := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3"} {
		body := valid
		if i == 1 {
			body = []byte(`{}`)
		}
		if resp, b := env.postContact(t, client, body); resp.StatusCode == http.StatusTooManyRequests {
			t.Fatalf("request %d: %s %s", i, resp.Status, b)
		}
	}
	resp, b := env.postContact(t, "2001:db8:1:2::4", valid)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("fourth request of a /64: %s %s", resp.Status, b)
	}
	secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || secs < 590 || secs > 600 {
		t.Errorf("Retry-After %q, want about 600 seconds", resp.Header.Get("Retry-After"))
	}
	var p struct {
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if json.Unmarshal(b, &p) != nil || p.Status != 429 || !strings.Contains(p.Detail, "try again") {
		t.Errorf("429 body %s", b)
	}
	// Another /64, and an IPv4 client, are counted apart.
	for _, client := range []string{"2001:db8:1:3::1", "192.0.2.7"} {
		if resp, b := env.postContact(t, client, valid); resp.StatusCode != http.StatusNoContent {
			t.Errorf("%s: %s %s", client, resp.Status, b)
		}
	}
	if _, total, _ := env.catalog.Contacts(context.Background(), 0, 10); total != 4 {
		t.Errorf("%d messages stored, want 4", total)
	}
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	l := newLimiter(RateLimit{Count: 3, Window: 10 * time.Minute})
	a := netip.MustParseAddr("192.0.2.1")
	t0 := time.Unix(1_700_000_000, 0)
	for i, at := range []time.Duration{0, time.Minute, 2 * time.Minute} {
		if ok, _ := l.allow(a, t0.Add(at)); !ok {
			t.Fatalf("request %d refused", i)
		}
	}
	if ok, wait := l.allow(a, t0.Add(5*time.Minute)); ok || wait != 5*time.Minute {
		t.Errorf("fourth request: %v, wait %v; want refused for 5m", ok, wait)
	}
	// The window slides: the first request leaves it at 10m.
	if ok, _ := l.allow(a, t0.Add(10*time.Minute)); !ok {
		t.Error("refused once the first request left the window")
	}
	if ok, wait := l.allow(a, t0.Add(10*time.Minute+time.Second)); ok || wait != time.Minute-time.Second {
		t.Errorf("then: %v, wait %v; want refused until the second leaves", ok, wait)
	}

	// The table stays bounded; a flood evicts idle clients first.
	for i := range maxLimitedClients + 100 {
		k := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		l.allow(k, t0.Add(11*time.Minute))
	}
	if n := len(l.seen); n > maxLimitedClients {
		t.Errorf("%d clients tracked, cap %d", n, maxLimitedClients)
	}
}
