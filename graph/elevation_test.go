package graph_test

import (
	"slices"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	"github.com/partnerdesk/partnerdesk/grants"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// elevationWorld is a grantWorld whose partner holds a standing LOOK
// grant on Acme, with one of Acme's cases and a help-desk contact.
type elevationWorld struct {
	*grantWorld
	standing *ent.Grant
	kase     *ent.SupportCase
	helpDesk *ent.Contact
	helpT    string
}

func newElevationWorld(t *testing.T, standing testkit.GrantSpec) *elevationWorld {
	w := &elevationWorld{grantWorld: newGrantWorld(t)}
	standing.Partner, standing.Customer = w.partner, w.acme
	if standing.Level == "" {
		standing.Level = access.Look
	}
	w.standing = w.Grant(standing)
	w.kase = w.Case(w.acme, w.acmeMember, "Phones down")
	w.helpDesk = w.ContactAt(w.partner, "contoso.example", "Hal Help", access.RoleHelpDesk)
	w.helpT = w.Token(w.helpDesk)
	return w
}

const requestElevation = `mutation($in: RequestElevationInput!) {
	requestElevation(input: $in) { grant { id status kind level minutes reason expiresAt decidedByRuleID } } }`

type elevationGrant struct {
	ID, Status, Kind, Level, Reason string
	Minutes                         int
	ExpiresAt, DecidedByRuleID      *string
}

// elevate asks, as token, for level for minutes on Acme.
func (w *elevationWorld) elevate(t *testing.T, token, level string, minutes int) elevationGrant {
	t.Helper()
	var got struct {
		RequestElevation struct{ Grant elevationGrant }
	}
	w.Query(token, requestElevation, map[string]any{"in": map[string]any{
		"customerID": w.acme.ID, "level": level, "minutes": minutes, "reason": "INC-42: the phones are down"}}).Decode(t, &got)
	return got.RequestElevation.Grant
}

func (w *elevationWorld) decide(t *testing.T, token, mutation, id string) testkit.Response {
	t.Helper()
	return w.Query(token, `mutation($id: ID!) { `+mutation+`(input: {id: $id}) { grant { id status } } }`, map[string]any{"id": id})
}

// comment is an UPDATE-level action on Acme's case.
func (w *elevationWorld) comment(token string) testkit.Response {
	return w.Query(token, `mutation($id: ID!) { addCaseComment(input: {caseID: $id, body: "on it"}) { comment { id } } }`,
		map[string]any{"id": w.kase.ID})
}

type explained struct {
	Level, Source string
	ExpiresAt     string
	Grant         struct{ ID string }
}

func (w *elevationWorld) explain(t *testing.T, token string) explained {
	t.Helper()
	var got struct{ Access explained }
	w.Query(token, `query($c: ID!) { access(customerID: $c) { level source expiresAt grant { id } } }`,
		map[string]any{"c": w.acme.ID}).Decode(t, &got)
	return got.Access
}

func TestElevationRaisesTheLevelForItsMinutes(t *testing.T) {
	w := newElevationWorld(t, testkit.GrantSpec{})
	if res := w.comment(w.partnerT); res.Code() != "FORBIDDEN" {
		t.Fatalf("at LOOK a comment must be refused: %+v", res.Errors)
	}
	e := w.elevate(t, w.partnerT, "UPDATE", 60)
	if e.Status != "PENDING" || e.Kind != "ELEVATION" || e.Minutes != 60 || e.Reason == "" || e.ExpiresAt != nil {
		t.Fatalf("requested %+v", e)
	}
	if res := w.comment(w.partnerT); res.Code() != "FORBIDDEN" {
		t.Fatalf("a pending elevation gives nothing: %+v", res.Errors)
	}
	w.Clock.Advance(10 * time.Minute)
	approvedAt := w.Clock.Now()
	w.decide(t, w.managerT, "approveGrant", e.ID).Decode(t, &struct{}{})
	if res := w.comment(w.partnerT); len(res.Errors) > 0 {
		t.Fatalf("the elevated contact comments: %+v", res.Errors)
	}
	ends := approvedAt.Add(60 * time.Minute)
	if got := w.explain(t, w.partnerT); got.Level != "UPDATE" || got.Source != "ELEVATION" || got.Grant.ID != e.ID ||
		got.ExpiresAt != ends.Format(time.RFC3339) {
		t.Fatalf("access while elevated: %+v, want UPDATE by ELEVATION until %s", got, ends)
	}
	// An elevation is its requester's: its partner's other contacts keep
	// the standing level.
	if got := w.explain(t, w.helpT); got.Level != "LOOK" || got.Source != "ORGANIZATION_GRANT" {
		t.Fatalf("another contact of the partner: %+v", got)
	}

	w.Clock.Set(ends.Add(-time.Second))
	if got := w.explain(t, w.partnerT); got.Source != "ELEVATION" {
		t.Fatalf("a second before its end: %+v", got)
	}
	w.Clock.Set(ends) // no job has run yet: time decides
	if res := w.comment(w.partnerT); res.Code() != "FORBIDDEN" {
		t.Fatalf("after its minutes a comment must be refused again: %+v", res.Errors)
	}
	if got := w.explain(t, w.partnerT); got.Level != "LOOK" || got.Source != "ORGANIZATION_GRANT" || got.Grant.ID != w.standing.ID {
		t.Fatalf("after the elevation the standing grant decides: %+v", got)
	}
	if err := grants.Tick(w.System(), w.Client, w.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if s := w.Client.Grant.GetX(w.System(), e.ID).Status; s != grant.StatusEXPIRED {
		t.Fatalf("the elevation is %s after the tick", s)
	}
	if s := w.Client.Grant.GetX(w.System(), w.standing.ID).Status; s != grant.StatusACTIVE {
		t.Fatalf("the standing grant is %s after the elevation", s)
	}
}

func TestRejectedElevationGivesNothing(t *testing.T) {
	w := newElevationWorld(t, testkit.GrantSpec{})
	e := w.elevate(t, w.partnerT, "UPDATE", 30)
	w.decide(t, w.managerT, "rejectGrant", e.ID).Decode(t, &struct{}{})
	if res := w.comment(w.partnerT); res.Code() != "FORBIDDEN" {
		t.Fatalf("a rejected elevation gave access: %+v", res.Errors)
	}
	if got := w.explain(t, w.partnerT); got.Level != "LOOK" || got.Source != "ORGANIZATION_GRANT" {
		t.Fatalf("after rejection: %+v", got)
	}
}

func TestRequestElevationRefusesBadInput(t *testing.T) {
	w := newElevationWorld(t, testkit.GrantSpec{})
	gone := w.Org(access.Partner, "Gone")
	ended := w.Clock.Now()
	w.Grant(testkit.GrantSpec{Partner: gone, Customer: w.acme, Level: access.Look, Status: grant.StatusREVOKED, EndedAt: &ended})
	goneT := w.Token(w.Contact(gone, "Gil Gone", access.RoleAdmin))
	for name, tc := range map[string]struct {
		token, level string
		minutes      int
		code         string
	}{
		"10 minutes":          {w.partnerT, "UPDATE", 10, "BAD_USER_INPUT"},
		"481 minutes":         {w.partnerT, "UPDATE", 481, "BAD_USER_INPUT"},
		"the level it holds":  {w.partnerT, "LOOK", 60, "BAD_USER_INPUT"},
		"a lower level":       {w.partnerT, "CC", 60, "BAD_USER_INPUT"},
		"no current grant":    {goneT, "UPDATE", 60, "FORBIDDEN"},
		"a customer's member": {w.memberT, "FULL_ADMIN", 60, "FORBIDDEN"},
	} {
		t.Run(name, func(t *testing.T) {
			res := w.Query(tc.token, requestElevation, map[string]any{"in": map[string]any{
				"customerID": w.acme.ID, "level": tc.level, "minutes": tc.minutes, "reason": "because"}})
			if res.Code() != tc.code {
				t.Fatalf("got %+v, want %s", res.Errors, tc.code)
			}
		})
	}
	if n := w.Client.Grant.Query().Where(grant.KindEQ(grant.KindELEVATION)).CountX(w.System()); n != 0 {
		t.Fatalf("%d elevations recorded from refused requests", n)
	}
}

func TestOnlyTheCustomersManagersApproveAnElevation(t *testing.T) {
	w := newElevationWorld(t, testkit.GrantSpec{})
	other := w.Org(access.Partner, "Other")
	w.Grant(testkit.GrantSpec{Partner: other, Customer: w.acme, Level: access.FullAdmin})
	otherT := w.Token(w.Contact(other, "Olga Other", access.RoleAdmin))
	e := w.elevate(t, w.partnerT, "UPDATE", 30)
	for who, tc := range map[string]struct{ token, code string }{
		"another partner's admin":    {otherT, "FORBIDDEN"},
		"a customer member":          {w.memberT, "FORBIDDEN"},
		"the requester":              {w.partnerT, "FORBIDDEN"},
		"the requester's own admins": {w.adminT, "FORBIDDEN"},
	} {
		if res := w.decide(t, tc.token, "approveGrant", e.ID); res.Code() != tc.code {
			t.Fatalf("%s approving: %+v, want %s", who, res.Errors, tc.code)
		}
	}
	if s := w.Client.Grant.GetX(w.System(), e.ID).Status; s != grant.StatusPENDING {
		t.Fatalf("the elevation is %s", s)
	}
}

// TestElevationAndStandingGrantLeaveEachOtherAlone: an elevation has the
// key of its requester's individual grant, yet neither supersedes the
// other; it ranks above the individual grant while higher, and the
// standing grant decides again once it ends.
func TestElevationAndStandingGrantLeaveEachOtherAlone(t *testing.T) {
	w := newGrantWorld(t)
	individual := w.Grant(testkit.GrantSpec{Partner: w.partner, Customer: w.acme, Level: access.Look, Grantee: w.member})
	w.Grant(testkit.GrantSpec{Partner: w.partner, Customer: w.acme, Level: access.Create})
	ew := &elevationWorld{grantWorld: w, standing: individual}
	if got := ew.explain(t, w.partnerT); got.Source != "INDIVIDUAL_GRANT" || got.Level != "LOOK" {
		t.Fatalf("before: %+v", got)
	}
	e := ew.elevate(t, w.partnerT, "SERVICE_ADMIN", 120)
	ew.decide(t, w.managerT, "approveGrant", e.ID).Decode(t, &struct{}{})
	if s := w.Client.Grant.GetX(w.System(), individual.ID).Status; s != grant.StatusACTIVE {
		t.Fatalf("approving the elevation made the individual grant %s", s)
	}
	// A new individual grant for the same contact supersedes the old one,
	// not the elevation.
	renewal := w.request(t, map[string]any{"level": "UPDATE", "expiresInDays": 30, "granteeID": w.member.ID})
	ew.decide(t, w.managerT, "approveGrant", renewal).Decode(t, &struct{}{})
	if s := w.Client.Grant.GetX(w.System(), e.ID).Status; s != grant.StatusACTIVE {
		t.Fatalf("approving a standing grant made the elevation %s", s)
	}
	if got := ew.explain(t, w.partnerT); got.Source != "ELEVATION" || got.Level != "SERVICE_ADMIN" {
		t.Fatalf("elevated above an individual grant: %+v", got)
	}
	w.Clock.Advance(120 * time.Minute)
	if got := ew.explain(t, w.partnerT); got.Source != "INDIVIDUAL_GRANT" || got.Level != "UPDATE" || got.Grant.ID != renewal {
		t.Fatalf("after the elevation: %+v", got)
	}
}

func TestElevationGivesNothingWithoutTheStandingGrant(t *testing.T) {
	w := newElevationWorld(t, testkit.GrantSpec{})
	e := w.elevate(t, w.partnerT, "UPDATE", 60)
	w.decide(t, w.managerT, "approveGrant", e.ID).Decode(t, &struct{}{})
	w.decide(t, w.managerT, "revokeGrant", w.standing.ID).Decode(t, &struct{}{})
	if got := w.explain(t, w.partnerT); got.Source != "NONE" {
		t.Fatalf("an elevation outlived the standing grant: %+v", got)
	}
}

func TestTheRequesterEndsItsElevationEarly(t *testing.T) {
	w := newElevationWorld(t, testkit.GrantSpec{})
	e := w.elevate(t, w.partnerT, "UPDATE", 60)
	w.decide(t, w.managerT, "approveGrant", e.ID).Decode(t, &struct{}{})
	if res := w.decide(t, w.helpT, "revokeGrant", e.ID); res.Code() != "FORBIDDEN" {
		t.Fatalf("another contact of the partner ended it: %+v", res.Errors)
	}
	var got struct {
		RevokeGrant struct{ Grant struct{ Status string } }
	}
	w.decide(t, w.partnerT, "revokeGrant", e.ID).Decode(t, &got)
	if got.RevokeGrant.Grant.Status != "REVOKED" {
		t.Fatalf("ended: %+v", got)
	}
	if res := w.comment(w.partnerT); res.Code() != "FORBIDDEN" {
		t.Fatalf("an ended elevation still gives UPDATE: %+v", res.Errors)
	}
}

const createElevationRule = `mutation($in: CreateElevationRuleInput!) { createElevationRule(input: $in) { elevationRule { id } } }`

func TestElevationRulesApproveWhatTheyCover(t *testing.T) {
	w := newElevationWorld(t, testkit.GrantSpec{})
	rule := map[string]any{"customerID": w.acme.ID, "partnerID": w.partner.ID, "contactRole": "HELP_DESK", "maxLevel": "UPDATE", "maxMinutes": 60}
	if res := w.Query(w.memberT, createElevationRule, map[string]any{"in": rule}); res.Code() != "FORBIDDEN" {
		t.Fatalf("a customer member made a rule: %+v", res.Errors)
	}
	if res := w.Query(w.adminT, createElevationRule, map[string]any{"in": rule}); res.Code() != "FORBIDDEN" {
		t.Fatalf("the partner made a rule: %+v", res.Errors)
	}
	var made struct {
		CreateElevationRule struct{ ElevationRule struct{ ID string } }
	}
	w.Query(w.managerT, createElevationRule, map[string]any{"in": rule}).Decode(t, &made)
	ruleID := made.CreateElevationRule.ElevationRule.ID

	var pending []string
	for _, tc := range []struct {
		name, token, level string
		minutes            int
	}{
		{"too long", w.helpT, "UPDATE", 61},
		{"too high", w.helpT, "CREATE", 30},
		{"another role", w.partnerT, "UPDATE", 30},
	} {
		e := w.elevate(t, tc.token, tc.level, tc.minutes)
		if e.Status != "PENDING" || e.DecidedByRuleID != nil {
			t.Fatalf("%s: %+v, want PENDING", tc.name, e)
		}
		pending = append(pending, e.ID)
	}
	// A contact's newer request on the customer replaces its pending one.
	if s := w.Client.Grant.GetX(w.System(), pending[0]).Status; s != grant.StatusSUPERSEDED {
		t.Fatalf("the help desk's first request is %s", s)
	}
	e := w.elevate(t, w.helpT, "UPDATE", 60)
	if e.Status != "ACTIVE" || e.DecidedByRuleID == nil || *e.DecidedByRuleID != ruleID ||
		e.ExpiresAt == nil || *e.ExpiresAt != w.Clock.Now().Add(time.Hour).Format(time.RFC3339) {
		t.Fatalf("covered by the rule: %+v", e)
	}
	if res := w.comment(w.helpT); len(res.Errors) > 0 {
		t.Fatalf("approved by the rule, yet: %+v", res.Errors)
	}

	// The customer's managers read the rules, and the partner they name;
	// no one else.
	list := `query($c: ID!) { node(id: $c) { ... on Organization { elevationRules { id maxLevel maxMinutes contactRole partnerID } } } }`
	rules := func(token string) int {
		t.Helper()
		var got struct {
			Node struct{ ElevationRules []struct{ ID string } }
		}
		w.Query(token, list, map[string]any{"c": w.acme.ID}).Decode(t, &got)
		return len(got.Node.ElevationRules)
	}
	other := w.Org(access.Partner, "Other")
	w.Grant(testkit.GrantSpec{Partner: other, Customer: w.acme, Level: access.Look})
	otherT := w.Token(w.Contact(other, "Olga Other", access.RoleAdmin))
	for who, tc := range map[string]struct {
		token string
		want  int
	}{"the manager": {w.managerT, 1}, "the partner": {w.helpT, 1}, "another partner": {otherT, 0}, "a customer member": {w.memberT, 0}} {
		if n := rules(tc.token); n != tc.want {
			t.Fatalf("%s reads %d rules, want %d", who, n, tc.want)
		}
	}

	del := `mutation($id: ID!) { deleteElevationRule(input: {id: $id}) { deletedElevationRuleID } }`
	if res := w.Query(w.helpT, del, map[string]any{"id": ruleID}); res.Code() != "FORBIDDEN" {
		t.Fatalf("the partner deleted the rule: %+v", res.Errors)
	}
	w.Query(w.managerT, del, map[string]any{"id": ruleID}).Decode(t, &struct{}{})
	if n := rules(w.managerT); n != 0 {
		t.Fatalf("%d rules after the delete", n)
	}
	if e := w.elevate(t, w.helpT, "CREATE", 15); e.Status != "PENDING" {
		t.Fatalf("with no rule: %+v", e)
	}
	var audit struct {
		AuditEntries struct {
			Nodes []struct{ Operation, ObjectID string }
		}
	}
	w.Query(w.managerT, `{ auditEntries(first: 50) { nodes { operation objectID } } }`, nil).Decode(t, &audit)
	var ops []string
	for _, n := range audit.AuditEntries.Nodes {
		if n.ObjectID == ruleID {
			ops = append(ops, n.Operation)
		}
	}
	if slices.Sort(ops); !slices.Equal(ops, []string{"createElevationRule", "deleteElevationRule"}) {
		t.Fatalf("the manager's audit of the rule: %v", ops)
	}
}

func TestElevationIsEventedAndAuditedOnBothSides(t *testing.T) {
	w := newElevationWorld(t, testkit.GrantSpec{})
	sub := `subscription { grantEvents { kind grant { id kind reason minutes } } }`
	partner, manager := w.Dial(t, w.adminT), w.Dial(t, w.managerT)
	partner.Subscribe("1", sub, nil)
	manager.Subscribe("1", sub, nil)
	time.Sleep(100 * time.Millisecond)
	e := w.elevate(t, w.partnerT, "UPDATE", 45)
	w.decide(t, w.managerT, "approveGrant", e.ID).Decode(t, &struct{}{})
	for name, s := range map[string]*testkit.Subscription{"partner": partner, "manager": manager} {
		for _, want := range []string{"REQUESTED", "APPROVED"} {
			var got struct {
				GrantEvents struct {
					Kind  string
					Grant struct {
						ID, Kind, Reason string
						Minutes          int
					}
				}
			}
			testkit.Response{Data: mustData(t, s.Next(5*time.Second))}.Decode(t, &got)
			if g := got.GrantEvents; g.Kind != want || g.Grant.ID != e.ID || g.Grant.Kind != "ELEVATION" || g.Grant.Minutes != 45 || g.Grant.Reason == "" {
				t.Fatalf("%s: %+v, want %s", name, got, want)
			}
		}
	}

	operations := func(token string) []string {
		t.Helper()
		var got struct {
			AuditEntries struct {
				Nodes []struct{ Operation, ObjectID string }
			}
		}
		w.Query(token, `{ auditEntries(first: 20) { nodes { operation objectID } } }`, nil).Decode(t, &got)
		var out []string
		for _, n := range got.AuditEntries.Nodes {
			if n.ObjectID == e.ID {
				out = append(out, n.Operation)
			}
		}
		slices.Sort(out)
		return out
	}
	if got := operations(w.managerT); !slices.Equal(got, []string{"approveGrant", "requestElevation"}) {
		t.Fatalf("the customer's manager reads %v", got)
	}
	if got := operations(w.adminT); !slices.Equal(got, []string{"requestElevation"}) {
		t.Fatalf("the partner's admin reads %v", got)
	}
}

func TestCaseEventsThatNeedTheElevationEndWithIt(t *testing.T) {
	w := newElevationWorld(t, testkit.GrantSpec{Level: access.CC})
	e := w.elevate(t, w.partnerT, "LOOK", 30)
	w.decide(t, w.managerT, "approveGrant", e.ID).Decode(t, &struct{}{})
	s := w.Dial(t, w.partnerT)
	// At CC the partner sees only the cases it collaborates on.
	s.Subscribe("1", caseEventsSub, map[string]any{"k": w.kase.ID})
	time.Sleep(100 * time.Millisecond)
	ends := w.Clock.Now().Add(30 * time.Minute)
	w.Clock.Set(ends.Add(-time.Second))
	silent(t, s, 1500*time.Millisecond)
	w.Clock.Set(ends)
	endsForbidden(t, s)
}

// TestTheHighestOfElevationAndGrantsDecides: an elevation decides only
// while it is higher than what the standing grants give.
func TestTheHighestOfElevationAndGrantsDecides(t *testing.T) {
	w := newElevationWorld(t, testkit.GrantSpec{})
	e := w.elevate(t, w.partnerT, "UPDATE", 60)
	w.decide(t, w.managerT, "approveGrant", e.ID).Decode(t, &struct{}{})
	higher := w.Grant(testkit.GrantSpec{Partner: w.partner, Customer: w.acme, Level: access.Create, Domain: "contoso.example"})
	if got := w.explain(t, w.partnerT); got.Source != "ORGANIZATION_GRANT" || got.Level != "CREATE" || got.Grant.ID != higher.ID {
		t.Fatalf("a standing grant above the elevation: %+v", got)
	}
}
