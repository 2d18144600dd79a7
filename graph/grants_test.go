package graph_test

import (
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/auditentry"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	"github.com/partnerdesk/partnerdesk/ent/outboxmessage"
	"github.com/partnerdesk/partnerdesk/grants"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// grantWorld has a customer with a contact manager and a partner with an
// admin, a plain member and two domains.
type grantWorld struct {
	*testkit.Env
	acme, partner                       *ent.Organization
	manager, acmeMember, admin, member  *ent.Contact
	managerT, memberT, adminT, partnerT string
}

func newGrantWorld(t *testing.T) *grantWorld {
	e := testkit.New(t)
	w := &grantWorld{Env: e}
	w.acme = e.Org(access.Customer, "Acme")
	w.partner = e.Org(access.Partner, "Contoso")
	e.Client.Organization.UpdateOne(w.partner).SetDomains([]string{"contoso.example", "contoso-msp.example"}).ExecX(e.System())
	w.manager = e.Contact(w.acme, "Carla Manager", access.RoleContactManager)
	w.acmeMember = e.Contact(w.acme, "Max Member")
	w.admin = e.Contact(w.partner, "Pat Admin", access.RoleAdmin)
	w.member = e.ContactAt(w.partner, "contoso.example", "Mo Member")
	w.managerT, w.memberT, w.adminT, w.partnerT = e.Token(w.manager), e.Token(w.acmeMember), e.Token(w.admin), e.Token(w.member)
	return w
}

const requestGrant = `mutation($in: RequestGrantInput!) { requestGrant(input: $in) { grant { id status level } } }`

func (w *grantWorld) request(t *testing.T, in map[string]any) string {
	t.Helper()
	if in["customerContactEmail"] == nil {
		in["customerContactEmail"] = w.manager.Email
	}
	var got struct {
		RequestGrant struct{ Grant struct{ ID, Status string } }
	}
	w.Query(w.adminT, requestGrant, map[string]any{"in": in}).Decode(t, &got)
	if got.RequestGrant.Grant.Status != "PENDING" {
		t.Fatalf("requested %+v", got)
	}
	return got.RequestGrant.Grant.ID
}

func (w *grantWorld) level(t *testing.T, token string) *string {
	t.Helper()
	var got struct{ Access struct{ Level *string } }
	w.Query(token, `query($id: ID!) { access(customerID: $id) { level } }`, map[string]any{"id": w.acme.ID}).Decode(t, &got)
	return got.Access.Level
}

func TestGrantLifecycle(t *testing.T) {
	w := newGrantWorld(t)
	first := w.request(t, map[string]any{"level": "LOOK", "expiresInDays": 30})
	second := w.request(t, map[string]any{"level": "UPDATE", "expiresInDays": 7, "note": "renewal"})
	if s := w.Client.Grant.GetX(w.System(), first).Status; s != grant.StatusSUPERSEDED {
		t.Fatalf("a newer pending request with the same key must supersede the older: %s", s)
	}
	if l := w.level(t, w.partnerT); l != nil {
		t.Fatalf("a pending request gives no access, got %s", *l)
	}
	for _, refused := range []struct{ token, why string }{{w.adminT, "the partner"}, {w.memberT, "a plain customer member"}} {
		if res := w.Query(refused.token, `mutation($id: ID!) { approveGrant(input: {id: $id}) { grant { id } } }`, map[string]any{"id": second}); len(res.Errors) == 0 {
			t.Fatalf("%s approved its own request", refused.why)
		}
	}
	var approved struct {
		ApproveGrant struct {
			Grant struct{ Status, StartsAt, ExpiresAt string }
		}
	}
	w.Query(w.managerT, `mutation($id: ID!) { approveGrant(input: {id: $id}) { grant { status startsAt expiresAt } } }`, map[string]any{"id": second}).Decode(t, &approved)
	if g := approved.ApproveGrant.Grant; g.Status != "ACTIVE" || g.StartsAt != testkit.Epoch.Format(time.RFC3339) {
		t.Fatalf("approved %+v", approved)
	}
	if l := w.level(t, w.partnerT); l == nil || *l != "UPDATE" {
		t.Fatalf("after approval the partner's level is %v", l)
	}

	// A new approved request with the same key supersedes the active grant.
	third := w.request(t, map[string]any{"level": "CREATE", "expiresInDays": 30})
	w.Query(w.managerT, `mutation($id: ID!) { approveGrant(input: {id: $id}) { grant { id } } }`, map[string]any{"id": third}).Decode(t, &struct{}{})
	if s := w.Client.Grant.GetX(w.System(), second).Status; s != grant.StatusSUPERSEDED {
		t.Fatalf("approving must supersede the active grant with the same key: %s", s)
	}
	var revoked struct {
		RevokeGrant struct{ Grant struct{ Status string } }
	}
	w.Query(w.adminT, `mutation($id: ID!) { revokeGrant(input: {id: $id}) { grant { status } } }`, map[string]any{"id": third}).Decode(t, &revoked)
	if revoked.RevokeGrant.Grant.Status != "REVOKED" || w.level(t, w.partnerT) != nil {
		t.Fatalf("revoked %+v, level after %v", revoked, w.level(t, w.partnerT))
	}
	if res := w.Query(w.managerT, `mutation($id: ID!) { revokeGrant(input: {id: $id}) { grant { id } } }`, map[string]any{"id": third}); res.Code() != "CONFLICT" {
		t.Fatalf("revoking twice: %+v", res.Errors)
	}
	// Nothing is ever deleted.
	if n := w.Client.Grant.Query().CountX(w.System()); n != 3 {
		t.Fatalf("%d grants kept, want 3", n)
	}
	// Each step was audited for the customer, and the customer's manager
	// can read what the partner did.
	var audit struct {
		AuditEntries struct {
			Edges []struct{ Node struct{ Operation string } }
		}
	}
	w.Query(w.managerT, `{ auditEntries(first: 20) { edges { node { operation } } } }`, nil).Decode(t, &audit)
	if len(audit.AuditEntries.Edges) != 6 {
		t.Fatalf("the manager sees %d audit entries, want 6 (3 requests, 2 approvals, 1 revocation)", len(audit.AuditEntries.Edges))
	}
	if n := w.Client.AuditEntry.Query().Where(auditentry.CustomerID(w.acme.ID), auditentry.GrantIDIsNil()).CountX(w.System()); n != 6 {
		t.Fatalf("%d entries name Acme", n)
	}
	w.Query(w.memberT, `{ auditEntries(first: 20) { edges { node { operation } } } }`, nil).Decode(t, &audit)
	if len(audit.AuditEntries.Edges) != 0 {
		t.Fatalf("a plain member sees %d audit entries", len(audit.AuditEntries.Edges))
	}
}

func TestRequestGrantRefusesBadInput(t *testing.T) {
	w := newGrantWorld(t)
	other := w.Org(access.Partner, "Other")
	stranger := w.Contact(other, "Stranger")
	for name, tc := range map[string]struct {
		in    map[string]any
		field string
	}{
		"not a contact manager": {map[string]any{"customerContactEmail": w.acmeMember.Email}, "customerContactEmail"},
		"unknown email":         {map[string]any{"customerContactEmail": "ghost@acme.example"}, "customerContactEmail"},
		"zero days":             {map[string]any{"expiresInDays": 0}, "expiresInDays"},
		"731 days":              {map[string]any{"expiresInDays": 731}, "expiresInDays"},
		"foreign grantee":       {map[string]any{"granteeID": stranger.ID}, "granteeID"},
		"foreign domain":        {map[string]any{"partnerDomain": "acme.example"}, "partnerDomain"},
	} {
		t.Run(name, func(t *testing.T) {
			in := map[string]any{"customerContactEmail": w.manager.Email, "level": "LOOK", "expiresInDays": 30}
			for k, v := range tc.in {
				in[k] = v
			}
			res := w.Query(w.adminT, requestGrant, map[string]any{"in": in})
			if res.Code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != tc.field {
				t.Fatalf("want BAD_USER_INPUT on %s, got %+v", tc.field, res.Errors)
			}
			if n := w.Client.Grant.Query().CountX(w.System()); n != 0 {
				t.Fatalf("%d grants written", n)
			}
		})
	}
	res := w.Query(w.partnerT, requestGrant, map[string]any{"in": map[string]any{"customerContactEmail": w.manager.Email, "level": "LOOK", "expiresInDays": 30}})
	if res.Code() != "FORBIDDEN" {
		t.Fatalf("a partner member requesting access: %+v", res.Errors)
	}
}

func TestRequestsLapseAfterNinetyDays(t *testing.T) {
	w := newGrantWorld(t)
	id := w.request(t, map[string]any{"level": "LOOK", "expiresInDays": 30})
	w.Clock.Advance(90 * 24 * time.Hour)
	if res := w.Query(w.managerT, `mutation($id: ID!) { approveGrant(input: {id: $id}) { grant { id } } }`, map[string]any{"id": id}); res.Code() != "CONFLICT" {
		t.Fatalf("approving a lapsed request: %+v", res.Errors)
	}
}

func TestExpiryIsEnforcedAtEveryCheck(t *testing.T) {
	w := newGrantWorld(t)
	g := w.Grant(testkit.GrantSpec{Partner: w.partner, Customer: w.acme, Level: access.Look, Days: 10})
	kase := w.Case(w.acme, w.acmeMember, "Printer on fire")
	query := `query($id: ID!, $c: ID!) { node(id: $id) { ... on Case { title } } access(customerID: $c) { level source expiresAt grant { id } } }`
	vars := map[string]any{"id": kase.ID, "c": w.acme.ID}

	w.Clock.Set(g.ExpiresAt.Add(-time.Second))
	var got struct {
		Node   *struct{ Title string }
		Access struct {
			Level, Source, ExpiresAt string
			Grant                    struct{ ID string }
		}
	}
	w.Query(w.partnerT, query, vars).Decode(t, &got)
	if got.Node == nil || got.Access.Level != "LOOK" || got.Access.Source != "ORGANIZATION_GRANT" || got.Access.Grant.ID != g.ID ||
		got.Access.ExpiresAt != g.ExpiresAt.Format(time.RFC3339) {
		t.Fatalf("a second before expiry: %+v", got)
	}

	w.Clock.Set(*g.ExpiresAt) // no job has run: the status still says ACTIVE
	res := w.Query(w.partnerT, query, vars)
	if res.Code() != "NOT_FOUND" {
		t.Fatalf("at expiry the case must be gone, got %+v", res.Errors)
	}
	var after struct {
		Access struct {
			Level  *string
			Source string
		}
	}
	w.Query(w.partnerT, `query($c: ID!) { access(customerID: $c) { level source } }`, map[string]any{"c": w.acme.ID}).Decode(t, &after)
	if after.Access.Level != nil || after.Access.Source != "NONE" {
		t.Fatalf("at expiry: %+v", after)
	}
}

func TestViewerListsCustomersAndGrantsFromBothSides(t *testing.T) {
	w := newGrantWorld(t)
	globex := w.Org(access.Customer, "Globex")
	w.Grant(testkit.GrantSpec{Partner: w.partner, Customer: w.acme, Level: access.CC})
	ended := w.Clock.Now()
	w.Grant(testkit.GrantSpec{Partner: w.partner, Customer: globex, Level: access.FullAdmin, Status: grant.StatusREVOKED, EndedAt: &ended})
	query := `{ viewer { customers(first: 10) { edges { node { name } } } grants(first: 10) { totalCount } } }`
	type result struct {
		Viewer struct {
			Customers struct {
				Edges []struct{ Node struct{ Name string } }
			}
			Grants struct{ TotalCount int }
		}
	}
	var partner, manager, member result
	w.Query(w.partnerT, query, nil).Decode(t, &partner)
	w.Query(w.managerT, query, nil).Decode(t, &manager)
	w.Query(w.memberT, query, nil).Decode(t, &member)
	if c := partner.Viewer.Customers.Edges; len(c) != 1 || c[0].Node.Name != "Acme" || partner.Viewer.Grants.TotalCount != 2 {
		t.Fatalf("partner sees %+v", partner)
	}
	if manager.Viewer.Grants.TotalCount != 1 || member.Viewer.Grants.TotalCount != 0 {
		t.Fatalf("manager sees %d grants, member %d", manager.Viewer.Grants.TotalCount, member.Viewer.Grants.TotalCount)
	}
}

// TestExpiryWarningsAreSentOnceAndExpiryIsPublished: each grant is warned
// only of the marks it reaches while active (a 14-day grant gets no 30-day
// warning), with the days truly left, once each.
func TestExpiryWarningsAreSentOnceAndExpiryIsPublished(t *testing.T) {
	w := newGrantWorld(t)
	g := w.Grant(testkit.GrantSpec{Partner: w.partner, Customer: w.acme, Level: access.Look, Days: 60})
	short := w.Grant(testkit.GrantSpec{Partner: w.partner, Customer: w.acme, Level: access.CC, Days: 14, Domain: "contoso-msp.example"})
	s := w.Dial(t, w.adminT)
	s.Subscribe("1", `subscription { grantEvents { kind daysLeft grant { id } } }`, nil)
	time.Sleep(100 * time.Millisecond)
	tick := func(at time.Time) {
		t.Helper()
		if err := grants.Tick(w.System(), w.Client, at); err != nil {
			t.Fatal(err)
		}
	}
	type warning struct {
		Kind     string
		DaysLeft *int
		Grant    struct{ ID string }
	}
	next := func() warning {
		t.Helper()
		var got struct{ GrantEvents warning }
		testkit.Response{Data: mustData(t, s.Next(5*time.Second))}.Decode(t, &got)
		return got.GrantEvents
	}
	expect := func(kind, id string, days int) {
		t.Helper()
		got := next()
		if got.Kind != kind || got.Grant.ID != id || (days > 0 && (got.DaysLeft == nil || *got.DaysLeft != days)) {
			t.Fatalf("got %+v, want %s of %s with %d days left", got, kind, id, days)
		}
	}

	tick(testkit.Epoch.Add(time.Minute)) // a minute after approval: no mark reached
	silent(t, s, 300*time.Millisecond)
	tick(short.ExpiresAt.Add(-7*24*time.Hour + time.Minute))
	expect("EXPIRING", short.ID, 7)
	tick(short.ExpiresAt.Add(-3 * 24 * time.Hour)) // nothing new is due: nothing is sent twice
	silent(t, s, 300*time.Millisecond)
	tick(g.ExpiresAt.Add(-30*24*time.Hour + time.Minute)) // the 14-day grant has expired by then
	expect("EXPIRED", short.ID, 0)
	expect("EXPIRING", g.ID, 30)
	tick(g.ExpiresAt.Add(-7 * 24 * time.Hour))
	expect("EXPIRING", g.ID, 7)
	tick(g.ExpiresAt.Add(-23 * time.Hour))
	expect("EXPIRING", g.ID, 1)
	tick(*g.ExpiresAt)
	expect("EXPIRED", g.ID, 0)
	mails := w.Client.OutboxMessage.Query().Order(ent.Asc(outboxmessage.FieldCreatedAt)).AllX(w.System())
	var subjects []string
	for _, m := range mails {
		subjects = append(subjects, m.Subject)
	}
	want := []string{
		"Access of Contoso to Acme ends in 7 day(s)",
		"Access of Contoso to Acme ends in 30 day(s)",
		"Access of Contoso to Acme ends in 7 day(s)",
		"Access of Contoso to Acme ends in 1 day(s)",
	}
	if !slices.Equal(subjects, want) {
		t.Fatalf("warning mails %q, want %q (one to the requesting admin per warning)", subjects, want)
	}
}

// TestAnExpiryWarningLateSaysTheDaysLeft: when the server was down at a
// mark, the warning it sends later says the days truly left.
func TestAnExpiryWarningLateSaysTheDaysLeft(t *testing.T) {
	w := newGrantWorld(t)
	g := w.Grant(testkit.GrantSpec{Partner: w.partner, Customer: w.acme, Level: access.Look, Days: 14})
	s := w.Dial(t, w.adminT)
	s.Subscribe("1", `subscription { grantEvents { kind daysLeft } }`, nil)
	for deadline := time.Now().Add(5 * time.Second); w.Broker.Followers() == 0; runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatal("the subscription never started")
		}
	}
	if err := grants.Tick(w.System(), w.Client, g.ExpiresAt.Add(-5*24*time.Hour+time.Hour)); err != nil {
		t.Fatal(err)
	}
	var got struct{ GrantEvents struct{ DaysLeft int } }
	testkit.Response{Data: mustData(t, s.Next(5*time.Second))}.Decode(t, &got)
	if got.GrantEvents.DaysLeft != 5 {
		t.Errorf("daysLeft %d, want 5", got.GrantEvents.DaysLeft)
	}
	if m := w.Client.OutboxMessage.Query().OnlyX(w.System()); !strings.HasSuffix(m.Subject, "ends in 5 day(s)") {
		t.Errorf("mail %q, want it to say 5 days", m.Subject)
	}
}

// TestAMutationKeepsWhatItDidWhateverItsSelection: the selection of a
// mutation is read after its commit, so an error there (the partner may
// not read the customer before it has access) stays a field error and does
// not undo the request or its audit entry.
func TestAMutationKeepsWhatItDidWhateverItsSelection(t *testing.T) {
	w := newGrantWorld(t)
	res := w.Query(w.adminT, `mutation($in: RequestGrantInput!) { requestGrant(input: $in) { grant { id customer { name domains } } } }`,
		map[string]any{"in": map[string]any{"customerContactEmail": w.manager.Email, "level": "LOOK", "expiresInDays": 30}})
	if len(res.Errors) == 0 {
		t.Logf("the selection answered: %s", res.Data)
	}
	if n := w.Client.Grant.Query().Where(grant.StatusEQ(grant.StatusPENDING)).CountX(w.System()); n != 1 {
		t.Errorf("%d pending grants after the request, want 1 (errors %+v)", n, res.Errors)
	}
	if n := w.Client.AuditEntry.Query().Where(auditentry.Operation("requestGrant")).CountX(w.System()); n != 1 {
		t.Errorf("%d audit entries of the request, want 1", n)
	}
}
