// Package mailer writes the server's email — verification codes, grant
// expiry warnings, case notifications — to the outbox table, in the
// transaction of the change that caused it (Enqueue), and hands a queued
// message to an SMTP server (SMTP). Package delivery connects the two: it
// claims queued rows and sends them, with retries, once per outbox ID.
package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/rowfilter"
)

// Message is one email as its cause writes it.
type Message struct {
	To, Subject string
	// Text is the plain-text part, which every mail has.
	Text string
	// HTML is an alternative HTML part; none when empty.
	HTML string
	// Kind says what the mail is for (VERIFICATION_CODE, GRANT_EXPIRING,
	// …), so that a recheck at send time knows which rule to ask.
	Kind string
	// ContactID is the recipient contact, when To is a contact's address;
	// Enqueue finds it from To when empty. Its lastEmailStatus and its
	// suppression follow the mail.
	ContactID string
	// ObjectID is what the mail is about (a case, a grant); optional.
	ObjectID string
	// At is when the change that caused the mail happened: the mail's
	// Date, the same on every attempt. Now when zero.
	At time.Time
}

// ErrInvalid is returned (wrapped) when a message or the SMTP configuration
// is refused before anything is stored or sent, so that callers can tell
// bad input from a failing mail server.
var ErrInvalid = errors.New("mailer: invalid")

// Enqueue writes m to the outbox with c, which inside a mutation is the
// transaction's client: the mail then exists exactly when the change that
// caused it commits. The recipient contact's lastEmailStatus becomes
// QUEUED, unless it shows SUPPRESSED (the sender decides on suppression).
func Enqueue(ctx context.Context, c *ent.Client, m Message) (*ent.OutboxMessage, error) {
	if err := checkMessage(m); err != nil {
		return nil, err
	}
	if m.Kind == "" {
		return nil, fmt.Errorf("%w: a message needs a kind", ErrInvalid)
	}
	// The recipient's mail state is the server's, whoever caused the mail.
	sys := rowfilter.Privileged(ctx)
	if m.ContactID == "" {
		ct, err := c.Contact.Query().Where(contact.EmailEqualFold(m.To)).Only(sys)
		switch {
		case err == nil:
			m.ContactID = ct.ID
		case !ent.IsNotFound(err):
			return nil, err
		}
	}
	q := c.OutboxMessage.Create().
		SetTo(m.To).
		SetSubject(m.Subject).
		SetBody(m.Text).
		SetKind(m.Kind)
	if !m.At.IsZero() {
		q.SetCreatedAt(m.At)
	}
	if m.HTML != "" {
		q.SetHTML(m.HTML)
	}
	if m.ContactID != "" {
		q.SetContactID(m.ContactID)
	}
	if m.ObjectID != "" {
		q.SetObjectID(m.ObjectID)
	}
	row, err := q.Save(sys)
	if err != nil {
		return nil, fmt.Errorf("mailer: queueing mail to %s: %w", m.To, err)
	}
	if m.ContactID != "" {
		if err := c.Contact.Update().
			Where(contact.ID(m.ContactID), contact.LastEmailStatusNEQ(contact.LastEmailStatusSUPPRESSED)).
			SetLastEmailStatus(contact.LastEmailStatusQUEUED).
			Exec(sys); err != nil {
			return nil, err
		}
	}
	// Never the body: it may hold a verification code.
	slog.InfoContext(ctx, "mail queued", "to", m.To, "subject", m.Subject, "kind", m.Kind, "id", row.ID)
	return row, nil
}

// Mail is a queued message as it goes to the SMTP server.
type Mail struct {
	// ID is the outbox row's; the Message-ID derives from it, so that
	// every attempt at one row sends the same Message-ID.
	ID string
	Message
}

// FromRow returns the mail an outbox row holds.
func FromRow(row *ent.OutboxMessage) Mail {
	m := Mail{ID: row.ID, Message: Message{
		To: row.To, Subject: row.Subject, Text: row.Body, Kind: row.Kind, At: row.CreatedAt,
	}}
	if row.HTML != nil {
		m.HTML = *row.HTML
	}
	if row.ContactID != nil {
		m.ContactID = *row.ContactID
	}
	if row.ObjectID != nil {
		m.ObjectID = *row.ObjectID
	}
	return m
}

// MessageID returns the Message-ID header of the outbox row id sent from
// the address from: in the sender's domain, which some spam filters check.
func MessageID(id, from string) string {
	return "<" + id + "@" + from[strings.LastIndexByte(from, '@')+1:] + ">"
}

// OutboxID returns the outbox row ID a Message-ID (with or without its
// angle brackets) was derived from, or "" for any other Message-ID.
func OutboxID(messageID string) string {
	id, _, ok := strings.Cut(strings.Trim(strings.TrimSpace(messageID), "<>"), "@")
	if !ok {
		return ""
	}
	return id
}

// DefaultTimeout bounds a whole SMTP exchange when SMTP.Timeout is zero, so
// that a mail server that stops answering cannot hold a sender forever.
const DefaultTimeout = 10 * time.Second

// TLSMode is how the connection to the SMTP server is secured.
type TLSMode string

// The TLS modes.
const (
	// NoTLS sends in clear; credentials then go only to localhost.
	NoTLS TLSMode = "none"
	// StartTLS requires STARTTLS: sending fails, before any data, if the
	// server does not offer it or the upgrade fails (port 587).
	StartTLS TLSMode = "starttls"
	// ImplicitTLS speaks TLS from the first byte (port 465).
	ImplicitTLS TLSMode = "implicit"
)

// Auth is a SASL mechanism for AUTH.
type Auth string

// The mechanisms offered.
const (
	AuthPlain   Auth = "PLAIN"
	AuthLogin   Auth = "LOGIN"
	AuthXOAUTH2 Auth = "XOAUTH2" // Password holds the OAuth 2.0 access token
)

// SMTP hands mail to an SMTP server; it is used when flags configure one.
type SMTP struct {
	Addr string // host:port
	From string // envelope and header From, a bare address
	// Username and Password, when Username is set, authenticate with Auth
	// (PLAIN when empty). PLAIN and LOGIN send them only over TLS or to
	// localhost, so that a password never crosses a network in clear
	// text; XOAUTH2 needs TLS.
	Username, Password string
	Auth               Auth
	// TLS is NoTLS when empty.
	TLS TLSMode
	// TLSConfig, when set, is used for TLS (for a private CA, say); its
	// ServerName defaults to Addr's host.
	TLSConfig *tls.Config
	// Timeout bounds the whole exchange; DefaultTimeout when zero.
	Timeout time.Duration
}

// ReplyError is a refusal by the SMTP server, with its reply code.
type ReplyError struct {
	Code     int    // 4xx: try again later; 5xx: refused for good
	Enhanced string // RFC 3463 status such as 5.1.1, when the server gives one
	// Recipient reports whether the server refused the recipient or the
	// message (at RCPT TO or at the end of DATA) rather than our session
	// (greeting, TLS, AUTH, MAIL FROM): only such refusals are bounces.
	Recipient bool
	err       error
}

func (e *ReplyError) Error() string { return e.err.Error() }
func (e *ReplyError) Unwrap() error { return e.err }

// Bounce reports whether err is the recipient's side refusing the mail for
// good: sending it again would get the same answer.
func Bounce(err error) bool {
	var re *ReplyError
	return errors.As(err, &re) && re.Recipient && re.Code >= 500
}

// Send hands m to the SMTP server. It validates everything before
// connecting, so a message refused for bad input never reaches the server,
// and gives up when ctx ends or the timeout passes, whichever is first.
// It returns nil once the server has accepted the message at the end of
// DATA, whatever happens to the session after that.
func (s *SMTP) Send(ctx context.Context, m Mail) (err error) {
	if err := checkMessage(m.Message); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	client, err := s.client(ctx)
	if err != nil {
		return err
	}
	msg, err := s.compose(m)
	if err != nil {
		return err
	}
	err = client.DialAndSendWithContext(ctx, msg)
	if msg.IsDelivered() {
		if err != nil {
			slog.DebugContext(ctx, "mailer: closing the session failed after delivery", "addr", s.Addr, "err", err)
		}
		return nil
	}
	return s.explain(ctx, err)
}

// explain returns err with the server's reply code made readable
// (ReplyError), and with the context's end named rather than a bare i/o
// error when that is what stopped the exchange.
func (s *SMTP) explain(ctx context.Context, err error) error {
	var se *gomail.SendError
	var te *textproto.Error
	switch {
	case errors.As(err, &se) && se.ErrorCode() >= 400:
		recipient := se.Reason == gomail.ErrSMTPRcptTo || se.Reason == gomail.ErrSMTPData || se.Reason == gomail.ErrSMTPDataClose
		err = &ReplyError{Code: se.ErrorCode(), Enhanced: se.EnhancedStatusCode(), Recipient: recipient, err: err}
	case errors.As(err, &te):
		err = &ReplyError{Code: te.Code, err: err}
	}
	err = fmt.Errorf("mailer: %s: %w", s.Addr, err)
	// go-mail's deadline on the connection is the exchange's too, so a
	// timeout may be seen just before ctx reports it.
	cause := context.Cause(ctx)
	var ne net.Error
	if cause == nil && errors.As(err, &ne) && ne.Timeout() {
		cause = context.DeadlineExceeded
	}
	if cause != nil && !errors.Is(err, cause) {
		err = fmt.Errorf("%w (%w)", err, cause)
	}
	return err
}

// Check refuses a configuration that could send nothing (ErrInvalid),
// without connecting, so that a server with one does not start.
func (s *SMTP) Check() error {
	_, err := s.client(context.Background())
	return err
}

func (s *SMTP) timeout() time.Duration {
	if s.Timeout <= 0 {
		return DefaultTimeout
	}
	return s.Timeout
}

// client returns a go-mail client for one exchange, or ErrInvalid for a
// configuration that would send credentials unprotected.
func (s *SMTP) client(ctx context.Context) (*gomail.Client, error) {
	if err := checkAddress("from", s.From); err != nil {
		return nil, err
	}
	host, portText, err := net.SplitHostPort(s.Addr)
	port, perr := strconv.Atoi(portText)
	if err != nil || host == "" || perr != nil {
		return nil, fmt.Errorf("%w: SMTP address %q is not host:port", ErrInvalid, s.Addr)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.TLSConfig != nil {
		cfg = s.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	opts := []gomail.Option{
		gomail.WithPort(port),
		gomail.WithTimeout(s.timeout()),
		gomail.WithTLSConfig(cfg),
		gomail.WithTLSPolicy(gomail.NoTLS),
		gomail.WithoutNoop(),
		gomail.WithDialContextFunc(s.dialer(ctx, cfg)),
	}
	switch s.TLS {
	case "", NoTLS, ImplicitTLS: // implicit TLS is the dialer's
	case StartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		return nil, fmt.Errorf("%w: TLS mode %q is none of none, starttls, implicit", ErrInvalid, s.TLS)
	}
	if s.Username != "" {
		mech := map[Auth]gomail.SMTPAuthType{
			"": gomail.SMTPAuthPlain, AuthPlain: gomail.SMTPAuthPlain,
			AuthLogin: gomail.SMTPAuthLogin, AuthXOAUTH2: gomail.SMTPAuthXOAUTH2,
		}
		t, ok := mech[s.Auth]
		if !ok {
			return nil, fmt.Errorf("%w: SMTP AUTH mechanism %q is none of PLAIN, LOGIN, XOAUTH2", ErrInvalid, s.Auth)
		}
		// go-mail checks TLS for PLAIN and LOGIN, not for XOAUTH2.
		if t == gomail.SMTPAuthXOAUTH2 && (s.TLS == "" || s.TLS == NoTLS) {
			return nil, fmt.Errorf("%w: XOAUTH2 sends a bearer token, which needs TLS", ErrInvalid)
		}
		opts = append(opts, gomail.WithSMTPAuth(t), gomail.WithUsername(s.Username), gomail.WithPassword(s.Password))
	}
	c, err := gomail.NewClient(host, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return c, nil
}

// dialer connects, with TLS from the first byte in ImplicitTLS mode, and
// closes the connection when ctx ends: go-mail bounds each step by its
// timeout but would not notice a cancellation otherwise.
func (s *SMTP) dialer(ctx context.Context, cfg *tls.Config) gomail.DialContextFunc {
	return func(dialCtx context.Context, network, addr string) (net.Conn, error) {
		var conn net.Conn
		var err error
		if s.TLS == ImplicitTLS {
			conn, err = (&tls.Dialer{Config: cfg}).DialContext(dialCtx, network, addr)
		} else {
			conn, err = (&net.Dialer{}).DialContext(dialCtx, network, addr)
		}
		if err != nil {
			return nil, err
		}
		context.AfterFunc(ctx, func() { conn.Close() })
		return conn, nil
	}
}

// compose builds the MIME message: quoted-printable UTF-8 parts, which are
// 7-bit clean and keep lines short whatever the text holds, and RFC 2047
// headers folded within 78 characters.
func (s *SMTP) compose(m Mail) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(s.From); err != nil {
		return nil, fmt.Errorf("%w: from: %w", ErrInvalid, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("%w: to: %w", ErrInvalid, err)
	}
	for _, w := range strings.Fields(m.Subject) {
		if len(w) > maxHeaderWord {
			return nil, fmt.Errorf("%w: subject has a word too long for a header line", ErrInvalid)
		}
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(strings.Trim(MessageID(m.ID, s.From), "<>"))
	date := m.At
	if date.IsZero() {
		date = time.Now()
	}
	msg.SetDateWithValue(date)
	msg.SetBodyString(gomail.TypeTextPlain, normalizeNewlines(m.Text))
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, normalizeNewlines(m.HTML))
	}
	return msg, nil
}

// maxHeaderWord keeps an unbreakable subject word within RFC 5322's hard
// limit of 998 characters a line, with room for the field name.
const maxHeaderWord = 900

func normalizeNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// checkMessage refuses what would make a malformed or injected message.
func checkMessage(m Message) error {
	if err := checkAddress("to", m.To); err != nil {
		return err
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return fmt.Errorf("%w: subject contains a line break (header injection refused)", ErrInvalid)
	}
	if strings.TrimSpace(m.Text) == "" {
		return fmt.Errorf("%w: a message needs a plain-text part", ErrInvalid)
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
