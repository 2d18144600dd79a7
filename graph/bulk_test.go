package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/bulk"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/auditentry"
	"github.com/partnerdesk/partnerdesk/ent/bulkjobresult"
	"github.com/partnerdesk/partnerdesk/ent/casecomment"
	"github.com/partnerdesk/partnerdesk/ent/caseevent"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
	"github.com/partnerdesk/partnerdesk/internal/pgtest"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// bulkWorld: Contoso's admin Pat holds an individual UPDATE grant on Acme;
// Contoso holds LOOK on Acme and Globex, so Pat sees Globex's cases but
// may not work them. Acme has three open cases, Globex one.
type bulkWorld struct {
	*testkit.Env
	acme, globex, contoso  *ent.Organization
	pat, sam, manager      *ent.Contact
	update                 *ent.Grant
	acmeCases              []*ent.SupportCase
	globexCase             *ent.SupportCase
	patT, samT, managerT   string
	globexAdmin            *ent.Contact
	contosoAdmin           *ent.Contact
	contosoAdminT, globexT string
}

func newBulkWorld(t *testing.T, opts ...testkit.Option) *bulkWorld {
	e := testkit.New(t, opts...)
	w := &bulkWorld{Env: e}
	w.acme = e.Org(access.Customer, "Acme")
	w.globex = e.Org(access.Customer, "Globex")
	w.contoso = e.Org(access.Partner, "Contoso")
	w.pat = e.Contact(w.contoso, "Pat Admin", access.RoleAdmin)
	w.sam = e.Contact(w.contoso, "Sam Staff")
	w.contosoAdmin = e.Contact(w.contoso, "Cleo Admin", access.RoleAdmin)
	w.manager = e.Contact(w.acme, "Carl Manager", access.RoleContactManager)
	w.globexAdmin = e.Contact(w.globex, "Gus Admin", access.RoleAdmin)
	before := e.Clock.Now().Add(-time.Hour)
	w.update = e.Grant(testkit.GrantSpec{Partner: w.contoso, Customer: w.acme, Level: access.Update, Grantee: w.pat, StartsAt: before})
	e.Grant(testkit.GrantSpec{Partner: w.contoso, Customer: w.acme, Level: access.Look, StartsAt: before})
	e.Grant(testkit.GrantSpec{Partner: w.contoso, Customer: w.globex, Level: access.Look, StartsAt: before})
	for i := range 3 {
		w.acmeCases = append(w.acmeCases, e.Case(w.acme, w.manager, fmt.Sprintf("Acme case %d", i)))
	}
	w.globexCase = e.Case(w.globex, w.globexAdmin, "Globex case")
	w.patT, w.samT, w.managerT = e.Token(w.pat), e.Token(w.sam), e.Token(w.manager)
	w.contosoAdminT, w.globexT = e.Token(w.contosoAdmin), e.Token(w.globexAdmin)
	return w
}

const (
	jobFields      = `id kind status dryRun finishedAt progress { done total ok failed cancelled }`
	bulkCloseMut   = `mutation($in: BulkCloseCasesInput!) { bulkCloseCases(input: $in) { clientMutationId job { ` + jobFields + ` } } }`
	bulkCommentMut = `mutation($in: BulkAddCaseCommentInput!) { bulkAddCaseComment(input: $in) { job { ` + jobFields + ` } } }`
	bulkGrantsMut  = `mutation($in: BulkRequestGrantsInput!) { bulkRequestGrants(input: $in) { job { ` + jobFields + ` } } }`
	cancelJobMut   = `mutation($id: ID!) { cancelBulkJob(input: {id: $id}) { job { ` + jobFields + ` } } }`
	jobQuery       = `query($id: ID!) { node(id: $id) { ... on BulkJob { ` + jobFields + `
  results(first: 100) { nodes { index subjectID outcome errorCode errorMessage resultID } } } } }`
)

type jobView struct {
	ID, Kind, Status string
	DryRun           bool
	FinishedAt       *time.Time
	Progress         struct{ Done, Total, OK, Failed, Cancelled int }
	Results          struct {
		Nodes []resultView
	}
}

type resultView struct {
	Index                   int
	SubjectID, Outcome      string
	ErrorCode, ErrorMessage *string
	ResultID                *string
}

func (r resultView) code() string {
	if r.ErrorCode == nil {
		return ""
	}
	return *r.ErrorCode
}

// closeItems names cases to close.
func closeItems(cases ...*ent.SupportCase) []map[string]any {
	var items []map[string]any
	for _, c := range cases {
		items = append(items, map[string]any{"id": c.ID})
	}
	return items
}

// start sends a bulk mutation and returns its job, still QUEUED.
func (w *bulkWorld) start(t *testing.T, token, mutation string, in map[string]any) jobView {
	t.Helper()
	var got map[string]struct{ Job jobView }
	w.Query(token, mutation, map[string]any{"in": in}).Decode(t, &got)
	for _, p := range got {
		return p.Job
	}
	t.Fatal("no payload")
	return jobView{}
}

func (w *bulkWorld) job(t *testing.T, token, id string) jobView {
	t.Helper()
	var got struct{ Node *jobView }
	w.Query(token, jobQuery, map[string]any{"id": id}).Decode(t, &got)
	if got.Node == nil {
		t.Fatalf("job %s is not the caller's to read", id)
	}
	return *got.Node
}

// work runs every job due, as a worker of the instance would.
func (w *bulkWorld) work(t *testing.T) {
	t.Helper()
	if _, err := w.Bulk.Work(context.Background()); err != nil {
		t.Fatalf("working: %v", err)
	}
}

func (w *bulkWorld) status(t *testing.T, c *ent.SupportCase) supportcase.Status {
	t.Helper()
	return w.Client.SupportCase.GetX(w.System(), c.ID).Status
}

// outcomes lists a job's results as "index:outcome:code".
func outcomes(j jobView) string {
	var out []string
	for _, r := range j.Results.Nodes {
		out = append(out, fmt.Sprintf("%d:%s:%s", r.Index, r.Outcome, r.code()))
	}
	return strings.Join(out, " ")
}

// TestBulkCloseDecidesEachItemOnItsOwn: of three cases, the one on a
// customer where Pat has only LOOK fails FORBIDDEN, and the other two
// close, each with the events and the audit entry closeCase writes.
func TestBulkCloseDecidesEachItemOnItsOwn(t *testing.T) {
	w := newBulkWorld(t)
	a, b := w.acmeCases[0], w.acmeCases[1]
	j := w.start(t, w.patT, bulkCloseMut, map[string]any{"items": closeItems(a, w.globexCase, b)})
	if j.Status != "QUEUED" || j.Kind != "CLOSE_CASES" || j.Progress.Total != 3 || j.Progress.Done != 0 {
		t.Fatalf("a new job: %+v", j)
	}
	if w.status(t, a) != supportcase.StatusNEW {
		t.Fatal("the request ran an item: items run in the worker")
	}
	w.work(t)
	j = w.job(t, w.patT, j.ID)
	if got := outcomes(j); got != "0:OK: 1:FAILED:FORBIDDEN 2:OK:" {
		t.Fatalf("outcomes %s", got)
	}
	if j.Status != "PARTIAL" || j.Progress != (struct{ Done, Total, OK, Failed, Cancelled int }{3, 3, 2, 1, 0}) || j.FinishedAt == nil {
		t.Fatalf("job %+v", j)
	}
	if r := j.Results.Nodes[0]; r.SubjectID != a.ID || r.ResultID == nil || *r.ResultID != a.ID {
		t.Fatalf("result 0: %+v", r)
	}
	if r := j.Results.Nodes[1]; r.SubjectID != w.globexCase.ID || r.ResultID != nil || r.ErrorMessage == nil {
		t.Fatalf("result 1: %+v", r)
	}
	for c, want := range map[*ent.SupportCase]supportcase.Status{a: supportcase.StatusCLOSED, b: supportcase.StatusCLOSED, w.globexCase: supportcase.StatusNEW} {
		if got := w.status(t, c); got != want {
			t.Errorf("%s is %s, want %s", c.Title, got, want)
		}
	}
	sys := w.System()
	if n := w.Client.CaseEvent.Query().Where(caseevent.KindEQ(caseevent.KindCLOSED)).CountX(sys); n != 2 {
		t.Errorf("%d CLOSED events, want 2", n)
	}
	entries := w.Client.AuditEntry.Query().Where(auditentry.Operation("closeCase"), auditentry.ActorID(w.pat.ID)).AllX(sys)
	if len(entries) != 2 || entries[0].GrantID == nil || *entries[0].GrantID != w.update.ID || entries[0].CustomerID == nil || *entries[0].CustomerID != w.acme.ID {
		t.Fatalf("closeCase audit entries: %+v", entries)
	}
	if n := w.Client.AuditEntry.Query().Where(auditentry.Operation("bulkCloseCases"), auditentry.ObjectID(j.ID)).CountX(sys); n != 1 {
		t.Errorf("%d bulkCloseCases entries, want 1", n)
	}
	// The job is Pat's, and its organisation's admins'; not its colleagues'.
	w.job(t, w.contosoAdminT, j.ID)
	if res := w.Query(w.samT, jobQuery, map[string]any{"id": j.ID}); res.Code() != "NOT_FOUND" {
		t.Fatalf("a colleague who is no admin reading Pat's job: %s %+v", res.Data, res.Errors)
	}
	if res := w.Query(w.contosoAdminT, cancelJobMut, map[string]any{"id": j.ID}); res.Code() != "FORBIDDEN" {
		t.Fatalf("an admin cancelling Pat's job: %+v", res.Errors)
	}
}

// TestBulkTakesAtMostAThousandItems: 1,000 items pass the input limits;
// 1,001 are BAD_USER_INPUT and leave no job.
func TestBulkTakesAtMostAThousandItems(t *testing.T) {
	w := newBulkWorld(t)
	items := make([]map[string]any, bulk.MaxItems+1)
	for i := range items {
		items[i] = map[string]any{"caseID": w.acmeCases[0].ID, "body": fmt.Sprintf("note %d", i)}
	}
	res := w.Query(w.patT, bulkCommentMut, map[string]any{"in": map[string]any{"items": items}})
	if res.Code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != "input.items" {
		t.Fatalf("1,001 items: %+v", res.Errors)
	}
	if n := w.Client.BulkJob.Query().CountX(w.System()); n != 0 {
		t.Fatalf("%d jobs after a refusal", n)
	}
	j := w.start(t, w.patT, bulkCommentMut, map[string]any{"items": items[:bulk.MaxItems]})
	if j.Progress.Total != bulk.MaxItems {
		t.Fatalf("1,000 items: %+v", j)
	}
}

// TestBulkIsIdempotentByClientMutationID: the same caller sending the same
// mutation with the same clientMutationId gets the same job, and its
// items run once.
func TestBulkIsIdempotentByClientMutationID(t *testing.T) {
	w := newBulkWorld(t)
	in := map[string]any{"clientMutationId": "nightly-1", "items": []map[string]any{
		{"caseID": w.acmeCases[0].ID, "body": "one"}, {"caseID": w.acmeCases[1].ID, "body": "two"},
	}}
	first := w.start(t, w.patT, bulkCommentMut, in)
	again := w.start(t, w.patT, bulkCommentMut, in)
	if again.ID != first.ID {
		t.Fatalf("the same clientMutationId made two jobs: %s, %s", first.ID, again.ID)
	}
	w.work(t)
	if after := w.start(t, w.patT, bulkCommentMut, in); after.ID != first.ID || after.Status != "SUCCEEDED" {
		t.Fatalf("sent again after it ran: %+v", after)
	}
	w.work(t)
	if n := w.Client.CaseComment.Query().CountX(w.System()); n != 2 {
		t.Fatalf("%d comments, want 2", n)
	}
	// Another clientMutationId is another job.
	in["clientMutationId"] = "nightly-2"
	if other := w.start(t, w.patT, bulkCommentMut, in); other.ID == first.ID {
		t.Fatal("another clientMutationId got the same job")
	}
}

// TestCancelBulkJobMidRun: cancelled after its first item, a job's other
// items end CANCELLED and change nothing; a finished job is a CONFLICT.
func TestCancelBulkJobMidRun(t *testing.T) {
	w := newBulkWorld(t)
	j := w.start(t, w.patT, bulkCloseMut, map[string]any{"items": closeItems(w.acmeCases...)})
	var cancelled jobView
	w.Bulk.AfterItem = func(id string, i int) {
		if i == 0 {
			var got struct{ CancelBulkJob struct{ Job jobView } }
			w.Query(w.patT, cancelJobMut, map[string]any{"id": id}).Decode(t, &got)
			cancelled = got.CancelBulkJob.Job
		}
	}
	w.work(t)
	if cancelled.Status != "CANCELLED" || cancelled.Progress.Cancelled != 2 || cancelled.Progress.Done != 3 {
		t.Fatalf("cancelBulkJob answered %+v", cancelled)
	}
	j = w.job(t, w.patT, j.ID)
	if got := outcomes(j); got != "0:OK: 1:CANCELLED: 2:CANCELLED:" || j.Status != "CANCELLED" {
		t.Fatalf("job %s, outcomes %s", j.Status, got)
	}
	if w.status(t, w.acmeCases[0]) != supportcase.StatusCLOSED || w.status(t, w.acmeCases[1]) != supportcase.StatusNEW || w.status(t, w.acmeCases[2]) != supportcase.StatusNEW {
		t.Fatal("the cases do not stand as the job says")
	}
	if res := w.Query(w.patT, cancelJobMut, map[string]any{"id": j.ID}); res.Code() != "CONFLICT" {
		t.Fatalf("cancelling a finished job: %+v", res.Errors)
	}
}

// TestBulkItemsAreDecidedWhenTheyRun: Pat's UPDATE grant is revoked after
// the job is queued: its items are decided on the LOOK that remains.
func TestBulkItemsAreDecidedWhenTheyRun(t *testing.T) {
	w := newBulkWorld(t)
	j := w.start(t, w.patT, bulkCommentMut, map[string]any{"items": []map[string]any{
		{"caseID": w.acmeCases[0].ID, "body": "one"}, {"caseID": w.acmeCases[1].ID, "body": "two"},
	}})
	w.Query(w.managerT, `mutation($id: ID!) { revokeGrant(input: {id: $id}) { grant { status } } }`, map[string]any{"id": w.update.ID}).Decode(t, &struct{}{})
	w.work(t)
	j = w.job(t, w.patT, j.ID)
	if got := outcomes(j); got != "0:FAILED:FORBIDDEN 1:FAILED:FORBIDDEN" || j.Status != "FAILED" {
		t.Fatalf("job %s, outcomes %s", j.Status, got)
	}
	if n := w.Client.CaseComment.Query().CountX(w.System()); n != 0 {
		t.Fatalf("%d comments written after the grant was revoked", n)
	}
}

// TestBulkDryRunChangesNothing: a dry run decides each item as it would
// run, and leaves the cases, their history, the audit and the outbox as
// they were.
func TestBulkDryRunChangesNothing(t *testing.T) {
	w := newBulkWorld(t)
	sys := w.System()
	before := func() [4]int {
		return [4]int{
			w.Client.CaseEvent.Query().CountX(sys), w.Client.AuditEntry.Query().CountX(sys),
			w.Client.OutboxMessage.Query().CountX(sys), w.Client.SupportCase.Query().Where(supportcase.StatusEQ(supportcase.StatusCLOSED)).CountX(sys),
		}
	}
	var dry struct {
		BulkCloseCases struct {
			Job      jobView
			Decision struct{ Allowed bool }
		}
	}
	w.Query(w.patT, `mutation($in: BulkCloseCasesInput!) { bulkCloseCases(input: $in) { job { id } decision { allowed } } }`,
		map[string]any{"in": map[string]any{"dryRun": true, "items": closeItems(w.acmeCases[0], w.globexCase)}}).Decode(t, &dry)
	if !dry.BulkCloseCases.Decision.Allowed {
		t.Fatalf("the dry run's decision: %+v", dry.BulkCloseCases)
	}
	j := dry.BulkCloseCases.Job
	was := before()
	w.work(t)
	j = w.job(t, w.patT, j.ID)
	if got := outcomes(j); got != "0:OK: 1:FAILED:FORBIDDEN" || !j.DryRun || j.Status != "PARTIAL" || j.Results.Nodes[0].ResultID != nil {
		t.Fatalf("dry run %+v: %s", j, got)
	}
	if now := before(); now != was {
		t.Fatalf("a dry run changed events, audit, outbox, closed cases: %v, then %v", was, now)
	}
	// The same items for real are another job.
	real := w.start(t, w.patT, bulkCloseMut, map[string]any{"items": closeItems(w.acmeCases[0])})
	if real.ID == j.ID || real.DryRun {
		t.Fatalf("the real run: %+v", real)
	}
}

// TestBulkRequestGrants: each request is filed as requestGrant files it,
// its customer the item's subject; an address that names no contact
// manager fails that item alone.
func TestBulkRequestGrants(t *testing.T) {
	w := newBulkWorld(t)
	j := w.start(t, w.patT, bulkGrantsMut, map[string]any{"items": []map[string]any{
		{"customerContactEmail": w.manager.Email, "level": "CREATE", "expiresInDays": 30},
		{"customerContactEmail": "nobody@nowhere.example", "level": "LOOK", "expiresInDays": 30},
	}})
	w.work(t)
	j = w.job(t, w.patT, j.ID)
	if got := outcomes(j); got != "0:OK: 1:FAILED:BAD_USER_INPUT" || j.Results.Nodes[0].SubjectID != w.acme.ID {
		t.Fatalf("outcomes %s: %+v", got, j.Results.Nodes)
	}
	g := w.Client.Grant.GetX(w.System(), *j.Results.Nodes[0].ResultID)
	if g.Level != access.Create || g.PartnerID != w.contoso.ID || g.CustomerID != w.acme.ID {
		t.Fatalf("grant %+v", g)
	}
	// Only a partner's admins request access, in bulk too.
	if res := w.Query(w.samT, bulkGrantsMut, map[string]any{"in": map[string]any{"items": []map[string]any{
		{"customerContactEmail": w.manager.Email, "level": "LOOK", "expiresInDays": 30},
	}}}); res.Code() != "FORBIDDEN" {
		t.Fatalf("a partner contact who is no admin: %+v", res.Errors)
	}
}

// TestBulkJobResumesOnceAndOnlyOnce: a worker stops after five items of
// twenty (its lease lapses: it crashed, or stalled); a worker of another
// instance takes the job over at the sixth item and finishes it; the
// first, coming back, commits nothing more. Every item runs once.
func TestBulkJobResumesOnceAndOnlyOnce(t *testing.T) {
	w := newBulkWorld(t)
	other := testkit.New(t, testkit.Beside(w.Env))
	var items []map[string]any
	for i := range 20 {
		items = append(items, map[string]any{"caseID": w.acmeCases[i%3].ID, "body": fmt.Sprintf("item %d", i)})
	}
	j := w.start(t, w.patT, bulkCommentMut, map[string]any{"items": items})
	took := 0
	w.Bulk.AfterItem = func(_ string, i int) {
		if i != 4 {
			return
		}
		if n, _ := other.Bulk.Work(context.Background()); n != 0 {
			t.Error("the other worker took a job whose lease holds")
		}
		w.Clock.Advance(bulk.DefaultLease + time.Second)
		took, _ = other.Bulk.Work(context.Background())
	}
	w.work(t)
	if took != 1 {
		t.Fatal("the other worker did not take the lapsed job over")
	}
	j = w.job(t, w.patT, j.ID)
	if j.Status != "SUCCEEDED" || j.Progress.OK != 20 || len(j.Results.Nodes) != 20 {
		t.Fatalf("job %+v", j)
	}
	sys := w.System()
	for i := range 20 {
		if n := w.Client.CaseComment.Query().Where(casecomment.Body(fmt.Sprintf("item %d", i))).CountX(sys); n != 1 {
			t.Errorf("item %d ran %d times", i, n)
		}
	}
	if n := w.Client.BulkJobResult.Query().Where(bulkjobresult.OutcomeEQ(bulkjobresult.OutcomeOK)).CountX(sys); n != 20 {
		t.Errorf("%d results", n)
	}
}

// TestTwoWorkersClaimAJobOnce: the workers of two instances look for
// work at the same instant; one claims the job, and each item runs once.
func TestTwoWorkersClaimAJobOnce(t *testing.T) {
	w := newBulkWorld(t)
	other := testkit.New(t, testkit.Beside(w.Env))
	var items []map[string]any
	for i := range 10 {
		items = append(items, map[string]any{"caseID": w.acmeCases[i%3].ID, "body": fmt.Sprintf("item %d", i)})
	}
	j := w.start(t, w.patT, bulkCommentMut, map[string]any{"items": items})
	claimed := make(chan int, 2)
	for _, worker := range []*bulk.Worker{w.Bulk, other.Bulk} {
		go func() {
			n, err := worker.Work(context.Background())
			if err != nil {
				t.Error(err)
			}
			claimed <- n
		}()
	}
	if n := <-claimed + <-claimed; n != 1 {
		t.Fatalf("the job was claimed %d times", n)
	}
	if j = w.job(t, w.patT, j.ID); j.Status != "SUCCEEDED" || len(j.Results.Nodes) != 10 {
		t.Fatalf("job %+v", j)
	}
	if n := w.Client.CaseComment.Query().CountX(w.System()); n != 10 {
		t.Fatalf("%d comments for 10 items", n)
	}
}

const progressSub = `subscription($id: ID!) { bulkJobProgress(id: $id) { id status progress { done total ok } } }`

type progressView struct {
	ID, Status string
	Progress   struct{ Done, Total, OK int }
}

// following waits until broker b has n followers: a subscription
// follows once its resolver has run.
func following(t *testing.T, b interface{ Followers() int }, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); b.Followers() < n; runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatal("the subscription never started")
		}
	}
}

// progressToEnd reads a bulkJobProgress stream to its completion, and
// returns the last progress it sent.
func progressToEnd(t *testing.T, s *testkit.Subscription) progressView {
	t.Helper()
	var last struct{ BulkJobProgress progressView }
	for {
		m := s.Next(5 * time.Second)
		if m.Type == "complete" {
			return last.BulkJobProgress
		}
		if m.Type != "next" || len(m.Errors()) > 0 {
			t.Fatalf("got %s %s", m.Type, m.Payload)
		}
		testkit.Response{Data: mustData(t, m)}.Decode(t, &last)
	}
}

// TestBulkJobProgressStreams: a real websocket follows a job's progress
// and completes when it ends; a finished job is answered once.
func TestBulkJobProgressStreams(t *testing.T) {
	w := newBulkWorld(t)
	j := w.start(t, w.patT, bulkCloseMut, map[string]any{"items": closeItems(w.acmeCases...)})
	s := w.Dial(t, w.patT)
	s.Subscribe("1", progressSub, map[string]any{"id": j.ID})
	following(t, w.Broker, 1)
	w.work(t)
	if p := progressToEnd(t, s); p.ID != j.ID || p.Status != "SUCCEEDED" || p.Progress.Done != 3 || p.Progress.OK != 3 {
		t.Fatalf("the last progress: %+v", p)
	}
	// Once finished, the job is answered at once, and the stream completes.
	s.Subscribe("2", progressSub, map[string]any{"id": j.ID})
	if p := progressToEnd(t, s); p.Status != "SUCCEEDED" {
		t.Fatalf("a finished job's progress: %+v", p)
	}
	// Someone else's job is not found.
	other := w.Dial(t, w.samT)
	other.Subscribe("1", progressSub, map[string]any{"id": j.ID})
	if m := other.Next(5 * time.Second); len(m.Errors()) == 0 || m.Errors()[0].Extensions["code"] != "NOT_FOUND" {
		t.Fatalf("a colleague following Pat's job: %s %s", m.Type, m.Payload)
	}
}

// TestBulkJobProgressCrossesInstances: the job runs on one instance, its
// progress streams from another, through PostgreSQL.
func TestBulkJobProgressCrossesInstances(t *testing.T) {
	pgtest.Only(t, "two instances sharing a database")
	w := newBulkWorld(t)
	other := testkit.New(t, testkit.Beside(w.Env))
	j := w.start(t, w.patT, bulkCloseMut, map[string]any{"items": closeItems(w.acmeCases...)})
	s := other.Dial(t, w.patT)
	s.Subscribe("1", progressSub, map[string]any{"id": j.ID})
	following(t, other.Broker, 1)
	w.work(t)
	if p := progressToEnd(t, s); p.Status != "SUCCEEDED" || p.Progress.Done != 3 {
		t.Fatalf("the last progress on the other instance: %+v", p)
	}
}

// TestBulkJobProgressOverServerSentEvents: the stream's response ends
// with a complete event when the job ends.
func TestBulkJobProgressOverServerSentEvents(t *testing.T) {
	w := newBulkWorld(t)
	j := w.start(t, w.patT, bulkCloseMut, map[string]any{"items": closeItems(w.acmeCases[0])})
	body, _ := json.Marshal(map[string]any{"query": progressSub, "variables": map[string]any{"id": j.ID}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, w.Server.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+w.patT)
	res, err := w.Server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	following(t, w.Broker, 1)
	w.work(t)
	got, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading the stream: %v (%s)", err, got)
	}
	if s := string(got); !strings.Contains(s, `"status":"SUCCEEDED"`) || !strings.HasSuffix(s, "event: complete\n\n") || strings.Contains(s, "errors") {
		t.Fatalf("the stream: %s", s)
	}
}
