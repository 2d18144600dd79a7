// Package grants runs the grant workflow of SPEC §2.3: a partner's admin
// requests access, the customer's contact managers approve or reject it,
// either side revokes it, and time expires it. Grants are never deleted: a
// grant's history decides which cases a partner may see and is audited.
//
// Every function takes the client of the caller's transaction and the
// viewer, whose Now is the instant the whole request is decided at.
package grants

import (
	"context"
	"slices"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/ent/predicate"
	"github.com/partnerdesk/partnerdesk/rowfilter"
	"github.com/partnerdesk/partnerdesk/validate"
)

// PendingLifetime is how long a request waits for an answer before it lapses.
const PendingLifetime = 90 * 24 * time.Hour

// RequestInput is a partner's request for access.
type RequestInput struct {
	// CustomerContactEmail names the customer by one of its contact managers.
	CustomerContactEmail string       `json:"customerContactEmail"`
	Level                access.Level `json:"level"`
	// ExpiresInDays is the grant's lifetime once approved, 1 to 730.
	ExpiresInDays int `json:"expiresInDays"`
	// GranteeID makes the grant individual: one of the partner's contacts.
	GranteeID *string `json:"granteeID,omitempty"`
	// PartnerDomain limits an organisation grant to contacts of one of the
	// partner's domains.
	PartnerDomain *string `json:"partnerDomain,omitempty"`
	Note          *string `json:"note,omitempty"`
}

// Request records a pending request; a pending request with the same
// partner, customer, grantee and domain is superseded by it.
func Request(ctx context.Context, c *ent.Client, v *access.Session, in RequestInput) (*ent.Grant, error) {
	if _, err := v.Require(access.RequestGrant, v.OrgID); err != nil {
		return nil, err
	}
	customerID, err := customerOf(ctx, c, in.CustomerContactEmail)
	if err != nil {
		return nil, err
	}
	if in.ExpiresInDays < 1 || in.ExpiresInDays > 730 {
		return nil, apperr.Invalid("expires_in_days", "expiresInDays must be between 1 and 730")
	}
	if in.GranteeID != nil {
		ok, err := c.Contact.Query().
			Where(contact.ID(*in.GranteeID), contact.OrganizationID(v.OrgID), contact.StatusEQ(contact.StatusACTIVE)).
			Exist(ctx)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, apperr.Invalid("grantee_id", "the grantee must be an active contact of your organisation")
		}
	}
	if in.PartnerDomain != nil {
		d, err := validate.Domain(*in.PartnerDomain)
		if err != nil {
			return nil, apperr.Invalid("partner_domain", "%v", err)
		}
		partner, err := c.Organization.Get(ctx, v.OrgID)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(partner.Domains, d) {
			return nil, apperr.Invalid("partner_domain", "%s is not one of your organisation's domains", d)
		}
		in.PartnerDomain = &d
	}
	if err := c.Grant.Update().
		Where(sameKey(v.OrgID, customerID, in.GranteeID, in.PartnerDomain), grant.StatusEQ(grant.StatusPENDING)).
		SetStatus(grant.StatusSUPERSEDED).SetEndedAt(v.Now).
		Exec(ctx); err != nil {
		return nil, err
	}
	q := c.Grant.Create().
		SetPartnerID(v.OrgID).
		SetCustomerID(customerID).
		SetNillableGranteeID(in.GranteeID).
		SetRequestedByID(v.ContactID).
		SetLevel(in.Level).
		SetNillablePartnerDomain(in.PartnerDomain).
		SetExpiresInDays(in.ExpiresInDays).
		SetCreatedAt(v.Now)
	if in.Note != nil {
		q.SetNote(*in.Note)
	}
	return q.Save(ctx)
}

// customerOf finds the customer a request names by a contact manager's
// email: a contact the partner may not read yet, so the lookup is
// privileged. The answer is the same whether the address is unknown or
// belongs to someone else, so that partners cannot probe the directory
// with it.
func customerOf(ctx context.Context, c *ent.Client, email string) (string, error) {
	e, err := validate.Email(email)
	if err != nil {
		return "", apperr.Invalid("customer_contact_email", "%v", err)
	}
	cm, err := c.Contact.Query().
		Where(contact.Email(e), contact.StatusEQ(contact.StatusACTIVE),
			contact.HasOrganizationWith(organization.KindEQ(access.Customer))).
		Only(rowfilter.Privileged(ctx))
	if err != nil && !ent.IsNotFound(err) {
		return "", err
	}
	if cm == nil || !slices.Contains(cm.Roles, access.RoleContactManager) {
		return "", apperr.Invalid("customer_contact_email", "%s is not a contact manager of a customer", e)
	}
	return cm.OrganizationID, nil
}

// sameKey matches the standing grants with the key; elevations never
// replace standing grants, nor are replaced by them.
func sameKey(partnerID, customerID string, granteeID, domain *string) predicate.Grant {
	p := []predicate.Grant{grant.KindEQ(grant.KindSTANDING), grant.PartnerID(partnerID), grant.CustomerID(customerID)}
	if granteeID == nil {
		p = append(p, grant.GranteeIDIsNil())
	} else {
		p = append(p, grant.GranteeID(*granteeID))
	}
	if domain == nil {
		p = append(p, grant.PartnerDomainIsNil())
	} else {
		p = append(p, grant.PartnerDomain(*domain))
	}
	return grant.And(p...)
}

// Approve starts a pending request: it is active from now for its days (an
// elevation for its minutes), and the active standing grant with the same
// key, if any, is superseded at this instant.
func Approve(ctx context.Context, c *ent.Client, v *access.Session, id string) (*ent.Grant, error) {
	g, err := decidable(ctx, c, v, id)
	if err != nil {
		return nil, err
	}
	if g.Kind == grant.KindSTANDING {
		if err := c.Grant.Update().
			Where(sameKey(g.PartnerID, g.CustomerID, g.GranteeID, g.PartnerDomain), grant.StatusEQ(grant.StatusACTIVE)).
			SetStatus(grant.StatusSUPERSEDED).SetEndedAt(v.Now).
			Exec(ctx); err != nil {
			return nil, err
		}
	}
	return start(g.Update().SetDecidedByID(v.ContactID), g, v.Now).Save(ctx)
}

// Reject answers a pending request with no.
func Reject(ctx context.Context, c *ent.Client, v *access.Session, id string) (*ent.Grant, error) {
	g, err := decidable(ctx, c, v, id)
	if err != nil {
		return nil, err
	}
	return g.Update().
		SetStatus(grant.StatusREJECTED).
		SetDecidedByID(v.ContactID).
		SetDecidedAt(v.Now).
		Save(ctx)
}

// decidable loads a request the caller may answer now.
func decidable(ctx context.Context, c *ent.Client, v *access.Session, id string) (*ent.Grant, error) {
	g, err := c.Grant.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := v.Require(access.DecideGrant, g.CustomerID); err != nil {
		return nil, err
	}
	if g.Status != grant.StatusPENDING {
		return nil, apperr.Conflictf("the request is %s; only pending requests can be answered", g.Status)
	}
	if !v.Now.Before(g.CreatedAt.Add(PendingLifetime)) {
		return nil, apperr.Conflictf("the request lapsed unanswered after 90 days; the partner may ask again")
	}
	return g, nil
}

// Revoke ends a grant, or withdraws a request, at once. The customer's
// contact managers and admins may, and so may the partner's admins and
// the contact an elevation is for.
func Revoke(ctx context.Context, c *ent.Client, v *access.Session, id string) (*ent.Grant, error) {
	g, err := c.Grant.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	on := []string{g.CustomerID, g.PartnerID}
	if g.Kind == grant.KindELEVATION {
		on = append(on, *g.GranteeID)
	}
	if _, err := v.Require(access.RevokeGrant, on...); err != nil {
		return nil, err
	}
	live := g.Status == grant.StatusPENDING ||
		g.Status == grant.StatusACTIVE && g.ExpiresAt != nil && v.Now.Before(*g.ExpiresAt)
	if !live {
		return nil, apperr.Conflictf("the grant is %s already", g.Status)
	}
	return g.Update().
		SetStatus(grant.StatusREVOKED).
		SetEndedByID(v.ContactID).
		SetEndedAt(v.Now).
		Save(ctx)
}

// ExpireStale marks as EXPIRED the active grants past their expiry and the
// requests left unanswered for 90 days. Access never waits for it (every
// check compares times itself); it keeps statuses truthful for people.
// Run it in a transaction: its two updates write their events.
func ExpireStale(ctx context.Context, c *ent.Client, now time.Time) (int, error) {
	ctx = rowfilter.Privileged(ctx)
	active, err := c.Grant.Update().
		Where(grant.StatusEQ(grant.StatusACTIVE), grant.ExpiresAtLTE(now)).
		SetStatus(grant.StatusEXPIRED).SetEndedAt(now).
		Save(ctx)
	if err != nil {
		return 0, err
	}
	pending, err := c.Grant.Update().
		Where(grant.StatusEQ(grant.StatusPENDING), grant.CreatedAtLTE(now.Add(-PendingLifetime))).
		SetStatus(grant.StatusEXPIRED).SetEndedAt(now).
		Save(ctx)
	return active + pending, err
}
