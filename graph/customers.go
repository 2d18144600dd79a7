package graph

import (
	"context"

	"entgo.io/contrib/entgql"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/cases"
	"github.com/partnerdesk/partnerdesk/directory"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/graph/model"
)

// customers pages through the customers s has any level on.
func (r *Resolver) customers(ctx context.Context, s *access.Session, after *entgql.Cursor[string], first *int, before *entgql.Cursor[string], last *int, orderBy []*ent.OrganizationOrder, where *ent.OrganizationWhereInput) (*ent.OrganizationConnection, error) {
	q := r.client(ctx).Organization.Query().Where(organization.KindEQ(access.Customer))
	if !s.IsVendorStaff() {
		q.Where(organization.IDIn(append(s.Reach().Customers(access.CC), s.OrgID)...))
	}
	return q.Paginate(ctx, after, first, before, last,
		ent.WithOrganizationOrder(orderBy),
		ent.WithOrganizationFilter(where.Filter),
	)
}

// myCustomers is a page of customers, each with the caller's level and
// its figures, which are computed for the whole page at once: a field
// resolver per row would cost statements per customer.
func (r *Resolver) myCustomers(ctx context.Context, s *access.Session, after *entgql.Cursor[string], first *int, before *entgql.Cursor[string], last *int, orderBy []*ent.OrganizationOrder, where *ent.OrganizationWhereInput) (*model.CustomerOverviewConnection, error) {
	page, err := r.customers(ctx, s, after, first, before, last, orderBy, where)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(page.Edges))
	for i, e := range page.Edges {
		ids[i] = e.Node.ID
	}
	metrics, err := cases.MetricsOf(ctx, r.client(ctx), ids, s.Now)
	if err != nil {
		return nil, err
	}
	out := &model.CustomerOverviewConnection{
		Edges:      make([]*model.CustomerOverviewEdge, len(page.Edges)),
		Nodes:      make([]*model.CustomerOverview, len(page.Edges)),
		PageInfo:   &page.PageInfo,
		TotalCount: page.TotalCount,
	}
	for i, e := range page.Edges {
		o := &model.CustomerOverview{Customer: e.Node, Level: s.Level(e.Node.ID), SupportMetrics: metrics[e.Node.ID]}
		out.Edges[i] = &model.CustomerOverviewEdge{Node: o, Cursor: e.Cursor}
		out.Nodes[i] = o
	}
	return out, nil
}

// contactsWithRole pages through org's contacts holding role, by name
// unless ordered otherwise.
func (r *Resolver) contactsWithRole(ctx context.Context, org *ent.Organization, role access.Role, after *entgql.Cursor[string], first *int, before *entgql.Cursor[string], last *int, orderBy []*ent.ContactOrder) (*ent.ContactConnection, error) {
	if len(orderBy) == 0 {
		orderBy = []*ent.ContactOrder{{Field: ent.ContactOrderFieldName, Direction: entgql.OrderDirectionAsc}}
	}
	return directory.WithRole(r.client(ctx), org.ID, role).
		Paginate(ctx, after, first, before, last, ent.WithContactOrder(orderBy))
}
