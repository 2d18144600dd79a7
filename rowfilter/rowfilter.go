// Package rowfilter narrows every ent query to the rows the caller may see
// (SPEC §2.4, §2.5). It runs as a traverse interceptor, so the filter applies
// to root connections, node(id:), nested edges and eager loading alike,
// inside the SQL of the query itself: a row the caller may not see is never
// read, and looks exactly like one that does not exist.
//
// What a caller reaches comes from the viewer (its own organisation, the
// levels its grants give it, its partner's eras), worked out once per
// request; the rules here only turn it into predicates.
package rowfilter

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect/sql"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/auditentry"
	"github.com/partnerdesk/partnerdesk/ent/casecomment"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	"github.com/partnerdesk/partnerdesk/ent/intercept"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// Install adds the row filter to every query of client.
func Install(client *ent.Client) {
	client.Intercept(intercept.TraverseFunc(filter))
}

// rule returns the predicate for one type, given what the caller reaches.
type rule func(s *sql.Selector, r *reach) *sql.Predicate

var rules = map[string]rule{
	"Organization": organizations,
	"Contact":      contacts,
	"Device":       directory,
	"PhoneNumber":  directory,
	"SupportCase":  cases,
	"CaseComment":  comments,
	"CaseEvent":    events,
	"Attachment":   attachmentsRule,
	"Grant":        grants,
	"AuditEntry":   auditEntries,
	"AccessToken":  tokens,
	// Server-side records no caller reads through a query of its own.
	"VerificationCode": nobody,
	"OutboxMessage":    nobody,
}

func filter(ctx context.Context, q intercept.Query) error {
	if viewer.IsSystem(ctx) {
		return nil
	}
	rule, ok := rules[q.Type()]
	if !ok {
		return fmt.Errorf("rowfilter: no rule for %s", q.Type())
	}
	v := viewer.ForContext(ctx)
	if v == nil || !v.Active {
		q.WhereP(func(s *sql.Selector) { s.Where(sql.False()) })
		return nil
	}
	r, err := reachOf(ctx, v)
	if err != nil {
		return err
	}
	q.WhereP(func(s *sql.Selector) {
		if p := rule(s, r); p != nil { // nil: everything, as for vendor staff
			s.Where(p)
		}
	})
	return nil
}

// reach is the caller with what its access covers.
type reach struct {
	*viewer.Viewer
	levels   access.Reach
	allCases bool
	cases    map[string]access.CaseRule
}

func reachOf(ctx context.Context, v *viewer.Viewer) (*reach, error) {
	levels, err := v.Reach(ctx)
	if err != nil {
		return nil, err
	}
	p, err := v.Partnership(ctx)
	if err != nil {
		return nil, err
	}
	all, rules := access.CaseRules(v.Caller, levels, p)
	return &reach{Viewer: v, levels: levels, allCases: all, cases: rules}, nil
}

// managesCustomer reports whether the caller runs its customer's access:
// its contact managers and admins.
func (r *reach) managesCustomer() bool {
	return r.OrgKind == access.Customer && (r.Has(access.RoleAdmin) || r.Has(access.RoleContactManager))
}

func in(col string, ids []string) *sql.Predicate {
	if len(ids) == 0 {
		return sql.False()
	}
	return sql.In(col, anys(ids)...)
}

func anys(ids []string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// vendors selects the vendor organisations, whose staff answer every case:
// everyone may see who they are.
func vendors() *sql.Selector {
	return sql.Select(organization.FieldID).From(sql.Table(organization.Table)).
		Where(sql.EQ(organization.FieldKind, access.Vendor))
}

// partnersOf selects the partners that ever asked a customer for access:
// the customer may see who they are and who works its cases for them.
func partnersOf(customerID string) *sql.Selector {
	return sql.Select(grant.FieldPartnerID).From(sql.Table(grant.Table)).
		Where(sql.EQ(grant.FieldCustomerID, customerID))
}

// counterparts is the predicate on an organisation column for the
// organisations whose people the caller deals with, besides its own.
func counterparts(col string, r *reach) *sql.Predicate {
	others := sql.In(col, vendors())
	switch r.OrgKind {
	case access.Customer:
		return sql.Or(others, sql.In(col, partnersOf(r.OrgID)))
	case access.Partner:
		return sql.Or(others, in(col, r.levels.Customers(access.CC)))
	}
	return others
}

func organizations(s *sql.Selector, r *reach) *sql.Predicate {
	if r.IsVendorStaff() {
		return nil
	}
	return sql.Or(sql.EQ(s.C(organization.FieldID), r.OrgID), counterparts(s.C(organization.FieldID), r))
}

// contacts: the caller's own people, and the people of the organisations it
// deals with. What each field shows is then up to the field's directive:
// a name is public, an email needs LOOK on the contact's organisation.
func contacts(s *sql.Selector, r *reach) *sql.Predicate {
	if r.IsVendorStaff() {
		return nil
	}
	col := s.C("organization_id")
	return sql.Or(sql.EQ(col, r.OrgID), counterparts(col, r))
}

// directory covers devices and phone numbers: the read-only admin view,
// LOOK or higher.
func directory(s *sql.Selector, r *reach) *sql.Predicate {
	if r.IsVendorStaff() {
		return nil
	}
	col := s.C("organization_id")
	return sql.Or(sql.EQ(col, r.OrgID), in(col, r.levels.Customers(access.Look)))
}

// cases: the rows access.CaseRules lets the caller see: for each customer
// it reaches at level min or higher, the cases created in its era (all of
// them where the customer shares its history), and at CC only those the
// caller collaborates on.
func cases(s *sql.Selector, r *reach) *sql.Predicate {
	return casePredicate(s, r, access.CC)
}

func casePredicate(s *sql.Selector, r *reach, min access.Level) *sql.Predicate {
	if r.allCases {
		return nil
	}
	var any []*sql.Predicate
	for customer, rule := range r.cases {
		if !rule.Level.AtLeast(min) {
			continue
		}
		p := []*sql.Predicate{sql.EQ(s.C(supportcase.FieldCustomerID), customer)}
		if !rule.AllHistory {
			p = append(p, era(s, rule.Eras))
		}
		if rule.CollaboratorOnly {
			p = append(p, sql.In(s.C(supportcase.FieldID),
				sql.Select(supportcase.CollaboratorsPrimaryKey[0]).From(sql.Table(supportcase.CollaboratorsTable)).
					Where(sql.EQ(supportcase.CollaboratorsPrimaryKey[1], r.ContactID))))
		}
		any = append(any, sql.And(p...))
	}
	if len(any) == 0 {
		return sql.False()
	}
	return sql.Or(any...)
}

func era(s *sql.Selector, eras []access.Interval) *sql.Predicate {
	var any []*sql.Predicate
	for _, e := range eras {
		any = append(any, sql.And(sql.GTE(s.C(supportcase.FieldCreatedAt), e.From), sql.LT(s.C(supportcase.FieldCreatedAt), e.To)))
	}
	if len(any) == 0 {
		return sql.False()
	}
	return sql.Or(any...)
}

// onVisibleCases keeps the rows of a case-owned table whose case the caller
// sees at level min. Where the table has a visibility column, INTERNAL rows
// are the vendor's.
func onVisibleCases(s *sql.Selector, r *reach, min access.Level, hasVisibility bool) *sql.Predicate {
	if r.IsVendorStaff() {
		return nil
	}
	var p []*sql.Predicate
	if hasVisibility {
		p = append(p, sql.EQ(s.C(casecomment.FieldVisibility), casecomment.VisibilityPUBLIC))
	}
	if r.OrgKind == access.Customer {
		// Cheaper than the subquery: a member sees all its organisation's cases.
		return sql.And(append(p, sql.EQ(s.C(casecomment.FieldCustomerID), r.OrgID))...)
	}
	t := sql.Table(supportcase.Table)
	visible := sql.Select(t.C(supportcase.FieldID)).From(t)
	visible.Where(casePredicate(visible, r, min))
	return sql.And(append(p, sql.In(s.C("case_id"), visible))...)
}

func comments(s *sql.Selector, r *reach) *sql.Predicate { return onVisibleCases(s, r, access.CC, true) }

// events: a CC collaborator follows the history of the cases it works on
// (its subscriptions deliver them), like LOOK callers follow every case.
func events(s *sql.Selector, r *reach) *sql.Predicate { return onVisibleCases(s, r, access.CC, true) }

func attachmentsRule(s *sql.Selector, r *reach) *sql.Predicate {
	return onVisibleCases(s, r, access.CC, false)
}

// grants: a partner's own, any of its contacts; a customer's, its managers.
func grants(s *sql.Selector, r *reach) *sql.Predicate {
	switch {
	case r.IsVendorStaff():
		return nil
	case r.OrgKind == access.Partner:
		return sql.EQ(s.C(grant.FieldPartnerID), r.OrgID)
	case r.managesCustomer():
		return sql.EQ(s.C(grant.FieldCustomerID), r.OrgID)
	}
	return sql.False()
}

// auditEntries (SPEC §2.6): a customer's managers see what was done on
// their organisation; a partner's admins what their people did; the
// vendor's admins everything.
func auditEntries(s *sql.Selector, r *reach) *sql.Predicate {
	switch {
	case r.OrgKind == access.Vendor && r.Has(access.RoleAdmin):
		return nil
	case r.OrgKind == access.Partner && r.Has(access.RoleAdmin):
		return sql.EQ(s.C(auditentry.FieldActorOrganizationID), r.OrgID)
	case r.managesCustomer():
		return sql.EQ(s.C(auditentry.FieldCustomerID), r.OrgID)
	}
	return sql.False()
}

func nobody(*sql.Selector, *reach) *sql.Predicate { return sql.False() }

func tokens(s *sql.Selector, r *reach) *sql.Predicate {
	return sql.EQ(s.C("contact_id"), r.ContactID)
}
