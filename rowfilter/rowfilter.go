// Package rowfilter renders the read policy (access.Policy) into the SQL of
// every ent query (SPEC §2.4, §2.5). It runs as a traverse interceptor that
// each ent schema registers (ent/schema/mixin.go), so every client opened
// on the schema carries it: root connections, node(id:), nested edges and
// eager loading alike are narrowed inside their own SQL, and a row the
// caller may not see looks exactly like one that does not exist.
//
// What the caller reaches comes from its session (access.Session); the
// rendering here only turns the policy into predicates. Access.Allows
// evaluates the same policy on rows in memory, and a parity test holds
// the two together.
package rowfilter

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"

	"entgo.io/ent/dialect/sql"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/accesstoken"
	"github.com/partnerdesk/partnerdesk/ent/attachment"
	"github.com/partnerdesk/partnerdesk/ent/auditentry"
	"github.com/partnerdesk/partnerdesk/ent/bulkjob"
	"github.com/partnerdesk/partnerdesk/ent/bulkjobresult"
	"github.com/partnerdesk/partnerdesk/ent/casecomment"
	"github.com/partnerdesk/partnerdesk/ent/caseevent"
	"github.com/partnerdesk/partnerdesk/ent/casesubscription"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/device"
	"github.com/partnerdesk/partnerdesk/ent/elevationrule"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	"github.com/partnerdesk/partnerdesk/ent/grantevent"
	"github.com/partnerdesk/partnerdesk/ent/intercept"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/ent/outboxmessage"
	"github.com/partnerdesk/partnerdesk/ent/phonenumber"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
	"github.com/partnerdesk/partnerdesk/ent/verificationcode"
	"github.com/partnerdesk/partnerdesk/ent/webhook"
	"github.com/partnerdesk/partnerdesk/ent/webhookattempt"
	"github.com/partnerdesk/partnerdesk/ent/webhookdelivery"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// Interceptor narrows every query of entity e to the rows the session in
// its context may read; without a session, to none. Privileged contexts
// pass through. It also marks, for the eager loads of each query, whose
// neighbours they read (edges.go).
func Interceptor() ent.Interceptor { return interceptor{} }

type interceptor struct{}

func (interceptor) Intercept(next ent.Querier) ent.Querier { return markParent(next) }

func (interceptor) Traverse(ctx context.Context, q ent.Query) error {
	if privileged(ctx) {
		return nil
	}
	iq, err := intercept.NewQuery(q)
	if err != nil {
		return err
	}
	e := access.Entity(iq.Type())
	if _, ok := tables[e]; !ok {
		return fmt.Errorf("rowfilter: no table for %s", e)
	}
	s := viewer.ForContext(ctx)
	edge := edgeRules[[2]access.Entity{parentOf(ctx), e}]
	reach, inReach := ctx.Value(reachKey{}).(access.Level)
	iq.WhereP(func(sel *sql.Selector) {
		switch {
		case s == nil || !s.Active:
			sel.Where(sql.False())
		case inReach:
			sel.Where(within(s, e, sel, reach))
		default:
			if p := predicate(s, e, sel, edge); p != nil { // nil: every row
				sel.Where(p)
			}
		}
	})
	return nil
}

type reachKey struct{}

// InReach narrows the queries run in ctx to the rows of the customers the
// caller reaches at level min or higher (every customer, for vendor
// staff), through each entity's Reaches rule: within that reach the rule
// holds, so nothing more of the read policy is rendered. It serves the
// searches over the customers a caller supports (package helpdesk). The
// rows of an entity whose rule reaches no organisation are out of reach.
func InReach(ctx context.Context, min access.Level) context.Context {
	return context.WithValue(ctx, reachKey{}, min)
}

func within(s *access.Session, e access.Entity, sel *sql.Selector, min access.Level) *sql.Predicate {
	rules := []access.Rule{access.Policy[e]}
	if any, ok := access.Policy[e].(access.AnyOf); ok {
		rules = any
	}
	for _, r := range rules {
		if r, ok := r.(access.Reaches); ok && min.AtLeast(r.Min) {
			if s.IsVendorStaff() {
				// Correlated: a row costs one look at its organisation,
				// where a list would hold every customer.
				o := sql.Table(organization.Table).As("reach")
				return sql.Exists(sql.Select(o.C(organization.FieldID)).From(o).Where(sql.And(
					sql.ColumnsEQ(o.C(organization.FieldID), sel.C(r.Col)), sql.EQ(o.C(organization.FieldKind), access.Customer))))
			}
			return in(sel.C(r.Col), s.Reach().Customers(min))
		}
	}
	return sql.False()
}

type privilegedKey struct{}

// Privileged returns ctx for the server's own reads, which the read policy
// does not narrow. They are few, and each says why where it calls this:
// signing in (there is no caller yet, package auth); the grants a decision
// about another contact rests on, the partner eras stamped on cases, the
// customer's rules an elevation request is matched against, and the
// scheduler (grants); what the
// commit hooks publish, the grants whose history a change writes, and the
// fan-out of events to many subscribers, each decided in memory (events); the directory's consistency checks
// (directory); verification codes, records no caller reads (helpdesk);
// the outbox and the suppressed addresses, which no caller reads either,
// and the recipient a mail's state is kept on (mailer);
// case numbers, allocated across all cases, and the attachment a signed
// download link names (cases); the audience of a notification, each
// recipient then decided in memory as itself (notify); the event history
// a webhook's deliveries are logged from, and their state, which no
// caller reads in the course of a request, each delivery's event then read
// as the webhook's owner through the filter (webhooks); the bulk worker's
// claims and bookkeeping of jobs, whose items then run as their caller
// (bulk); the start-up, which
// stamps the partner eras of an older database (app); and the operator
// commands and the demo loader. Request handling in package graph never
// does (TestPrivilegedReadsStayInTheirPlaces).
func Privileged(ctx context.Context) context.Context {
	return context.WithValue(ctx, privilegedKey{}, true)
}

func privileged(ctx context.Context) bool {
	b, _ := ctx.Value(privilegedKey{}).(bool)
	return b
}

// tables maps each entity to its table.
var tables = map[access.Entity]string{
	access.Organizations:     organization.Table,
	access.Contacts:          contact.Table,
	access.Devices:           device.Table,
	access.PhoneNumbers:      phonenumber.Table,
	access.Cases:             supportcase.Table,
	access.CaseComments:      casecomment.Table,
	access.CaseEvents:        caseevent.Table,
	access.Attachments:       attachment.Table,
	access.Grants:            grant.Table,
	access.GrantEvents:       grantevent.Table,
	access.AuditEntries:      auditentry.Table,
	access.AccessTokens:      accesstoken.Table,
	access.VerificationCodes: verificationcode.Table,
	access.OutboxMessages:    outboxmessage.Table,
	access.CaseSubscriptions: casesubscription.Table,
	access.Webhooks:          webhook.Table,
	access.WebhookDeliveries: webhookdelivery.Table,
	access.WebhookAttempts:   webhookattempt.Table,
	access.BulkJobs:          bulkjob.Table,
	access.BulkJobResults:    bulkjobresult.Table,
	access.ElevationRules:    elevationrule.Table,
}

// Predicate renders e's read rule for s over the rows sel selects; nil
// means every row.
func Predicate(s *access.Session, e access.Entity, sel *sql.Selector) *sql.Predicate {
	return predicate(s, e, sel, nil)
}

// predicate renders e's read rule for rows loaded through edges implying
// the rules in edge (none for a query of its own).
func predicate(s *access.Session, e access.Entity, sel *sql.Selector, edge []access.Rule) *sql.Predicate {
	r := &renderer{s: s}
	p, all := r.render(access.Policy[e], sel, edge)
	switch {
	case all:
		return nil
	case p == nil:
		return sql.False()
	}
	return p
}

// renderer renders the rules of one session; subqueries get aliases of
// their own, so that a table nested in a query of itself is told apart.
type renderer struct {
	s       *access.Session
	aliases int
}

func (r *renderer) table(name string) *sql.SelectTable {
	r.aliases++
	return sql.Table(name).As(fmt.Sprintf("p%d", r.aliases))
}

// render returns the predicate of rule over sel: all=true when it holds
// for every row (no predicate is needed), a nil predicate when for none.
// edge lists what the edges the rows were loaded through imply; it holds
// for these rows only, not for those of the subqueries.
func (r *renderer) render(rule access.Rule, sel *sql.Selector, edge []access.Rule) (p *sql.Predicate, all bool) {
	if implied(rule, edge) {
		return nil, true
	}
	s := r.s
	switch rule := rule.(type) {
	case access.AnyOf:
		var ps []*sql.Predicate
		for _, sub := range rule {
			p, all := r.render(sub, sel, edge)
			if all {
				return nil, true
			}
			if p != nil {
				ps = append(ps, p)
			}
		}
		return or(ps), false
	case access.AllOf:
		var ps []*sql.Predicate
		for _, sub := range rule {
			p, all := r.render(sub, sel, edge)
			if !all {
				if p == nil {
					return nil, false // nothing
				}
				ps = append(ps, p)
			}
		}
		if len(ps) == 0 {
			return nil, true
		}
		return sql.And(ps...), false
	case access.Nobody:
		return nil, false
	case access.When:
		return nil, s.Holds(rule.Cond)
	case access.Own:
		return sql.EQ(sel.C(rule.Col), s.OrgID), false
	case access.Self:
		return sql.EQ(sel.C(rule.Col), s.ContactID), false
	case access.Reaches:
		if s.IsVendorStaff() {
			return nil, true // FULL_ADMIN on every organisation
		}
		orgs := s.Reach().Customers(rule.Min)
		if s.Level(s.OrgID).AtLeast(rule.Min) {
			orgs = append(orgs, s.OrgID)
		}
		return in(sel.C(rule.Col), orgs), false
	case access.Is:
		return sql.EQ(sel.C(rule.Col), rule.Value), false
	case access.SeenCase:
		return r.seenCase(sel)
	case access.Via:
		// Correlated, so that a row costs one lookup of the row it names,
		// however many rows of To the caller may read.
		t := r.table(tables[rule.To])
		p, all := r.render(access.Policy[rule.To], sql.Select(t.C("id")).From(t), nil)
		if !all && p == nil {
			return nil, false
		}
		return sql.Exists(r.where(sql.Select(t.C("id")).From(t), sql.ColumnsEQ(t.C("id"), sel.C(rule.Col)), p, all)), false
	case access.NamedBy:
		t := r.table(tables[rule.From])
		p, all := r.render(access.Policy[rule.From], sql.Select(t.C("id")).From(t), nil)
		if !all && p == nil {
			return nil, false
		}
		return sql.Exists(r.where(sql.Select(t.C("id")).From(t), sql.ColumnsEQ(t.C(rule.Col), sel.C("id")), p, all)), false
	case access.NamedByReached:
		t := r.table(tables[rule.From])
		p, all := r.render(access.Reaches{Col: rule.Owner, Min: rule.Min}, sql.Select(t.C("id")).From(t), nil)
		if !all && p == nil {
			return nil, false
		}
		return sql.Exists(r.where(sql.Select(t.C("id")).From(t), sql.ColumnsEQ(t.C(rule.Col), sel.C("id")), p, all)), false
	case access.Collaborator:
		j := r.table(supportcase.CollaboratorsTable)
		cases := r.table(supportcase.Table)
		p, all := r.seenCase(sql.Select(cases.C("id")).From(cases))
		if !all && p == nil {
			return nil, false
		}
		seen := r.where(sql.Select(cases.C(supportcase.FieldID)).From(cases), sql.ColumnsEQ(cases.C(supportcase.FieldID), j.C(supportcase.CollaboratorsPrimaryKey[0])), p, all)
		return sql.Exists(sql.Select(j.C(supportcase.CollaboratorsPrimaryKey[1])).From(j).Where(sql.And(
			sql.ColumnsEQ(j.C(supportcase.CollaboratorsPrimaryKey[1]), sel.C("id")), sql.Exists(seen)))), false
	case access.PartnerOfOwn:
		g := r.table(grant.Table)
		return sql.In(sel.C(rule.Col), sql.Select(g.C(grant.FieldPartnerID)).From(g).
			Where(sql.EQ(g.C(grant.FieldCustomerID), s.OrgID))), false
	}
	panic(fmt.Sprintf("rowfilter: no rendering for %T", rule))
}

// where adds to sub the join condition on and, unless all, the rule p.
func (r *renderer) where(sub *sql.Selector, on, p *sql.Predicate, all bool) *sql.Selector {
	if all {
		return sub.Where(on)
	}
	return sub.Where(sql.And(on, p))
}

// seenCase renders access.SeenCase over a selection of cases: for each
// customer the caller reaches, the cases created in its partner's era (all
// of them where the customer shares its history), and at CC only those the
// caller collaborates on. Customers with the same kind of rule share one
// branch, and the era is the case's stamp (grants/eras.go), found through
// the index of the stamps: the work does not grow with the number of
// customers or of grants.
func (r *renderer) seenCase(sel *sql.Selector) (*sql.Predicate, bool) {
	all, rules := r.s.CaseRules()
	if all {
		return nil, true
	}
	type kind struct{ allHistory, collaboratorOnly bool }
	groups := map[kind][]string{}
	for customer, rule := range rules {
		k := kind{rule.AllHistory, rule.CollaboratorOnly}
		groups[k] = append(groups[k], customer)
	}
	// In a fixed order, so that a caller's SQL reads the same at every
	// request (the store keeps statements compiled by their text).
	kinds := slices.SortedFunc(maps.Keys(groups), func(a, b kind) int {
		return cmp.Or(compareBool(a.allHistory, b.allHistory), compareBool(a.collaboratorOnly, b.collaboratorOnly))
	})
	var any []*sql.Predicate
	for _, k := range kinds {
		customers := groups[k]
		p := []*sql.Predicate{in(sel.C(supportcase.FieldCustomerID), customers)}
		if !k.allHistory {
			e := r.table(supportcase.EraPartnersTable)
			p = append(p, sql.Exists(sql.Select(e.C(supportcase.EraPartnersPrimaryKey[0])).From(e).Where(sql.And(
				sql.ColumnsEQ(e.C(supportcase.EraPartnersPrimaryKey[0]), sel.C(supportcase.FieldID)),
				sql.EQ(e.C(supportcase.EraPartnersPrimaryKey[1]), r.s.OrgID)))))
		}
		if k.collaboratorOnly {
			j := r.table(supportcase.CollaboratorsTable)
			p = append(p, sql.Exists(sql.Select(j.C(supportcase.CollaboratorsPrimaryKey[0])).From(j).Where(sql.And(
				sql.ColumnsEQ(j.C(supportcase.CollaboratorsPrimaryKey[0]), sel.C(supportcase.FieldID)),
				sql.EQ(j.C(supportcase.CollaboratorsPrimaryKey[1]), r.s.ContactID)))))
		}
		any = append(any, sql.And(p...))
	}
	return or(any), false
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// or is the disjunction of ps; nil (no row) when there are none.
func or(ps []*sql.Predicate) *sql.Predicate {
	switch len(ps) {
	case 0:
		return nil
	case 1:
		return ps[0]
	}
	return sql.Or(ps...)
}

func in(col string, ids []string) *sql.Predicate {
	if len(ids) == 0 {
		return sql.False()
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return sql.In(col, args...)
}
