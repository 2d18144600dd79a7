package graph_test

import (
	"fmt"
	"testing"
	"time"

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
// query over all of them issues, as vendor staff or as a partner contact
// whose partner holds a grant on every customer.
func statementsFor(t *testing.T, n int, asPartner bool) int64 {
	e := testkit.New(t)
	vendor := e.Org(access.Vendor, "Northwind")
	caller := e.Contact(vendor, "Vera", access.RoleAdmin, access.RoleAgent)
	partner := e.Org(access.Partner, "Contoso")
	if asPartner {
		caller = e.Contact(partner, "Pat")
	}
	token := e.Token(caller)
	for i := range n {
		org := e.Org(access.Customer, fmt.Sprintf("Customer %d", i))
		e.Grant(testkit.GrantSpec{Partner: partner, Customer: org, Level: access.Look, StartsAt: e.Clock.Now().Add(-time.Hour)})
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
	for _, asPartner := range []bool{false, true} {
		few, many := statementsFor(t, 5, asPartner), statementsFor(t, 50, asPartner)
		t.Logf("partner caller %v: %d SQL statements for 5 organisations, %d for 50", asPartner, few, many)
		if few != many {
			t.Errorf("partner caller %v: statements grow with rows: %d for 5 organisations, %d for 50", asPartner, few, many)
		}
	}
}

// TestACommentCostsWhatItWrites: adding a comment as a partner reads the
// caller (one join, whose partner's grants are kept while they do not
// change) and the case, writes the comment, the case's update time, the
// event (with its number from the event order's counter: events/seq.go)
// and the audit entry, and reads the author it returns: eight
// statements. The case is not read back after its update, and the commit
// publishes the event without reading the case for the fan-out (which
// reads it, once, if a subscriber's rule asks). Its mail (package notify)
// reads the case, everyone it concerns, their organisations with the
// customer's, and the comment, and queues one message per recipient (its
// outbox row, and the recipient's lastEmailStatus): six more for the one
// recipient here, the primary contact.
func TestACommentCostsWhatItWrites(t *testing.T) {
	w := newCaseWorld(t) // Contoso holds CREATE on Acme
	c := w.create(t, w.member, w.acme, "S3")
	comment := func() int64 {
		before := w.Statements.Load()
		w.do(w.partner, `mutation($in: AddCaseCommentInput!) { addCaseComment(input: $in) { comment { id body author { name } } } }`,
			map[string]any{"in": map[string]any{"caseID": c.ID, "body": "still broken"}}).Decode(t, &struct{}{})
		return w.Statements.Load() - before
	}
	comment() // the first request of a token also records its last use
	if n := comment(); n > 14 {
		t.Fatalf("a comment cost %d statements, want 14", n)
	}
}
