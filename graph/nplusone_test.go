package graph_test

import (
	"fmt"
	"testing"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/testkit"
)

const nestedOrganizations = `query($n: Int!) {
  organizations(first: $n, where: {kind: CUSTOMER}) {
    edges { node {
      name
      contacts(first: 5) { totalCount edges { node { name email organization { name } } } }
      devices(first: 5) { edges { node { model owner { name } } } }
      cases(first: 5) { edges { node { title createdBy { name } comments(first: 3) { edges { node { body author { name } } } } } } }
    } }
  }
}`

// statementsFor fills a deployment with n customers, each with contacts,
// devices, cases and comments, and counts the SQL statements one nested
// query over all of them issues.
func statementsFor(t *testing.T, n int) int64 {
	e := testkit.New(t)
	vendor := e.Org(access.Vendor, "Northwind")
	token := e.Token(e.Contact(vendor, "Vera", access.RoleAdmin, access.RoleAgent))
	for i := range n {
		org := e.Org(access.Customer, fmt.Sprintf("Customer %d", i))
		var author = e.Contact(org, "Author", access.RoleAdmin)
		e.Contact(org, "Member")
		e.Device(org, "Desk Pro")
		for j := range 2 {
			c := e.Case(org, author, fmt.Sprintf("Case %d", j))
			e.Client.CaseComment.Create().SetCaseID(c.ID).SetCustomerID(org.ID).
				SetAuthorID(author.ID).SetBody("hello").ExecX(e.System())
		}
	}
	// Warm up: the first request of a token also records its last use.
	e.Query(token, `{ viewer { contact { id } } }`, nil)

	before := e.Statements.Load()
	var got struct {
		Organizations struct {
			Edges []struct{ Node struct{ Name string } }
		}
	}
	e.Query(token, nestedOrganizations, map[string]any{"n": n}).Decode(t, &got)
	if len(got.Organizations.Edges) != n {
		t.Fatalf("%d organisations returned, want %d", len(got.Organizations.Edges), n)
	}
	return e.Statements.Load() - before
}

func TestNestedQueriesIssueAFixedNumberOfStatements(t *testing.T) {
	few, many := statementsFor(t, 5), statementsFor(t, 50)
	t.Logf("SQL statements: %d for 5 organisations, %d for 50", few, many)
	if few != many {
		t.Fatalf("statements grow with rows: %d for 5 organisations, %d for 50", few, many)
	}
}
