package testkit

import (
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/ent/outboxmessage"
	"github.com/partnerdesk/partnerdesk/mailer"
)

// SMTP is a mail server on a loopback port that accepts every message
// and keeps it, so that a test reads what a real SMTP exchange delivered.
type SMTP struct {
	Addr string

	mu   sync.Mutex // guards mail
	mail []Mail
}

// Mail is one message an SMTP received.
type Mail struct {
	To      string
	Subject string
	// Text is the plain-text body, decoded.
	Text string
}

// StartSMTP starts an SMTP server; it stops with the test.
func StartSMTP(t testing.TB) *SMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening for SMTP: %v", err)
	}
	s := &SMTP{Addr: ln.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { s.serve(t, conn) })
		}
	})
	return s
}

// serve speaks just enough RFC 5321 for net/smtp: one message per
// transaction, every command accepted.
func (s *SMTP) serve(t testing.TB, conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	tp := textproto.NewConn(conn)
	tp.PrintfLine("220 smtp.test ESMTP")
	var to string
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "RCPT":
			_, to, _ = strings.Cut(arg, "<")
			to = strings.TrimSuffix(to, ">")
			tp.PrintfLine("250 OK")
		case "DATA":
			tp.PrintfLine("354 go on")
			raw, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			m, err := parseMail(to, raw)
			if err != nil {
				t.Errorf("SMTP received a malformed message: %v\n%s", err, raw)
			}
			s.mu.Lock()
			s.mail = append(s.mail, m)
			s.mu.Unlock()
			tp.PrintfLine("250 queued")
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("250 OK")
		}
	}
}

func parseMail(to string, raw []byte) (Mail, error) {
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		return Mail{}, err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return Mail{}, err
	}
	body := msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	text, err := io.ReadAll(body)
	return Mail{To: to, Subject: subject, Text: strings.ReplaceAll(string(text), "\r\n", "\n")}, err
}

// Received returns the messages received so far, oldest first.
func (s *SMTP) Received() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mail...)
}

// To returns the messages received for address to.
func (s *SMTP) To(to string) []Mail {
	var out []Mail
	for _, m := range s.Received() {
		if strings.EqualFold(m.To, to) {
			out = append(out, m)
		}
	}
	return out
}

// DeliverOutbox sends every message of the outbox to s, oldest first, and
// empties the outbox: the sender of a deployment with SMTP, reduced to
// what a test needs.
func (e *Env) DeliverOutbox(s *SMTP) {
	e.t.Helper()
	ctx := e.System()
	rows, err := e.Client.OutboxMessage.Query().Order(outboxmessage.ByCreatedAt()).All(ctx)
	if err != nil {
		e.t.Fatalf("reading the outbox: %v", err)
	}
	m := &mailer.SMTP{Addr: s.Addr, From: "desk@partnerdesk.test", Timeout: 10 * time.Second}
	for _, row := range rows {
		if err := m.Send(context.Background(), mailer.Message{To: row.To, Subject: row.Subject, Body: row.Body}); err != nil {
			e.t.Fatalf("sending outbox message %s: %v", row.ID, err)
		}
		if err := e.Client.OutboxMessage.DeleteOne(row).Exec(ctx); err != nil {
			e.t.Fatalf("emptying the outbox: %v", err)
		}
	}
}
