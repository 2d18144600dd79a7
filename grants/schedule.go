package grants

import (
	"context"
	"fmt"
	"log/slog"
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

// Tick does the grant work time brings, as of now: lapsed grants and
// requests become EXPIRED (their events are published by the commit hook)
// and each due expiry warning is sent. The server calls it every minute.
func Tick(ctx context.Context, c *ent.Client, b events.Broker, m mailer.Mailer, now time.Time) error {
	if _, err := ExpireStale(ctx, c, now); err != nil {
		return err
	}
	_, err := WarnExpiring(ctx, c, b, m, now)
	return err
}

// WarnExpiring sends the expiry warnings due at now: for each active grant,
// the nearest of WarningDays it is within, unless that one (or a nearer
// one) was sent already. Each warning is claimed with a conditional update
// before it is sent, so it goes out once, across restarts and instances.
func WarnExpiring(ctx context.Context, c *ent.Client, b events.Broker, m mailer.Mailer, now time.Time) (int, error) {
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
		days := warningFor(g.ExpiresAt.Sub(now))
		if g.WarnedDays != nil && *g.WarnedDays <= days {
			continue
		}
		claimed, err := c.Grant.Update().
			Where(grant.ID(g.ID), grant.Or(grant.WarnedDaysIsNil(), grant.WarnedDaysGT(days))).
			SetWarnedDays(days).
			Save(ctx)
		if err != nil {
			return sent, err
		}
		if claimed == 0 {
			continue // another instance, or an earlier run, sent it
		}
		sent++
		msg := events.Message{GrantID: g.ID, GrantKind: events.GrantExpiring, DaysLeft: days, CustomerID: g.CustomerID, PartnerID: g.PartnerID, At: now}
		if err := b.Publish(ctx, msg); err != nil {
			slog.ErrorContext(ctx, "publishing an expiry warning", "grant", g.ID, "error", err)
		}
		mailBothSides(ctx, m, g, days)
	}
	return sent, nil
}

// warningFor returns the nearest warning a grant with left time to go is
// within.
func warningFor(left time.Duration) int {
	for _, d := range slices.Sorted(slices.Values(WarningDays)) {
		if left <= time.Duration(d)*24*time.Hour {
			return d
		}
	}
	return slices.Max(WarningDays)
}

// mailBothSides tells the partner admin who asked and the customer contact
// who approved. A failed mail is logged: the warning event stands.
func mailBothSides(ctx context.Context, m mailer.Mailer, g *ent.Grant, days int) {
	if m == nil {
		return
	}
	subject := fmt.Sprintf("Access of %s to %s ends in %d day(s)", g.Edges.Partner.Name, g.Edges.Customer.Name, days)
	body := fmt.Sprintf("The %s access that %s holds on behalf of %s ends on %s UTC.\r\nTo keep it, the partner can request it again and the customer approve it.\r\n",
		g.Level, g.Edges.Partner.Name, g.Edges.Customer.Name, g.ExpiresAt.UTC().Format("2 January 2006 15:04"))
	for _, to := range []*ent.Contact{g.Edges.RequestedBy, g.Edges.DecidedBy} {
		if to == nil || to.Status != contact.StatusACTIVE {
			continue
		}
		if err := m.Send(ctx, mailer.Message{To: to.Email, Subject: subject, Body: body}); err != nil {
			slog.ErrorContext(ctx, "mailing an expiry warning", "grant", g.ID, "error", err)
		}
	}
}
