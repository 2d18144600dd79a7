package graph

import (
	"context"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/cases"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/graph/model"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// checkActions explains the given actions on a case for the caller.
func (r *Resolver) checkActions(ctx context.Context, kase *ent.SupportCase, acts ...cases.Action) ([]*model.CaseActionCheck, error) {
	v := viewer.ForContext(ctx)
	d, err := v.LevelOn(ctx, kase.CustomerID)
	if err != nil {
		return nil, err
	}
	plan, err := r.planOf(ctx, v, kase.CustomerID)
	if err != nil {
		return nil, err
	}
	out := make([]*model.CaseActionCheck, len(acts))
	for i, act := range acts {
		out[i] = &model.CaseActionCheck{Action: act, Allowed: true}
		if refusal := cases.Check(cases.Actor{Caller: v.Caller, Level: d.Level}, act, kase, plan, v.Now); refusal != nil {
			reason := string(refusal.Reason)
			out[i] = &model.CaseActionCheck{Action: act, Reason: &reason, AvailableAt: refusal.AvailableAt}
		}
	}
	return out, nil
}

// planOf returns a customer's support plan. The plans of every customer the
// caller sees are read once per request, so explaining the actions of a
// hundred cases costs one query.
func (r *Resolver) planOf(ctx context.Context, v *viewer.Viewer, customerID string) (organization.SupportPlan, error) {
	plans, err := v.Memo("support plans", func() (any, error) {
		orgs, err := r.client(ctx).Organization.Query().
			Where(organization.KindEQ(access.Customer)).
			Select(organization.FieldID, organization.FieldSupportPlan).
			All(ctx)
		m := make(map[string]organization.SupportPlan, len(orgs))
		for _, o := range orgs {
			if o.SupportPlan != nil {
				m[o.ID] = *o.SupportPlan
			}
		}
		return m, err
	})
	if err != nil {
		return "", err
	}
	return plans.(map[string]organization.SupportPlan)[customerID], nil
}
