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
	"math/big"
	"mime"
	"net"
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
			if d.From != from || d.To != "ola@customer.example" {
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
			h := d.Header(t)
			if id := h.Get("Message-Id"); id != mailer.MessageID("out_01TEST", from) {
				t.Errorf("Message-ID = %q, want the outbox row's %q", id, mailer.MessageID("out_01TEST", from))
			}
			if date, err := h.Date(); err != nil || !date.Equal(at) {
				t.Errorf("Date = %v (%v), want when the mail was queued, %v", date, err, at)
			}
			// 7-bit clean, whatever the text: no server extension is needed.
			if mt, params, _ := mime.ParseMediaType(h.Get("Content-Type")); mt != "text/plain" || !strings.EqualFold(params["charset"], "utf-8") ||
				!strings.EqualFold(h.Get("Content-Transfer-Encoding"), "quoted-printable") {
				t.Errorf("Content-Type %q, Content-Transfer-Encoding %q", h.Get("Content-Type"), h.Get("Content-Transfer-Encoding"))
			}
			for i := 0; i < len(d.Data); i++ {
				if d.Data[i] > '~' {
					t.Fatalf("the message is not 7-bit: %q", d.Data)
				}
			}
			if d.Subject != subject {
				t.Errorf("Subject %q decodes to %q, want %q", h.Get("Subject"), d.Subject, subject)
			}
			if d.Text != body {
				t.Errorf("body = %q, want %q", d.Text, body)
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
	if len(got) != 1 || got[0].Text != mail.Text || got[0].HTML != mail.HTML {
		t.Fatalf("received %+v, want both parts", got)
	}
	if mt, _, _ := mime.ParseMediaType(got[0].Header(t).Get("Content-Type")); mt != "multipart/alternative" {
		t.Errorf("Content-Type %s, want multipart/alternative", mt)
	}
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
