package grants

import (
	"context"
	"strings"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/elevationrule"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/rowfilter"
)

// An elevation is a grant of kind ELEVATION: a partner contact's own raise
// above the level its standing grants give it, for minutes. Being a grant,
// it is decided, revoked, expired, evented, mailed and read by the rules
// like any other; access.Effective ranks it above the standing grants
// while it is higher and they give any access at all.

// ElevationInput is a partner contact's request for an elevation.
type ElevationInput struct {
	CustomerID string       `json:"customerID"`
	Level      access.Level `json:"level"`
	// Minutes is how long it lasts once approved, 15 to 480.
	Minutes int    `json:"minutes"`
	Reason  string `json:"reason"`
}

// RequestElevation records a partner contact's request for a higher level
// on a customer it holds a grant on; a pending elevation request of the
// same contact on the customer is superseded by it. A customer's rule
// that covers it approves it at once.
func RequestElevation(ctx context.Context, c *ent.Client, v *access.Session, in ElevationInput) (*ent.Grant, error) {
	customer, err := c.Organization.Get(ctx, in.CustomerID)
	if err != nil {
		return nil, err
	}
	d, err := v.Require(access.RequestElevation, customer.ID)
	if err != nil {
		return nil, err
	}
	if in.Minutes < MinElevationMinutes || in.Minutes > MaxElevationMinutes {
		return nil, apperr.Invalid("minutes", "minutes must be between %d and %d", MinElevationMinutes, MaxElevationMinutes)
	}
	if d.Level.AtLeast(in.Level) {
		return nil, apperr.Invalid("level", "you hold %s on the customer already; an elevation asks for a higher level", d.Level)
	}
	reason := strings.TrimSpace(in.Reason)
	if reason == "" {
		return nil, apperr.Invalid("reason", "say why you need the elevation")
	}
	if err := c.Grant.Update().
		Where(grant.KindEQ(grant.KindELEVATION), grant.GranteeID(v.ContactID), grant.CustomerID(customer.ID),
			grant.StatusEQ(grant.StatusPENDING)).
		SetStatus(grant.StatusSUPERSEDED).SetEndedAt(v.Now).
		Exec(ctx); err != nil {
		return nil, err
	}
	g, err := c.Grant.Create().
		SetKind(grant.KindELEVATION).
		SetPartnerID(v.OrgID).
		SetCustomerID(customer.ID).
		SetGranteeID(v.ContactID).
		SetRequestedByID(v.ContactID).
		SetLevel(in.Level).
		SetMinutes(in.Minutes).
		SetReason(reason).
		SetExpiresInDays(1).
		SetCreatedAt(v.Now).
		Save(ctx)
	if err != nil {
		return nil, err
	}
	rule, err := ruleFor(ctx, c, v, g)
	if err != nil || rule == nil {
		return g, err
	}
	return start(g.Update().SetDecidedByRuleID(rule.ID), g, v.Now).Save(ctx)
}

// ruleFor finds a rule of the customer that covers elevation g of the
// caller, if any. The rules are the customer's, which the requester may
// not read: the lookup reads them as the server.
func ruleFor(ctx context.Context, c *ent.Client, v *access.Session, g *ent.Grant) (*ent.ElevationRule, error) {
	rules, err := c.ElevationRule.Query().
		Where(elevationrule.CustomerID(g.CustomerID),
			elevationrule.Or(elevationrule.PartnerIDIsNil(), elevationrule.PartnerID(g.PartnerID)),
			elevationrule.MaxMinutesGTE(*g.Minutes)).
		Order(ent.Asc(elevationrule.FieldCreatedAt)).
		All(rowfilter.Privileged(ctx))
	if err != nil {
		return nil, err
	}
	for _, r := range rules {
		if r.MaxLevel.AtLeast(g.Level) && (r.ContactRole == nil || v.Has(*r.ContactRole)) {
			return r, nil
		}
	}
	return nil, nil
}

// start makes a pending request active from now: for its days, or an
// elevation for its minutes.
func start(u *ent.GrantUpdateOne, g *ent.Grant, now time.Time) *ent.GrantUpdateOne {
	expires := now.AddDate(0, 0, g.ExpiresInDays)
	if g.Kind == grant.KindELEVATION {
		expires = now.Add(time.Duration(*g.Minutes) * time.Minute)
	}
	return u.SetStatus(grant.StatusACTIVE).SetDecidedAt(now).SetStartsAt(now).SetExpiresAt(expires)
}

// RuleInput is a customer's rule for approving elevations at once.
type RuleInput struct {
	CustomerID  string       `json:"customerID"`
	PartnerID   *string      `json:"partnerID,omitempty"`
	ContactRole *access.Role `json:"contactRole,omitempty"`
	MaxLevel    access.Level `json:"maxLevel"`
	MaxMinutes  int          `json:"maxMinutes"`
}

// CreateRule adds a rule: whoever answers the customer's requests may.
func CreateRule(ctx context.Context, c *ent.Client, v *access.Session, in RuleInput) (*ent.ElevationRule, error) {
	if _, err := v.Require(access.DecideGrant, in.CustomerID); err != nil {
		return nil, err
	}
	if in.MaxMinutes < MinElevationMinutes || in.MaxMinutes > MaxElevationMinutes {
		return nil, apperr.Invalid("max_minutes", "maxMinutes must be between %d and %d", MinElevationMinutes, MaxElevationMinutes)
	}
	if in.PartnerID != nil {
		// The partners a customer's managers read are those that asked it
		// for access: a rule for any other would never apply.
		ok, err := c.Organization.Query().
			Where(organization.ID(*in.PartnerID), organization.KindEQ(access.Partner)).Exist(ctx)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, apperr.Invalid("partner_id", "the partner must be one that asked you for access")
		}
	}
	return c.ElevationRule.Create().
		SetCustomerID(in.CustomerID).
		SetNillablePartnerID(in.PartnerID).
		SetNillableContactRole(in.ContactRole).
		SetMaxLevel(in.MaxLevel).
		SetMaxMinutes(in.MaxMinutes).
		SetCreatedByID(v.ContactID).
		SetCreatedAt(v.Now).
		Save(ctx)
}

// DeleteRule removes a rule; the elevations it approved keep their time.
// It returns the rule's customer.
func DeleteRule(ctx context.Context, c *ent.Client, v *access.Session, id string) (*ent.Organization, error) {
	r, err := c.ElevationRule.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := v.Require(access.DecideGrant, r.CustomerID); err != nil {
		return nil, err
	}
	if err := c.ElevationRule.DeleteOne(r).Exec(ctx); err != nil {
		return nil, err
	}
	return c.Organization.Get(ctx, r.CustomerID)
}
