package graph_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ids"
	"github.com/partnerdesk/partnerdesk/testkit"
)

var (
	subjects = []string{"printer", "phone", "headset", "room system", "voicemail", "auto attendant", "call queue", "license", "firmware", "portal"}
	troubles = []string{"keeps rebooting", "drops calls", "shows no dial tone", "fails to register", "is very slow", "rejects my password", "plays static", "cannot be found"}
	places   = []string{"in Warsaw", "in the Osaka office", "at reception", "on floor 3", "for the sales team", "since the upgrade", "every morning", "after lunch"}
)

// fillCases inserts n cases spread over the customers with plain SQL in
// one transaction (the full-text triggers still run), so that building
// 200,000 cases takes seconds rather than minutes of GraphQL mutations.
func fillCases(b *testing.B, e *testkit.Env, customers []*ent.Organization, author *ent.Contact, n int) {
	ctx := context.Background()
	tx, err := e.DB.Writer().BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO cases (id, number, customer_id, title, description, product, category, severity, status,
		escalated, created_by_id, shared_emails, timezone, language, first_response_due_at, updated_at, version, created_at)
		VALUES (?, ?, ?, ?, ?, '', '', ?, 'NEW', false, ?, '[]', 'UTC', 'en', ?, ?, 1, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	start := e.Clock.Now().Add(-time.Duration(n) * time.Minute)
	for i := range n {
		title := subjects[r.IntN(len(subjects))] + " " + troubles[r.IntN(len(troubles))] + " " + places[r.IntN(len(places))]
		desc := "Reported by the " + places[r.IntN(len(places))] + " team: the " + subjects[r.IntN(len(subjects))] + " " + troubles[r.IntN(len(troubles))] + "."
		created := start.Add(time.Duration(i) * time.Minute)
		if _, err := stmt.ExecContext(ctx, ids.New(ids.Case), 100000+i, customers[i%len(customers)].ID, title, desc,
			[]string{"S1", "S2", "S3", "S4"}[i%4], author.ID, created.Add(4*time.Hour), created, created); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkMyCasesKeyword searches 200,000 cases for a keyword as a partner
// with LOOK on 20 customers: once through GraphQL (authentication, row
// filters with partner eras, the full-text index, pagination), once as a
// hand-written SQL query over the same index returning the same page.
// Compare the two sub-benchmarks; the GraphQL one also reports its SQL
// statements per query.
func BenchmarkMyCasesKeyword(b *testing.B) {
	e := testkit.New(b)
	partner := e.Org(access.Partner, "Contoso")
	var customers []*ent.Organization
	var customerIDs []any
	for i := range 20 {
		c := e.Org(access.Customer, fmt.Sprintf("Customer %d", i))
		e.Grant(testkit.GrantSpec{Partner: partner, Customer: c, Level: access.Look, StartsAt: e.Clock.Now().Add(-365 * 24 * time.Hour), Days: 730})
		customers, customerIDs = append(customers, c), append(customerIDs, c.ID)
	}
	author := e.Contact(customers[0], "Ada")
	fillCases(b, e, customers, author, 200_000)
	token := e.Token(e.Contact(partner, "Pat"))

	const query = `{ cases(first: 20, where: {keyword: "printer reboot"}) { totalCount edges { node { id number title updatedAt } } } }`
	b.Run("graphql", func(b *testing.B) {
		body := `{"query":` + quote(query) + `}`
		before := e.Statements.Load()
		for b.Loop() {
			req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/graphql", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			res := e.Do(req)
			if len(res.Errors) > 0 || !strings.Contains(string(res.Data), `"totalCount"`) {
				b.Fatalf("%+v", res.Errors)
			}
		}
		b.ReportMetric(float64(e.Statements.Load()-before)/float64(b.N), "sql/op")
	})
	b.Run("handwritten-sql", func(b *testing.B) {
		in := strings.TrimSuffix(strings.Repeat("?,", len(customerIDs)), ",")
		match := `"printer*" "reboot*"`
		page := `SELECT id, number, title, updated_at FROM cases WHERE customer_id IN (` + in + `)
			AND number IN (SELECT docid FROM case_search WHERE case_search MATCH ?) ORDER BY updated_at DESC, id DESC LIMIT 21`
		count := `SELECT count(*) FROM cases WHERE customer_id IN (` + in + `) AND number IN (SELECT docid FROM case_search WHERE case_search MATCH ?)`
		args := append(append([]any{}, customerIDs...), match)
		ctx := context.Background()
		for b.Loop() {
			var total int
			if err := e.DB.Writer().QueryRowContext(ctx, count, args...).Scan(&total); err != nil || total == 0 {
				b.Fatal(err, total)
			}
			rows, err := e.DB.Writer().QueryContext(ctx, page, args...)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				var id, title string
				var number int
				var updated time.Time
				if err := rows.Scan(&id, &number, &title, &updated); err != nil {
					b.Fatal(err)
				}
				n++
			}
			rows.Close()
			if n != 21 {
				b.Fatalf("%d rows", n)
			}
		}
	})
}
