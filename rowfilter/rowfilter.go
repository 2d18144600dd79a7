// Package rowfilter narrows every ent query to the rows the caller may see.
// It runs as a traverse interceptor, so the filter applies to root
// connections, node(id:), nested edges and eager loading alike, inside the
// SQL of the query itself: a row the caller may not see is never read, and
// looks exactly like one that does not exist.
package rowfilter

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect/sql"

	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/accesstoken"
	"github.com/partnerdesk/partnerdesk/ent/auditentry"
	"github.com/partnerdesk/partnerdesk/ent/casecomment"
	"github.com/partnerdesk/partnerdesk/ent/caseevent"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/device"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	"github.com/partnerdesk/partnerdesk/ent/intercept"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/ent/phonenumber"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// Install adds the row filter to every query of client.
func Install(client *ent.Client) {
	client.Intercept(intercept.TraverseFunc(filter))
}

// owner holds each type's owner columns, as its ent schema declares them: a
// row is visible when any of them names an organisation the caller sees.
var owner = map[string][]string{
	"AccessToken":  accesstoken.OwnerColumns,
	"AuditEntry":   auditentry.OwnerColumns,
	"CaseComment":  casecomment.OwnerColumns,
	"CaseEvent":    caseevent.OwnerColumns,
	"Contact":      contact.OwnerColumns,
	"Device":       device.OwnerColumns,
	"Grant":        grant.OwnerColumns,
	"Organization": organization.OwnerColumns,
	"PhoneNumber":  phonenumber.OwnerColumns,
	"SupportCase":  supportcase.OwnerColumns,
}

func filter(ctx context.Context, q intercept.Query) error {
	if viewer.IsSystem(ctx) {
		return nil
	}
	cols, ok := owner[q.Type()]
	if !ok {
		return fmt.Errorf("rowfilter: no rule for %s", q.Type())
	}
	v := viewer.ForContext(ctx)
	switch {
	case v == nil || !v.Active:
		q.WhereP(func(s *sql.Selector) { s.Where(sql.False()) })
		return nil
	case q.Type() == "AccessToken":
		q.WhereP(func(s *sql.Selector) { s.Where(sql.EQ(s.C("contact_id"), v.ContactID)) })
		return nil
	case v.IsVendorStaff():
		return nil
	}
	q.WhereP(func(s *sql.Selector) {
		preds := make([]*sql.Predicate, len(cols))
		for i, c := range cols {
			preds[i] = sql.EQ(s.C(c), v.OrgID)
		}
		s.Where(sql.Or(preds...))
	})
	return nil
}
