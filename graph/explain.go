package graph

import (
	"context"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/graph/model"
)

// explainAccess answers access(customerID:). An organisation the caller
// cannot see is explained as no access at all, like one that does not
// exist, so the question cannot be used to probe IDs.
func (r *Resolver) explainAccess(ctx context.Context, s *access.Session, orgID string) (*model.AccessExplanation, error) {
	none := &model.AccessExplanation{Source: access.SourceNone}
	org, err := r.client(ctx).Organization.Get(ctx, orgID)
	if ent.IsNotFound(err) {
		return none, nil
	}
	if err != nil {
		return nil, err
	}
	d := s.Decide(org.ID)
	if d.Level == "" {
		none.Customer = org
		return none, nil
	}
	out := &model.AccessExplanation{Customer: org, Level: &d.Level, Source: d.Source}
	if d.Grant != nil {
		if out.Grant, err = r.client(ctx).Grant.Get(ctx, d.Grant.ID); err != nil {
			return nil, err
		}
		out.ExpiresAt = &d.Grant.ExpiresAt
	}
	return out, nil
}
