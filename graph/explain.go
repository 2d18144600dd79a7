package graph

import (
	"context"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/graph/model"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// explainAccess answers access(customerID:). An organisation the caller
// cannot see is explained as no access at all, like one that does not
// exist, so the question cannot be used to probe IDs.
func (r *Resolver) explainAccess(ctx context.Context, v *viewer.Viewer, orgID string) (*model.AccessExplanation, error) {
	none := &model.AccessExplanation{Source: access.SourceNone}
	org, err := r.client(ctx).Organization.Get(ctx, orgID)
	if ent.IsNotFound(err) {
		return none, nil
	}
	if err != nil {
		return nil, err
	}
	d, err := v.LevelOn(ctx, org.ID)
	if err != nil || d.Level == "" {
		none.Customer = org
		return none, err
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
