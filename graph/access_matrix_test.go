package graph_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// matrix is a deployment with one partner contact per caller state of the
// access issue, all aimed at one customer, Acme.
type matrix struct {
	*testkit.Env
	acme                           *ent.Organization
	oldCase, collabCase, otherCase *ent.SupportCase
	target                         *ent.Contact // a contact the FULL_ADMIN row edits
	callers                        map[string]*ent.Contact
	levels                         map[string]access.Level // the effective level each caller should have
}

func newMatrix(t *testing.T) *matrix {
	e := testkit.New(t)
	m := &matrix{Env: e, callers: map[string]*ent.Contact{}, levels: map[string]access.Level{}}
	vendor := e.Org(access.Vendor, "Northwind")
	m.acme = e.Org(access.Customer, "Acme")
	contoso := e.Org(access.Partner, "Contoso")
	e.Client.Organization.UpdateOne(contoso).SetDomains([]string{"contoso.example", "contoso-msp.example"}).ExecX(e.System())
	fabrikam := e.Org(access.Partner, "Fabrikam")
	initech := e.Org(access.Partner, "Initech")

	author := e.Contact(m.acme, "Ada Author")
	m.target = e.Contact(m.acme, "Tom Target")
	// A case from before any of today's partners held a grant.
	m.oldCase = e.Case(m.acme, author, "Old case")
	e.Clock.Advance(24 * time.Hour)

	add := func(state string, c *ent.Contact, l access.Level) {
		m.callers[state], m.levels[state] = c, l
	}
	for _, l := range access.Levels() {
		c := e.ContactAt(contoso, "contoso.example", "Level "+string(l))
		e.Grant(testkit.GrantSpec{Partner: contoso, Customer: m.acme, Level: l, Grantee: c})
		add(string(l), c, l)
	}
	// Contoso's organisation grant covers its MSP domain only.
	e.Grant(testkit.GrantSpec{Partner: contoso, Customer: m.acme, Level: access.ServiceAdmin, Domain: "contoso-msp.example"})
	add("org grant in the caller's domain", e.ContactAt(contoso, "contoso-msp.example", "Msp"), access.ServiceAdmin)
	add("org grant for another domain", e.ContactAt(contoso, "contoso.example", "Other Domain"), "")
	lower := e.ContactAt(contoso, "contoso-msp.example", "Lower")
	e.Grant(testkit.GrantSpec{Partner: contoso, Customer: m.acme, Level: access.Look, Grantee: lower})
	add("individual grant lower than org grant", lower, access.Look)

	expired := e.Contact(fabrikam, "Expired")
	e.Grant(testkit.GrantSpec{Partner: fabrikam, Customer: m.acme, Level: access.FullAdmin, Grantee: expired,
		StartsAt: e.Clock.Now().Add(-31 * 24 * time.Hour), Status: grant.StatusEXPIRED})
	add("expired grant", expired, "")
	revoked := e.Contact(fabrikam, "Revoked")
	endedAt := e.Clock.Now().Add(-time.Minute)
	e.Grant(testkit.GrantSpec{Partner: fabrikam, Customer: m.acme, Level: access.FullAdmin, Grantee: revoked,
		StartsAt: e.Clock.Now().Add(-time.Hour), Status: grant.StatusREVOKED, EndedAt: &endedAt})
	add("revoked grant", revoked, "")
	suspended := e.Contact(fabrikam, "Suspended")
	e.Grant(testkit.GrantSpec{Partner: fabrikam, Customer: m.acme, Level: access.FullAdmin, Grantee: suspended})
	add("suspended contact", suspended, "")
	add("no grant", e.Contact(initech, "Nobody"), "")
	add("customer member", e.Contact(m.acme, "Max Member"), access.Create)
	add("customer admin", e.Contact(m.acme, "Ann Admin", access.RoleAdmin), access.FullAdmin)
	add("vendor agent", e.Contact(vendor, "Val Agent", access.RoleAgent), access.FullAdmin)

	e.Clock.Advance(time.Hour)
	m.collabCase = e.Case(m.acme, author, "Collaborated case")
	m.otherCase = e.Case(m.acme, author, "Other case")
	e.Collaborate(m.collabCase, m.callers[string(access.CC)])
	e.Device(m.acme, "Desk Pro")
	e.Client.Contact.UpdateOne(suspended).SetStatus(contact.StatusSUSPENDED).ExecX(e.System())
	return m
}

// operation is one row of SPEC §2.1, run as a caller; it reports whether the
// caller was allowed, and fails the test when a refusal changed anything.
type operation struct {
	name string
	need access.Level // lowest level allowed; "" for partner-era rows
	run  func(t *testing.T, m *matrix, token string) bool
}

// roleRows are the rows that a role allows whatever the level: the caller
// states allowed.
var roleRows = map[string][]string{
	"share the customer's case history with partners": {"customer admin"},
}

func allowed(t *testing.T, res testkit.Response) bool {
	t.Helper()
	if len(res.Errors) == 0 {
		return true
	}
	switch res.Code() {
	case "NOT_FOUND", "FORBIDDEN", "UNAUTHENTICATED", "BAD_USER_INPUT":
		return false
	}
	t.Fatalf("a refusal must be NOT_FOUND, FORBIDDEN or UNAUTHENTICATED, got %+v", res.Errors)
	return false
}

func read(query string, id func(*matrix) string) func(*testing.T, *matrix, string) bool {
	return func(t *testing.T, m *matrix, token string) bool {
		return allowed(t, m.Query(token, query, map[string]any{"id": id(m)}))
	}
}

func unchanged(t *testing.T, m *matrix, count func() int, write func() testkit.Response) bool {
	t.Helper()
	before := count()
	ok := allowed(t, write())
	if after := count(); !ok && after != before {
		t.Fatalf("a refused write changed %d rows into %d", before, after)
	}
	return ok
}

var operations = []operation{
	{"see the customer's name, domains and plan", access.CC,
		read(`query($id: ID!) { node(id: $id) { ... on Organization { name domains supportPlan } } }`, func(m *matrix) string { return m.acme.ID })},
	{"see a case they collaborate on", access.CC,
		read(`query($id: ID!) { node(id: $id) { ... on Case { title } } }`, func(m *matrix) string { return m.collabCase.ID })},
	{"see any of the customer's cases", access.Look,
		read(`query($id: ID!) { node(id: $id) { ... on Case { title } } }`, func(m *matrix) string { return m.otherCase.ID })},
	{"see the events of a case they do not collaborate on", access.Look,
		read(`query($id: ID!) { node(id: $id) { ... on Case { events(first: 5) { totalCount } } } }`, func(m *matrix) string { return m.otherCase.ID })},
	{"see the events of a case they collaborate on", access.CC,
		read(`query($id: ID!) { node(id: $id) { ... on Case { events(first: 5) { edges { node { kind } } } } } }`, func(m *matrix) string { return m.collabCase.ID })},
	{"see the customer's contacts, devices, numbers and licenses", access.Look,
		read(`query($id: ID!) { node(id: $id) { ... on Organization {
			licenses { product } contacts(first: 5) { edges { node { email phone status } } }
			devices(first: 5) { totalCount } phoneNumbers(first: 5) { totalCount } } } }`, func(m *matrix) string { return m.acme.ID })},
	{"comment on, update and close a case", access.Update, func(t *testing.T, m *matrix, token string) bool {
		return unchanged(t, m, func() int { return m.Client.CaseComment.Query().CountX(m.System()) }, func() testkit.Response {
			return m.Query(token, `mutation($id: ID!) { addCaseComment(input: {caseID: $id, body: "any news?"}) { comment { id } } }`,
				map[string]any{"id": m.collabCase.ID})
		})
	}},
	{"create a case for the customer", access.Create, func(t *testing.T, m *matrix, token string) bool {
		return unchanged(t, m, func() int { return m.Client.SupportCase.Query().CountX(m.System()) }, func() testkit.Response {
			return m.Query(token, `mutation($c: ID!) { createCase(input: {customerID: $c, title: "New", severity: S3}) { case { id } } }`,
				map[string]any{"c": m.acme.ID})
		})
	}},
	{"change the customer's configuration", access.ServiceAdmin, func(t *testing.T, m *matrix, token string) bool {
		return unchanged(t, m, func() int { return m.Client.Device.Query().CountX(m.System()) }, func() testkit.Response {
			return m.Query(token, `mutation($org: ID!) { registerDevice(input: {organizationID: $org, model: "Room Kit"}) { device { id } } }`,
				map[string]any{"org": m.acme.ID})
		})
	}},
	{"change the customer's sites and settings", access.ServiceAdmin, func(t *testing.T, m *matrix, token string) bool {
		site := fmt.Sprintf("s%d.acme.example", time.Now().UnixNano())
		ok := allowed(t, m.Query(token, `mutation($id: ID!, $site: String!) { updateOrganization(input: {id: $id, sites: [$site]}) { organization { id } } }`,
			map[string]any{"id": m.acme.ID, "site": site}))
		if sites := m.Client.Organization.GetX(m.System(), m.acme.ID).Sites; !ok && len(sites) > 0 && sites[0] == site {
			t.Fatal("a refused update changed the sites")
		}
		return ok
	}},
	{"create the customer's contacts", access.FullAdmin, func(t *testing.T, m *matrix, token string) bool {
		return unchanged(t, m, func() int { return m.Client.Contact.Query().CountX(m.System()) }, func() testkit.Response {
			return m.Query(token, `mutation($org: ID!, $email: String!) { createContact(input: {organizationID: $org, name: "New", email: $email}) { contact { id } } }`,
				map[string]any{"org": m.acme.ID, "email": fmt.Sprintf("new%d@acme.example", time.Now().UnixNano())})
		})
	}},
	{"share the customer's case history with partners", access.FullAdmin, func(t *testing.T, m *matrix, token string) bool {
		ok := allowed(t, m.Query(token, `mutation($id: ID!) { updateOrganization(input: {id: $id, shareCaseHistoryWithPartners: true}) { organization { id } } }`,
			map[string]any{"id": m.acme.ID}))
		shared := m.Client.Organization.GetX(m.System(), m.acme.ID).ShareCaseHistoryWithPartners
		if !ok && shared {
			t.Fatal("a refused update shared the history")
		}
		m.Client.Organization.UpdateOne(m.acme).SetShareCaseHistoryWithPartners(false).ExecX(m.System())
		return ok
	}},
	{"read who filed a case they see, as a name and an organisation", access.CC,
		read(`query($id: ID!) { node(id: $id) { ... on Case { createdBy { name organization { name } } } } }`, func(m *matrix) string { return m.collabCase.ID })},
	{"change and deactivate the customer's contacts", access.FullAdmin, func(t *testing.T, m *matrix, token string) bool {
		ok := allowed(t, m.Query(token, `mutation($id: ID!) { updateContact(input: {id: $id, status: DEACTIVATED}) { contact { id } } }`,
			map[string]any{"id": m.target.ID}))
		status := m.Client.Contact.GetX(m.System(), m.target.ID).Status
		if !ok && status != contact.StatusACTIVE {
			t.Fatal("a refused update deactivated the contact")
		}
		m.Client.Contact.UpdateOne(m.target).SetStatus(contact.StatusACTIVE).ExecX(m.System())
		return ok
	}},
}

func TestAuthorizationMatrix(t *testing.T) {
	m := newMatrix(t)
	tokens := map[string]string{}
	for state, c := range m.callers {
		tokens[state] = m.Token(c)
	}
	for _, op := range operations {
		for state := range m.callers {
			want := m.levels[state].AtLeast(op.need)
			if only, ok := roleRows[op.name]; ok {
				want = slices.Contains(only, state)
			}
			t.Run(op.name+"/"+state, func(t *testing.T) {
				if got := op.run(t, m, tokens[state]); got != want {
					t.Errorf("%s: allowed=%v, want %v (effective level %q, row needs %s)", state, got, want, m.levels[state], op.need)
				}
			})
		}
	}
	// A partner never sees a case filed before it held any grant, whatever
	// its level; the customer and the vendor do.
	oldCase := read(`query($id: ID!) { node(id: $id) { ... on Case { title } } }`, func(m *matrix) string { return m.oldCase.ID })
	for state, c := range m.callers {
		org := m.Client.Organization.GetX(m.System(), c.OrganizationID)
		want := org.Kind != access.Partner && m.levels[state] != ""
		t.Run("a case from another partner's era/"+state, func(t *testing.T) {
			if got := oldCase(t, m, tokens[state]); got != want {
				t.Errorf("allowed=%v, want %v", got, want)
			}
		})
	}
}
