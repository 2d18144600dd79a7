// Package mailer sends the server's email — verification codes, case
// sharing, grant expiry warnings — either through an SMTP server or, where
// none is configured, into the database's outbox table so that nothing is
// lost and an operator can see what would have gone out.
package mailer

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"

	"github.com/partnerdesk/partnerdesk/ent"
)

// Message is one plain-text email.
type Message struct{ To, Subject, Body string }

// Mailer sends email; the server depends on this interface so that it runs
// the same with SMTP configured or not.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// ErrInvalid is returned (wrapped) when a message or the SMTP configuration
// is refused before anything is sent or stored, so that callers can tell bad
// input from a failing mail server.
var ErrInvalid = errors.New("mailer: invalid message")

// DefaultTimeout bounds a whole SMTP exchange when SMTP.Timeout is zero, so
// that a mail server that stops answering cannot hold a request forever.
const DefaultTimeout = 10 * time.Second

// maxHeaderLine is RFC 5322's hard limit on a line, CRLF excluded.
const maxHeaderLine = 998

// foldAt is the line length RFC 5322 recommends; headers are folded there.
const foldAt = 78

// SMTP sends through an SMTP server; it is used when flags configure one.
type SMTP struct {
	Addr string // host:port
	From string // envelope and header From, a bare address
	// Username and Password, when Username is set, authenticate with AUTH
	// PLAIN. net/smtp sends them only over TLS or to localhost, so that a
	// password never crosses a network in clear text.
	Username, Password string
	// StartTLS requires STARTTLS: sending fails, before any data, if the
	// server does not offer it or the upgrade fails.
	StartTLS bool
	// TLSConfig, when set, is used for STARTTLS (for a private CA, say); its
	// ServerName defaults to Addr's host.
	TLSConfig *tls.Config
	// Timeout bounds the whole exchange; DefaultTimeout when zero.
	Timeout time.Duration
}

var (
	_ Mailer = (*SMTP)(nil)
	_ Mailer = (*Outbox)(nil)
)

// Send delivers m through the SMTP server. It validates everything before
// connecting, so a message refused for bad input never reaches the server,
// and gives up when ctx ends or the timeout passes, whichever is first.
func (s *SMTP) Send(ctx context.Context, m Message) (err error) {
	if err := checkMessage(m); err != nil {
		return err
	}
	if err := checkAddress("from", s.From); err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil || host == "" {
		return fmt.Errorf("%w: SMTP address %q is not host:port", ErrInvalid, s.Addr)
	}
	raw, err := compose(s.From, m, time.Now())
	if err != nil {
		return err
	}

	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	defer func() {
		// Name the context's end rather than a bare i/o timeout when that
		// is what stopped the exchange. The connection's deadline is the
		// context's, so a timeout may be seen just before ctx reports it.
		if err == nil {
			return
		}
		cause := context.Cause(ctx)
		var ne net.Error
		if cause == nil && errors.As(err, &ne) && ne.Timeout() {
			cause = context.DeadlineExceeded
		}
		if cause != nil && !errors.Is(err, cause) {
			err = fmt.Errorf("%w (%w)", err, cause)
		}
	}()

	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("mailer: connecting to %s: %w", s.Addr, err)
	}
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		conn.Close()
		return fmt.Errorf("mailer: connecting to %s: %w", s.Addr, err)
	}
	// A cancelled context interrupts whatever read or write is blocked.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("mailer: greeting from %s: %w", s.Addr, err)
	}
	defer c.Close()
	if err := c.Hello("partnerdesk"); err != nil {
		return fmt.Errorf("mailer: EHLO to %s: %w", s.Addr, err)
	}
	if s.StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("mailer: %s does not offer STARTTLS, which is required", s.Addr)
		}
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if s.TLSConfig != nil {
			cfg = s.TLSConfig.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		if err := c.StartTLS(cfg); err != nil {
			return fmt.Errorf("mailer: STARTTLS with %s: %w", s.Addr, err)
		}
	}
	if s.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return fmt.Errorf("mailer: %s does not offer AUTH, which the configured credentials need", s.Addr)
		}
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return fmt.Errorf("mailer: authenticating to %s: %w", s.Addr, err)
		}
	}
	if err := c.Mail(s.From); err != nil {
		return fmt.Errorf("mailer: %s refused sender %s: %w", s.Addr, s.From, err)
	}
	if err := c.Rcpt(m.To); err != nil {
		return fmt.Errorf("mailer: %s refused recipient %s: %w", s.Addr, m.To, err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mailer: %s refused DATA: %w", s.Addr, err)
	}
	if _, err := w.Write(raw); err != nil {
		return fmt.Errorf("mailer: writing the message to %s: %w", s.Addr, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mailer: %s refused the message: %w", s.Addr, err)
	}
	if err := c.Quit(); err != nil {
		// The server accepted the message at the end of DATA; a failed
		// QUIT does not undo that, so it is not reported as a failure.
		slog.DebugContext(ctx, "mailer: QUIT failed after delivery", "addr", s.Addr, "err", err)
	}
	return nil
}

// Outbox keeps messages in the database's outbox table and logs them, for
// deployments without SMTP (demo, tests): nothing is lost and an operator
// sees what would have gone out.
type Outbox struct{ Client *ent.Client }

// Send stores m in the outbox. Give the Outbox a transaction's client to
// have the row commit or roll back with that transaction's work.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	if err := checkMessage(m); err != nil {
		return err
	}
	if o.Client == nil {
		return errors.New("mailer: outbox has no database client")
	}
	row, err := o.Client.OutboxMessage.Create().
		SetTo(m.To).
		SetSubject(m.Subject).
		SetBody(m.Body).
		Save(ctx)
	if err != nil {
		return fmt.Errorf("mailer: keeping mail to %s in the outbox: %w", m.To, err)
	}
	// Never the body: it may hold a verification code.
	slog.InfoContext(ctx, "mail kept in outbox", "to", m.To, "subject", m.Subject, "id", row.ID)
	return nil
}

// checkMessage refuses what would make a malformed or injected message.
func checkMessage(m Message) error {
	if err := checkAddress("to", m.To); err != nil {
		return err
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return fmt.Errorf("%w: subject contains a line break (header injection refused)", ErrInvalid)
	}
	return nil
}

// checkAddress accepts a bare ASCII address (no display name, no
// comments) and nothing else, since it goes into both the envelope and
// the headers as it is.
func checkAddress(field, addr string) error {
	if strings.ContainsAny(addr, "\r\n") {
		return fmt.Errorf("%w: %s address contains a line break (header injection refused)", ErrInvalid, field)
	}
	if addr == "" {
		return fmt.Errorf("%w: %s address is empty", ErrInvalid, field)
	}
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Name != "" || a.Address != addr {
		return fmt.Errorf("%w: %s address %q is not a bare address such as name@example.com", ErrInvalid, field, addr)
	}
	for i := 0; i < len(addr); i++ {
		if addr[i] > '~' {
			return fmt.Errorf("%w: %s address %q is not plain ASCII, which SMTP without SMTPUTF8 needs", ErrInvalid, field, addr)
		}
	}
	return nil
}

// compose renders the message with CRLF line endings and a
// quoted-printable body, which is 7-bit clean and keeps lines short
// whatever the body holds, so no server extension (8BITMIME) is needed.
// Dot-stuffing is left to net/smtp's DATA writer.
func compose(from string, m Message, now time.Time) ([]byte, error) {
	subject, err := subjectField(m.Subject)
	if err != nil {
		return nil, err
	}
	id, err := messageID(from)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", from)
	header("To", m.To)
	b.WriteString(subject + "\r\n")
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", id)
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")

	body := strings.ReplaceAll(m.Body, "\r\n", "\n")
	body = strings.ReplaceAll(body, "\r", "\n")
	qp := quotedprintable.NewWriter(&b) // text mode: "\n" becomes CRLF
	if _, err := qp.Write([]byte(body)); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return b.Bytes(), nil
}

// subjectField returns the Subject field without its final CRLF: RFC 2047
// Q-encoded when the subject is not plain ASCII, and folded between words
// so that lines stay within RFC 5322's 78 characters (RFC 2047's 76 for
// lines of encoded words), which some servers and clients insist on.
func subjectField(s string) (string, error) {
	words, limit := strings.Split(s, " "), foldAt
	if enc := mime.QEncoding.Encode("utf-8", s); enc != s {
		// Encoded words hold no spaces of their own; the encoder separates
		// them with one.
		words, limit = strings.Split(enc, " "), 76
	}
	var b strings.Builder
	b.WriteString("Subject:")
	line := b.Len()
	for _, w := range words {
		// Fold only before a word, so that no line is all whitespace.
		if w != "" && line+1+len(w) > limit {
			b.WriteString("\r\n")
			line = 0
		}
		b.WriteString(" " + w)
		line += 1 + len(w)
		if line > maxHeaderLine {
			return "", fmt.Errorf("%w: subject has a word too long for a header line", ErrInvalid)
		}
	}
	return b.String(), nil
}

// messageID returns a unique Message-ID in the sender's domain, which some
// spam filters check.
func messageID(from string) (string, error) {
	var r [16]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", fmt.Errorf("mailer: making a Message-ID: %w", err)
	}
	domain := from[strings.LastIndexByte(from, '@')+1:]
	return "<" + hex.EncodeToString(r[:]) + "@" + domain + ">", nil
}
