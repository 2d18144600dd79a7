package graph_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/testkit"
)

const myCustomers = `query($n: Int!) { viewer { myCustomers(first: $n) { totalCount nodes {
  customer { id name } level
  supportMetrics { openBySeverity { severity count } escalated slaBreaches atRisk medianFirstResponseSeconds openedLast30Days closedLast30Days }
} } } }`

type overview struct {
	Customer       struct{ ID, Name string }
	Level          string
	SupportMetrics *dashboard
}

// myCustomersStatements fills a deployment with n customers of a partner,
// each with two cases, and counts the SQL statements the partner's My
// Customers page over all of them issues.
func myCustomersStatements(t *testing.T, n int) int64 {
	e := testkit.New(t)
	partner := e.Org(access.Partner, "Contoso")
	token := e.Token(e.Contact(partner, "Pat"))
	for i := range n {
		org := e.Org(access.Customer, fmt.Sprintf("Customer %d", i))
		e.Grant(testkit.GrantSpec{Partner: partner, Customer: org, Level: access.Look, StartsAt: e.Clock.Now().Add(-time.Hour)})
		author := e.Contact(org, "Author", access.RoleAdmin)
		e.Case(org, author, "Phones reboot")
		e.Case(org, author, "No dial tone")
	}
	e.Query(token, `{ viewer { contact { id } } }`, nil) // the first request of a token also records its last use

	before := e.Statements.Load()
	var got struct {
		Viewer struct {
			MyCustomers struct {
				TotalCount int
				Nodes      []overview
			}
		}
	}
	e.Query(token, myCustomers, map[string]any{"n": n}).Decode(t, &got)
	rows := got.Viewer.MyCustomers
	if rows.TotalCount != n || len(rows.Nodes) != n {
		t.Fatalf("%d of %d customers returned, want %d", len(rows.Nodes), rows.TotalCount, n)
	}
	for _, o := range rows.Nodes {
		if o.Level != "LOOK" || o.SupportMetrics == nil || len(o.SupportMetrics.OpenBySeverity) != 1 || o.SupportMetrics.OpenBySeverity[0].Count != 2 {
			t.Fatalf("%s: %+v", o.Customer.Name, o)
		}
	}
	return e.Statements.Load() - before
}

func TestMyCustomersIssuesAFixedNumberOfStatements(t *testing.T) {
	few, many := myCustomersStatements(t, 5), myCustomersStatements(t, 50)
	t.Logf("My Customers: %d SQL statements for 5 customers, %d for 50", few, many)
	if few != many {
		t.Errorf("statements grow with customers: %d for 5, %d for 50", few, many)
	}
}

// TestMyCustomersShowsWhatThePartnerMaySee: each row has the partner's
// level; the figures count only the cases of its era, and a customer it
// holds only CC on is listed with its figures refused at their own path.
func TestMyCustomersShowsWhatThePartnerMaySee(t *testing.T) {
	e := testkit.New(t)
	vendor := e.Org(access.Vendor, "Northwind")
	agent := e.Contact(vendor, "Nora Agent", access.RoleAgent)
	acme := e.Org(access.Customer, "Acme")
	globex := e.Org(access.Customer, "Globex")
	partner := e.Org(access.Partner, "Contoso")
	pat := e.Contact(partner, "Pat Partner")
	ada := e.Contact(acme, "Ada Admin", access.RoleAdmin)
	e.Case(acme, ada, "Filed before Contoso's era")
	e.Clock.Advance(time.Hour)
	e.Grant(testkit.GrantSpec{Partner: partner, Customer: acme, Level: access.Update})
	e.Grant(testkit.GrantSpec{Partner: partner, Customer: globex, Level: access.CC})
	e.Case(acme, ada, "Filed in Contoso's era")
	e.Case(globex, e.Contact(globex, "Gus Admin", access.RoleAdmin), "Globex's")

	res := e.Query(e.Token(pat), myCustomers, map[string]any{"n": 10})
	var got struct {
		Viewer struct {
			MyCustomers struct{ Nodes []overview }
		}
	}
	if err := json.Unmarshal(res.Data, &got); err != nil {
		t.Fatal(err)
	}
	rows := map[string]overview{}
	for _, o := range got.Viewer.MyCustomers.Nodes {
		rows[o.Customer.Name] = o
	}
	if a := rows["Acme"]; len(rows) != 2 || a.Level != "UPDATE" || a.SupportMetrics == nil || a.SupportMetrics.OpenedLast30Days != 1 {
		t.Fatalf("Acme's row: %+v (rows %+v)", a, rows)
	}
	if g := rows["Globex"]; g.Level != "CC" || g.SupportMetrics != nil {
		t.Fatalf("Globex's row: %+v", g)
	}
	if len(res.Errors) != 1 || res.Code() != "FORBIDDEN" || res.Errors[0].Path[len(res.Errors[0].Path)-1] != "supportMetrics" {
		t.Fatalf("errors: %+v", res.Errors)
	}

	var all struct {
		Viewer struct {
			MyCustomers struct{ Nodes []overview }
		}
	}
	e.Query(e.Token(agent), myCustomers, map[string]any{"n": 10}).Decode(t, &all)
	for _, o := range all.Viewer.MyCustomers.Nodes {
		if o.Customer.Name == "Acme" && (o.Level != "FULL_ADMIN" || o.SupportMetrics.OpenedLast30Days != 2) {
			t.Fatalf("the vendor's row of Acme: %+v", o)
		}
	}
}
