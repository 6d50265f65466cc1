package node

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	netmail "net/mail"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/peeredge/peeredge/internal/smtptest"
)

// contactMessage is the admin's view of a stored message.
type contactMessage struct {
	ID        int64     `json:"id"`
	CreatedAt time.Time `json:"createdAt"`
	FromEmail string    `json:"fromEmail"`
	FromName  string    `json:"fromName"`
	Subject   string    `json:"subject"`
	Body      string    `json:"body"`
	SenderIP  string    `json:"senderIp"`
	Mailed    bool      `json:"mailed"`
}

// startContactNode starts a node behind a trusted proxy (loopback), so
// that each test client is an X-Forwarded-For address of its own.
func startContactNode(t *testing.T, cfg Config) *testNode {
	t.Helper()
	cfg.NoSeed = true
	cfg.Tracker.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	return startNode(t, cfg)
}

// contact posts a contact form as client.
func (n *testNode) contact(t *testing.T, client string, fields map[string]any) (*http.Response, []byte) {
	t.Helper()
	body, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	return n.request(t, http.MethodPost, "/api/v1/server/contact", "", bytes.NewReader(body),
		map[string]string{"Content-Type": "application/json", "X-Forwarded-For": client})
}

// contactList is the admin's list.
func (n *testNode) contactList(t *testing.T) []contactMessage {
	t.Helper()
	resp, b := n.request(t, http.MethodGet, "/api/v1/admin/contact?count=100", n.token, nil, nil)
	var list struct {
		Total int              `json:"total"`
		Data  []contactMessage `json:"data"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &list) != nil || list.Total != len(list.Data) {
		t.Fatalf("admin list: %s %s", resp.Status, b)
	}
	return list.Data
}

func validForm() map[string]any {
	return map[string]any{"fromEmail": "ada@example.org", "fromName": "Ada", "subject": "Playback", "body": "The video stutters."}
}

// TestContactThroughNode: every rule of the form is refused with its
// message in PeerTube's invalid-params shape, a valid message is stored
// and listed for the admin (with the address the trusted proxy named),
// deleted, and the rate limit answers 429.
func TestContactThroughNode(t *testing.T) {
	t.Parallel()
	n := startContactNode(t, Config{})
	rules := []struct {
		field string
		value any // nil: left out
		msg   string
	}{
		{"fromEmail", nil, "Email is required."},
		{"fromEmail", "ada@example", "" /* valid: no dot needed */},
		{"fromEmail", "ada@-example.org", "Email must be valid."},
		{"fromName", nil, "Your name is required."},
		{"fromName", " \u3000 ", "Your name must be at least 1 character long."},
		{"fromName", strings.Repeat("ñ", 121), "Your name cannot be more than 120 characters long."},
		{"subject", "", "A subject is required."},
		{"subject", "\t", "The subject must be at least 1 character long."},
		{"subject", strings.Repeat("s", 121), "The subject cannot be more than 120 characters long."},
		{"body", nil, "A message is required."},
		{"body", " 😀😀 ", "The message must be at least 3 characters long."},
		{"body", strings.Repeat("b", 5001), "The message cannot be more than 5000 characters long."},
	}
	for i, r := range rules {
		form := validForm()
		if r.value == nil {
			delete(form, r.field)
		} else {
			form[r.field] = r.value
		}
		client := "198.51.100." + strconv.Itoa(i+1)
		resp, b := n.contact(t, client, form)
		if r.msg == "" {
			if resp.StatusCode != http.StatusNoContent {
				t.Errorf("%s=%v: %s %s, want 204", r.field, r.value, resp.Status, b)
			}
			continue
		}
		var p struct {
			Status        int `json:"status"`
			InvalidParams map[string]struct {
				Msg      string `json:"msg"`
				Path     string `json:"path"`
				Location string `json:"location"`
				Value    any    `json:"value"`
			} `json:"invalid-params"`
		}
		if resp.StatusCode != http.StatusBadRequest || json.Unmarshal(b, &p) != nil || len(p.InvalidParams) != 1 {
			t.Errorf("%s=%v: %s %s, want 400 naming it alone", r.field, r.value, resp.Status, b)
			continue
		}
		got := p.InvalidParams[r.field]
		if got.Msg != r.msg || got.Path != r.field || got.Location != "body" || got.Value != r.value {
			t.Errorf("%s=%v: %+v, want %q", r.field, r.value, got, r.msg)
		}
	}

	resp, b := n.contact(t, "203.0.113.5", map[string]any{
		"fromEmail": "\tgrace@example.org ", "fromName": "Grace", "subject": "Hi", "body": "  Thanks for the node.  ",
	})
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("valid message: %s %s", resp.Status, b)
	}
	list := n.contactList(t)
	if len(list) != 2 { // and the one with the dotless domain
		t.Fatalf("listed %+v, want 2 messages", list)
	}
	grace := list[0]
	if grace.FromEmail != "grace@example.org" || grace.FromName != "Grace" || grace.Subject != "Hi" || grace.Body != "Thanks for the node." ||
		grace.SenderIP != "203.0.113.5" || grace.Mailed || time.Since(grace.CreatedAt) > time.Minute {
		t.Errorf("newest message %+v", grace)
	}
	if resp, _ := n.request(t, http.MethodGet, "/api/v1/admin/contact", "", nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("list without token: %s", resp.Status)
	}
	del := "/api/v1/admin/contact/" + strconv.FormatInt(grace.ID, 10)
	if resp, _ := n.request(t, http.MethodDelete, del, "", nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("delete without token: %s", resp.Status)
	}
	if resp, b := n.request(t, http.MethodDelete, del, n.token, nil, nil); resp.StatusCode != http.StatusNoContent {
		t.Errorf("delete: %s %s", resp.Status, b)
	}
	if resp, _ := n.request(t, http.MethodDelete, del, n.token, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("delete again: %s", resp.Status)
	}
	if list := n.contactList(t); len(list) != 1 || list[0].ID == grace.ID {
		t.Errorf("after delete: %+v", list)
	}

	// Three per client, then 429 with Retry-After and a problem body.
	for i := range 3 {
		if resp, b := n.contact(t, "192.0.2.99", map[string]any{}); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("request %d: %s %s", i+1, resp.Status, b)
		}
	}
	resp, b = n.contact(t, "192.0.2.99", validForm())
	retry, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != http.StatusTooManyRequests || err != nil || retry < 1 || retry > 600 ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		t.Errorf("fourth request: %s Retry-After %q: %s", resp.Status, resp.Header.Get("Retry-After"), b)
	}
}

// TestContactMailed: with SMTP configured, an accepted message arrives at
// a real SMTP server with the admin as its recipient, the sender as
// Reply-To and the subject carried over, and is marked mailed.
func TestContactMailed(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t)
	n := startContactNode(t, Config{SMTPURL: "smtp://" + srv.Addr + "?starttls=none", AdminEmail: "admin@example.org"})
	resp, b := n.contact(t, "198.51.100.20", map[string]any{
		"fromEmail": "ada@example.org", "fromName": "Ada", "subject": "Subtitles?\r\nBcc: x@evil.example", "body": "Could the node carry subtitles?",
	})
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("%s %s", resp.Status, b)
	}
	var stored contactMessage
	for deadline := time.Now().Add(30 * time.Second); ; {
		stored = n.contactList(t)[0]
		if stored.Mailed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the message was not marked mailed within 30 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	msgs := srv.Messages(t)
	if len(msgs) != 1 {
		t.Fatalf("%d mails arrived, want 1", len(msgs))
	}
	h := msgs[0].Header
	to, err := netmail.ParseAddress(h.Get("To"))
	if err != nil || to.Address != "admin@example.org" || h.Get("X-RcptTo") != "admin@example.org" {
		t.Errorf("To %q, envelope %q", h.Get("To"), h.Get("X-RcptTo"))
	}
	if replyTo, err := netmail.ParseAddress(h.Get("Reply-To")); err != nil || replyTo.Address != "ada@example.org" || replyTo.Name != "Ada" {
		t.Errorf("Reply-To %q", h.Get("Reply-To"))
	}
	host := strings.TrimPrefix(n.base, "http://")
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil || subject != "["+host+"] Subtitles?  Bcc: x@evil.example" || h.Get("Bcc") != "" {
		t.Errorf("Subject %q, Bcc %q", subject, h.Get("Bcc"))
	}
	body, _ := io.ReadAll(msgs[0].Body)
	if !strings.Contains(string(body), "Could the node carry subtitles?") || !strings.Contains(string(body), "198.51.100.20") {
		t.Errorf("body:\n%s", body)
	}
}

// TestContactSMTPDown: a node whose SMTP server does not answer still
// stores the message and answers 204 at once.
func TestContactSMTPDown(t *testing.T) {
	t.Parallel()
	n := startContactNode(t, Config{SMTPURL: "smtp://" + smtptest.DownAddr(t) + "?starttls=none", AdminEmail: "admin@example.org"})
	start := time.Now()
	resp, b := n.contact(t, "198.51.100.30", validForm())
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("%s %s", resp.Status, b)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the answer took %v", d)
	}
	if list := n.contactList(t); len(list) != 1 || list[0].Mailed || list[0].Body != "The video stutters." {
		t.Errorf("stored %+v", list)
	}
}
