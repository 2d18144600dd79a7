package grants

import (
	"context"

	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	"github.com/partnerdesk/partnerdesk/ent/hook"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/rowfilter"
)

// A partner's access version (organizations.access_version) changes in
// the transaction of every change to what its grants give it: one of its
// grants created, changed or deleted, or a customer it holds grants on
// starting or stopping sharing its case history. Sign-in reuses what it
// read of a partner's grants while the version it reads with the caller
// is unchanged (package auth); the clock's part (grants starting and
// expiring) needs no change, since sessions decide by time. The ent
// schema registers both hooks, so every client keeps them. (They read as
// the server: which partners a change touches is no caller's to filter.)

// Version is the hook that moves the access version of the partners whose
// grants a mutation changes.
func Version(next ent.Mutator) ent.Mutator {
	return hook.GrantFunc(func(ctx context.Context, m *ent.GrantMutation) (ent.Value, error) {
		sys := rowfilter.Privileged(ctx)
		var partners []string
		if id, ok := m.PartnerID(); ok {
			partners = append(partners, id)
		}
		if !m.Op().Is(ent.OpCreate) {
			ids, err := m.IDs(sys)
			if err != nil {
				return nil, err
			}
			before, err := m.Client().Grant.Query().Where(grant.IDIn(ids...)).Unique(true).
				Select(grant.FieldPartnerID).Strings(sys)
			if err != nil {
				return nil, err
			}
			partners = append(partners, before...)
		}
		v, err := next.Mutate(ctx, m)
		if err != nil || len(partners) == 0 {
			return v, err
		}
		return v, m.Client().Organization.Update().Where(organization.IDIn(partners...)).AddAccessVersion(1).Exec(sys)
	})
}

// VersionOnSharing is the hook that moves the access version of the
// partners holding grants on customers that start or stop sharing their
// case history.
func VersionOnSharing(next ent.Mutator) ent.Mutator {
	return hook.OrganizationFunc(func(ctx context.Context, m *ent.OrganizationMutation) (ent.Value, error) {
		if _, ok := m.ShareCaseHistoryWithPartners(); !ok {
			return next.Mutate(ctx, m)
		}
		sys := rowfilter.Privileged(ctx)
		customers, err := m.IDs(sys)
		if err != nil {
			return nil, err
		}
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return v, err
		}
		partners, err := m.Client().Grant.Query().Where(grant.CustomerIDIn(customers...)).Unique(true).
			Select(grant.FieldPartnerID).Strings(sys)
		if err != nil || len(partners) == 0 {
			return v, err
		}
		return v, m.Client().Organization.Update().Where(organization.IDIn(partners...)).AddAccessVersion(1).Exec(sys)
	})
}
