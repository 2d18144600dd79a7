package graph_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
	"github.com/partnerdesk/partnerdesk/httpapi"
	"github.com/partnerdesk/partnerdesk/limits"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// BenchmarkCaseMutations runs each case mutation through the real server,
// one request per operation, and reports next to ns/op the SQL statements
// each issues (statements/op), which the history a mutation derives must
// not grow. What an operation needs beforehand (a case to close, an
// attachment to delete) is made with the timer stopped and its statements
// left out.
func BenchmarkCaseMutations(b *testing.B) {
	e := testkit.New(b, testkit.WithConfig(func(c *httpapi.Config) {
		c.Rate = limits.NewBuckets(limits.Size{Capacity: 1 << 30, PerSecond: 1 << 30}, time.Now)
	}))
	vendor := e.Org(access.Vendor, "Northwind")
	acme := e.Org(access.Customer, "Acme")
	e.Client.Organization.UpdateOne(acme).SetSupportPlan(organization.SupportPlanPREMIUM).ExecX(e.System())
	admin := e.Contact(acme, "Ada Admin", access.RoleAdmin)
	helper := e.Contact(acme, "Max Member")
	agent := e.Contact(vendor, "Nora Agent", access.RoleAgent)
	token, agentToken := e.Token(admin), e.Token(agent)
	fresh := func() *ent.SupportCase {
		kase := e.Case(acme, admin, "Phones reboot every hour")
		// Due an hour ago, so that it may be escalated at once.
		return e.Client.SupportCase.UpdateOne(kase).SetFirstResponseDueAt(e.Clock.Now().Add(-time.Hour)).SaveX(e.System())
	}
	run := func(name, mutation string, setup func(i int) (tok string, vars map[string]any)) {
		b.Run(name, func(b *testing.B) {
			var statements int64
			i := 0
			for b.Loop() {
				b.StopTimer()
				tok, vars := setup(i)
				i++
				before := e.Statements.Load()
				b.StartTimer()
				res := e.Query(tok, mutation, vars)
				b.StopTimer()
				statements += e.Statements.Load() - before
				if len(res.Errors) > 0 {
					b.Fatalf("%s: %+v", name, res.Errors)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(statements)/float64(i), "statements/op")
		})
	}
	one := fresh()
	run("update", `mutation($id: ID!, $t: String!, $s: CaseSeverity!) { updateCase(input: {id: $id, title: $t, severity: $s}) { case { version } events { kind changes { field } } } }`,
		func(i int) (string, map[string]any) {
			return token, map[string]any{"id": one.ID, "t": fmt.Sprintf("Title %d", i), "s": []string{"S2", "S3"}[i%2]}
		})
	run("comment", `mutation($id: ID!) { addCaseComment(input: {caseID: $id, body: "any news?"}) { comment { id } events { kind } } }`,
		func(int) (string, map[string]any) { return token, map[string]any{"id": one.ID} })
	run("collaborator", `mutation($id: ID!, $p: ID!) { addCaseCollaborator(input: {caseID: $id, contactID: $p}) { collaborator { id } events { kind } } }`,
		func(int) (string, map[string]any) { return token, map[string]any{"id": fresh().ID, "p": helper.ID} })
	run("share", `mutation($id: ID!, $e: [String!]!) { shareCase(input: {caseID: $id, emails: $e}) { case { sharedEmails } events { kind } } }`,
		func(i int) (string, map[string]any) {
			return token, map[string]any{"id": one.ID, "e": []string{fmt.Sprintf("ops%d@acme.example", i)}}
		})
	run("escalate", `mutation($id: ID!) { escalateCase(input: {id: $id, reason: "production down"}) { case { escalated } events { kind } } }`,
		func(int) (string, map[string]any) { return token, map[string]any{"id": fresh().ID} })
	run("close", `mutation($id: ID!) { closeCase(input: {id: $id}) { case { status } events { kind } } }`,
		func(int) (string, map[string]any) { return token, map[string]any{"id": fresh().ID} })
	run("reopen", `mutation($id: ID!) { reopenCase(input: {id: $id}) { case { status } events { kind } } }`,
		func(int) (string, map[string]any) {
			now := e.Clock.Now()
			closed := e.Client.SupportCase.UpdateOne(fresh()).SetStatus(supportcase.StatusCLOSED).
				SetClosedAt(now).SetReopenableUntil(now.Add(time.Hour)).SaveX(e.System())
			return token, map[string]any{"id": closed.ID}
		})
	run("delete-attachment", `mutation($id: ID!) { deleteCaseAttachment(input: {id: $id}) { deletedAttachmentID events { kind } } }`,
		func(int) (string, map[string]any) {
			a := e.Client.Attachment.Create().SetCaseID(one.ID).SetCustomerID(acme.ID).SetUploadedByID(admin.ID).
				SetName("logs.txt").SetContentType("text/plain").SetSize(4).
				SetSha256("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08").SaveX(e.System())
			return agentToken, map[string]any{"id": a.ID}
		})
	// Last: the fixtures number their cases apart from the workflow.
	run("create", `mutation($c: ID!) { createCase(input: {customerID: $c, title: "Phones reboot", severity: S3}) { case { id } events { kind } } }`,
		func(int) (string, map[string]any) { return token, map[string]any{"c": acme.ID} })
}
