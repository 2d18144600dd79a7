package mailer_test

import (
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/partnerdesk/partnerdesk/mailer"
	"github.com/partnerdesk/partnerdesk/testkit"
)

const from = testkit.MailFrom

var at = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func mail1(to, subject, text string) mailer.Mail {
	return mailer.Mail{ID: "out_01TEST", Message: mailer.Message{To: to, Subject: subject, Text: text, Kind: "TEST", At: at}}
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
			srv := testkit.StartSMTP(t)
			m := &mailer.SMTP{Addr: srv.Addr, From: from, Timeout: 5 * time.Second}
			if err := m.Send(context.Background(), mail1("ola@customer.example", subject, body)); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := srv.Received()
			if len(got) != 1 {
				t.Fatalf("%d messages received, want 1", len(got))
			}
			d := got[0]
			if d.From != from || !slices.Equal(d.To, []string{"ola@customer.example"}) {
				t.Errorf("envelope = %q → %q", d.From, d.To)
			}
			if strings.Count(d.Data, "\n") != strings.Count(d.Data, "\r\n") {
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
			h := msg.Header
			if h.Get("From") != "<"+from+">" && h.Get("From") != from {
				t.Errorf("From = %q", h.Get("From"))
			}
			if id := h.Get("Message-Id"); id != mailer.MessageID("out_01TEST", from) {
				t.Errorf("Message-ID = %q, want the outbox row's %q", id, mailer.MessageID("out_01TEST", from))
			}
			if date, err := h.Date(); err != nil || !date.Equal(at) {
				t.Errorf("Date = %v (%v), want when the mail was queued, %v", date, err, at)
			}
			raw := h.Get("Subject")
			if got, err := new(mime.WordDecoder).DecodeHeader(raw); err != nil || got != subject {
				t.Errorf("Subject %q decodes to %q (%v), want %q", raw, got, err, subject)
			}
			for i := 0; i < len(raw); i++ {
				if raw[i] > '~' {
					t.Fatalf("Subject header is not 7-bit: %q", raw)
				}
			}
			if g := strings.ReplaceAll(textPart(t, h, msg.Body, "text/plain"), "\r\n", "\n"); g != body {
				t.Errorf("body = %q, want %q", g, body)
			}
		})
	}
}

func TestSMTPSendsTheHTMLPartAsAnAlternative(t *testing.T) {
	srv := testkit.StartSMTP(t)
	m := &mailer.SMTP{Addr: srv.Addr, From: from, Timeout: 5 * time.Second}
	mail := mail1("ola@customer.example", "Case 12 was updated", "Case 12: status is now CLOSED.\n")
	mail.HTML = "<p>Case 12: status is now <b>CLOSED</b>.</p>\n"
	if err := m.Send(context.Background(), mail); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.Received()
	msg, err := mail1Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if text := textPart(t, msg.Header, msg.Body, "text/plain"); !strings.Contains(text, "status is now CLOSED") {
		t.Errorf("plain-text part = %q", text)
	}
	msg, _ = mail1Parse(got)
	if html := textPart(t, msg.Header, msg.Body, "text/html"); !strings.Contains(html, "<b>CLOSED</b>") {
		t.Errorf("HTML part = %q", html)
	}
}

func mail1Parse(got []testkit.Received) (*mail.Message, error) {
	if len(got) != 1 {
		return nil, errors.New("not one message received")
	}
	return mail.ReadMessage(strings.NewReader(got[0].Data))
}

// textPart returns the decoded part of media type want, in a single-part
// message or in a multipart/alternative one.
func textPart(t *testing.T, h mail.Header, body io.Reader, want string) string {
	t.Helper()
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", h.Get("Content-Type"), err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		r := multipart.NewReader(body, params["boundary"])
		for {
			p, err := r.NextRawPart()
			if err != nil {
				t.Fatalf("no %s part: %v", want, err)
			}
			if pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); pt == want {
				return decode(t, p.Header.Get("Content-Transfer-Encoding"), params, p)
			}
		}
	}
	if mt != want || !strings.EqualFold(params["charset"], "utf-8") {
		t.Fatalf("Content-Type = %q, want %s; charset=utf-8", h.Get("Content-Type"), want)
	}
	return decode(t, h.Get("Content-Transfer-Encoding"), params, body)
}

func decode(t *testing.T, cte string, _ map[string]string, r io.Reader) string {
	t.Helper()
	if !strings.EqualFold(cte, "quoted-printable") {
		t.Fatalf("Content-Transfer-Encoding = %q, want quoted-printable", cte)
	}
	b, err := io.ReadAll(quotedprintable.NewReader(r))
	if err != nil {
		t.Fatalf("decoding: %v", err)
	}
	return string(b)
}

func TestSMTPRefusals(t *testing.T) {
	for name, tc := range map[string]struct {
		refusal testkit.Refusal
		bounce  bool
	}{
		"recipient unknown": {testkit.Refusal{At: "RCPT", Code: 550, Enhanced: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}, true},
		"greylisted":        {testkit.Refusal{At: "RCPT", Code: 451, Enhanced: smtp.EnhancedCode{4, 7, 1}, Message: "try again later"}, false},
		"content refused":   {testkit.Refusal{At: "DATA", Code: 554, Enhanced: smtp.EnhancedCode{5, 6, 0}, Message: "refused"}, true},
	} {
		t.Run(name, func(t *testing.T) {
			srv := testkit.StartSMTP(t)
			srv.Refuse(tc.refusal)
			m := &mailer.SMTP{Addr: srv.Addr, From: from, Timeout: 5 * time.Second}
			err := m.Send(context.Background(), mail1("nobody@customer.example", "Hi", "x"))
			var re *mailer.ReplyError
			if !errors.As(err, &re) || re.Code != tc.refusal.Code {
				t.Fatalf("Send error = %v, want a ReplyError with %d", err, tc.refusal.Code)
			}
			if mailer.Bounce(err) != tc.bounce {
				t.Errorf("Bounce(%v) = %v, want %v", err, !tc.bounce, tc.bounce)
			}
			if n := len(srv.Received()); n != 0 {
				t.Errorf("%d messages kept", n)
			}
		})
	}
}

func TestSMTPStartTLSRequiredButNotOffered(t *testing.T) {
	srv := testkit.StartSMTP(t)
	m := &mailer.SMTP{Addr: srv.Addr, From: from, TLS: mailer.StartTLS, Timeout: 5 * time.Second}
	if err := m.Send(context.Background(), mail1("ola@customer.example", "Hi", "secret 123456")); err == nil {
		t.Fatal("Send succeeded without STARTTLS")
	}
	if events, _ := srv.Events(); slices.Contains(events, "MAIL") {
		t.Errorf("the message went out in clear: %v", events)
	}
}

func TestSMTPStartTLSAndAuth(t *testing.T) {
	cert, roots := selfSigned(t)
	srv := testkit.StartSMTP(t, testkit.SMTPStartTLS(cert), testkit.SMTPAuth("desk", "s3cret"))
	m := &mailer.SMTP{
		Addr: srv.Addr, From: from,
		Username: "desk", Password: "s3cret",
		TLS: mailer.StartTLS, TLSConfig: &tls.Config{RootCAs: roots},
		Timeout: 5 * time.Second,
	}
	if err := m.Send(context.Background(), mail1("ola@customer.example", "Hi", "x")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.Received()
	if len(got) != 1 || !got[0].TLS || got[0].User != "desk" {
		t.Fatalf("received %+v, want one over TLS as desk", got)
	}

	// A certificate the client does not trust stops it before AUTH.
	m.TLSConfig = nil
	if err := m.Send(context.Background(), mail1("ola@customer.example", "Hi", "x")); err == nil {
		t.Fatal("Send with an untrusted certificate succeeded")
	}
	if n := len(srv.Received()); n != 1 {
		t.Errorf("%d messages, want still 1", n)
	}
}

func TestSMTPImplicitTLS(t *testing.T) {
	cert, roots := selfSigned(t)
	srv := testkit.StartSMTPImplicitTLS(t, cert, testkit.SMTPAuth("desk", "s3cret"))
	m := &mailer.SMTP{
		Addr: srv.Addr, From: from, Username: "desk", Password: "s3cret",
		TLS: mailer.ImplicitTLS, TLSConfig: &tls.Config{RootCAs: roots}, Timeout: 5 * time.Second,
	}
	if err := m.Send(context.Background(), mail1("ola@customer.example", "Hi", "x")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := srv.Received(); len(got) != 1 || !got[0].TLS || got[0].User != "desk" {
		t.Fatalf("received %+v, want one over TLS as desk", got)
	}
}

func TestSMTPRefusesPasswordInClear(t *testing.T) {
	// A password goes in clear only to localhost; 127.0.0.2 is a loopback
	// address that is not taken for it.
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2 here: %v", err)
	}
	ln.Close()
	srv := testkit.StartSMTP(t, testkit.SMTPHost("127.0.0.2"), testkit.SMTPAuth("desk", "s3cret"))
	for _, auth := range []mailer.Auth{mailer.AuthPlain, mailer.AuthLogin, mailer.AuthXOAUTH2} {
		m := &mailer.SMTP{Addr: srv.Addr, From: from, Username: "desk", Password: "s3cret", Auth: auth, Timeout: 5 * time.Second}
		if err := m.Send(context.Background(), mail1("ola@customer.example", "Hi", "x")); err == nil {
			t.Errorf("%s: Send succeeded in clear", auth)
		}
	}
	if events, _ := srv.Events(); slices.Contains(events, "AUTH") || slices.Contains(events, "MAIL") {
		t.Errorf("credentials or mail went out in clear: %v", events)
	}
}

func TestSMTPGivesUp(t *testing.T) {
	// A server that accepts connections and never says a word.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	msg := mail1("ola@customer.example", "Hi", "x")

	t.Run("timeout", func(t *testing.T) {
		m := &mailer.SMTP{Addr: ln.Addr().String(), From: from, Timeout: 200 * time.Millisecond}
		if err := m.Send(context.Background(), msg); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Send error = %v, want the deadline", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		m := &mailer.SMTP{Addr: ln.Addr().String(), From: from, Timeout: time.Minute}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(100*time.Millisecond, cancel)
		if err := m.Send(ctx, msg); !errors.Is(err, context.Canceled) {
			t.Errorf("Send error = %v, want the cancellation", err)
		}
	})
}

func TestRefusesBadMessagesWithoutConnecting(t *testing.T) {
	srv := testkit.StartSMTP(t)
	ok := mail1("ola@customer.example", "Hi", "x")
	with := func(f func(*mailer.Mail)) mailer.Mail { m := ok; f(&m); return m }
	for name, tc := range map[string]struct {
		from string
		m    mailer.Mail
		want string
	}{
		"subject CRLF":   {m: with(func(m *mailer.Mail) { m.Subject = "Hi\r\nBcc: victim@evil.example" }), want: "header injection"},
		"subject LF":     {m: with(func(m *mailer.Mail) { m.Subject = "Hi\nBcc: victim@evil.example" }), want: "header injection"},
		"to CRLF":        {m: with(func(m *mailer.Mail) { m.To = "ola@customer.example\r\nBcc: victim@evil.example" }), want: "header injection"},
		"to display":     {m: with(func(m *mailer.Mail) { m.To = "Ola <ola@customer.example>" }), want: "bare address"},
		"to list":        {m: with(func(m *mailer.Mail) { m.To = "ola@customer.example,victim@evil.example" }), want: "bare address"},
		"to not address": {m: with(func(m *mailer.Mail) { m.To = "ola" }), want: "bare address"},
		"to non-ASCII":   {m: with(func(m *mailer.Mail) { m.To = "żaneta@customer.example" }), want: "ASCII"},
		"to empty":       {m: with(func(m *mailer.Mail) { m.To = "" }), want: "empty"},
		"no text":        {m: with(func(m *mailer.Mail) { m.Text = " " }), want: "plain-text"},
		"from invalid":   {from: "desk@partnerdesk.example>\r\nX: y", m: ok, want: "header injection"},
		"from display":   {from: "Desk <desk@partnerdesk.example>", m: ok, want: "bare address"},
	} {
		t.Run(name, func(t *testing.T) {
			m := &mailer.SMTP{Addr: srv.Addr, From: cmp.Or(tc.from, from), Timeout: time.Second}
			err := m.Send(context.Background(), tc.m)
			if !errors.Is(err, mailer.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Send error = %v, want ErrInvalid mentioning %q", err, tc.want)
			}
		})
	}
	if _, sessions := srv.Events(); sessions != 0 {
		t.Errorf("%d sessions, want none", sessions)
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
