package testkit

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/partnerdesk/partnerdesk/mailer"
	"github.com/partnerdesk/partnerdesk/notify"
)

// SMTP is a real SMTP server on a loopback port (emersion/go-smtp)
// that keeps what it accepts, so that mail tests read what a mail server
// received. It stops with the test.
type SMTP struct {
	Addr string

	user, password string // AUTH PLAIN is offered when user is set
	host           string // 127.0.0.1 when empty

	mu       sync.Mutex // guards the fields below
	t        testing.TB
	received []Mail
	refusals []Refusal
	events   []string
	sessions int
}

// Mail is one message the server accepted, for one recipient (a message
// to several is kept once for each).
type Mail struct {
	From, To string
	// Subject, Text and HTML are decoded: the subject's encoded words, and
	// the plain-text and HTML parts with LF line ends ("" when absent).
	Subject, Text, HTML string
	// Data is the message as it arrived, dot-unstuffed, CRLF kept.
	Data string
	TLS  bool
	// User is who authenticated, if anyone did.
	User string
}

// Header returns the message's header.
func (m Mail) Header(t testing.TB) mail.Header {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(m.Data))
	if err != nil {
		t.Fatalf("parsing the received message: %v\n%s", err, m.Data)
	}
	return msg.Header
}

// decode fills m's Subject, Text and HTML from its Data.
func (m *Mail) decode() error {
	msg, err := mail.ReadMessage(strings.NewReader(m.Data))
	if err != nil {
		return err
	}
	if m.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return err
	}
	return m.part(textproto.MIMEHeader(msg.Header), msg.Body)
}

// part decodes one MIME part into Text or HTML, or each part of a
// multipart one.
func (m *Mail) part(h textproto.MIMEHeader, body io.Reader) error {
	mt, params, err := mime.ParseMediaType(cmp.Or(h.Get("Content-Type"), "text/plain"))
	if err != nil {
		return err
	}
	if strings.HasPrefix(mt, "multipart/") {
		r := multipart.NewReader(body, params["boundary"])
		for {
			p, err := r.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := m.part(p.Header, p); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	switch mt {
	case "text/plain":
		m.Text = text
	case "text/html":
		m.HTML = text
	}
	return err
}

// Refusal is a reply the server gives once, in place of accepting.
type Refusal struct {
	// At is the command refused: "RCPT" or "DATA" (the end of the data).
	At       string
	Code     int
	Enhanced smtp.EnhancedCode
	Message  string
}

// SMTPOption configures StartSMTP.
type SMTPOption func(*smtp.Server, *SMTP)

// SMTPStartTLS offers STARTTLS with cert.
func SMTPStartTLS(cert tls.Certificate) SMTPOption {
	return func(s *smtp.Server, _ *SMTP) {
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
}

// SMTPAuth offers AUTH PLAIN for user and password; without TLS too.
func SMTPAuth(user, password string) SMTPOption {
	return func(s *smtp.Server, t *SMTP) {
		s.AllowInsecureAuth = true
		t.user, t.password = user, password
	}
}

// SMTPHost listens on another loopback address than 127.0.0.1, one a
// client does not take for localhost (127.0.0.2).
func SMTPHost(host string) SMTPOption {
	return func(_ *smtp.Server, t *SMTP) { t.host = host }
}

// StartSMTP serves SMTP on 127.0.0.1.
func StartSMTP(t testing.TB, opts ...SMTPOption) *SMTP {
	return startSMTP(t, nil, opts...)
}

// StartSMTPImplicitTLS serves SMTP over TLS from the first byte (port
// 465's way) with cert.
func StartSMTPImplicitTLS(t testing.TB, cert tls.Certificate, opts ...SMTPOption) *SMTP {
	return startSMTP(t, &tls.Config{Certificates: []tls.Certificate{cert}}, opts...)
}

func startSMTP(t testing.TB, implicit *tls.Config, opts ...SMTPOption) *SMTP {
	t.Helper()
	ts := &SMTP{t: t}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		ts.sessions++
		return &smtpSession{srv: ts, conn: c}, nil
	}))
	s.Domain = "mx.test.example"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.ErrorLog = discardLog{}
	for _, o := range opts {
		o(s, ts)
	}
	addr := net.JoinHostPort(cmp.Or(ts.host, "127.0.0.1"), "0")
	var ln net.Listener
	var err error
	if implicit != nil {
		ln, err = tls.Listen("tcp", addr, implicit)
	} else {
		ln, err = net.Listen("tcp", addr)
	}
	if err != nil {
		t.Fatalf("SMTP listener: %v", err)
	}
	ts.Addr = ln.Addr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			t.Errorf("SMTP server: %v", err)
		}
	}()
	t.Cleanup(func() {
		s.Close()
		// A Close that comes before Serve started tracking the listener
		// leaves Serve in Accept (a test that never connects): closing
		// the listener ends it either way.
		ln.Close()
		<-done
	})
	return ts
}

// Refuse makes the server refuse the next message with r, once.
func (s *SMTP) Refuse(r Refusal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refusals = append(s.refusals, r)
}

// Received returns the messages accepted so far, oldest first.
func (s *SMTP) Received() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.received...)
}

// To returns the messages accepted for addr.
func (s *SMTP) To(addr string) []Mail {
	var out []Mail
	for _, m := range s.Received() {
		if strings.EqualFold(m.To, addr) {
			out = append(out, m)
		}
	}
	return out
}

// Events returns the commands the server was given (AUTH, MAIL, RCPT,
// DATA), in order, and how many sessions it had.
func (s *SMTP) Events() ([]string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.events...), s.sessions
}

// refusal takes the pending refusal for command at, if it is the next.
func (s *SMTP) refusal(at string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.refusals) == 0 || s.refusals[0].At != at {
		return nil
	}
	r := s.refusals[0]
	s.refusals = s.refusals[1:]
	return &smtp.SMTPError{Code: r.Code, EnhancedCode: r.Enhanced, Message: r.Message}
}

func (s *SMTP) event(e string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
}

type smtpSession struct {
	srv    *SMTP
	conn   *smtp.Conn
	authed string
	from   string
	to     []string
	tls    bool
}

func (s *smtpSession) AuthMechanisms() []string {
	if s.srv.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	s.srv.event("AUTH")
	return sasl.NewPlainServer(func(identity, user, password string) error {
		if user != s.srv.user || password != s.srv.password {
			return smtp.ErrAuthFailed
		}
		s.authed = user
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	s.srv.event("MAIL")
	if s.srv.user != "" && s.authed == "" {
		return smtp.ErrAuthRequired
	}
	_, s.tls = s.conn.TLSConnectionState()
	s.from, s.to = from, nil
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.srv.event("RCPT")
	if err := s.srv.refusal("RCPT"); err != nil {
		return err
	}
	s.to = append(s.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	s.srv.event("DATA")
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := s.srv.refusal("DATA"); err != nil {
		return err
	}
	m := Mail{From: s.from, Data: string(b), TLS: s.tls, User: s.authed}
	if err := m.decode(); err != nil {
		s.srv.t.Errorf("the SMTP server received a message it cannot read: %v\n%s", err, m.Data)
	}
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	for _, to := range s.to {
		m.To = to
		s.srv.received = append(s.srv.received, m)
	}
	return nil
}

func (s *smtpSession) Reset() { s.from, s.to = "", nil }

func (s *smtpSession) Logout() error { return nil }

type discardLog struct{}

func (discardLog) Printf(string, ...any) {}
func (discardLog) Println(...any)        {}

// MailFrom is the sender address of test mail.
const MailFrom = "desk@partnerdesk.example"

// DeliverOutbox runs the env's sender to s once, failing the test on a
// database error: every mail due now is tried.
func (e *Env) DeliverOutbox(s *SMTP) {
	e.t.Helper()
	if _, err := e.Sender(s.Addr).Deliver(context.Background()); err != nil {
		e.t.Fatalf("delivering the outbox: %v", err)
	}
}

// Sender returns a sender that delivers the env's outbox to the SMTP
// server at addr on the env's clock. Tests call its Deliver: mail goes
// out when the test says, and retries wait for the clock.
func (e *Env) Sender(addr string) *mailer.Sender {
	return &mailer.Sender{
		Client:    e.Client,
		Transport: &mailer.SMTP{Addr: addr, From: MailFrom, Timeout: 5 * time.Second},
		Clock:     e.Clock,
		Rechecks:  notify.Rechecks(e.Clock),
	}
}
