package grants

import (
	"context"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/rowfilter"
)

// OfPartner returns, as the access rules read them, every grant a partner
// ever had approved, on the given customers only when any are named.
// Whether each gives access at an instant is access.Effective's to decide,
// not the status's: past grants still decide the partner era of cases.
func OfPartner(ctx context.Context, c *ent.Client, partnerID string, customerIDs ...string) ([]access.Grant, error) {
	q := c.Grant.Query().Where(grant.PartnerID(partnerID), grant.StartsAtNotNil())
	if len(customerIDs) > 0 {
		q.Where(grant.CustomerIDIn(customerIDs...))
	}
	rows, err := q.All(rowfilter.Privileged(ctx))
	if err != nil {
		return nil, err
	}
	out := make([]access.Grant, len(rows))
	for i, g := range rows {
		out[i] = toAccess(g)
	}
	return out, nil
}

// Partnership reads, as the access rules read them, every grant a
// partner ever had approved (whether each gives access now is
// access.Effective's to decide at the session's instant; past ones decide
// the partner era of cases), and which of those customers share their
// case history: one query.
func Partnership(ctx context.Context, c *ent.Client, partnerID string) (access.Partnership, error) {
	var rows []struct {
		ent.Grant
		Shares bool `sql:"shares"`
	}
	err := c.Grant.Query().
		Where(grant.PartnerID(partnerID), grant.StartsAtNotNil()).
		Modify(func(s *sql.Selector) {
			o := sql.Table(organization.Table)
			s.Join(o).On(s.C(grant.FieldCustomerID), o.C(organization.FieldID)).
				AppendSelect(sql.As(o.C(organization.FieldShareCaseHistoryWithPartners), "shares"))
		}).
		Scan(rowfilter.Privileged(ctx), &rows)
	if err != nil {
		return access.Partnership{}, err
	}
	p := access.Partnership{Grants: make([]access.Grant, len(rows)), SharesHistory: map[string]bool{}}
	for i, r := range rows {
		p.Grants[i] = toAccess(&r.Grant)
		if r.Shares {
			p.SharesHistory[r.CustomerID] = true
		}
	}
	return p, nil
}

// toAccess converts a stored grant to what the access rules read.
func toAccess(g *ent.Grant) access.Grant {
	ag := access.Grant{
		ID:         g.ID,
		PartnerID:  g.PartnerID,
		CustomerID: g.CustomerID,
		Level:      g.Level,
		Elevation:  g.Kind == grant.KindELEVATION,
		Approved:   g.StartsAt != nil,
		EndedAt:    g.EndedAt,
	}
	if g.GranteeID != nil {
		ag.GranteeID = *g.GranteeID
	}
	if g.PartnerDomain != nil {
		ag.PartnerDomain = *g.PartnerDomain
	}
	if g.StartsAt != nil {
		ag.StartsAt = *g.StartsAt
	}
	if g.ExpiresAt != nil {
		ag.ExpiresAt = *g.ExpiresAt
	}
	return ag
}

// LevelOf is the effective level contact c, a partner contact, has on a
// customer at now: whether it may be a case's primary contact or
// collaborator is a decision about it, not about the caller, so its
// partner's grants are read whoever asks.
func LevelOf(ctx context.Context, client *ent.Client, c *ent.Contact, customerID string, now time.Time) (access.Level, error) {
	gs, err := OfPartner(ctx, client, c.OrganizationID, customerID)
	if err != nil {
		return "", err
	}
	return access.Effective(CallerOf(c, access.Partner), customerID, gs, now).Level, nil
}

// CallerOf is the caller contact c is, in its organisation of kind.
func CallerOf(c *ent.Contact, kind access.OrgKind) access.Caller {
	return access.Caller{ContactID: c.ID, OrgID: c.OrganizationID, OrgKind: kind, Roles: c.Roles, Email: c.Email,
		Active: c.Status == contact.StatusACTIVE}
}

// SessionOf is the session contact c, of an organisation of kind, would
// have at now, for work done on its behalf outside a request of its own.
// Its partner's grants are read as the server: they are the input of the
// decision, not a read by the caller.
func SessionOf(ctx context.Context, client *ent.Client, c *ent.Contact, kind access.OrgKind, now time.Time) (*access.Session, error) {
	var p access.Partnership
	if kind == access.Partner {
		var err error
		if p, err = Partnership(rowfilter.Privileged(ctx), client, c.OrganizationID); err != nil {
			return nil, err
		}
	}
	return access.NewSession(CallerOf(c, kind), now, p), nil
}
