package graph_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/caseevent"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// caseWorld is a PREMIUM customer with a designated contact, a plain member
// and an admin, a STANDARD customer, a vendor agent, and a partner with
// CREATE on the PREMIUM customer.
type caseWorld struct {
	*testkit.Env
	acme, globex                                           *ent.Organization
	designated, member, admin, globexAdmin, agent, partner *ent.Contact
	tokens                                                 map[*ent.Contact]string
}

func newCaseWorld(t *testing.T, opts ...testkit.Option) *caseWorld {
	e := testkit.New(t, opts...)
	w := &caseWorld{Env: e, tokens: map[*ent.Contact]string{}}
	vendor := e.Org(access.Vendor, "Northwind")
	w.acme = e.Org(access.Customer, "Acme")
	e.Client.Organization.UpdateOne(w.acme).SetSupportPlan(organization.SupportPlanPREMIUM).ExecX(e.System())
	w.globex = e.Org(access.Customer, "Globex")
	contoso := e.Org(access.Partner, "Contoso")
	e.Grant(testkit.GrantSpec{Partner: contoso, Customer: w.acme, Level: access.Create, StartsAt: e.Clock.Now().Add(-time.Hour)})
	w.designated = e.Contact(w.acme, "Dana Designated", access.RoleDesignated)
	w.member = e.Contact(w.acme, "Max Member")
	w.admin = e.Contact(w.acme, "Ada Admin", access.RoleAdmin)
	w.globexAdmin = e.Contact(w.globex, "Gus Admin", access.RoleAdmin)
	w.agent = e.Contact(vendor, "Nora Agent", access.RoleAgent)
	w.partner = e.Contact(contoso, "Pat Partner")
	for _, c := range []*ent.Contact{w.designated, w.member, w.admin, w.globexAdmin, w.agent, w.partner} {
		w.tokens[c] = e.Token(c)
	}
	return w
}

type caseView struct {
	ID, Status, Severity, SlaState string
	Number, Version                int
	FirstResponseDueAt, UpdatedAt  time.Time
	Escalated, CanEscalate         bool
	Escalation                     struct {
		Allowed     bool
		Reason      *string
		AvailableAt *time.Time
	}
	PrimaryContact struct{ ID string }
	OnBehalfOf     *struct{ ID string }
}

const caseFields = `id number status severity slaState version firstResponseDueAt updatedAt escalated canEscalate
  escalation { allowed reason availableAt } primaryContact { id } onBehalfOf { id }`

func (w *caseWorld) create(t *testing.T, as *ent.Contact, customer *ent.Organization, severity string) caseView {
	t.Helper()
	var got struct {
		CreateCase struct{ Case caseView }
	}
	w.Query(w.tokens[as], `mutation($in: CreateCaseInput!) { createCase(input: $in) { case { `+caseFields+` } } }`,
		map[string]any{"in": map[string]any{"customerID": customer.ID, "title": "Phones reboot", "severity": severity}}).Decode(t, &got)
	return got.CreateCase.Case
}

func (w *caseWorld) get(t *testing.T, as *ent.Contact, id string) caseView {
	t.Helper()
	var got struct{ Node caseView }
	w.Query(w.tokens[as], `query($id: ID!) { node(id: $id) { ... on Case { `+caseFields+` } } }`, map[string]any{"id": id}).Decode(t, &got)
	return got.Node
}

func (w *caseWorld) do(as *ent.Contact, mutation string, vars map[string]any) testkit.Response {
	return w.Query(w.tokens[as], mutation, vars)
}

func TestCreateCaseSetsNumberDueTimeAndPrimaryContact(t *testing.T) {
	w := newCaseWorld(t)
	first := w.create(t, w.member, w.acme, "S1")
	second := w.create(t, w.partner, w.acme, "S4")
	if second.Number != first.Number+1 {
		t.Fatalf("numbers %d then %d", first.Number, second.Number)
	}
	if !first.FirstResponseDueAt.Equal(testkit.Epoch.Add(time.Hour)) || !second.FirstResponseDueAt.Equal(testkit.Epoch.Add(8*time.Hour)) {
		t.Fatalf("due %s and %s", first.FirstResponseDueAt, second.FirstResponseDueAt)
	}
	if first.PrimaryContact.ID != w.member.ID || first.OnBehalfOf != nil || second.OnBehalfOf == nil || second.OnBehalfOf.ID != w.partner.OrganizationID {
		t.Fatalf("first %+v second %+v", first, second)
	}
	if n := w.Client.CaseEvent.Query().Where(caseevent.KindEQ(caseevent.KindCREATED)).CountX(w.System()); n != 2 {
		t.Fatalf("%d CREATED events", n)
	}
	// A primary contact must be the customer's or a partner's at UPDATE.
	res := w.do(w.member, `mutation($in: CreateCaseInput!) { createCase(input: $in) { case { id } } }`, map[string]any{"in": map[string]any{
		"customerID": w.acme.ID, "title": "x", "severity": "S3", "primaryContactID": w.globexAdmin.ID}})
	if res.Code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != "primaryContactID" {
		t.Fatalf("foreign primary contact: %+v", res.Errors)
	}
}

func TestStaleVersionIsAConflictAndChangesNothing(t *testing.T) {
	w := newCaseWorld(t)
	c := w.create(t, w.member, w.acme, "S3")
	update := `mutation($in: UpdateCaseInput!) { updateCase(input: $in) { case { version severity firstResponseDueAt } events { kind } } }`
	var got struct {
		UpdateCase struct {
			Case   caseView
			Events []struct{ Kind string }
		}
	}
	w.do(w.member, update, map[string]any{"in": map[string]any{"id": c.ID, "severity": "S1", "version": c.Version}}).Decode(t, &got)
	if got.UpdateCase.Case.Version != c.Version+1 || !got.UpdateCase.Case.FirstResponseDueAt.Equal(testkit.Epoch.Add(time.Hour)) {
		t.Fatalf("after update %+v", got.UpdateCase)
	}
	if len(got.UpdateCase.Events) != 1 || got.UpdateCase.Events[0].Kind != "SEVERITY_CHANGED" {
		t.Fatalf("the payload's events: %+v", got.UpdateCase.Events)
	}
	res := w.do(w.member, update, map[string]any{"in": map[string]any{"id": c.ID, "severity": "S4", "title": "stale", "version": c.Version}})
	if res.Code() != "CONFLICT" {
		t.Fatalf("stale version: %+v", res.Errors)
	}
	stored := w.Client.SupportCase.GetX(w.System(), c.ID)
	if stored.Severity != supportcase.SeverityS1 || stored.Title == "stale" || stored.Version != c.Version+1 {
		t.Fatalf("a stale update changed the case: %+v", stored)
	}
	ev := w.Client.CaseEvent.Query().Where(caseevent.KindEQ(caseevent.KindSEVERITY_CHANGED)).OnlyX(w.System())
	if len(ev.Changes) != 2 || *ev.Changes[0].Before != "S3" || *ev.Changes[0].After != "S1" || *ev.ActorID != w.member.ID {
		t.Fatalf("event %+v", ev)
	}
}

func TestFirstResponseSLA(t *testing.T) {
	w := newCaseWorld(t)
	c := w.create(t, w.member, w.acme, "S1") // due at Epoch+1h; at risk in its last 15 minutes
	for _, step := range []struct {
		at   time.Duration
		want string
	}{{44 * time.Minute, "ON_TRACK"}, {46 * time.Minute, "AT_RISK"}, {time.Hour - time.Second, "AT_RISK"}, {time.Hour, "BREACHED"}} {
		w.Clock.Set(testkit.Epoch.Add(step.at))
		if got := w.get(t, w.member, c.ID).SlaState; got != step.want {
			t.Errorf("at +%s: %s, want %s", step.at, got, step.want)
		}
		var list struct{ Cases struct{ TotalCount int } }
		w.Query(w.tokens[w.member], `query($s: SlaState) { cases(first: 5, where: {slaState: $s}) { totalCount } }`,
			map[string]any{"s": step.want}).Decode(t, &list)
		if list.Cases.TotalCount != 1 {
			t.Errorf("at +%s the %s filter finds %d cases", step.at, step.want, list.Cases.TotalCount)
		}
	}

	// Severity changes before the first response move the due time; the
	// customer's own and internal comments are not a first response.
	d := w.create(t, w.member, w.acme, "S2")
	comment := `mutation($in: AddCaseCommentInput!) { addCaseComment(input: $in) { comment { id } } }`
	w.do(w.member, comment, map[string]any{"in": map[string]any{"caseID": d.ID, "body": "any news?"}}).Decode(t, &struct{}{})
	w.do(w.agent, comment, map[string]any{"in": map[string]any{"caseID": d.ID, "body": "looking", "visibility": "INTERNAL"}}).Decode(t, &struct{}{})
	if got := w.get(t, w.member, d.ID).SlaState; got == "MET" {
		t.Fatal("a customer or internal comment met the SLA")
	}
	w.do(w.agent, comment, map[string]any{"in": map[string]any{"caseID": d.ID, "body": "We are on it."}}).Decode(t, &struct{}{})
	if got := w.get(t, w.member, d.ID); got.SlaState != "MET" {
		t.Fatalf("after the agent's public answer: %+v", got)
	}
	var after struct {
		UpdateCase struct{ Case caseView }
	}
	w.do(w.member, `mutation($id: ID!) { updateCase(input: {id: $id, severity: S4}) { case { firstResponseDueAt } } }`, map[string]any{"id": d.ID}).Decode(t, &after)
	if !after.UpdateCase.Case.FirstResponseDueAt.Equal(d.FirstResponseDueAt) {
		t.Fatalf("the due time moved after the first response: %s", after.UpdateCase.Case.FirstResponseDueAt)
	}
}

func TestEscalationRules(t *testing.T) {
	w := newCaseWorld(t)
	escalate := `mutation($id: ID!) { escalateCase(input: {id: $id, reason: "production down"}) { case { escalated } } }`
	refused := func(as *ent.Contact, id, reason string) {
		t.Helper()
		res := w.do(as, escalate, map[string]any{"id": id})
		if res.Code() != "ESCALATION_NOT_ALLOWED" || res.Errors[0].Extensions["reason"] != reason {
			t.Fatalf("want ESCALATION_NOT_ALLOWED %s, got %+v", reason, res.Errors)
		}
		if w.Client.SupportCase.GetX(w.System(), id).Escalated != (reason == "ALREADY_ESCALATED") {
			t.Fatal("a refused escalation changed the case")
		}
	}
	std := w.create(t, w.globexAdmin, w.globex, "S1")
	prem := w.create(t, w.member, w.acme, "S1")
	w.Clock.Set(prem.FirstResponseDueAt.Add(-time.Second))
	if v := w.get(t, w.designated, prem.ID); v.CanEscalate || *v.Escalation.Reason != "TOO_EARLY" || !v.Escalation.AvailableAt.Equal(prem.FirstResponseDueAt) {
		t.Fatalf("before the due time: %+v", v.Escalation)
	}
	refused(w.designated, prem.ID, "TOO_EARLY")
	w.Clock.Set(prem.FirstResponseDueAt)
	refused(w.globexAdmin, std.ID, "PLAN")
	refused(w.member, prem.ID, "NOT_DESIGNATED")
	if !w.get(t, w.designated, prem.ID).CanEscalate || !w.get(t, w.partner, prem.ID).CanEscalate {
		t.Fatal("at the due time the designated contact and the UPDATE partner may escalate")
	}
	w.do(w.designated, escalate, map[string]any{"id": prem.ID}).Decode(t, &struct{}{})
	refused(w.partner, prem.ID, "ALREADY_ESCALATED")
	closed := w.create(t, w.member, w.acme, "S1")
	w.do(w.member, `mutation($id: ID!) { closeCase(input: {id: $id}) { case { id } } }`, map[string]any{"id": closed.ID}).Decode(t, &struct{}{})
	refused(w.admin, closed.ID, "CLOSED")
}

func TestReopenWindow(t *testing.T) {
	w := newCaseWorld(t)
	reopen := `mutation($id: ID!) { reopenCase(input: {id: $id}) { case { status } } }`
	closeCase := `mutation($id: ID!) { closeCase(input: {id: $id}) { case { status } } }`
	a, b := w.create(t, w.member, w.acme, "S3"), w.create(t, w.member, w.acme, "S3")
	w.do(w.member, closeCase, map[string]any{"id": a.ID}).Decode(t, &struct{}{})
	w.do(w.member, closeCase, map[string]any{"id": b.ID}).Decode(t, &struct{}{})

	w.Clock.Advance(30 * 24 * time.Hour) // day 30: still within the window
	var got struct {
		ReopenCase struct{ Case struct{ Status string } }
	}
	w.do(w.member, reopen, map[string]any{"id": a.ID}).Decode(t, &got)
	if got.ReopenCase.Case.Status != "IN_PROGRESS" {
		t.Fatalf("reopened on day 30: %+v", got)
	}
	w.Clock.Advance(24 * time.Hour) // day 31
	res := w.do(w.member, reopen, map[string]any{"id": b.ID})
	if res.Code() != "REOPEN_WINDOW_EXPIRED" || w.Client.SupportCase.GetX(w.System(), b.ID).Status != supportcase.StatusCLOSED {
		t.Fatalf("day 31: %+v", res.Errors)
	}
	var follow struct {
		CreateCase struct {
			Case struct{ FollowUpOf struct{ ID string } }
		}
	}
	w.do(w.member, `mutation($in: CreateCaseInput!) { createCase(input: $in) { case { followUpOf { id } } } }`, map[string]any{"in": map[string]any{
		"customerID": w.acme.ID, "title": "Again", "severity": "S3", "followUpOfID": b.ID}}).Decode(t, &follow)
	if follow.CreateCase.Case.FollowUpOf.ID != b.ID {
		t.Fatalf("follow-up %+v", follow)
	}
}

func TestInternalCommentsStayWithTheVendor(t *testing.T) {
	w := newCaseWorld(t)
	c := w.create(t, w.member, w.acme, "S3")
	comment := `mutation($in: AddCaseCommentInput!) { addCaseComment(input: $in) { comment { id } } }`
	if res := w.do(w.member, comment, map[string]any{"in": map[string]any{"caseID": c.ID, "body": "psst", "visibility": "INTERNAL"}}); res.Code() != "FORBIDDEN" {
		t.Fatalf("a customer's internal comment: %+v", res.Errors)
	}
	w.do(w.agent, comment, map[string]any{"in": map[string]any{"caseID": c.ID, "body": "root cause: firmware 11.2", "visibility": "INTERNAL"}}).Decode(t, &struct{}{})
	w.do(w.agent, comment, map[string]any{"in": map[string]any{"caseID": c.ID, "body": "Please update the firmware."}}).Decode(t, &struct{}{})
	query := `query($id: ID!) { node(id: $id) { ... on Case { comments(first: 10) { totalCount } events(first: 10) { totalCount } } } }`
	counts := func(as *ent.Contact) (int, int) {
		var got struct {
			Node struct {
				Comments, Events struct{ TotalCount int }
			}
		}
		w.Query(w.tokens[as], query, map[string]any{"id": c.ID}).Decode(t, &got)
		return got.Node.Comments.TotalCount, got.Node.Events.TotalCount
	}
	if cm, ev := counts(w.agent); cm != 2 || ev != 3 {
		t.Fatalf("the vendor sees %d comments and %d events, want 2 and 3", cm, ev)
	}
	for _, as := range []*ent.Contact{w.member, w.partner} {
		if cm, ev := counts(as); cm != 1 || ev != 2 {
			t.Fatalf("%s sees %d comments and %d events, want 1 and 2", as.Name, cm, ev)
		}
	}
}

func TestCollaboratorsAndSharing(t *testing.T) {
	w := newCaseWorld(t)
	c := w.create(t, w.member, w.acme, "S3")
	add := `mutation($c: ID!, $p: ID!) { addCaseCollaborator(input: {caseID: $c, contactID: $p}) { case { collaborators(first: 10) { edges { node { id } } } } collaborator { id } } }`
	var got struct {
		AddCaseCollaborator struct {
			Case struct {
				Collaborators struct {
					Edges []struct{ Node struct{ ID string } }
				}
			}
			Collaborator struct{ ID string }
		}
	}
	w.do(w.member, add, map[string]any{"c": c.ID, "p": w.partner.ID}).Decode(t, &got)
	if len(got.AddCaseCollaborator.Case.Collaborators.Edges) != 1 || got.AddCaseCollaborator.Collaborator.ID != w.partner.ID {
		t.Fatalf("collaborators %+v", got)
	}
	if res := w.do(w.member, add, map[string]any{"c": c.ID, "p": w.globexAdmin.ID}); res.Code() != "BAD_USER_INPUT" {
		t.Fatalf("another customer's contact as collaborator: %+v", res.Errors)
	}
	w.do(w.member, `mutation($c: ID!, $p: ID!) { removeCaseCollaborator(input: {caseID: $c, contactID: $p}) { removedCollaboratorID } }`, map[string]any{"c": c.ID, "p": w.partner.ID}).Decode(t, &struct{}{})
	share := `mutation($c: ID!, $e: [String!]!) { shareCase(input: {caseID: $c, emails: $e}) { case { sharedEmails } } }`
	if res := w.do(w.member, share, map[string]any{"c": c.ID, "e": []string{"ok@acme.example", "not an email"}}); res.Code() != "BAD_USER_INPUT" {
		t.Fatalf("bad email: %+v", res.Errors)
	}
	if shared := w.Client.SupportCase.GetX(w.System(), c.ID).SharedEmails; len(shared) != 0 {
		t.Fatalf("a refused share stored %v", shared)
	}
	var shared struct {
		ShareCase struct {
			Case struct{ SharedEmails []string }
		}
	}
	w.do(w.member, share, map[string]any{"c": c.ID, "e": []string{"Ops@Acme.example"}}).Decode(t, &shared)
	if got := shared.ShareCase.Case.SharedEmails; len(got) != 1 || got[0] != "ops@acme.example" {
		t.Fatalf("shared %+v", shared)
	}
	for _, k := range []caseevent.Kind{caseevent.KindCOLLABORATOR_ADDED, caseevent.KindCOLLABORATOR_REMOVED, caseevent.KindSHARED} {
		if n := w.Client.CaseEvent.Query().Where(caseevent.KindEQ(k)).CountX(w.System()); n != 1 {
			t.Errorf("%d %s events", n, k)
		}
	}
}

func TestMyCasesListsNewestUpdateFirstAndFilters(t *testing.T) {
	w := newCaseWorld(t)
	old := w.create(t, w.member, w.acme, "S3")
	w.Clock.Advance(time.Minute)
	recent := w.create(t, w.member, w.acme, "S1")
	w.Clock.Advance(time.Minute)
	w.do(w.member, `mutation($in: AddCaseCommentInput!) { addCaseComment(input: $in) { comment { id } } }`,
		map[string]any{"in": map[string]any{"caseID": old.ID, "body": "bump"}}).Decode(t, &struct{}{})
	var got struct {
		Cases struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	w.Query(w.tokens[w.agent], `{ cases(first: 10) { edges { node { id } } } }`, nil).Decode(t, &got)
	if len(got.Cases.Edges) != 2 || got.Cases.Edges[0].Node.ID != old.ID {
		t.Fatalf("the case updated last must come first: %+v", got)
	}
	for name, where := range map[string]map[string]any{
		"severity":  {"severity": "S1"},
		"status":    {"statusIn": []string{"NEW"}, "severityNEQ": "S3"},
		"customers": {"customerIDs": []string{w.acme.ID}, "severity": "S1"},
	} {
		w.Query(w.tokens[w.agent], `query($w: CaseWhereInput) { cases(first: 10, where: $w) { edges { node { id } } } }`, map[string]any{"w": where}).Decode(t, &got)
		if len(got.Cases.Edges) != 1 || got.Cases.Edges[0].Node.ID != recent.ID {
			t.Errorf("%s filter: %+v", name, got)
		}
	}
}

func TestSupportDashboard(t *testing.T) {
	w := newCaseWorld(t)
	a := w.create(t, w.member, w.acme, "S1")   // answered after 30 minutes
	b := w.create(t, w.member, w.acme, "S1")   // answered after 50 minutes
	w.create(t, w.member, w.acme, "S2")        // never answered: breached at +2h
	d := w.create(t, w.member, w.acme, "S4")   // closed
	w.create(t, w.globexAdmin, w.globex, "S1") // another customer's
	comment := `mutation($in: AddCaseCommentInput!) { addCaseComment(input: $in) { comment { id } } }`
	w.Clock.Advance(30 * time.Minute)
	w.do(w.agent, comment, map[string]any{"in": map[string]any{"caseID": a.ID, "body": "on it"}}).Decode(t, &struct{}{})
	w.Clock.Advance(20 * time.Minute)
	w.do(w.agent, comment, map[string]any{"in": map[string]any{"caseID": b.ID, "body": "on it"}}).Decode(t, &struct{}{})
	late := w.create(t, w.member, w.acme, "S1") // answered 40 minutes late
	w.Clock.Advance(time.Hour + 40*time.Minute)
	w.do(w.agent, comment, map[string]any{"in": map[string]any{"caseID": late.ID, "body": "sorry"}}).Decode(t, &struct{}{})
	w.Clock.Advance(20 * time.Minute)
	w.do(w.admin, `mutation($id: ID!) { escalateCase(input: {id: $id, reason: "still down"}) { case { id } } }`, map[string]any{"id": a.ID}).Decode(t, &struct{}{})
	w.do(w.member, `mutation($id: ID!) { closeCase(input: {id: $id}) { case { id } } }`, map[string]any{"id": d.ID}).Decode(t, &struct{}{})
	w.create(t, w.member, w.acme, "S3") // filed now: on track
	w.Clock.Advance(3*time.Hour + 30*time.Minute)
	w.create(t, w.member, w.acme, "S4") // filed now: on track

	if got := w.get(t, w.member, late.ID).SlaState; got != "BREACHED" {
		t.Fatalf("the case answered late is %s, want BREACHED", got)
	}
	query := `query($id: ID!) { node(id: $id) { ... on Organization { supportMetrics {
		openBySeverity { severity count } escalated slaBreaches atRisk medianFirstResponseSeconds openedLast30Days closedLast30Days } } } }`
	var got struct {
		Node struct {
			SupportMetrics dashboard
		}
	}
	before := w.Statements.Load()
	w.Query(w.tokens[w.member], query, map[string]any{"id": w.acme.ID}).Decode(t, &got)
	m := got.Node.SupportMetrics
	open := map[string]int{}
	for _, s := range m.OpenBySeverity {
		open[s.Severity] = s.Count
	}
	// The S3 filed 3h30 ago has 30 of its 240 minutes left: at risk.
	if len(m.OpenBySeverity) != 4 || open["S1"] != 3 || open["S2"] != 1 || open["S3"] != 1 || open["S4"] != 1 ||
		m.Escalated != 1 || m.SlaBreaches != 2 || m.AtRisk != 1 ||
		m.OpenedLast30Days != 7 || m.ClosedLast30Days != 1 || m.MedianFirstResponseSeconds == nil || *m.MedianFirstResponseSeconds != 50*60 {
		t.Fatalf("dashboard %+v (median %v)", m, m.MedianFirstResponseSeconds)
	}
	t.Logf("dashboard in %d SQL statements", w.Statements.Load()-before)
	if res := w.Query(w.tokens[w.globexAdmin], query, map[string]any{"id": w.acme.ID}); res.Code() != "NOT_FOUND" {
		t.Fatalf("another customer's dashboard: %+v", res.Errors)
	}

	// The dashboard counts exactly the cases My Cases lists in each state.
	for state, want := range map[string]int{"BREACHED": m.SlaBreaches, "AT_RISK": m.AtRisk} {
		var list struct {
			Cases struct{ TotalCount int }
		}
		w.Query(w.tokens[w.member], `query($w: CaseWhereInput) { cases(first: 1, where: $w) { totalCount } }`,
			map[string]any{"w": map[string]any{"slaState": state, "statusNEQ": "CLOSED"}}).Decode(t, &list)
		if list.Cases.TotalCount != want {
			t.Errorf("My Cases lists %d open %s cases, the dashboard counts %d", list.Cases.TotalCount, state, want)
		}
	}
}

// TestDashboardLeavesOutSeveritiesWithoutOpenCases: a customer whose only
// S2 case is closed has no S2 figure, and one with no case has none at all.
func TestDashboardLeavesOutSeveritiesWithoutOpenCases(t *testing.T) {
	w := newCaseWorld(t)
	w.create(t, w.member, w.acme, "S1")
	closed := w.create(t, w.member, w.acme, "S2")
	w.do(w.member, `mutation($id: ID!) { closeCase(input: {id: $id}) { case { id } } }`, map[string]any{"id": closed.ID}).Decode(t, &struct{}{})
	query := `query($id: ID!) { node(id: $id) { ... on Organization { supportMetrics { openBySeverity { severity count } } } } }`
	for customer, want := range map[*ent.Organization]string{w.acme: `[{"severity":"S1","count":1}]`, w.globex: `[]`} {
		var got struct {
			Node struct {
				SupportMetrics struct{ OpenBySeverity json.RawMessage }
			}
		}
		w.Query(w.tokens[w.agent], query, map[string]any{"id": customer.ID}).Decode(t, &got)
		if string(got.Node.SupportMetrics.OpenBySeverity) != want {
			t.Errorf("%s: openBySeverity %s, want %s", customer.Name, got.Node.SupportMetrics.OpenBySeverity, want)
		}
	}
}

// dashboard is a SupportMetrics as the tests read it.
type dashboard struct {
	OpenBySeverity []struct {
		Severity string
		Count    int
	}
	Escalated, SlaBreaches, AtRisk, OpenedLast30Days, ClosedLast30Days int
	MedianFirstResponseSeconds                                         *int
}
