package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/cases"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/graph/model"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// checkActions explains the given actions on a case for the caller.
func (r *Resolver) checkActions(ctx context.Context, kase *ent.SupportCase, acts ...cases.Action) ([]*model.CaseActionCheck, error) {
	s := viewer.ForContext(ctx)
	plan, err := r.planOf(ctx, kase.CustomerID)
	if err != nil {
		return nil, err
	}
	out := make([]*model.CaseActionCheck, len(acts))
	for i, act := range acts {
		out[i] = &model.CaseActionCheck{Action: act, Allowed: true}
		if refusal := cases.Check(cases.Actor{Caller: s.Caller, Level: s.Level(kase.CustomerID)}, act, kase, plan, s.Now); refusal != nil {
			out[i] = &model.CaseActionCheck{Action: act, Reason: &refusal.Reason, AvailableAt: refusal.AvailableAt}
		}
	}
	return out, nil
}

// plans holds the support plans of the customers a response reads, read
// once per response: explaining the actions of a hundred cases costs one
// query.
type plans struct {
	once  sync.Once
	byOrg map[string]organization.SupportPlan
	err   error
}

type plansKey struct{}

// Responses is a gqlgen response middleware that gives each response its
// memo of support plans: a query's or mutation's one, and each event of a
// subscription, which may run for days.
func Responses(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	return next(context.WithValue(ctx, plansKey{}, &plans{}))
}

// planOf returns a customer's support plan.
func (r *Resolver) planOf(ctx context.Context, customerID string) (organization.SupportPlan, error) {
	p, ok := ctx.Value(plansKey{}).(*plans)
	if !ok {
		p = &plans{}
	}
	p.once.Do(func() {
		var orgs []*ent.Organization
		orgs, p.err = r.client(ctx).Organization.Query().
			Where(organization.KindEQ(access.Customer)).
			Select(organization.FieldID, organization.FieldSupportPlan).
			All(ctx)
		p.byOrg = make(map[string]organization.SupportPlan, len(orgs))
		for _, o := range orgs {
			if o.SupportPlan != nil {
				p.byOrg[o.ID] = *o.SupportPlan
			}
		}
	})
	return p.byOrg[customerID], p.err
}
