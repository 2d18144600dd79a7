package mailer_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/outboxmessage"
	"github.com/partnerdesk/partnerdesk/httpapi"
	"github.com/partnerdesk/partnerdesk/mailer"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// mailWorld is a customer contact, Alice, whom a partner's help desk sends
// verification codes, a real SMTP server, and a sender to it.
type mailWorld struct {
	*testkit.Env
	smtp   *testkit.SMTP
	sender *mailer.Sender
	desk   string // the help desk's token
	alice  *ent.Contact
}

const bounceSecret = "bounce-secret-for-tests"

func newMailWorld(t *testing.T) *mailWorld {
	e := testkit.New(t, testkit.WithConfig(func(c *httpapi.Config) { c.BounceSecret = bounceSecret }))
	acme := e.Org(access.Customer, "Acme")
	contoso := e.Org(access.Partner, "Contoso")
	e.Grant(testkit.GrantSpec{Partner: contoso, Customer: acme, Level: access.Look})
	w := &mailWorld{Env: e, smtp: testkit.StartSMTP(t)}
	w.sender = e.Sender(w.smtp.Addr)
	w.desk = e.Token(e.Contact(contoso, "Hana Helpdesk", access.RoleHelpDesk))
	w.alice = e.Client.Contact.Create().SetOrganizationID(acme.ID).SetName("Alice Johnson").SetEmail("alice@acme.example").SaveX(e.System())
	return w
}

// sendCode asks for a verification code for Alice through the API and
// returns the response's error code ("" when it worked).
func (w *mailWorld) sendCode(t *testing.T) string {
	t.Helper()
	return w.Query(w.desk, `mutation($c: ID!) { sendVerificationCode(input: {contactID: $c}) { expiresAt } }`,
		map[string]any{"c": w.alice.ID}).Code()
}

// status reads Alice's lastEmailStatus through the API.
func (w *mailWorld) status(t *testing.T) string {
	t.Helper()
	var got struct {
		Node struct{ LastEmailStatus string }
	}
	w.Query(w.desk, `query($id: ID!) { node(id: $id) { ... on Contact { lastEmailStatus } } }`,
		map[string]any{"id": w.alice.ID}).Decode(t, &got)
	return got.Node.LastEmailStatus
}

func (w *mailWorld) deliver(t *testing.T) int {
	t.Helper()
	n, err := w.sender.Deliver(context.Background())
	if err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	return n
}

func (w *mailWorld) rows(t *testing.T) []*ent.OutboxMessage {
	t.Helper()
	return w.Client.OutboxMessage.Query().Order(ent.Asc(outboxmessage.FieldCreatedAt), ent.Asc(outboxmessage.FieldID)).AllX(w.System())
}

func (w *mailWorld) only(t *testing.T) *ent.OutboxMessage {
	t.Helper()
	rows := w.rows(t)
	if len(rows) != 1 {
		t.Fatalf("%d outbox rows, want 1", len(rows))
	}
	return rows[0]
}

// expectSent checks that the only mail was SENT on its attempts-th claim,
// and that Alice's lastEmailStatus says so.
func (w *mailWorld) expectSent(t *testing.T, attempts int) {
	t.Helper()
	if row := w.only(t); row.Status != outboxmessage.StatusSENT || row.Attempts != attempts {
		t.Errorf("row %+v, want SENT on claim %d", row, attempts)
	}
	if s := w.status(t); s != "DELIVERED" {
		t.Errorf("lastEmailStatus = %s, want DELIVERED", s)
	}
}

var sixDigits = regexp.MustCompile(`\b[0-9]{6}\b`)

func TestMailIsQueuedWithItsChangeAndSentOnce(t *testing.T) {
	w := newMailWorld(t)
	if code := w.sendCode(t); code != "" {
		t.Fatalf("sendVerificationCode: %s", code)
	}
	row := w.only(t)
	if row.Status != outboxmessage.StatusQUEUED || row.Kind != "VERIFICATION_CODE" || row.ContactID == nil || *row.ContactID != w.alice.ID {
		t.Fatalf("outbox row %+v, want a QUEUED verification code for Alice", row)
	}
	if s := w.status(t); s != "QUEUED" {
		t.Errorf("lastEmailStatus with the code queued = %s, want QUEUED", s)
	}
	if len(w.smtp.Received()) != 0 {
		t.Fatal("mail went out before a sender took it")
	}

	if n := w.deliver(t); n != 1 {
		t.Fatalf("Deliver claimed %d, want 1", n)
	}
	got := w.smtp.Received()
	if len(got) != 1 || got[0].To != "alice@acme.example" || !sixDigits.MatchString(got[0].Text) {
		t.Fatalf("received %+v, want Alice's code", got)
	}
	if id := got[0].Header(t).Get("Message-Id"); id != mailer.MessageID(row.ID, testkit.MailFrom) {
		t.Errorf("Message-ID %q, want the outbox row's %q", id, mailer.MessageID(row.ID, testkit.MailFrom))
	}
	if row := w.only(t); row.Status != outboxmessage.StatusSENT || row.SentAt == nil || !row.SentAt.Equal(w.Clock.Now()) {
		t.Errorf("row after delivery %+v, want SENT now", row)
	}
	if s := w.status(t); s != "DELIVERED" {
		t.Errorf("lastEmailStatus after delivery = %s, want DELIVERED", s)
	}
	w.Clock.Advance(time.Hour)
	if n := w.deliver(t); n != 0 || len(w.smtp.Received()) != 1 {
		t.Errorf("a second Deliver claimed %d and the server has %d messages: sent twice", n, len(w.smtp.Received()))
	}
}

func TestATemporaryRefusalIsRetriedWithBackoff(t *testing.T) {
	w := newMailWorld(t)
	greylist := testkit.Refusal{At: "RCPT", Code: 451, Enhanced: smtp.EnhancedCode{4, 7, 1}, Message: "greylisted, try again later"}
	w.smtp.Refuse(greylist)
	w.smtp.Refuse(greylist)
	failed := 0
	w.sender.Failed = func() { failed++ }
	w.sendCode(t)
	start := w.Clock.Now()
	if n, err := mailer.Depth(w.System(), w.Client); err != nil || n != 1 {
		t.Fatalf("outbox depth %d (%v), want 1", n, err)
	}

	w.deliver(t)
	row := w.only(t)
	if row.Status != outboxmessage.StatusQUEUED || row.Attempts != 1 || row.NextAttemptAt == nil ||
		!row.NextAttemptAt.Equal(start.Add(time.Minute)) || !strings.Contains(row.LastError, "451") {
		t.Fatalf("after a 451: %+v, want QUEUED again for a minute later, with the reply", row)
	}
	if s := w.status(t); s != "QUEUED" {
		t.Errorf("lastEmailStatus while retrying = %s, want QUEUED", s)
	}
	w.Clock.Advance(59 * time.Second)
	if n := w.deliver(t); n != 0 {
		t.Fatalf("retried %d before the backoff ended", n)
	}
	w.Clock.Advance(time.Second)
	w.deliver(t)
	if row := w.only(t); row.Attempts != 2 || !row.NextAttemptAt.Equal(w.Clock.Now().Add(2*time.Minute)) {
		t.Fatalf("after a second 451: %+v, want the wait doubled to 2 minutes", row)
	}
	w.Clock.Advance(2 * time.Minute)
	w.deliver(t)
	if got := w.smtp.Received(); len(got) != 1 {
		t.Fatalf("%d messages received after the refusals ended, want 1", len(got))
	}
	w.expectSent(t, 3)
	if failed != 2 {
		t.Errorf("the sender reported %d failed attempts, want 2", failed)
	}
	if n, err := mailer.Depth(w.System(), w.Client); err != nil || n != 0 {
		t.Errorf("outbox depth %d (%v) once sent, want 0", n, err)
	}
}

func TestASenderGivesUpAfterItsAttempts(t *testing.T) {
	w := newMailWorld(t)
	w.sender.Backoff = mailer.Backoff{First: time.Minute, Max: time.Minute, Attempts: 2}
	for range 2 {
		w.smtp.Refuse(testkit.Refusal{At: "RCPT", Code: 421, Enhanced: smtp.EnhancedCode{4, 4, 5}, Message: "too busy"})
	}
	w.sendCode(t)
	w.deliver(t)
	w.Clock.Advance(time.Minute)
	w.deliver(t)
	if row := w.only(t); row.Status != outboxmessage.StatusFAILED || row.BouncedAt != nil {
		t.Fatalf("row %+v, want FAILED after 2 attempts, and no bounce", row)
	}
	if s := w.status(t); s != "BOUNCED" {
		t.Errorf("lastEmailStatus = %s, want BOUNCED (it could not be handed over)", s)
	}
	// A server that was busy said nothing of the address: it is not
	// suppressed.
	if code := w.sendCode(t); code != "" {
		t.Errorf("sending again after a temporary failure: %s", code)
	}
}

// crashAfterSend hands the mail over, then stops its sender before it can
// record SENT, as a process killed at that moment would.
type crashAfterSend struct {
	mailer.Transport
	stop context.CancelFunc
}

func (c crashAfterSend) Send(ctx context.Context, m mailer.Mail) error {
	err := c.Transport.Send(ctx, m)
	c.stop()
	return err
}

// TestACrashAfterHandOverResendsWithTheSameMessageID states the guarantee:
// a sender that stops between the server's acceptance and recording it
// leaves the row claimed; once the claim lapses another sender sends it
// again, with the same Message-ID, and records it SENT. Until then no
// sender touches it.
func TestACrashAfterHandOverResendsWithTheSameMessageID(t *testing.T) {
	w := newMailWorld(t)
	w.sendCode(t)
	ctx, stop := context.WithCancel(context.Background())
	crashing := *w.sender
	crashing.Transport = crashAfterSend{Transport: w.sender.Transport, stop: stop}
	if _, err := crashing.Deliver(ctx); err == nil {
		t.Fatal("the crashing sender recorded its outcome")
	}
	row := w.only(t)
	if row.Status != outboxmessage.StatusSENDING || len(w.smtp.Received()) != 1 {
		t.Fatalf("after the crash: %+v with %d received, want a claimed row and one message", row, len(w.smtp.Received()))
	}

	w.Clock.Advance(mailer.DefaultLease - time.Second)
	if n := w.deliver(t); n != 0 {
		t.Fatalf("another sender took a row whose claim still held (%d)", n)
	}
	w.Clock.Advance(time.Second)
	if n := w.deliver(t); n != 1 {
		t.Fatalf("the lapsed claim was not taken over (%d)", n)
	}
	got := w.smtp.Received()
	if len(got) != 2 {
		t.Fatalf("%d messages received, want the one resent", len(got))
	}
	first, second := got[0].Header(t).Get("Message-Id"), got[1].Header(t).Get("Message-Id")
	if first != second || first != mailer.MessageID(row.ID, testkit.MailFrom) {
		t.Errorf("Message-IDs %q and %q, want both %q so that receivers deduplicate", first, second, mailer.MessageID(row.ID, testkit.MailFrom))
	}
	w.expectSent(t, 2)
}

// TestSendersShareTheOutbox: senders running at once, as several server
// instances would, send each mail once.
func TestSendersShareTheOutbox(t *testing.T) {
	w := newMailWorld(t)
	const mails = 30
	for i := range mails {
		if _, err := mailer.Enqueue(context.Background(), w.Client, mailer.Message{
			To: fmt.Sprintf("ops%d@acme.example", i), Subject: "Hi", Text: "x", Kind: "TEST",
		}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for range 4 {
		s := w.Sender(w.smtp.Addr)
		wg.Go(func() {
			if _, err := s.Deliver(context.Background()); err != nil {
				t.Errorf("Deliver: %v", err)
			}
		})
	}
	wg.Wait()
	ids := map[string]int{}
	for _, r := range w.smtp.Received() {
		ids[r.Header(t).Get("Message-Id")]++
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("%s received %d times", id, n)
		}
	}
	if len(ids) != mails {
		t.Errorf("%d distinct mails received, want %d", len(ids), mails)
	}
}

func TestARecipientRefusalSuppressesTheAddress(t *testing.T) {
	w := newMailWorld(t)
	w.smtp.Refuse(testkit.Refusal{At: "RCPT", Code: 550, Enhanced: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"})
	w.sendCode(t)
	w.deliver(t)
	if row := w.only(t); row.Status != outboxmessage.StatusFAILED || row.BouncedAt == nil || row.Attempts != 1 {
		t.Fatalf("row %+v, want FAILED at once, bounced", row)
	}
	if s := w.status(t); s != "BOUNCED" {
		t.Errorf("lastEmailStatus = %s, want BOUNCED", s)
	}
	if code := w.sendCode(t); code != "CONFLICT" {
		t.Fatalf("sending to a bounced address: %q, want CONFLICT", code)
	}
	if n := len(w.rows(t)); n != 1 {
		t.Errorf("a refused request queued mail: %d rows", n)
	}

	var cleared struct {
		ClearEmailSuppression struct {
			Contact struct{ LastEmailStatus string }
		}
	}
	w.Query(w.desk, `mutation($c: ID!) { clearEmailSuppression(input: {contactID: $c}) { contact { lastEmailStatus } } }`,
		map[string]any{"c": w.alice.ID}).Decode(t, &cleared)
	if s := cleared.ClearEmailSuppression.Contact.LastEmailStatus; s != "NONE" {
		t.Errorf("after clearing: %s", s)
	}
	if code := w.sendCode(t); code != "" {
		t.Fatalf("sending after the suppression was cleared: %s", code)
	}
	w.deliver(t)
	if n := len(w.smtp.Received()); n != 1 {
		t.Errorf("%d received after clearing, want 1", n)
	}
}

func (w *mailWorld) report(t *testing.T, secret, body string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, w.Server.URL+"/hooks/bounce", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	res, err := w.Server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestABounceReportSuppressesTheAddress(t *testing.T) {
	w := newMailWorld(t)
	w.sendCode(t)
	w.deliver(t)
	row := w.only(t)
	msgID := mailer.MessageID(row.ID, testkit.MailFrom)
	report := fmt.Sprintf(`{"messageId": %q, "type": "bounce", "detail": "550 5.1.1 mailbox gone"}`, msgID)

	for name, tc := range map[string]struct {
		secret, body string
		want         int
	}{
		"no secret":       {"", report, http.StatusUnauthorized},
		"wrong secret":    {"guess", report, http.StatusUnauthorized},
		"not JSON":        {bounceSecret, "550 mailbox gone", http.StatusBadRequest},
		"unknown field":   {bounceSecret, `{"messageID": "x", "bogus": 1}`, http.StatusBadRequest},
		"names nothing":   {bounceSecret, `{"type": "bounce"}`, http.StatusBadRequest},
		"other recipient": {bounceSecret, fmt.Sprintf(`{"messageId": %q, "recipient": "bob@acme.example"}`, msgID), http.StatusBadRequest},
		"unknown type":    {bounceSecret, fmt.Sprintf(`{"messageId": %q, "type": "delay"}`, msgID), http.StatusBadRequest},
	} {
		if got := w.report(t, tc.secret, tc.body); got != tc.want {
			t.Errorf("%s: status %d, want %d", name, got, tc.want)
		}
	}
	if s := w.status(t); s != "DELIVERED" {
		t.Fatalf("a refused report changed lastEmailStatus to %s", s)
	}

	if got := w.report(t, bounceSecret, report); got != http.StatusNoContent {
		t.Fatalf("bounce report: %d", got)
	}
	if s := w.status(t); s != "BOUNCED" {
		t.Errorf("lastEmailStatus after the report = %s, want BOUNCED", s)
	}
	if row := w.only(t); row.BouncedAt == nil {
		t.Errorf("the reported mail is not marked bounced")
	}

	// Mail queued for the address anyway (a notification) is dropped, and
	// recorded so; an address no contact has is suppressed alike.
	if got := w.report(t, bounceSecret, `{"recipient": "Shared@Customer.example", "type": "complaint"}`); got != http.StatusNoContent {
		t.Fatalf("complaint report: %d", got)
	}
	for _, to := range []string{"alice@acme.example", "shared@customer.example"} {
		if _, err := mailer.Enqueue(context.Background(), w.Client, mailer.Message{To: to, Subject: "Case 7 was updated", Text: "x", Kind: "TEST"}); err != nil {
			t.Fatal(err)
		}
	}
	w.deliver(t)
	if n := len(w.smtp.Received()); n != 1 {
		t.Errorf("%d received, want only the first code", n)
	}
	for _, r := range w.rows(t)[1:] {
		if r.Status != outboxmessage.StatusSUPPRESSED {
			t.Errorf("mail to %s is %s, want SUPPRESSED", r.To, r.Status)
		}
	}
	if s := w.status(t); s != "SUPPRESSED" {
		t.Errorf("lastEmailStatus after a dropped mail = %s, want SUPPRESSED", s)
	}
}

func TestARecheckVetoesAtSendTime(t *testing.T) {
	w := newMailWorld(t)
	undecided := true
	w.sender.Rechecks = mailer.Rechecks{"VERIFICATION_CODE": func(_ context.Context, _ *ent.Client, m mailer.Mail) error {
		if undecided {
			return fmt.Errorf("the policy could not be read")
		}
		return fmt.Errorf("%w: %s may no longer see it", mailer.ErrVetoed, m.To)
	}}
	w.sendCode(t)
	w.deliver(t)
	if row := w.only(t); row.Status != outboxmessage.StatusQUEUED || row.NextAttemptAt == nil {
		t.Fatalf("row %+v: a recheck that fails to decide retries later", row)
	}
	undecided = false
	w.Clock.Advance(time.Minute)
	w.deliver(t)
	if row := w.only(t); row.Status != outboxmessage.StatusCANCELLED || !strings.Contains(row.LastError, "may no longer see it") {
		t.Fatalf("row %+v, want CANCELLED with the reason", row)
	}
	if n := len(w.smtp.Received()); n != 0 {
		t.Errorf("%d received despite the veto", n)
	}
	if s := w.status(t); s != "NONE" {
		t.Errorf("lastEmailStatus = %s, want NONE: a cancelled mail does not count", s)
	}
}

// TestMailKeptBeforeDeliveryIsNotSentLate: rows an older server kept
// without SMTP have no kind; turning SMTP on cancels them instead of
// sending stale codes.
func TestMailKeptBeforeDeliveryIsNotSentLate(t *testing.T) {
	w := newMailWorld(t)
	w.Client.OutboxMessage.Create().SetTo("alice@acme.example").SetSubject("Your verification code").SetBody("123456").SaveX(w.System())
	w.deliver(t)
	if row := w.only(t); row.Status != outboxmessage.StatusCANCELLED {
		t.Errorf("row %+v, want CANCELLED", row)
	}
	if n := len(w.smtp.Received()); n != 0 {
		t.Errorf("%d received", n)
	}
}

// stalled holds a send until the test releases it with the send's result.
type stalled struct {
	entered chan struct{}
	release chan error
}

func (s stalled) Send(context.Context, mailer.Mail) error {
	s.entered <- struct{}{}
	return <-s.release
}

// TestASenderThatLostItsClaimWritesNothing: a sender stalled past its
// lease, whose row another sender took over and sent, does not overwrite
// that outcome when its own attempt finally fails (which would queue the
// mail again).
func TestASenderThatLostItsClaimWritesNothing(t *testing.T) {
	w := newMailWorld(t)
	w.sendCode(t)
	slow := *w.sender
	gate := stalled{entered: make(chan struct{}), release: make(chan error)}
	slow.Transport = gate
	done := make(chan error)
	go func() {
		_, err := slow.Deliver(context.Background())
		done <- err
	}()
	<-gate.entered
	w.Clock.Advance(mailer.DefaultLease)
	if n := w.deliver(t); n != 1 {
		t.Fatalf("the lapsed claim was not taken over (%d)", n)
	}
	gate.release <- fmt.Errorf("i/o timeout")
	if err := <-done; err != nil {
		t.Fatalf("the slow sender: %v", err)
	}
	w.expectSent(t, 2)
}

// TestMailCommitsWithItsChange: mail queued in a transaction that rolls
// back is gone with it, and so is its mark on the contact.
func TestMailCommitsWithItsChange(t *testing.T) {
	w := newMailWorld(t)
	ctx := context.Background() // a caller's context: Enqueue writes as the server
	tx, err := w.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mailer.Enqueue(ctx, tx.Client(), mailer.Message{To: "Alice@Acme.example", Subject: "Rolled back", Text: "x", Kind: "TEST"}); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	if row := tx.OutboxMessage.Query().OnlyX(w.System()); row.ContactID == nil || *row.ContactID != w.alice.ID {
		t.Errorf("queued row %+v, want it tied to Alice by her address", row)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if n := len(w.rows(t)); n != 0 {
		t.Errorf("%d rows after rollback", n)
	}
	if s := w.status(t); s != "NONE" {
		t.Errorf("lastEmailStatus after rollback = %s, want NONE", s)
	}
	w.deliver(t)
	if n := len(w.smtp.Received()); n != 0 {
		t.Errorf("%d received", n)
	}
	for name, m := range map[string]mailer.Message{
		"no kind":          {To: "alice@acme.example", Subject: "Hi", Text: "x"},
		"no text":          {To: "alice@acme.example", Subject: "Hi", Kind: "TEST"},
		"header injection": {To: "alice@acme.example", Subject: "Hi\r\nBcc: victim@evil.example", Text: "x", Kind: "TEST"},
	} {
		if _, err := mailer.Enqueue(ctx, w.Client, m); !errors.Is(err, mailer.ErrInvalid) {
			t.Errorf("%s: Enqueue = %v, want ErrInvalid", name, err)
		}
	}
	if n := len(w.rows(t)); n != 0 {
		t.Errorf("refused messages were queued: %d rows", n)
	}
}
