package notify

import (
	"context"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/hook"
	"github.com/partnerdesk/partnerdesk/ent/webhook"
)

// KindWebhookDisabled goes to the admins of a webhook's organisation when
// the server disables it.
const KindWebhookDisabled = "WEBHOOK_DISABLED"

var webhookTemplate = parse("webhook")

// webhookData is what a webhook mail says.
type webhookData struct {
	What, Organization, URL, Reason, Link string
}

// webhookChanges mails a webhook's organisation's admins when the server
// disables it, in the transaction that does.
func (n *notifier) webhookChanges(next ent.Mutator) ent.Mutator {
	return hook.WebhookFunc(func(ctx context.Context, m *ent.WebhookMutation) (ent.Value, error) {
		v, err := next.Mutate(ctx, m)
		if status, ok := m.Status(); err != nil || !ok || status != webhook.StatusDISABLED {
			return v, err
		}
		h := v.(*ent.Webhook)
		return v, n.mailWebhook(ctx, m.Client(), h, *h.DisabledAt)
	})
}

// mailWebhook queues the notice of h's disabling to those who may manage
// it: its organisation's admins.
func (n *notifier) mailWebhook(ctx context.Context, c *ent.Client, h *ent.Webhook, now time.Time) error {
	people, orgs, err := audience(ctx, c, contact.OrganizationID(h.OrganizationID))
	if err != nil {
		return err
	}
	var to []address
	as := newSessions(c, now, orgs)
	for _, p := range people {
		s, err := as.of(ctx, p)
		if err != nil {
			return err
		}
		if s.Holds(access.OrgAdmin) {
			to = append(to, address{p.Email, p.ID})
		}
	}
	if len(to) == 0 {
		return nil
	}
	d := webhookData{Organization: orgs[h.OrganizationID].Name, URL: h.URL, Reason: deref(h.DisabledReason),
		Link: n.base + "/webhooks/" + h.ID}
	m, err := webhookTemplate.render(&d, &d.What)
	if err != nil {
		return err
	}
	return send(ctx, c, to, m, about{KindWebhookDisabled, h.ID, now})
}
