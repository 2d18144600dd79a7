package demo_test

import (
	"slices"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// What the persona checks read, through the API, as the persona.

type idNode struct{ ID string }

type named struct{ Name string }

type viewerNode struct {
	Contact struct {
		ID, Email string
		Roles     []access.Role
	}
	Organization struct{ Name, Kind, SupportPlan string }
	Grants       struct{ Nodes []grantNode }
}

type grantNode struct {
	ID, Status, GranteeID        string
	PartnerDomain                *string
	StartsAt, ExpiresAt, EndedAt *time.Time
	Partner                      named
}

// held reports whether the grant gave access at t.
func (g grantNode) held(t time.Time) bool {
	if g.StartsAt == nil || t.Before(*g.StartsAt) {
		return false
	}
	end := g.ExpiresAt
	if g.EndedAt != nil && g.EndedAt.Before(*end) {
		end = g.EndedAt
	}
	return t.Before(*end)
}

const grantFields = `id status granteeID partnerDomain startsAt expiresAt endedAt partner { name }`

func (w *world) viewer(t *testing.T, token string) viewerNode {
	t.Helper()
	var got struct{ Viewer viewerNode }
	w.Query(token, `{ viewer { contact { id email roles } organization { name kind supportPlan } grants(first: 100) { nodes { `+grantFields+` } } } }`, nil).
		Decode(t, &got)
	return got.Viewer
}

// is checks who the caller is: its organisation, of kind, and roles it holds.
func (w *world) is(t *testing.T, token, org, kind string, roles ...access.Role) viewerNode {
	t.Helper()
	v := w.viewer(t, token)
	if v.Organization.Name != org || v.Organization.Kind != kind {
		t.Errorf("a contact of %s (%s), want %s (%s)", v.Organization.Name, v.Organization.Kind, org, kind)
	}
	for _, r := range roles {
		if !slices.Contains(v.Contact.Roles, r) {
			t.Errorf("holds %v, not %s", v.Contact.Roles, r)
		}
	}
	return v
}

// grantsOf are the caller's organisation's grants with a partner.
func (w *world) grantsOf(t *testing.T, token, partner string) []grantNode {
	t.Helper()
	var out []grantNode
	for _, g := range w.viewer(t, token).Grants.Nodes {
		if g.Partner.Name == partner {
			out = append(out, g)
		}
	}
	return out
}

type explanation struct {
	Level     *access.Level
	Source    string
	ExpiresAt *time.Time
	Grant     *grantNode
}

func (w *world) access(t *testing.T, token, customer string) explanation {
	t.Helper()
	var got struct{ Access explanation }
	w.Query(token, `query($id: ID!) { access(customerID: $id) { level source expiresAt grant { `+grantFields+` } } }`,
		map[string]any{"id": w.orgID(t, customer)}).Decode(t, &got)
	return got.Access
}

// hasAccess checks the caller's level on a customer ("" for none) and
// where it comes from.
func (w *world) hasAccess(t *testing.T, token, customer string, level access.Level, source string) explanation {
	t.Helper()
	a := w.access(t, token, customer)
	var got access.Level
	if a.Level != nil {
		got = *a.Level
	}
	if got != level || a.Source != source {
		t.Errorf("%q from %s on %s, want %q from %s", got, a.Source, customer, level, source)
	}
	return a
}

type caseNode struct {
	ID, Title     string
	CreatedAt     time.Time
	Customer      named
	OnBehalfOf    *named
	CreatedBy     idNode
	Collaborators struct{ Nodes []idNode }
	Comments      struct{ Nodes []struct{ Visibility string } }
}

// cases are every case the caller sees (My Cases).
func (w *world) cases(t *testing.T, token string) []caseNode {
	t.Helper()
	var got struct {
		Cases struct{ Nodes []caseNode }
	}
	w.Query(token, `{ cases(first: 100) { nodes { id title createdAt customer { name } onBehalfOf { name } createdBy { id }
		collaborators(first: 20) { nodes { id } } comments(first: 50) { nodes { visibility } } } } }`, nil).Decode(t, &got)
	return got.Cases.Nodes
}

func (w *world) customerCases(t *testing.T, token, customer string) []caseNode {
	t.Helper()
	var out []caseNode
	for _, c := range w.cases(t, token) {
		if c.Customer.Name == customer {
			out = append(out, c)
		}
	}
	return out
}

func (w *world) caseTitled(t *testing.T, token, title string) caseNode {
	t.Helper()
	for _, c := range w.cases(t, token) {
		if c.Title == title {
			return c
		}
	}
	t.Fatalf("sees no case %q", title)
	return caseNode{}
}

// tryComment comments on the case titled title.
func (w *world) tryComment(t *testing.T, token, title string) testkit.Response {
	t.Helper()
	return w.Query(token, `mutation($id: ID!) { addCaseComment(input: {caseID: $id, body: "Any news?"}) { comment { id } } }`,
		map[string]any{"id": w.caseTitled(t, token, title).ID})
}

func (w *world) comment(t *testing.T, token, title string) {
	t.Helper()
	w.tryComment(t, token, title).Decode(t, &struct{}{})
}

// helpDesk is the customers a help-desk search finds hits of.
func (w *world) helpDesk(t *testing.T, token, query string) []string {
	t.Helper()
	var got struct {
		HelpDeskSearch struct{ Nodes []struct{ Customer named } }
	}
	w.Query(token, `query($q: String!) { helpDeskSearch(query: $q, first: 50) { nodes { customer { name } } } }`,
		map[string]any{"q": query}).Decode(t, &got)
	var out []string
	for _, h := range got.HelpDeskSearch.Nodes {
		if !slices.Contains(out, h.Customer.Name) {
			out = append(out, h.Customer.Name)
		}
	}
	return out
}

type auditNode struct {
	Operation         string
	Customer          *named
	ActorOrganization named
}

func (w *world) audit(t *testing.T, token string) []auditNode {
	t.Helper()
	var got struct {
		AuditEntries struct{ Nodes []auditNode }
	}
	w.Query(token, `{ auditEntries(first: 100) { nodes { operation customer { name } actorOrganization { name } } } }`, nil).Decode(t, &got)
	return got.AuditEntries.Nodes
}
