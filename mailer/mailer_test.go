package mailer_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/mailer"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// delivery is one message the test server accepted.
type delivery struct {
	From    string
	To      []string
	Data    string // as received after dot-unstuffing, CRLF kept
	Stuffed int    // lines that arrived dot-stuffed
	TLS     bool
	User    string // authenticated user, if any
}

// smtpServer is a small RFC 5321 server for tests: one goroutine per
// connection, deadlines on every connection, closed with the test.
type smtpServer struct {
	Addr      string
	RcptReply string      // reply to RCPT TO; "250 OK" when empty
	TLS       *tls.Config // offers STARTTLS when set
	Auth      [2]string   // offers AUTH PLAIN (after TLS, if TLS is set) when a user is set
	Silent    bool        // accepts connections and never says a word

	mu         sync.Mutex // guards the fields below
	deliveries []delivery
	commands   []string
	conns      int
}

func startSMTP(t *testing.T, host string, configure func(*smtpServer)) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", host+":0")
	if err != nil {
		t.Fatalf("listening: %v", err)
	}
	s := &smtpServer{Addr: ln.Addr().String()}
	if configure != nil {
		configure(s)
	}
	var wg sync.WaitGroup
	var open sync.Map
	t.Cleanup(func() {
		ln.Close()
		open.Range(func(c, _ any) bool { c.(net.Conn).Close(); return true })
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns++
			s.mu.Unlock()
			open.Store(c, true)
			wg.Go(func() { defer open.Delete(c); s.serve(c) })
		}
	})
	return s
}

func (s *smtpServer) serve(conn net.Conn) {
	defer func() { conn.Close() }()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if s.Silent {
		io.Copy(io.Discard, conn)
		return
	}
	tp := textproto.NewConn(conn)
	tp.PrintfLine("220 test.example ESMTP ready")
	var d delivery
	secure := false
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		s.mu.Lock()
		s.commands = append(s.commands, verb)
		s.mu.Unlock()
		switch verb {
		case "EHLO", "HELO":
			ext := []string{"test.example greets " + arg, "8BITMIME"}
			if s.TLS != nil && !secure {
				ext = append(ext, "STARTTLS")
			}
			if s.Auth[0] != "" && (secure || s.TLS == nil) {
				ext = append(ext, "AUTH PLAIN")
			}
			for i, e := range ext {
				sep := "-"
				if i == len(ext)-1 {
					sep = " "
				}
				tp.PrintfLine("250%s%s", sep, e)
			}
		case "STARTTLS":
			tp.PrintfLine("220 2.0.0 go ahead")
			tc := tls.Server(conn, s.TLS)
			if tc.Handshake() != nil {
				return
			}
			conn, tp, secure, d = tc, textproto.NewConn(tc), true, delivery{}
		case "AUTH":
			_, resp, _ := strings.Cut(arg, " ")
			raw, _ := base64.StdEncoding.DecodeString(resp)
			if parts := strings.Split(string(raw), "\x00"); len(parts) == 3 && parts[1] == s.Auth[0] && parts[2] == s.Auth[1] {
				d.User = parts[1]
				tp.PrintfLine("235 2.7.0 authenticated")
			} else {
				tp.PrintfLine("535 5.7.8 bad credentials")
			}
		case "MAIL":
			d = delivery{From: between(arg, "<", ">"), TLS: secure, User: d.User}
			tp.PrintfLine("250 2.1.0 OK")
		case "RCPT":
			if s.RcptReply != "" {
				tp.PrintfLine("%s", s.RcptReply)
				continue
			}
			d.To = append(d.To, between(arg, "<", ">"))
			tp.PrintfLine("250 2.1.5 OK")
		case "DATA":
			tp.PrintfLine("354 end with <CRLF>.<CRLF>")
			var data strings.Builder
			for {
				l, err := tp.R.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				if strings.HasPrefix(l, ".") {
					l, d.Stuffed = l[1:], d.Stuffed+1
				}
				data.WriteString(l)
			}
			d.Data = data.String()
			s.mu.Lock()
			s.deliveries = append(s.deliveries, d)
			s.mu.Unlock()
			tp.PrintfLine("250 2.0.0 queued")
		case "RSET":
			d = delivery{User: d.User}
			tp.PrintfLine("250 2.0.0 OK")
		case "NOOP":
			tp.PrintfLine("250 2.0.0 OK")
		case "QUIT":
			tp.PrintfLine("221 2.0.0 bye")
			return
		default:
			tp.PrintfLine("502 5.5.2 unknown command")
		}
	}
}

func between(s, open, close string) string {
	_, s, _ = strings.Cut(s, open)
	s, _, _ = strings.Cut(s, close)
	return s
}

func (s *smtpServer) Deliveries() []delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]delivery(nil), s.deliveries...)
}

func (s *smtpServer) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}

func (s *smtpServer) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

func TestSMTPDelivers(t *testing.T) {
	body := "Hello,\n.a line that starts with a dot\n..and one with two\nZażółć gęślą jaźń, 確認コード 123456\n" +
		strings.Repeat("long ", 40) + "\n"
	for name, subject := range map[string]string{
		"ascii":    "Your verification code",
		"polish":   "Zażółć gęślą jaźń: kod weryfikacyjny",
		"japanese": "パートナーデスクからのお知らせ：確認コードをお送りします。有効期限は十分間です。",
		"folded":   strings.TrimSpace(strings.Repeat("A rather long but plain subject line ", 5)),
	} {
		t.Run(name, func(t *testing.T) {
			srv := startSMTP(t, "127.0.0.1", nil)
			m := &mailer.SMTP{Addr: srv.Addr, From: "desk@partnerdesk.example", Timeout: 5 * time.Second}
			err := m.Send(context.Background(), mailer.Message{To: "ola@customer.example", Subject: subject, Body: body})
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			ds := srv.Deliveries()
			if len(ds) != 1 {
				t.Fatalf("%d deliveries, want 1", len(ds))
			}
			d := ds[0]
			if d.From != "desk@partnerdesk.example" || len(d.To) != 1 || d.To[0] != "ola@customer.example" {
				t.Errorf("envelope = %q → %q", d.From, d.To)
			}
			if d.Stuffed < 2 {
				t.Errorf("%d dot-stuffed lines on the wire, want at least 2", d.Stuffed)
			}
			if strings.Count(d.Data, "\n") != strings.Count(d.Data, "\r\n") || !strings.HasSuffix(d.Data, "\r\n") {
				t.Errorf("message has bare LF line endings:\n%q", d.Data)
			}
			for _, l := range strings.Split(d.Data, "\r\n") {
				if len(l) > 78 {
					t.Errorf("line of %d bytes: %q", len(l), l)
				}
			}

			msg, err := mail.ReadMessage(strings.NewReader(d.Data))
			if err != nil {
				t.Fatalf("parsing the message: %v\n%s", err, d.Data)
			}
			for k, want := range map[string]string{
				"From":                      "desk@partnerdesk.example",
				"To":                        "ola@customer.example",
				"Mime-Version":              "1.0",
				"Content-Type":              "text/plain; charset=utf-8",
				"Content-Transfer-Encoding": "quoted-printable",
			} {
				if got := msg.Header.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if _, err := msg.Header.Date(); err != nil {
				t.Errorf("Date: %v", err)
			}
			if id := msg.Header.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@partnerdesk.example>") {
				t.Errorf("Message-ID = %q", id)
			}
			raw := msg.Header.Get("Subject")
			if got, err := new(mime.WordDecoder).DecodeHeader(raw); err != nil || got != subject {
				t.Errorf("Subject %q decodes to %q (%v), want %q", raw, got, err, subject)
			}
			for i := 0; i < len(raw); i++ {
				if raw[i] > '~' {
					t.Fatalf("Subject header is not 7-bit: %q", raw)
				}
			}
			got, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
			if err != nil {
				t.Fatalf("decoding the body: %v", err)
			}
			if g := strings.ReplaceAll(string(got), "\r\n", "\n"); g != body {
				t.Errorf("body = %q, want %q", g, body)
			}
		})
	}
}

func TestSMTPRecipientRejected(t *testing.T) {
	srv := startSMTP(t, "127.0.0.1", func(s *smtpServer) {
		s.RcptReply = "550 5.1.1 <nobody@customer.example>: Recipient address rejected"
	})
	m := &mailer.SMTP{Addr: srv.Addr, From: "desk@partnerdesk.example", Timeout: 5 * time.Second}
	err := m.Send(context.Background(), mailer.Message{To: "nobody@customer.example", Subject: "Hi", Body: "x"})
	if err == nil {
		t.Fatal("Send succeeded; want the rejection")
	}
	for _, want := range []string{"550", "Recipient address rejected", "nobody@customer.example"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code != 550 {
		t.Errorf("error %v does not carry the server's 550", err)
	}
	if cmds := srv.Commands(); slices.Contains(cmds, "DATA") || len(srv.Deliveries()) > 0 {
		t.Errorf("data was sent: %v", cmds)
	}
}

func TestSMTPStartTLSRequiredButNotOffered(t *testing.T) {
	srv := startSMTP(t, "127.0.0.1", nil)
	m := &mailer.SMTP{Addr: srv.Addr, From: "desk@partnerdesk.example", StartTLS: true, Timeout: 5 * time.Second}
	err := m.Send(context.Background(), mailer.Message{To: "ola@customer.example", Subject: "Hi", Body: "secret 123456"})
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("Send error = %v, want one naming STARTTLS", err)
	}
	if cmds := srv.Commands(); slices.Contains(cmds, "MAIL") || slices.Contains(cmds, "DATA") {
		t.Errorf("the message went out in clear: %v", cmds)
	}
}

func TestSMTPStartTLSAndAuth(t *testing.T) {
	cert, roots := selfSigned(t)
	srv := startSMTP(t, "127.0.0.1", func(s *smtpServer) {
		s.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
		s.Auth = [2]string{"desk", "s3cret"}
	})
	m := &mailer.SMTP{
		Addr: srv.Addr, From: "desk@partnerdesk.example",
		Username: "desk", Password: "s3cret",
		StartTLS: true, TLSConfig: &tls.Config{RootCAs: roots},
		Timeout: 5 * time.Second,
	}
	if err := m.Send(context.Background(), mailer.Message{To: "ola@customer.example", Subject: "Hi", Body: "x"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	ds := srv.Deliveries()
	if len(ds) != 1 || !ds[0].TLS || ds[0].User != "desk" {
		t.Fatalf("deliveries = %+v, want one over TLS as desk", ds)
	}

	// A certificate the client does not trust stops it before AUTH.
	m.TLSConfig = nil
	err := m.Send(context.Background(), mailer.Message{To: "ola@customer.example", Subject: "Hi", Body: "x"})
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("Send with an untrusted certificate: %v", err)
	}
	if n := len(srv.Deliveries()); n != 1 {
		t.Errorf("%d deliveries, want still 1", n)
	}
}

func TestSMTPRefusesPasswordInClear(t *testing.T) {
	// net/smtp sends a password in clear only to localhost; 127.0.0.2 is a
	// loopback address it does not count as such.
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2 here: %v", err)
	}
	ln.Close()
	srv := startSMTP(t, "127.0.0.2", func(s *smtpServer) { s.Auth = [2]string{"desk", "s3cret"} })
	m := &mailer.SMTP{Addr: srv.Addr, From: "desk@partnerdesk.example", Username: "desk", Password: "s3cret", Timeout: 5 * time.Second}
	err = m.Send(context.Background(), mailer.Message{To: "ola@customer.example", Subject: "Hi", Body: "x"})
	if err == nil || !strings.Contains(err.Error(), "unencrypted") {
		t.Fatalf("Send error = %v, want a refusal to authenticate unencrypted", err)
	}
	if cmds := srv.Commands(); slices.Contains(cmds, "AUTH") || slices.Contains(cmds, "MAIL") {
		t.Errorf("credentials or mail went out in clear: %v", cmds)
	}
}

func TestSMTPGivesUp(t *testing.T) {
	srv := startSMTP(t, "127.0.0.1", func(s *smtpServer) { s.Silent = true })
	msg := mailer.Message{To: "ola@customer.example", Subject: "Hi", Body: "x"}

	t.Run("timeout", func(t *testing.T) {
		m := &mailer.SMTP{Addr: srv.Addr, From: "desk@partnerdesk.example", Timeout: 200 * time.Millisecond}
		start := time.Now()
		err := m.Send(context.Background(), msg)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Send error = %v, want the deadline", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("gave up after %v", d)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		m := &mailer.SMTP{Addr: srv.Addr, From: "desk@partnerdesk.example", Timeout: time.Minute}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		err := m.Send(ctx, msg)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Send error = %v, want the cancellation", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("gave up after %v", d)
		}
	})
}

func TestRefusesBadMessagesWithoutConnecting(t *testing.T) {
	srv := startSMTP(t, "127.0.0.1", nil)
	ok := mailer.Message{To: "ola@customer.example", Subject: "Hi", Body: "x"}
	for name, tc := range map[string]struct {
		from string
		m    mailer.Message
		want string
	}{
		"subject CRLF":   {m: mailer.Message{To: ok.To, Subject: "Hi\r\nBcc: victim@evil.example", Body: "x"}, want: "header injection"},
		"subject LF":     {m: mailer.Message{To: ok.To, Subject: "Hi\nBcc: victim@evil.example", Body: "x"}, want: "header injection"},
		"to CRLF":        {m: mailer.Message{To: "ola@customer.example\r\nBcc: victim@evil.example", Subject: "Hi"}, want: "header injection"},
		"to display":     {m: mailer.Message{To: "Ola <ola@customer.example>", Subject: "Hi"}, want: "bare address"},
		"to list":        {m: mailer.Message{To: "ola@customer.example,victim@evil.example", Subject: "Hi"}, want: "bare address"},
		"to not address": {m: mailer.Message{To: "ola", Subject: "Hi"}, want: "bare address"},
		"to non-ASCII":   {m: mailer.Message{To: "żaneta@customer.example", Subject: "Hi"}, want: "ASCII"},
		"to empty":       {m: mailer.Message{Subject: "Hi"}, want: "empty"},
		"from invalid":   {from: "desk@partnerdesk.example>\r\nX: y", m: ok, want: "header injection"},
		"from display":   {from: "Desk <desk@partnerdesk.example>", m: ok, want: "bare address"},
	} {
		t.Run(name, func(t *testing.T) {
			from := tc.from
			if from == "" {
				from = "desk@partnerdesk.example"
			}
			m := &mailer.SMTP{Addr: srv.Addr, From: from, Timeout: time.Second}
			err := m.Send(context.Background(), tc.m)
			if !errors.Is(err, mailer.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Send error = %v, want ErrInvalid mentioning %q", err, tc.want)
			}
		})
	}
	if n := srv.Conns(); n != 0 {
		t.Errorf("%d connections, want none", n)
	}
}

func TestOutbox(t *testing.T) {
	e := testkit.New(t)
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	o := &mailer.Outbox{Client: e.Client}

	// A request's context, not the system's: the outbox writes as the system.
	ctx := context.Background()
	m := mailer.Message{To: "ola@customer.example", Subject: "Kod: zażółć", Body: "Your code is 424242.\n"}
	if err := o.Send(ctx, m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	rows := e.Client.OutboxMessage.Query().AllX(e.System())
	if len(rows) != 1 || rows[0].To != m.To || rows[0].Subject != m.Subject || rows[0].Body != m.Body {
		t.Fatalf("outbox = %+v", rows)
	}
	if l := logs.String(); !strings.Contains(l, "mail kept in outbox") || !strings.Contains(l, m.To) || strings.Contains(l, "424242") {
		t.Errorf("log = %q: want the recipient and not the body", l)
	}

	// Inside a transaction the message is part of it.
	tx, err := e.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := (&mailer.Outbox{Client: tx.Client()}).Send(ctx, mailer.Message{To: "bo@customer.example", Subject: "Rolled back", Body: "x"}); err != nil {
		t.Fatalf("Send in a transaction: %v", err)
	}
	if n := tx.OutboxMessage.Query().CountX(e.System()); n != 2 {
		t.Errorf("%d rows inside the transaction, want 2", n)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if n := e.Client.OutboxMessage.Query().CountX(e.System()); n != 1 {
		t.Errorf("%d rows after rollback, want 1", n)
	}

	if err := o.Send(ctx, mailer.Message{To: m.To, Subject: "Hi\r\nBcc: victim@evil.example"}); !errors.Is(err, mailer.ErrInvalid) {
		t.Errorf("Send with an injected subject = %v, want ErrInvalid", err)
	}
	if n := e.Client.OutboxMessage.Query().CountX(e.System()); n != 1 {
		t.Errorf("%d rows after a refused message, want 1", n)
	}
}

// selfSigned returns a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, roots
}
