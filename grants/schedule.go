package grants

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	"github.com/partnerdesk/partnerdesk/events"
	"github.com/partnerdesk/partnerdesk/mailer"
	"github.com/partnerdesk/partnerdesk/rowfilter"
)

// WarningDays are how many days before an active grant expires both sides
// are warned (SPEC §2.3), nearest last.
var WarningDays = []int{30, 7, 1}

// MailExpiring is the kind of an expiry warning's mail.
const MailExpiring = "GRANT_EXPIRING"

const day = 24 * time.Hour

// Tick does the grant work time brings, as of now: lapsed grants and
// requests become EXPIRED (their events are written by the grant history
// hook) and each due expiry warning is sent. The server calls it every
// minute.
func Tick(ctx context.Context, c *ent.Client, now time.Time) error {
	// One transaction, so that the grants and their EXPIRED events commit
	// together.
	tx, err := c.Tx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback() // a no-op once committed
	if _, err := ExpireStale(ctx, tx.Client(), now); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, err = WarnExpiring(ctx, c, now)
	return err
}

// WarnExpiring sends the expiry warnings due at now: for each active grant,
// the nearest of WarningDays it has reached (never an elevation's, which
// lasts hours), unless that one (or a nearer
// one) was sent already. Each warning is claimed with a conditional update,
// in the transaction that queues its mail and writes its EXPIRING event, so
// it goes out once, across restarts and instances.
func WarnExpiring(ctx context.Context, c *ent.Client, now time.Time) (int, error) {
	ctx = rowfilter.Privileged(ctx)
	horizon := now.AddDate(0, 0, slices.Max(WarningDays))
	due, err := c.Grant.Query().
		Where(grant.StatusEQ(grant.StatusACTIVE), grant.ExpiresAtGT(now), grant.ExpiresAtLTE(horizon)).
		WithRequestedBy().WithDecidedBy().WithCustomer().WithPartner().
		All(ctx)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, g := range due {
		warning, ok := dueWarning(g, now)
		if !ok || (g.WarnedDays != nil && *g.WarnedDays <= warning) {
			continue
		}
		left := daysLeft(g.ExpiresAt.Sub(now))
		claimed, err := claimWarning(ctx, c, g, warning, left, now)
		if err != nil {
			return sent, err
		}
		if !claimed {
			continue // another instance, or an earlier run, sent it
		}
		sent++
	}
	return sent, nil
}

// dueWarning returns the nearest warning a grant has reached at now. A
// grant reaches a warning only if it was active for some time before it:
// a 14-day grant is never "30 days from its end", and one that lasts
// exactly 7 days is not warned of its 7 days as it starts.
func dueWarning(g *ent.Grant, now time.Time) (int, bool) {
	left := g.ExpiresAt.Sub(now)
	start := g.ExpiresAt.AddDate(0, 0, -g.ExpiresInDays)
	if g.StartsAt != nil {
		start = *g.StartsAt
	}
	lifetime := g.ExpiresAt.Sub(start)
	for _, d := range slices.Sorted(slices.Values(WarningDays)) {
		mark := time.Duration(d) * day
		if left <= mark && lifetime > mark {
			return d, true
		}
	}
	return 0, false
}

// daysLeft is left in whole days, rounded up: a warning sent a minute
// after its 7-day mark still says 7 days, and the last day says 1.
func daysLeft(left time.Duration) int {
	return int((left + day - 1) / day)
}

// claimWarning records warning as sent on g, writes its event and queues
// its mail to both sides, in one transaction; it reports false when
// another run claimed it first.
func claimWarning(ctx context.Context, c *ent.Client, g *ent.Grant, warning, left int, now time.Time) (bool, error) {
	tx, err := c.Tx(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback() // a no-op once committed
	claimed, err := tx.Grant.Update().
		Where(grant.ID(g.ID), grant.Or(grant.WarnedDaysIsNil(), grant.WarnedDaysGT(warning))).
		SetWarnedDays(warning).
		Save(ctx)
	if err != nil || claimed == 0 {
		return false, err
	}
	if err := tx.GrantEvent.Create().SetGrantID(g.ID).SetCustomerID(g.CustomerID).SetPartnerID(g.PartnerID).
		SetKind(events.GrantExpiring).SetDaysLeft(left).SetCreatedAt(now).Exec(ctx); err != nil {
		return false, err
	}
	if err := mailBothSides(ctx, tx.Client(), g, left, now); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// mailBothSides queues the warning to the partner admin who asked and the
// customer contact who approved.
func mailBothSides(ctx context.Context, c *ent.Client, g *ent.Grant, days int, now time.Time) error {
	subject := fmt.Sprintf("Access of %s to %s ends in %d day(s)", g.Edges.Partner.Name, g.Edges.Customer.Name, days)
	body := fmt.Sprintf("The %s access that %s holds on behalf of %s ends on %s UTC.\nTo keep it, the partner can request it again and the customer approve it.\n",
		g.Level, g.Edges.Partner.Name, g.Edges.Customer.Name, g.ExpiresAt.UTC().Format("2 January 2006 15:04"))
	for _, to := range []*ent.Contact{g.Edges.RequestedBy, g.Edges.DecidedBy} {
		if to == nil || to.Status != contact.StatusACTIVE {
			continue
		}
		if _, err := mailer.Enqueue(ctx, c, mailer.Message{
			To: to.Email, Subject: subject, Text: body,
			Kind: MailExpiring, ContactID: to.ID, ObjectID: g.ID, At: now,
		}); err != nil {
			return err
		}
	}
	return nil
}
