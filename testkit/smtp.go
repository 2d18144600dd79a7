package testkit

import (
	"cmp"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/partnerdesk/partnerdesk/mailer"
)

// SMTPServer is a real SMTP server on a loopback port (emersion/go-smtp)
// that keeps what it accepts, so that mail tests read what a mail server
// received. It stops with the test.
type SMTPServer struct {
	Addr string

	user, password string // AUTH PLAIN is offered when user is set
	host           string // 127.0.0.1 when empty

	mu       sync.Mutex // guards the fields below
	received []Received
	refusals []Refusal
	events   []string
	sessions int
}

// Received is one message the server accepted.
type Received struct {
	From string
	To   []string
	// Data is the message as it arrived, dot-unstuffed, CRLF kept.
	Data string
	TLS  bool
	// User is who authenticated, if anyone did.
	User string
}

// Header returns the message's header (it fails the test if the message
// does not parse).
func (r Received) Header(t testing.TB) mail.Header {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(r.Data))
	if err != nil {
		t.Fatalf("parsing the received message: %v\n%s", err, r.Data)
	}
	return m.Header
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
type SMTPOption func(*smtp.Server, *SMTPServer)

// SMTPStartTLS offers STARTTLS with cert.
func SMTPStartTLS(cert tls.Certificate) SMTPOption {
	return func(s *smtp.Server, _ *SMTPServer) {
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
}

// SMTPAuth offers AUTH PLAIN for user and password; without TLS too.
func SMTPAuth(user, password string) SMTPOption {
	return func(s *smtp.Server, t *SMTPServer) {
		s.AllowInsecureAuth = true
		t.user, t.password = user, password
	}
}

// SMTPHost listens on another loopback address than 127.0.0.1, one a
// client does not take for localhost (127.0.0.2).
func SMTPHost(host string) SMTPOption {
	return func(_ *smtp.Server, t *SMTPServer) { t.host = host }
}

// StartSMTP serves SMTP on 127.0.0.1.
func StartSMTP(t testing.TB, opts ...SMTPOption) *SMTPServer {
	return startSMTP(t, nil, opts...)
}

// StartSMTPImplicitTLS serves SMTP over TLS from the first byte (port
// 465's way) with cert.
func StartSMTPImplicitTLS(t testing.TB, cert tls.Certificate, opts ...SMTPOption) *SMTPServer {
	return startSMTP(t, &tls.Config{Certificates: []tls.Certificate{cert}}, opts...)
}

func startSMTP(t testing.TB, implicit *tls.Config, opts ...SMTPOption) *SMTPServer {
	t.Helper()
	ts := &SMTPServer{}
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
		<-done
	})
	return ts
}

// Refuse makes the server refuse the next message with r, once.
func (s *SMTPServer) Refuse(r Refusal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refusals = append(s.refusals, r)
}

// Received returns the messages accepted so far.
func (s *SMTPServer) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// Events returns the commands the server was given (AUTH, MAIL, RCPT,
// DATA), in order, and how many sessions it had.
func (s *SMTPServer) Events() ([]string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.events...), s.sessions
}

// refusal takes the pending refusal for command at, if it is the next.
func (s *SMTPServer) refusal(at string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.refusals) == 0 || s.refusals[0].At != at {
		return nil
	}
	r := s.refusals[0]
	s.refusals = s.refusals[1:]
	return &smtp.SMTPError{Code: r.Code, EnhancedCode: r.Enhanced, Message: r.Message}
}

func (s *SMTPServer) event(e string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
}

type smtpSession struct {
	srv    *SMTPServer
	conn   *smtp.Conn
	authed string
	msg    Received
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
	_, secure := s.conn.TLSConnectionState()
	s.msg = Received{From: from, TLS: secure, User: s.authed}
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.srv.event("RCPT")
	if err := s.srv.refusal("RCPT"); err != nil {
		return err
	}
	s.msg.To = append(s.msg.To, to)
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
	s.msg.Data = string(b)
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	s.srv.received = append(s.srv.received, s.msg)
	return nil
}

func (s *smtpSession) Reset() { s.msg = Received{} }

func (s *smtpSession) Logout() error { return nil }

type discardLog struct{}

func (discardLog) Printf(string, ...any) {}
func (discardLog) Println(...any)        {}

// MailFrom is the sender address of test mail.
const MailFrom = "desk@partnerdesk.example"

// Sender returns a sender that delivers the env's outbox to the SMTP
// server at addr on the env's clock. Tests call its Deliver: mail goes
// out when the test says, and retries wait for the clock.
func (e *Env) Sender(addr string) *mailer.Sender {
	return &mailer.Sender{
		Client:    e.Client,
		Transport: &mailer.SMTP{Addr: addr, From: MailFrom, Timeout: 5 * time.Second},
		Clock:     e.Clock,
	}
}
