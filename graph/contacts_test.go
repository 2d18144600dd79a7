package graph_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/internal/pgtest"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// statementLog keeps every query the server sends, with its arguments.
type statementLog struct {
	dialect.Driver
	mu      sync.Mutex
	queries []loggedQuery
}

type loggedQuery struct {
	text string
	args []any
}

func (l *statementLog) Query(ctx context.Context, q string, args, v any) error {
	l.mu.Lock()
	a, _ := args.([]any)
	l.queries = append(l.queries, loggedQuery{q, a})
	l.mu.Unlock()
	return l.Driver.Query(ctx, q, args, v)
}

func (l *statementLog) matching(substr string) []loggedQuery {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []loggedQuery
	for _, q := range l.queries {
		if strings.Contains(q.text, substr) {
			out = append(out, q)
		}
	}
	return out
}

// whoToCall is Acme with two contact managers (one also designated),
// others without the role, and another customer's manager; Contoso holds
// LOOK on Acme, Initech CC.
type whoToCall struct {
	*testkit.Env
	log                 *statementLog
	acme                *ent.Organization
	max, pat, ivy, vera *ent.Contact
	tokens              map[*ent.Contact]string
}

func newWhoToCall(t *testing.T) *whoToCall {
	log := &statementLog{}
	e := testkit.New(t, testkit.WithDriver(func(d dialect.Driver) dialect.Driver { log.Driver = d; return log }))
	w := &whoToCall{Env: e, log: log, tokens: map[*ent.Contact]string{}}
	w.acme = e.Org(access.Customer, "Acme")
	globex := e.Org(access.Customer, "Globex")
	e.Contact(w.acme, "Ada Admin", access.RoleAdmin)
	e.Contact(w.acme, "Cleo Manager", access.RoleContactManager)
	e.Contact(w.acme, "Carl Manager", access.RoleDesignated, access.RoleContactManager)
	e.Contact(w.acme, "Dana Designated", access.RoleDesignated)
	w.max = e.Contact(w.acme, "Max Member")
	e.Contact(globex, "Gina Manager", access.RoleContactManager)
	contoso, initech := e.Org(access.Partner, "Contoso"), e.Org(access.Partner, "Initech")
	e.Grant(testkit.GrantSpec{Partner: contoso, Customer: w.acme, Level: access.Look})
	e.Grant(testkit.GrantSpec{Partner: initech, Customer: w.acme, Level: access.CC})
	w.pat, w.ivy = e.Contact(contoso, "Pat Partner"), e.Contact(initech, "Ivy Initech")
	w.vera = e.Contact(e.Org(access.Vendor, "Northwind"), "Vera Admin", access.RoleAdmin)
	for _, c := range []*ent.Contact{w.max, w.pat, w.ivy, w.vera} {
		w.tokens[c] = e.Token(c)
	}
	return w
}

const contactManagersQuery = `query($id: ID!) { node(id: $id) { ... on Organization { contactManagers(first: 10) { nodes { name email } } } } }`

func TestEveryCustomerSeesItsContactManagers(t *testing.T) {
	w := newWhoToCall(t)
	for _, c := range []*ent.Contact{w.max, w.pat, w.vera} {
		var got struct {
			Node struct {
				ContactManagers struct {
					Nodes []struct{ Name, Email string }
				}
			}
		}
		w.Query(w.tokens[c], contactManagersQuery, map[string]any{"id": w.acme.ID}).Decode(t, &got)
		var names []string
		for _, m := range got.Node.ContactManagers.Nodes {
			names = append(names, m.Name)
			if m.Email == "" {
				t.Errorf("%s reads no email of %s", c.Name, m.Name)
			}
		}
		if strings.Join(names, ", ") != "Carl Manager, Cleo Manager" {
			t.Errorf("%s: Acme's contact managers are %v", c.Name, names)
		}
	}
	// CC sees the customer's name, not its people.
	res := w.Query(w.tokens[w.ivy], contactManagersQuery, map[string]any{"id": w.acme.ID})
	if res.Code() != "FORBIDDEN" {
		t.Fatalf("a CC partner asking for the contact managers: %+v %s", res.Errors, res.Data)
	}
}

func TestContactsFilterByRole(t *testing.T) {
	w := newWhoToCall(t)
	var got struct {
		Node struct {
			ContactsWithRole struct{ Nodes []struct{ Name string } }
		}
	}
	w.Query(w.tokens[w.pat], `query($id: ID!) { node(id: $id) { ... on Organization {
		contactsWithRole(role: DESIGNATED, first: 10) { nodes { name } } } } }`,
		map[string]any{"id": w.acme.ID}).Decode(t, &got)
	var names []string
	for _, n := range got.Node.ContactsWithRole.Nodes {
		names = append(names, n.Name)
	}
	if strings.Join(names, ", ") != "Carl Manager, Dana Designated" {
		t.Fatalf("Acme's designated contacts: %v", names)
	}
}

// TestContactManagersComeFromTheRoleIndex: the statement that finds
// Acme's contact managers searches the role's partial index, and scans
// no contacts.
func TestContactManagersComeFromTheRoleIndex(t *testing.T) {
	if pgtest.Requested() {
		t.Skip("the plan read is SQLite's; PostgreSQL chooses by its statistics, and scans tables this small")
	}
	w := newWhoToCall(t)
	w.Query(w.tokens[w.max], contactManagersQuery, map[string]any{"id": w.acme.ID}).Decode(t, &struct{}{})
	queries := w.log.matching(`LIKE '%"CONTACT_MANAGER"%'`)
	if len(queries) != 1 {
		t.Fatalf("%d statements search for contact managers, want 1", len(queries))
	}
	all := testkit.QueryPlan(t, w.DB.Writer(), queries[0].text, queries[0].args...)
	t.Logf("plan:\n%s", all)
	if !strings.Contains(all, "SEARCH contacts USING INDEX contact_role_contact_manager") {
		t.Errorf("the plan does not search the contact managers' index:\n%s", all)
	}
	if strings.Contains(all, "SCAN contacts") {
		t.Errorf("the plan scans contacts:\n%s", all)
	}
}
