// Package mail mails the node's administrator each message of the contact
// form, over SMTP with go-mail, in the background: the API stores a
// message and answers its sender first, then hands it to Mailer.Mail;
// Run sends it with a bounded retry and records in the catalogue that it
// went out. A message that could not be sent stays stored, marked not
// mailed, for the admin to read through the API.
package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	gomail "github.com/wneessen/go-mail"

	"github.com/peeredge/peeredge/origin"
)

// Marker records that a message went out (the catalogue).
type Marker interface {
	MarkContactMailed(ctx context.Context, id int64) error
}

// Config is what a Mailer sends with.
type Config struct {
	// URL is the SMTP server (see ParseURL for its forms).
	URL string
	// To is the administrator's address, which every message goes to.
	To string
	// Node names the node in subjects and bodies (its public host).
	Node string
	// Marker records sent messages; nil records nothing.
	Marker Marker
	// Attempts per message (default 4) and the pause after the first
	// failure, doubled after each (default 2 s).
	Attempts int
	Backoff  time.Duration
	Logger   *slog.Logger
}

// Defaults of a Mailer.
const (
	DefaultAttempts = 4
	DefaultBackoff  = 2 * time.Second
	// queueSize bounds the messages waiting to be sent; the API's rate
	// limit keeps it far from full.
	queueSize = 256
	// sendTimeout bounds one attempt (connect, TLS, auth, transfer).
	sendTimeout = 30 * time.Second
)

// Server is a parsed SMTP URL.
type Server struct {
	Host     string
	Port     int
	SSL      bool             // implicit TLS (smtps://)
	TLS      gomail.TLSPolicy // STARTTLS policy of smtp://
	User     string
	Password string
	From     string // the From address; empty: the administrator's
}

// ParseURL reads an SMTP URL:
//
//	smtp://[user:password@]host[:port][?starttls=mandatory|opportunistic|none][&from=address]
//	smtps://[user:password@]host[:port][?from=address]
//
// smtp:// talks STARTTLS on port 587 by default and requires it unless
// starttls says otherwise; smtps:// is TLS from the first byte, on port
// 465 by default. user and password are percent-encoded; with them the
// strongest mechanism the server offers is used, and TLS is required.
// from sets the From address (default: the administrator's own).
// Errors never quote the password.
func ParseURL(s string) (Server, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Server{}, fmt.Errorf("SMTP URL: %w", redactedErr(err))
	}
	shape := fmt.Errorf("SMTP URL %s: want smtp://[user:password@]host[:port][?starttls=…&from=…] or smtps://…", u.Redacted())
	var srv Server
	switch u.Scheme {
	case "smtp":
		srv.Port, srv.TLS = 587, gomail.TLSMandatory
	case "smtps":
		srv.Port, srv.SSL = 465, true
	default:
		return Server{}, shape
	}
	srv.Host = u.Hostname()
	if srv.Host == "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" || u.Opaque != "" {
		return Server{}, shape
	}
	if p := u.Port(); p != "" {
		if srv.Port, err = strconv.Atoi(p); err != nil || srv.Port < 1 || srv.Port > 65535 {
			return Server{}, fmt.Errorf("SMTP URL %s: port %q: want 1 to 65535", u.Redacted(), p)
		}
	}
	if u.User != nil {
		srv.User = u.User.Username()
		srv.Password, _ = u.User.Password()
	}
	for key, vals := range u.Query() {
		v := vals[len(vals)-1]
		switch key {
		case "starttls":
			if srv.SSL {
				return Server{}, fmt.Errorf("SMTP URL %s: starttls is for smtp://; smtps:// is TLS throughout", u.Redacted())
			}
			switch v {
			case "mandatory":
				srv.TLS = gomail.TLSMandatory
			case "opportunistic":
				srv.TLS = gomail.TLSOpportunistic
			case "none":
				srv.TLS = gomail.NoTLS
			default:
				return Server{}, fmt.Errorf("SMTP URL %s: starttls=%q: want mandatory, opportunistic or none", u.Redacted(), v)
			}
		case "from":
			a, err := netmail.ParseAddress(v)
			if err != nil {
				return Server{}, fmt.Errorf("SMTP URL %s: from=%q: %w", u.Redacted(), v, err)
			}
			srv.From = a.Address
		default:
			return Server{}, fmt.Errorf("SMTP URL %s: unknown parameter %q (want starttls or from)", u.Redacted(), key)
		}
	}
	if srv.User != "" && !srv.SSL && srv.TLS != gomail.TLSMandatory {
		return Server{}, fmt.Errorf("SMTP URL %s: a password is only sent over TLS: use smtps:// or starttls=mandatory", u.Redacted())
	}
	return srv, nil
}

// redactedErr drops the URL (and so the password) from url.Parse's error.
func redactedErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Mailer mails contact messages to the administrator.
type Mailer struct {
	cfg    Config
	srv    Server
	to     string
	client *gomail.Client
	queue  chan origin.ContactMessage
	logger *slog.Logger
}

// New checks cfg and returns a Mailer; call Run to send.
func New(cfg Config) (*Mailer, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = DefaultAttempts
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = DefaultBackoff
	}
	srv, err := ParseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	to, err := netmail.ParseAddress(cfg.To)
	if err != nil {
		return nil, fmt.Errorf("admin email %q: %w", cfg.To, err)
	}
	if srv.From == "" {
		srv.From = to.Address
	}
	opts := []gomail.Option{gomail.WithTimeout(sendTimeout)}
	if srv.SSL {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(srv.TLS))
	}
	opts = append(opts, gomail.WithPort(srv.Port))
	if srv.User != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(srv.User), gomail.WithPassword(srv.Password))
	}
	client, err := gomail.NewClient(srv.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("SMTP client for %s: %w", net.JoinHostPort(srv.Host, strconv.Itoa(srv.Port)), err)
	}
	return &Mailer{
		cfg: cfg, srv: srv, to: to.Address, client: client,
		queue:  make(chan origin.ContactMessage, queueSize),
		logger: cfg.Logger.With("component", "mail"),
	}, nil
}

// Mail queues m to be sent; it never blocks. A full queue (a burst no
// rate limit lets through) leaves m unmailed, which the log says.
func (m *Mailer) Mail(msg origin.ContactMessage) {
	select {
	case m.queue <- msg:
	default:
		m.logger.Warn("mail queue full: contact message stays unmailed", "id", msg.ID)
	}
}

// Run sends queued messages until ctx is done. Messages still queued then
// stay unmailed.
func (m *Mailer) Run(ctx context.Context) {
	m.logger.Info("mailing contact messages", "server", net.JoinHostPort(m.srv.Host, strconv.Itoa(m.srv.Port)), "to", m.to)
	for {
		select {
		case <-ctx.Done():
			return
		case msg := <-m.queue:
			m.deliver(ctx, msg)
		}
	}
}

// deliver sends msg with up to Attempts tries, backing off between them,
// and marks it mailed.
func (m *Mailer) deliver(ctx context.Context, msg origin.ContactMessage) {
	mm, err := m.compose(msg)
	if err != nil {
		m.logger.Error("compose a contact message's mail", "id", msg.ID, "err", err)
		return
	}
	pause := m.cfg.Backoff
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, sendTimeout)
		err = m.client.DialAndSendWithContext(actx, mm)
		cancel()
		if err == nil {
			break
		}
		if attempt >= m.cfg.Attempts || ctx.Err() != nil {
			m.logger.Error("could not mail a contact message; it stays stored, unmailed", "id", msg.ID, "attempts", attempt, "err", err)
			return
		}
		m.logger.Warn("mail a contact message: will retry", "id", msg.ID, "attempt", attempt, "in", pause, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause *= 2
	}
	m.logger.Info("contact message mailed", "id", msg.ID)
	if m.cfg.Marker == nil {
		return
	}
	if err := m.cfg.Marker.MarkContactMailed(ctx, msg.ID); err != nil && !errors.Is(err, origin.ErrNotFound) {
		m.logger.Warn("record that a contact message was mailed", "id", msg.ID, "err", err)
	}
}

// compose builds msg's mail: to the administrator, Reply-To its sender,
// the subject carried over (on one line: nothing a sender types can add
// a header), the message and where it came from in the body.
func (m *Mailer) compose(msg origin.ContactMessage) (*gomail.Msg, error) {
	mm := gomail.NewMsg()
	if err := mm.FromFormat(oneLine(m.cfg.Node+" contact form"), m.srv.From); err != nil {
		return nil, fmt.Errorf("from %q: %w", m.srv.From, err)
	}
	if err := mm.To(m.to); err != nil {
		return nil, fmt.Errorf("to %q: %w", m.to, err)
	}
	mm.ReplyToMailAddress(&netmail.Address{Name: oneLine(msg.FromName), Address: msg.FromEmail})
	mm.Subject(oneLine(fmt.Sprintf("[%s] %s", m.cfg.Node, msg.Subject)))
	mm.SetDate()
	mm.SetMessageID()
	body := fmt.Sprintf("%s <%s> wrote through the contact form of %s:\n\n%s\n\n-- \nReceived %s from %s; message %d of the admin's contact list.\n",
		oneLine(msg.FromName), msg.FromEmail, m.cfg.Node, msg.Body,
		msg.ReceivedAt.UTC().Format(time.RFC1123), msg.SenderIP, msg.ID)
	mm.SetBodyString(gomail.TypeTextPlain, body)
	return mm, nil
}

// oneLine makes s fit a header: control characters (CR and LF among
// them) and Unicode line and paragraph separators become spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}
