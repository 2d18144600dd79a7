package graph_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ids"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// fillDirectory inserts n contacts and n devices spread over the customers
// with plain SQL in one transaction.
func fillDirectory(b *testing.B, e *testkit.Env, customers []*ent.Organization, n int) {
	ctx := context.Background()
	tx, err := e.DB.Writer().BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	contacts, err := tx.PrepareContext(ctx, `INSERT INTO contacts (id, created_at, organization_id, name, email, roles, timezone, locale, status, last_email_status, features)
		VALUES (?, ?, ?, ?, ?, '[]', 'UTC', 'en-US', 'ACTIVE', 'NONE', '[]')`)
	if err != nil {
		b.Fatal(err)
	}
	devices, err := tx.PrepareContext(ctx, `INSERT INTO devices (id, created_at, organization_id, model, mac_address, sip_address, third_party, status)
		VALUES (?, ?, ?, 'Desk Pro', ?, ?, ?, 'ONLINE')`)
	if err != nil {
		b.Fatal(err)
	}
	now := e.Clock.Now()
	for i := range n {
		org := customers[i%len(customers)].ID
		if _, err := contacts.ExecContext(ctx, ids.New(ids.Contact), now, org, fmt.Sprintf("Person %06d", i), fmt.Sprintf("person%06d@c%d.example", i, i%len(customers))); err != nil {
			b.Fatal(err)
		}
		mac := fmt.Sprintf("02:00:%02X:%02X:%02X:%02X", byte(i>>24), byte(i>>16), byte(i>>8), byte(i))
		if _, err := devices.ExecContext(ctx, ids.New(ids.Device), now, org, mac, fmt.Sprintf("sip:room%d@c.example", i), i%10 == 0); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkHelpDeskSearch searches 200,000 contacts and 200,000 devices as
// a help-desk user with LOOK on 25 of 50 customers, through GraphQL, and
// runs the direct indexed SQL lookup of the same identifier side by side.
// Each sub-benchmark reports the p50 and p99 of single requests.
func BenchmarkHelpDeskSearch(b *testing.B) {
	e := testkit.New(b)
	partner := e.Org(access.Partner, "Contoso")
	var customers []*ent.Organization
	var scope []any
	for i := range 50 {
		c := e.Org(access.Customer, fmt.Sprintf("Customer %02d", i))
		if i%2 == 0 {
			e.Grant(testkit.GrantSpec{Partner: partner, Customer: c, Level: access.Look})
			scope = append(scope, c.ID)
		}
		customers = append(customers, c)
	}
	fillDirectory(b, e, customers, 200_000)
	token := e.Token(e.Contact(partner, "Hana", access.RoleHelpDesk))
	target := 123_456 // in scope: customer 123456 % 50 = 6
	mac := fmt.Sprintf("02-00-%02x-%02x-%02x-%02x", byte(target>>24), byte(target>>16), byte(target>>8), byte(target))
	email := fmt.Sprintf("Person%06d@c%d.example", target, target%50)
	in := strings.TrimSuffix(strings.Repeat("?,", len(scope)), ",")

	graphql := func(q string, want int) func(*testing.B) {
		return func(b *testing.B) {
			body := `{"query":` + quote(`query($q: String!) { helpDeskSearch(query: $q, first: 20) { edges { node { matchedOn node { ... on Node { id } } } } } }`) +
				`,"variables":{"q":` + quote(q) + `}}`
			percentiles(b, func() {
				req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/graphql", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				res := e.Do(req)
				if len(res.Errors) > 0 || strings.Count(string(res.Data), `"matchedOn"`) != want {
					b.Fatalf("%+v %s", res.Errors, res.Data)
				}
			})
		}
	}
	direct := func(query string, arg any) func(*testing.B) {
		return func(b *testing.B) {
			args := append([]any{arg}, scope...)
			percentiles(b, func() {
				var id string
				if err := e.DB.Writer().QueryRowContext(context.Background(), query, args...).Scan(&id); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
	b.Run("mac/graphql", graphql(mac, 1))
	b.Run("mac/direct-sql", direct(`SELECT id FROM devices WHERE mac_address = ? AND third_party = 0 AND organization_id IN (`+in+`)`,
		strings.ToUpper(strings.ReplaceAll(mac, "-", ":"))))
	b.Run("email/graphql", graphql(email, 1))
	b.Run("email/direct-sql", direct(`SELECT id FROM contacts WHERE email = ? AND organization_id IN (`+in+`)`, strings.ToLower(email)))
	b.Run("partial-name/graphql", graphql("Person 12345", 5)) // 10 names match, 5 in scope
}

// percentiles times each call of fn and reports the median and the 99th
// percentile next to ns/op.
func percentiles(b *testing.B, fn func()) {
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		fn()
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(took[len(took)*99/100].Nanoseconds()), "p99-ns")
}
