package mailer

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/partnerdesk/partnerdesk/clock"
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

// BounceHandler receives bounce reports: POST a BounceReport as JSON with
// "Authorization: Bearer <secret>". It answers 204 when the address is
// suppressed, 400 for a report it cannot use, and 401 without the secret.
func BounceHandler(c *ent.Client, clk clock.Clock, secret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if secret == "" || subtle.ConstantTimeCompare([]byte(token), []byte(secret)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="bounce"`)
			http.Error(w, "a bounce report needs the shared secret", http.StatusUnauthorized)
			return
		}
		var report BounceReport
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&report); err != nil {
			http.Error(w, "the body is not a bounce report: "+err.Error(), http.StatusBadRequest)
			return
		}
		err := ReportBounce(r.Context(), c, report, clk.Now())
		switch {
		case errors.Is(err, ErrInvalid):
			http.Error(w, err.Error(), http.StatusBadRequest)
		case err != nil:
			slog.ErrorContext(r.Context(), "recording a bounce report", "error", err)
			http.Error(w, "the report could not be recorded; send it again", http.StatusInternalServerError)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
}
