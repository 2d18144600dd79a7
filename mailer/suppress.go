package mailer

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/emailsuppression"
	"github.com/partnerdesk/partnerdesk/rowfilter"
)

// Reason is why an address is suppressed.
type Reason = emailsuppression.Reason

// The reasons.
const (
	Bounced    = emailsuppression.ReasonBOUNCED
	Complained = emailsuppression.ReasonCOMPLAINED
)

// Suppression says why an address gets no more mail.
type Suppression struct {
	Reason Reason
	// OutboxID is the mail that bounced or was complained of; optional.
	OutboxID string
	// Detail is what the report or the server said; optional.
	Detail string
}

// Suppressed reports whether mail to addr is suppressed: the address
// bounced or complained, or its contact shows SUPPRESSED, which only a
// help-desk user lifts.
func Suppressed(ctx context.Context, c *ent.Client, addr string) (bool, error) {
	sys := rowfilter.Privileged(ctx)
	ok, err := c.EmailSuppression.Query().Where(emailsuppression.ID(strings.ToLower(addr))).Exist(sys)
	if err != nil || ok {
		return ok, err
	}
	return c.Contact.Query().
		Where(contact.EmailEqualFold(addr), contact.LastEmailStatusEQ(contact.LastEmailStatusSUPPRESSED)).
		Exist(sys)
}

// Unsuppress lifts the suppression of addr, if any.
func Unsuppress(ctx context.Context, c *ent.Client, addr string) error {
	_, err := c.EmailSuppression.Delete().Where(emailsuppression.ID(strings.ToLower(addr))).Exec(rowfilter.Privileged(ctx))
	return err
}

// suppress records that addr gets no more mail (the first reason stays),
// and that the last mail to its contact bounced.
func suppress(ctx context.Context, c *ent.Client, addr string, s Suppression, now time.Time) error {
	sys := rowfilter.Privileged(ctx)
	q := c.EmailSuppression.Create().
		SetID(strings.ToLower(addr)).
		SetReason(s.Reason).
		SetDetail(s.Detail).
		SetCreatedAt(now)
	if s.OutboxID != "" {
		q.SetOutboxMessageID(s.OutboxID)
	}
	// A constraint error is an earlier suppression of the address, which
	// stays.
	if err := q.Exec(sys); err != nil && !ent.IsConstraintError(err) {
		return err
	}
	return c.Contact.Update().
		Where(contact.EmailEqualFold(addr), contact.LastEmailStatusNEQ(contact.LastEmailStatusSUPPRESSED)).
		SetLastEmailStatus(contact.LastEmailStatusBOUNCED).
		Exec(sys)
}

// BounceReport is what a mail provider or a bounce processor reports of a
// mail that was accepted and then bounced, or that its reader marked as
// spam.
type BounceReport struct {
	// MessageID is the Message-ID of the mail (with or without its angle
	// brackets); it names the outbox row.
	MessageID string `json:"messageId"`
	// Recipient is the address that bounced; it is needed when MessageID
	// is not ours, and must be the mail's when both are given.
	Recipient string `json:"recipient"`
	// Type is "bounce" (permanent; the default) or "complaint".
	Type string `json:"type"`
	// Detail is the diagnostic the report carries; optional.
	Detail string `json:"detail"`
}

// ReportBounce suppresses the address a bounce report names and marks its
// mail bounced. A report that names neither a mail of ours nor an address
// is refused with ErrInvalid.
func ReportBounce(ctx context.Context, c *ent.Client, r BounceReport, now time.Time) error {
	reason := map[string]Reason{"": Bounced, "bounce": Bounced, "complaint": Complained}
	why, ok := reason[strings.ToLower(r.Type)]
	if !ok {
		return fmt.Errorf("%w: type %q is none of bounce, complaint", ErrInvalid, r.Type)
	}
	sys := rowfilter.Privileged(ctx)
	tx, err := c.Tx(sys)
	if err != nil {
		return err
	}
	defer tx.Rollback() // a no-op once committed
	addr := strings.TrimSpace(r.Recipient)
	var row *ent.OutboxMessage
	if id := OutboxID(r.MessageID); id != "" {
		row, err = tx.OutboxMessage.Get(sys, id)
		switch {
		case ent.IsNotFound(err):
			row = nil
		case err != nil:
			return err
		case addr != "" && !strings.EqualFold(addr, row.To):
			return fmt.Errorf("%w: recipient %s is not the address mail %s went to", ErrInvalid, addr, id)
		default:
			addr = row.To
		}
	}
	if err := checkAddress("recipient", addr); err != nil {
		return fmt.Errorf("%w (a report names a mail of ours by messageId, or the recipient)", err)
	}
	s := Suppression{Reason: why, Detail: r.Detail}
	if row != nil {
		s.OutboxID = row.ID
		if err := tx.OutboxMessage.UpdateOne(row).SetBouncedAt(now).Exec(sys); err != nil {
			return err
		}
	}
	if err := suppress(sys, tx.Client(), addr, s, now); err != nil {
		return err
	}
	slog.InfoContext(ctx, "mail bounce reported: address suppressed", "to", addr, "reason", why, "outbox_id", s.OutboxID)
	return tx.Commit()
}
