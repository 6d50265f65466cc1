package mail

import (
	"context"
	"io"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/peeredge/peeredge/internal/smtptest"
	"github.com/peeredge/peeredge/origin"
)

func TestParseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url  string
		want Server
		err  string // a word of the error; "" when valid
	}{
		{url: "smtp://mail.example.org", want: Server{Host: "mail.example.org", Port: 587, TLS: gomail.TLSMandatory}},
		{url: "smtp://u%40x:p%3Ass@mail.example.org:2587", want: Server{Host: "mail.example.org", Port: 2587, TLS: gomail.TLSMandatory, User: "u@x", Password: "p:ss"}},
		{url: "smtps://u:p@mail.example.org", want: Server{Host: "mail.example.org", Port: 465, SSL: true, User: "u", Password: "p"}},
		{url: "smtp://127.0.0.1:2525?starttls=none", want: Server{Host: "127.0.0.1", Port: 2525, TLS: gomail.NoTLS}},
		{url: "smtp://[::1]:25?starttls=opportunistic&from=node%40example.org", want: Server{Host: "::1", Port: 25, TLS: gomail.TLSOpportunistic, From: "node@example.org"}},
		{url: "smtp://h/", want: Server{Host: "h", Port: 587, TLS: gomail.TLSMandatory}},
		{url: "http://mail.example.org", err: "want smtp://"},
		{url: "mail.example.org:25", err: "want smtp://"},
		{url: "smtp://", err: "want smtp://"},
		{url: "smtp://h/path", err: "want smtp://"},
		{url: "smtp://h:0", err: "port"},
		{url: "smtp://h:99999", err: "port"},
		{url: "smtp://h?starttls=maybe", err: "starttls"},
		{url: "smtps://h?starttls=none", err: "starttls"},
		{url: "smtp://h?from=not-an-address", err: "from"},
		{url: "smtp://h?user=x", err: "unknown parameter"},
		{url: "smtp://u:secret@h?starttls=none", err: "only sent over TLS"},
		{url: "smtp://u:secret@h?starttls=opportunistic", err: "only sent over TLS"},
		{url: "smtp://u:sec ret@h:x", err: "SMTP URL"},
	}
	for _, tt := range tests {
		got, err := ParseURL(tt.url)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err %v, want one saying %q", tt.url, err, tt.err)
			}
			if err != nil && strings.Contains(err.Error(), "secret") || err != nil && strings.Contains(err.Error(), "sec ret") {
				t.Errorf("%s: the error quotes the password: %v", tt.url, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: %+v, %v; want %+v", tt.url, got, err, tt.want)
		}
	}
}

// markerFunc is a Marker from a function.
type markerFunc func(ctx context.Context, id int64) error

func (f markerFunc) MarkContactMailed(ctx context.Context, id int64) error { return f(ctx, id) }

// mailEnv is a real catalogue and a Mailer running against url; marked
// receives the id of each message marked mailed.
func mailEnv(t *testing.T, url string, log io.Writer) (*origin.Catalog, *Mailer, chan int64) {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(log, nil))
	catalog, err := origin.OpenCatalog(filepath.Join(t.TempDir(), "catalog"), logger, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { catalog.Close() })
	marked := make(chan int64, 10)
	m, err := New(Config{
		URL: url, To: "admin@example.org", Node: "video.example", Attempts: 2, Backoff: 10 * time.Millisecond, Logger: logger,
		Marker: markerFunc(func(ctx context.Context, id int64) error {
			err := catalog.MarkContactMailed(ctx, id)
			marked <- id
			return err
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		m.Run(ctx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return catalog, m, marked
}

func TestMailArrives(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t)
	catalog, m, marked := mailEnv(t, "smtp://"+srv.Addr+"?starttls=none&from=node%40video.example", io.Discard)
	stored, err := catalog.AddContact(context.Background(), origin.ContactMessage{
		FromEmail: "ada@example.org", FromName: "Ada \"The\" Lovelace\r\nBcc: name@evil.example",
		// A subject that tries to add headers and a recipient.
		Subject:  "Hello\r\nBcc: evil@evil.example\r\nX-Injected: yes\nSubject: other",
		Body:     "Dear admin,\nthe video jumps at 1:02.\nÇa marche pas. 😀\n.\nThanks",
		SenderIP: "198.51.100.9",
	})
	if err != nil {
		t.Fatal(err)
	}
	m.Mail(stored)
	select {
	case id := <-marked:
		if id != stored.ID {
			t.Fatalf("marked %d, want %d", id, stored.ID)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the message was not mailed within 30 s")
	}
	list, _, err := catalog.Contacts(context.Background(), 0, 1)
	if err != nil || len(list) != 1 || !list[0].Mailed {
		t.Fatalf("stored message not marked mailed: %+v %v", list, err)
	}

	msgs := srv.Messages(t)

	if len(msgs) != 1 {
		t.Fatalf("%d mails arrived, want 1", len(msgs))
	}
	got := msgs[0]
	h := got.Header
	if rcpt := h.Get("X-RcptTo"); rcpt != "admin@example.org" {
		t.Errorf("envelope recipients %q, want the admin alone", rcpt)
	}
	if from := h.Get("X-MailFrom"); from != "node@video.example" {
		t.Errorf("envelope sender %q", from)
	}
	if to, err := netmail.ParseAddress(h.Get("To")); err != nil || to.Address != "admin@example.org" {
		t.Errorf("To %q (%v)", h.Get("To"), err)
	}
	replyTo, err := netmail.ParseAddress(h.Get("Reply-To"))
	if err != nil || replyTo.Address != "ada@example.org" || strings.ContainsAny(replyTo.Name, "\r\n") {
		t.Errorf("Reply-To %q (%v)", h.Get("Reply-To"), err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil || subject != "[video.example] Hello  Bcc: evil@evil.example  X-Injected: yes Subject: other" {
		t.Errorf("Subject %q (%v)", subject, err)
	}
	for _, name := range []string{"Bcc", "X-Injected"} {
		if v, ok := h[name]; ok {
			t.Errorf("injected header %s: %q", name, v)
		}
	}
	if n := len(h["Subject"]); n != 1 {
		t.Errorf("%d Subject headers", n)
	}
	body := decodeBody(t, got)
	for _, want := range []string{"the video jumps at 1:02.\nÇa marche pas. 😀\n.\nThanks", "ada@example.org", "198.51.100.9", "video.example"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
}

// decodeBody reads a single-part text body, undoing its transfer encoding.
func decodeBody(t *testing.T, m *netmail.Message) string {
	t.Helper()
	b, err := io.ReadAll(m.Body)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(b), "\r\n", "\n")
	switch enc := strings.ToLower(m.Header.Get("Content-Transfer-Encoding")); enc {
	case "quoted-printable":
		d, err := io.ReadAll(quotedPrintable(s))
		if err != nil {
			t.Fatal(err)
		}
		return strings.ReplaceAll(string(d), "\r\n", "\n")
	case "", "7bit", "8bit":
		return s
	default:
		t.Fatalf("transfer encoding %q", enc)
		return ""
	}
}

func TestMailServerDown(t *testing.T) {
	t.Parallel()
	gaveUp := make(logLines, 10)
	catalog, m, marked := mailEnv(t, "smtp://"+smtptest.DownAddr(t)+"?starttls=none", gaveUp)
	stored, err := catalog.AddContact(context.Background(), origin.ContactMessage{FromEmail: "a@b", FromName: "A", Subject: "s", Body: "body"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	m.Mail(stored) // returns at once, whatever the server
	if d := time.Since(start); d > time.Second {
		t.Errorf("Mail blocked for %v", d)
	}
	// Each is tried twice, given up on, and stays stored, unmailed.
	second, _ := catalog.AddContact(context.Background(), origin.ContactMessage{FromEmail: "a@b", FromName: "A", Subject: "s", Body: "body"})
	m.Mail(second)
	for range 2 {
		select {
		case line := <-gaveUp:
			if !strings.Contains(line, "attempts=2") {
				t.Errorf("gave up after: %s", line)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the mailer did not give up within 30 s")
		}
	}
	select {
	case id := <-marked:
		t.Fatalf("message %d marked mailed with no server", id)
	default:
	}
	list, total, err := catalog.Contacts(context.Background(), 0, 10)
	if err != nil || total != 2 || list[0].Mailed || list[1].Mailed {
		t.Errorf("after failing: %+v %v", list, err)
	}
}

func quotedPrintable(s string) io.Reader { return quotedprintable.NewReader(strings.NewReader(s)) }

// logLines passes on the log lines of a mailer giving up on a message.
type logLines chan string

func (l logLines) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "could not mail") {
		l <- string(p)
	}
	return len(p), nil
}
