package mailer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/partnerdesk/partnerdesk/clock"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/outboxmessage"
	"github.com/partnerdesk/partnerdesk/ent/predicate"
	"github.com/partnerdesk/partnerdesk/rowfilter"
)

// Transport hands one mail to a mail server; SMTP is the one in use.
type Transport interface {
	Send(ctx context.Context, m Mail) error
}

var _ Transport = (*SMTP)(nil)

// Recheck decides again, just before a mail of its kind is sent, whether
// it may still go: what was true when the mail was queued (the recipient
// may see the case) may have stopped being true. It returns an error
// wrapping ErrVetoed to cancel the mail for good; any other error is a
// failure to decide, and the mail is tried again later. ctx reads around
// the row filters (it is the server's, not a caller's): a recheck asks the
// access policy about the recipient itself.
type Recheck func(ctx context.Context, c *ent.Client, m Mail) error

// ErrVetoed is returned (wrapped, with the reason) by a Recheck that
// cancels a mail.
var ErrVetoed = errors.New("mail vetoed at send time")

// Rechecks are the rechecks by mail kind; a kind without one is sent as
// queued.
type Rechecks map[string]Recheck

// Backoff is how a sender retries a mail the server did not take.
type Backoff struct {
	// First is the wait after the first failed attempt; each later wait
	// doubles, up to Max.
	First, Max time.Duration
	// Attempts is how many times a mail is tried before it FAILED.
	Attempts int
}

// DefaultBackoff retries for about a day: 1, 2, 4 … minutes, then hourly.
var DefaultBackoff = Backoff{First: time.Minute, Max: time.Hour, Attempts: 30}

// wait returns the wait after the failed attempt number attempt (1-based).
func (b Backoff) wait(attempt int) time.Duration {
	d := b.First
	for i := 1; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// Sender delivers the outbox. Any number of senders, in one process or in
// several sharing the database, may run at once: a row is claimed with a
// conditional UPDATE, and its claim lasts Lease.
//
// The guarantee is the one SMTP allows: a mail is handed to the server at
// least once while it has attempts left, and again only when a sender
// stopped (crashed, lost the database) after the server accepted it and
// before it recorded SENT, and its lease then lapsed. Every attempt at one
// outbox row carries the same Message-ID (MessageID), so that a receiving
// system that deduplicates on it shows the mail once.
type Sender struct {
	Client    *ent.Client
	Transport Transport
	Clock     clock.Clock
	Rechecks  Rechecks
	// Lease is how long a claim holds a row; it must outlast the
	// transport's timeout, or a slow attempt's row is sent again.
	// DefaultLease when zero.
	Lease time.Duration
	// Backoff is DefaultBackoff when its Attempts is zero.
	Backoff Backoff
	// Batch is the most rows one Deliver claims; 100 when zero.
	Batch int
	// Failed, when set, is told of each attempt the mail server did not
	// accept, for metrics.
	Failed func()
}

// DefaultLease outlasts DefaultTimeout many times over.
const DefaultLease = 2 * time.Minute

// Run delivers what is due every interval, until ctx ends.
func (s *Sender) Run(ctx context.Context, interval time.Duration) {
	clock.Every(ctx, interval, "delivering mail", func(ctx context.Context) error {
		_, err := s.Deliver(ctx)
		return err
	})
}

// Deliver claims and tries each mail due now, and returns how many it
// claimed.
func (s *Sender) Deliver(ctx context.Context) (int, error) {
	ctx = rowfilter.Privileged(ctx)
	now := s.Clock.Now()
	rows, err := s.Client.OutboxMessage.Query().
		Where(due(now)).
		Order(ent.Asc(outboxmessage.FieldCreatedAt), ent.Asc(outboxmessage.FieldID)).
		Limit(cmp.Or(s.Batch, 100)).
		All(ctx)
	if err != nil {
		return 0, err
	}
	claimed := 0
	for _, row := range rows {
		ok, err := s.claim(ctx, row, now)
		if err != nil {
			return claimed, err
		}
		if !ok {
			continue // another sender took it
		}
		claimed++
		if err := s.attempt(ctx, row); err != nil {
			return claimed, err
		}
	}
	return claimed, nil
}

// due matches the rows a sender may claim at now: queued ones whose wait is
// over, and claimed ones whose lease lapsed (their sender stopped).
func due(now time.Time) predicate.OutboxMessage {
	return outboxmessage.Or(
		outboxmessage.And(outboxmessage.StatusEQ(outboxmessage.StatusQUEUED),
			outboxmessage.Or(outboxmessage.NextAttemptAtIsNil(), outboxmessage.NextAttemptAtLTE(now))),
		outboxmessage.And(outboxmessage.StatusEQ(outboxmessage.StatusSENDING), outboxmessage.LeaseUntilLTE(now)),
	)
}

// claim takes row for one attempt, if it is still due and no other sender
// took it since it was read; row then holds the claim's attempt number.
func (s *Sender) claim(ctx context.Context, row *ent.OutboxMessage, now time.Time) (bool, error) {
	n, err := s.Client.OutboxMessage.Update().
		Where(outboxmessage.ID(row.ID), outboxmessage.Attempts(row.Attempts), due(now)).
		SetStatus(outboxmessage.StatusSENDING).
		SetLeaseUntil(now.Add(cmp.Or(s.Lease, DefaultLease))).
		AddAttempts(1).
		Save(ctx)
	if err != nil || n == 0 {
		return false, err
	}
	row.Attempts++
	return true, nil
}

// attempt sends a claimed row, unless its address is suppressed or its
// recheck vetoes it, and records the outcome. Only a database failure is
// returned: a failed send is the row's outcome.
func (s *Sender) attempt(ctx context.Context, row *ent.OutboxMessage) error {
	m := FromRow(row)
	if m.Kind == "" {
		return s.finish(ctx, row, outboxmessage.StatusCANCELLED, "kept before mail was delivered; not sent late")
	}
	suppressed, err := Suppressed(ctx, s.Client, m.To)
	if err != nil {
		return err
	}
	if suppressed {
		return s.finish(ctx, row, outboxmessage.StatusSUPPRESSED, "the address is suppressed")
	}
	if check := s.Rechecks[m.Kind]; check != nil {
		err := check(ctx, s.Client, m)
		switch {
		case errors.Is(err, ErrVetoed):
			return s.finish(ctx, row, outboxmessage.StatusCANCELLED, err.Error())
		case err != nil:
			return s.retry(ctx, row, fmt.Errorf("recheck: %w", err))
		}
	}
	err = s.Transport.Send(ctx, m)
	if err != nil && s.Failed != nil {
		s.Failed()
	}
	switch {
	case err == nil:
		return s.finish(ctx, row, outboxmessage.StatusSENT, "")
	case Bounce(err):
		return s.bounced(ctx, row, err)
	case errors.Is(err, ErrInvalid):
		return s.finish(ctx, row, outboxmessage.StatusFAILED, err.Error())
	}
	return s.retry(ctx, row, err)
}

// retry puts row back in the queue after its backoff, or FAILED when it
// has no attempts left.
func (s *Sender) retry(ctx context.Context, row *ent.OutboxMessage, cause error) error {
	b := s.Backoff
	if b.Attempts == 0 {
		b = DefaultBackoff
	}
	if row.Attempts >= b.Attempts {
		return s.finish(ctx, row, outboxmessage.StatusFAILED, fmt.Sprintf("gave up after %d attempts: %v", row.Attempts, cause))
	}
	slog.WarnContext(ctx, "mail not delivered; will retry", "id", row.ID, "attempt", row.Attempts, "error", cause)
	return s.record(ctx, row, func(u *ent.OutboxMessageUpdate) {
		u.SetStatus(outboxmessage.StatusQUEUED).
			SetNextAttemptAt(s.Clock.Now().Add(b.wait(row.Attempts))).
			ClearLeaseUntil().
			SetLastError(cause.Error())
	}, "")
}

// bounced records a refusal for good by the recipient's server: the mail
// FAILED and its address is suppressed.
func (s *Sender) bounced(ctx context.Context, row *ent.OutboxMessage, cause error) error {
	now := s.Clock.Now()
	return s.record(ctx, row, func(u *ent.OutboxMessageUpdate) {
		u.SetStatus(outboxmessage.StatusFAILED).SetBouncedAt(now).ClearLeaseUntil().SetLastError(cause.Error())
	}, cause.Error())
}

// finish records a final outcome of row; why is empty for SENT.
func (s *Sender) finish(ctx context.Context, row *ent.OutboxMessage, status outboxmessage.Status, why string) error {
	now := s.Clock.Now()
	return s.record(ctx, row, func(u *ent.OutboxMessageUpdate) {
		u.SetStatus(status).ClearLeaseUntil()
		if status == outboxmessage.StatusSENT {
			u.SetSentAt(now)
		} else {
			u.SetLastError(why)
		}
	}, "")
}

// record writes an attempt's outcome, fenced by its claim: a sender whose
// lease lapsed and whose row another sender took writes nothing. With
// bounce set, the address is suppressed in the same transaction. The
// recipient contact's lastEmailStatus follows its latest mail.
func (s *Sender) record(ctx context.Context, row *ent.OutboxMessage, set func(*ent.OutboxMessageUpdate), bounce string) error {
	tx, err := s.Client.Tx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback() // a no-op once committed
	u := tx.OutboxMessage.Update().Where(
		outboxmessage.ID(row.ID),
		outboxmessage.StatusEQ(outboxmessage.StatusSENDING),
		outboxmessage.Attempts(row.Attempts),
	)
	set(u)
	n, err := u.Save(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		slog.WarnContext(ctx, "mail outcome not recorded: another sender took the row over", "id", row.ID, "attempt", row.Attempts)
		return nil
	}
	if bounce != "" {
		if err := suppress(ctx, tx.Client(), row.To, Suppression{Reason: Bounced, OutboxID: row.ID, Detail: bounce}, s.Clock.Now()); err != nil {
			return err
		}
	}
	if row.ContactID != nil {
		if err := followLatest(ctx, tx.Client(), *row.ContactID); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// followLatest sets a contact's lastEmailStatus from its latest mail that
// was not cancelled, unless its address is suppressed: that stays shown
// until a help-desk user lifts it.
func followLatest(ctx context.Context, c *ent.Client, contactID string) error {
	latest, err := c.OutboxMessage.Query().
		Where(outboxmessage.ContactID(contactID), outboxmessage.StatusNEQ(outboxmessage.StatusCANCELLED)).
		Order(ent.Desc(outboxmessage.FieldCreatedAt), ent.Desc(outboxmessage.FieldID)).
		First(ctx)
	status := contact.LastEmailStatusNONE
	switch {
	case ent.IsNotFound(err): // every mail to it was cancelled
	case err != nil:
		return err
	default:
		status = outcome(latest)
	}
	return c.Contact.Update().
		Where(contact.ID(contactID), contact.LastEmailStatusNEQ(contact.LastEmailStatusSUPPRESSED)).
		SetLastEmailStatus(status).
		Exec(ctx)
}

// outcome is what a mail's row says of it as a lastEmailStatus.
func outcome(latest *ent.OutboxMessage) contact.LastEmailStatus {
	if latest.BouncedAt != nil {
		return contact.LastEmailStatusBOUNCED
	}
	return map[outboxmessage.Status]contact.LastEmailStatus{
		outboxmessage.StatusQUEUED:     contact.LastEmailStatusQUEUED,
		outboxmessage.StatusSENDING:    contact.LastEmailStatusQUEUED,
		outboxmessage.StatusSENT:       contact.LastEmailStatusDELIVERED,
		outboxmessage.StatusFAILED:     contact.LastEmailStatusBOUNCED,
		outboxmessage.StatusSUPPRESSED: contact.LastEmailStatusSUPPRESSED,
	}[latest.Status]
}

// Depth counts the mail waiting in the outbox: queued, or being sent.
func Depth(ctx context.Context, c *ent.Client) (int, error) {
	return c.OutboxMessage.Query().
		Where(outboxmessage.StatusIn(outboxmessage.StatusQUEUED, outboxmessage.StatusSENDING)).
		Count(rowfilter.Privileged(ctx))
}
