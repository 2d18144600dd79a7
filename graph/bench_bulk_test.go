package graph_test

import (
	"context"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/bulk"
	"github.com/partnerdesk/partnerdesk/httpapi"
	"github.com/partnerdesk/partnerdesk/limits"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// BenchmarkBulkComments adds 1,000 comments twice per iteration, side by
// side on one server: as one bulkAddCaseComment job (the request, then
// the worker running it) and as 1,000 addCaseComment requests over HTTP.
// It reports each one's time (ms/1000), its SQL statements per comment,
// and how many times faster the job is (single/bulk).
func BenchmarkBulkComments(b *testing.B) {
	e := testkit.New(b, testkit.WithConfig(func(c *httpapi.Config) {
		c.Rate = limits.NewBuckets(limits.Size{Capacity: 1 << 30, PerSecond: 1 << 30}, time.Now)
	}))
	acme := e.Org(access.Customer, "Acme")
	contoso := e.Org(access.Partner, "Contoso")
	e.Grant(testkit.GrantSpec{Partner: contoso, Customer: acme, Level: access.Update, StartsAt: e.Clock.Now().Add(-time.Hour)})
	manager := e.Contact(acme, "Carl Manager", access.RoleContactManager)
	pat := e.Contact(contoso, "Pat Partner")
	token := e.Token(pat)
	kase := e.Case(acme, manager, "Phones reboot every hour")
	items := make([]map[string]any, bulk.MaxItems)
	for i := range items {
		items[i] = map[string]any{"caseID": kase.ID, "body": "any news?"}
	}
	const single = `mutation($id: ID!) { addCaseComment(input: {caseID: $id, body: "any news?"}) { comment { id } } }`
	var bulkTime, singleTime time.Duration
	var bulkStatements, singleStatements int64
	n := 0
	for b.Loop() {
		n++
		before, start := e.Statements.Load(), time.Now()
		res := e.Query(token, bulkCommentMut, map[string]any{"in": map[string]any{"items": items}})
		if len(res.Errors) > 0 {
			b.Fatalf("bulk: %+v", res.Errors)
		}
		if _, err := e.Bulk.Work(context.Background()); err != nil {
			b.Fatal(err)
		}
		bulkTime += time.Since(start)
		bulkStatements += e.Statements.Load() - before

		before, start = e.Statements.Load(), time.Now()
		for range bulk.MaxItems {
			if res := e.Query(token, single, map[string]any{"id": kase.ID}); len(res.Errors) > 0 {
				b.Fatalf("single: %+v", res.Errors)
			}
		}
		singleTime += time.Since(start)
		singleStatements += e.Statements.Load() - before
	}
	per := float64(n * bulk.MaxItems)
	b.ReportMetric(float64(bulkTime.Milliseconds())/float64(n), "bulk-ms/1000")
	b.ReportMetric(float64(singleTime.Milliseconds())/float64(n), "single-ms/1000")
	b.ReportMetric(float64(singleTime)/float64(bulkTime), "single/bulk")
	b.ReportMetric(float64(bulkStatements)/per, "bulk-statements/item")
	b.ReportMetric(float64(singleStatements)/per, "single-statements/item")
}
