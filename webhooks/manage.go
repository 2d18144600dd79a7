// Package webhooks delivers an organisation's events to the HTTP endpoints
// it registered: managing them (Create, Update, Delete), logging what each
// must receive from the one event history (Worker.Fanout), and sending it,
// signed, decided again as the owner organisation at the moment of sending,
// with retries (Worker.Deliver).
package webhooks

import (
	"context"
	"crypto/rand"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/ent/schema/jsontype"
	"github.com/partnerdesk/partnerdesk/ent/webhook"
	"github.com/partnerdesk/partnerdesk/ent/webhookattempt"
	"github.com/partnerdesk/partnerdesk/ent/webhookdelivery"
)

// Spec is what a webhook is set to deliver; nil fields of an update keep
// their values.
type Spec struct {
	URL         *string
	Events      []jsontype.WebhookEvent
	CustomerIDs []string
	Secret      *string
	Paused      *bool
}

// Create registers a webhook for the caller's organisation and returns it
// with its secret (generated unless spec names one), which is never read
// out again. It logs the events that happen from now on.
func Create(ctx context.Context, c *ent.Client, s *access.Session, t Targets, spec Spec) (*ent.Webhook, string, error) {
	if _, err := s.Require(access.ManageWebhooks, s.OrgID); err != nil {
		return nil, "", err
	}
	if s.OrgKind != access.Partner && s.OrgKind != access.Customer {
		return nil, "", apperr.Forbiddenf("webhooks belong to partners and customers")
	}
	if spec.URL == nil || spec.Events == nil {
		return nil, "", apperr.Invalid("url", "a webhook needs a url and events")
	}
	secret := ""
	if spec.Secret != nil {
		secret = *spec.Secret
		if n := utf8.RuneCountInString(secret); n < 16 || n > 256 {
			return nil, "", apperr.Invalid("secret", "the secret must be 16 to 256 characters")
		}
	} else {
		secret = "whsec_" + rand.Text()
	}
	if err := check(ctx, c, s, t, spec); err != nil {
		return nil, "", err
	}
	cursor, err := head(ctx, c)
	if err != nil {
		return nil, "", err
	}
	h, err := c.Webhook.Create().
		SetOrganizationID(s.OrgID).
		SetCreatedByID(s.ContactID).
		SetURL(strings.TrimSpace(*spec.URL)).
		SetEvents(spec.Events).
		SetCustomerIds(orEmpty(spec.CustomerIDs)).
		SetSecret(secret).
		SetCursor(cursor).
		SetCreatedAt(s.Now).
		Save(ctx)
	if err != nil {
		return nil, "", err
	}
	return h, secret, nil
}

// Update changes a webhook. Resuming (Paused false) a DISABLED webhook
// forgets its failures.
func Update(ctx context.Context, c *ent.Client, s *access.Session, t Targets, id string, spec Spec) (*ent.Webhook, error) {
	h, err := load(ctx, c, s, id)
	if err != nil {
		return nil, err
	}
	if err := check(ctx, c, s, t, spec); err != nil {
		return nil, err
	}
	u := h.Update()
	if spec.URL != nil {
		u.SetURL(strings.TrimSpace(*spec.URL))
	}
	if spec.Events != nil {
		u.SetEvents(spec.Events)
	}
	if spec.CustomerIDs != nil {
		u.SetCustomerIds(spec.CustomerIDs)
	}
	switch {
	case spec.Paused == nil:
	case *spec.Paused:
		u.SetStatus(webhook.StatusPAUSED)
	default:
		u.SetStatus(webhook.StatusACTIVE).ClearDisabledReason().ClearDisabledAt().SetConsecutiveFailures(0)
	}
	return u.Save(ctx)
}

// Delete removes a webhook and its delivery log; an attempt under way
// records nothing.
func Delete(ctx context.Context, c *ent.Client, s *access.Session, id string) (*ent.Webhook, error) {
	h, err := load(ctx, c, s, id)
	if err != nil {
		return nil, err
	}
	if _, err := c.WebhookAttempt.Delete().Where(webhookattempt.WebhookID(h.ID)).Exec(ctx); err != nil {
		return nil, err
	}
	if _, err := c.WebhookDelivery.Delete().Where(webhookdelivery.WebhookID(h.ID)).Exec(ctx); err != nil {
		return nil, err
	}
	return h, c.Webhook.DeleteOne(h).Exec(ctx)
}

// load reads a webhook the caller may read, and requires that it may
// manage it.
func load(ctx context.Context, c *ent.Client, s *access.Session, id string) (*ent.Webhook, error) {
	h, err := c.Webhook.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := s.Require(access.ManageWebhooks, h.OrganizationID); err != nil {
		return nil, err
	}
	return h, nil
}

// check refuses a spec's URL, events or customers before anything is saved.
func check(ctx context.Context, c *ent.Client, s *access.Session, t Targets, spec Spec) error {
	if spec.URL != nil {
		if err := t.Check(ctx, "url", strings.TrimSpace(*spec.URL)); err != nil {
			return err
		}
	}
	if spec.Events != nil && len(spec.Events) == 0 {
		return apperr.Invalid("events", "name at least one event type")
	}
	if len(spec.CustomerIDs) == 0 {
		return nil
	}
	if len(spec.CustomerIDs) > 100 {
		return apperr.Invalid("customerIDs", "name at most 100 customers")
	}
	// The caller names customers it may read, as in every input: another
	// is NOT_FOUND, like a missing one.
	n, err := c.Organization.Query().
		Where(organization.IDIn(spec.CustomerIDs...), organization.KindEQ(access.Customer)).
		Count(ctx)
	if err != nil {
		return err
	}
	if n != len(slices.Compact(slices.Sorted(slices.Values(spec.CustomerIDs)))) {
		return apperr.ErrNotFound
	}
	return nil
}

func orEmpty(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}
