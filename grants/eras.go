package grants

import (
	"context"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	"github.com/partnerdesk/partnerdesk/ent/hook"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/ent/predicate"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
	"github.com/partnerdesk/partnerdesk/rowfilter"
)

// The partner era of a case (SPEC §2.4) is the set of partners that held an
// approved grant on its customer when it was created. Each case carries it
// (its era_partners edge), so that the read policy's SQL finds a partner's
// cases through an index instead of an OR of every interval of every
// grant. The stamps follow the grants: a case is stamped when it is
// created, and a partner's stamps on a customer are redone whenever one of
// its grants there is created or changes its times. The ent schema
// registers both hooks, so every client keeps them. (The in-memory
// rendering of the policy reads the grants' intervals themselves; the
// parity test holds the two together.)

// StampCase is the hook that stamps a new case with its era's partners.
func StampCase(next ent.Mutator) ent.Mutator {
	return hook.SupportCaseFunc(func(ctx context.Context, m *ent.SupportCaseMutation) (ent.Value, error) {
		customer, _ := m.CustomerID()
		created, _ := m.CreatedAt()
		partners, err := m.Client().Grant.Query().
			Where(grant.CustomerID(customer), grant.StartsAtLTE(created), grant.ExpiresAtGT(created),
				grant.Or(grant.EndedAtIsNil(), grant.EndedAtGT(created))).
			Unique(true).Select(grant.FieldPartnerID).Strings(rowfilter.Privileged(ctx))
		if err != nil {
			return nil, err
		}
		m.AddEraPartnerIDs(partners...)
		return next.Mutate(ctx, m)
	})
}

// Restamp is the hook that redoes a partner's stamps on a customer after
// one of its grants there is created or its times change.
func Restamp(next ent.Mutator) ent.Mutator {
	return hook.GrantFunc(func(ctx context.Context, m *ent.GrantMutation) (ent.Value, error) {
		_, starts := m.StartsAt()
		_, expires := m.ExpiresAt()
		_, ended := m.EndedAt()
		if !starts && !expires && !ended && !m.EndedAtCleared() {
			return next.Mutate(ctx, m)
		}
		var ids []string
		if !m.Op().Is(ent.OpCreate) {
			var err error
			if ids, err = m.IDs(rowfilter.Privileged(ctx)); err != nil {
				return nil, err
			}
		}
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return v, err
		}
		if g, ok := v.(*ent.Grant); ok && m.Op().Is(ent.OpCreate) {
			ids = []string{g.ID}
		}
		rows, err := m.Client().Grant.Query().Where(grant.IDIn(ids...)).All(rowfilter.Privileged(ctx))
		if err != nil {
			return nil, err
		}
		done := map[[2]string]bool{}
		for _, g := range rows {
			if pair := [2]string{g.PartnerID, g.CustomerID}; !done[pair] {
				done[pair] = true
				if err := restamp(ctx, m.Client(), g.PartnerID, g.CustomerID); err != nil {
					return nil, err
				}
			}
		}
		return v, nil
	})
}

// restamp redoes partner's stamps on customer's cases from its grants.
func restamp(ctx context.Context, c *ent.Client, partnerID, customerID string) error {
	gs, err := OfPartner(ctx, c, partnerID, customerID)
	if err != nil {
		return err
	}
	if err := c.SupportCase.Update().
		Where(supportcase.CustomerID(customerID), supportcase.HasEraPartnersWith(organization.ID(partnerID))).
		RemoveEraPartnerIDs(partnerID).Exec(ctx); err != nil {
		return err
	}
	var in []predicate.SupportCase
	for _, e := range access.Eras(gs)[customerID] {
		in = append(in, supportcase.And(supportcase.CreatedAtGTE(e.From), supportcase.CreatedAtLT(e.To)))
	}
	if len(in) == 0 {
		return nil
	}
	return c.SupportCase.Update().
		Where(supportcase.CustomerID(customerID), supportcase.Or(in...)).
		AddEraPartnerIDs(partnerID).Exec(ctx)
}

// StampAll stamps every case anew from every grant: for a database
// written before the stamps existed, or filled outside the ent client.
func StampAll(ctx context.Context, c *ent.Client) error {
	ctx = rowfilter.Privileged(ctx)
	pairs, err := c.Grant.Query().Where(grant.StartsAtNotNil()).
		Select(grant.FieldPartnerID, grant.FieldCustomerID).All(ctx)
	if err != nil {
		return err
	}
	done := map[[2]string]bool{}
	for _, g := range pairs {
		if pair := [2]string{g.PartnerID, g.CustomerID}; !done[pair] {
			done[pair] = true
			if err := restamp(ctx, c, g.PartnerID, g.CustomerID); err != nil {
				return err
			}
		}
	}
	return nil
}
