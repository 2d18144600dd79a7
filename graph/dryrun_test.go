package graph_test

import (
	"encoding/json"
	"maps"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// decision is a payload's MutationDecision.
type decision struct {
	Allowed                      bool
	Code, Reason, Field, Message *string
}

const decisionFields = `decision { allowed code reason field message }`

// stored counts what a change leaves behind: its rows, its history, the
// mail it queues and its audit entry.
func stored(e *testkit.Env) map[string]int {
	ctx := e.System()
	return map[string]int{
		"cases":       e.Client.SupportCase.Query().CountX(ctx),
		"case events": e.Client.CaseEvent.Query().CountX(ctx),
		"grants":      e.Client.Grant.Query().CountX(ctx),
		"outbox":      e.Client.OutboxMessage.Query().CountX(ctx),
		"audit":       e.Client.AuditEntry.Query().CountX(ctx),
	}
}

// dryRunOf runs mutation as a dry run for token and decodes its payload
// (the field named field), which a refusal must answer as well: a dry run
// never answers a top-level error for what the mutation decides.
func dryRunOf(t *testing.T, e *testkit.Env, token, mutation, field string, in map[string]any, v any) decision {
	t.Helper()
	dry := maps.Clone(in)
	dry["dryRun"] = true
	dry["clientMutationId"] = "rehearsal"
	var got map[string]json.RawMessage
	e.Query(token, mutation, map[string]any{"in": dry}).Decode(t, &got)
	var p struct {
		ClientMutationID string
		Decision         decision
	}
	if err := json.Unmarshal(got[field], &p); err != nil {
		t.Fatal(err)
	}
	if p.ClientMutationID != "rehearsal" {
		t.Fatalf("%s: clientMutationId %q, want it echoed", field, p.ClientMutationID)
	}
	if v != nil {
		if err := json.Unmarshal(got[field], v); err != nil {
			t.Fatal(err)
		}
	}
	return p.Decision
}

// refusedLikeTheRealRun checks that a refused dry run names the code (and
// reason) of the error the real mutation then answers, and that neither
// changed anything.
func refusedLikeTheRealRun(t *testing.T, e *testkit.Env, token, mutation, field string, in map[string]any, unchanged func() any) {
	t.Helper()
	before, state := stored(e), unchanged()
	var p map[string]any
	d := dryRunOf(t, e, token, mutation, field, in, &p)
	real := e.Query(token, mutation, map[string]any{"in": in})
	if len(real.Errors) == 0 {
		t.Fatalf("%s %v: the real run succeeded; the test needs a refusal", field, in)
	}
	reason, _ := real.Errors[0].Extensions["reason"].(string)
	if d.Allowed || d.Code == nil || *d.Code != real.Code() || deref(d.Reason) != reason || d.Message == nil {
		t.Fatalf("%s %v: dry run decided %+v, the real run answered %+v", field, in, d, real.Errors)
	}
	for k, v := range p {
		if list, ok := v.([]any); k == "clientMutationId" || k == "decision" || v == nil || ok && len(list) == 0 {
			continue
		}
		t.Fatalf("%s: a refused dry run answered %s = %v, want null or empty", field, k, v)
	}
	if after := stored(e); !maps.Equal(before, after) {
		t.Fatalf("%s %v: stored %v, then %v", field, in, before, after)
	}
	if now := unchanged(); !jsonEqual(t, state, now) {
		t.Fatalf("%s %v: read %v, then %v", field, in, state, now)
	}
}

func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// caseState is what the API shows of a case: the fields a close or an
// escalation changes, and its history.
type caseState struct {
	Status    string
	Version   int
	Escalated bool
	UpdatedAt time.Time
	Events    struct{ TotalCount int }
}

func (w *caseWorld) state(t *testing.T, id string) caseState {
	t.Helper()
	var got struct{ Node caseState }
	w.do(w.agent, `query($id: ID!) { node(id: $id) { ... on Case { status version escalated updatedAt events(first: 1) { totalCount } } } }`,
		map[string]any{"id": id}).Decode(t, &got)
	return got.Node
}

// warmUp repeats a real change until its events come through s, and reads
// them all: from then on s misses nothing published, and holds nothing.
func warmUp(t *testing.T, s *testkit.Subscription, change func()) {
	t.Helper()
	for live := false; !live; {
		change()
		for {
			m, err := s.Read(200 * time.Millisecond)
			if err != nil {
				break
			}
			if m.Type != "next" {
				t.Fatalf("the stream answered %s %s", m.Type, m.Payload)
			}
			live = true
		}
	}
}

// listening returns the vendor's live stream of the case's events.
func (w *caseWorld) listening(t *testing.T, caseID string) *testkit.Subscription {
	t.Helper()
	s := w.Dial(t, w.tokens[w.agent])
	s.Subscribe("1", caseEventsSub, map[string]any{"k": caseID})
	comment := `mutation($in: AddCaseCommentInput!) { addCaseComment(input: $in) { comment { id } } }`
	warmUp(t, s, func() {
		w.do(w.member, comment, map[string]any{"in": map[string]any{"caseID": caseID, "body": "are you there?"}}).Decode(t, &struct{}{})
	})
	return s
}

type casePayload struct {
	Case struct {
		ID, Status string
		Escalated  bool
		Version    int
	}
	Events []struct{ ID, Kind string }
}

const closeCase = `mutation($in: CloseCaseInput!) { closeCase(input: $in) { clientMutationId case { id status escalated version } events { id kind } ` + decisionFields + ` } }`

func TestDryRunCloseCaseChangesNothing(t *testing.T) {
	w := newCaseWorld(t)
	c := w.create(t, w.member, w.acme, "S3")
	s := w.listening(t, c.ID)
	before, state := stored(w.Env), w.state(t, c.ID)

	var p casePayload
	d := dryRunOf(t, w.Env, w.tokens[w.member], closeCase, "closeCase", map[string]any{"id": c.ID, "version": state.Version}, &p)
	if !d.Allowed || d.Code != nil || p.Case.Status != "CLOSED" || p.Case.Version != state.Version+1 || len(p.Events) != 1 || p.Events[0].Kind != "CLOSED" {
		t.Fatalf("a dry close answered %+v %+v", d, p)
	}
	if after := stored(w.Env); !maps.Equal(before, after) {
		t.Fatalf("a dry close stored %v, then %v", before, after)
	}
	if now := w.state(t, c.ID); now != state {
		t.Fatalf("a dry close: the case was %+v, is %+v", state, now)
	}

	// Refusals: a stale version, a customer's contact that is not Acme's.
	stale := func() any { return w.state(t, c.ID) }
	refusedLikeTheRealRun(t, w.Env, w.tokens[w.member], closeCase, "closeCase", map[string]any{"id": c.ID, "version": state.Version - 1}, stale)
	refusedLikeTheRealRun(t, w.Env, w.tokens[w.globexAdmin], closeCase, "closeCase", map[string]any{"id": c.ID}, stale)

	// The real close after the dry runs: its event is the first the
	// stream delivers since the dry runs, so theirs were never published.
	var real struct{ CloseCase casePayload }
	w.do(w.member, closeCase, map[string]any{"in": map[string]any{"id": c.ID, "version": state.Version}}).Decode(t, &real)
	if real.CloseCase.Case.Status != "CLOSED" || w.state(t, c.ID).Status != "CLOSED" {
		t.Fatalf("the real close: %+v", real)
	}
	if ev := nextEvent(t, s); ev.CaseEvents.ID != real.CloseCase.Events[0].ID {
		t.Fatalf("the stream delivered %+v before the real close's %s", ev, real.CloseCase.Events[0].ID)
	}
	if after := stored(w.Env); after["audit"] != before["audit"]+1 || after["case events"] != before["case events"]+1 {
		t.Fatalf("the real close stored %v, then %v", before, after)
	}
}

const escalateCase = `mutation($in: EscalateCaseInput!) { escalateCase(input: $in) { clientMutationId case { id status escalated version } events { id kind } ` + decisionFields + ` } }`

func TestDryRunEscalateCaseChangesNothing(t *testing.T) {
	w := newCaseWorld(t)
	c := w.create(t, w.member, w.acme, "S1")
	s := w.listening(t, c.ID)
	in := map[string]any{"id": c.ID, "reason": "the whole site is down"}
	unchanged := func() any { return w.state(t, c.ID) }

	// Before the first-response target passes, and from a contact who is
	// not designated, escalation is refused with its reason.
	refusedLikeTheRealRun(t, w.Env, w.tokens[w.designated], escalateCase, "escalateCase", in, unchanged)
	w.Clock.Set(c.FirstResponseDueAt)
	refusedLikeTheRealRun(t, w.Env, w.tokens[w.member], escalateCase, "escalateCase", in, unchanged)

	before, state := stored(w.Env), w.state(t, c.ID)
	var p casePayload
	d := dryRunOf(t, w.Env, w.tokens[w.designated], escalateCase, "escalateCase", in, &p)
	if !d.Allowed || !p.Case.Escalated || len(p.Events) != 1 || p.Events[0].Kind != "ESCALATED" {
		t.Fatalf("a dry escalation answered %+v %+v", d, p)
	}
	if after := stored(w.Env); !maps.Equal(before, after) {
		t.Fatalf("a dry escalation stored %v, then %v", before, after)
	}
	if now := w.state(t, c.ID); now != state || now.Escalated {
		t.Fatalf("a dry escalation: the case was %+v, is %+v", state, now)
	}

	var real struct{ EscalateCase casePayload }
	w.do(w.designated, escalateCase, map[string]any{"in": in}).Decode(t, &real)
	if !real.EscalateCase.Case.Escalated || !w.state(t, c.ID).Escalated {
		t.Fatalf("the real escalation: %+v", real)
	}
	if ev := nextEvent(t, s); ev.CaseEvents.ID != real.EscalateCase.Events[0].ID {
		t.Fatalf("the stream delivered %+v before the real escalation's %s", ev, real.EscalateCase.Events[0].ID)
	}
}

type grantPayload struct {
	Grant struct{ ID, Status, Level string }
}

type grantEvent struct {
	GrantEvents struct {
		Kind  string
		Grant struct{ ID string }
	}
}

// grantStream returns the partner admin's live stream of grant events,
// and the pending request that made it so.
func (w *grantWorld) grantStream(t *testing.T) (s *testkit.Subscription, pending string) {
	t.Helper()
	s = w.Dial(t, w.adminT)
	s.Subscribe("1", `subscription { grantEvents { kind grant { id } } }`, nil)
	warmUp(t, s, func() { pending = w.request(t, map[string]any{"level": "LOOK", "expiresInDays": 30}) })
	return s, pending
}

func nextGrantEvent(t *testing.T, s *testkit.Subscription) grantEvent {
	t.Helper()
	var ev grantEvent
	testkit.Response{Data: mustData(t, s.Next(5*time.Second))}.Decode(t, &ev)
	return ev
}

func (w *grantWorld) status(t *testing.T, id string) string {
	t.Helper()
	var got struct{ Node struct{ Status string } }
	w.Query(w.adminT, `query($id: ID!) { node(id: $id) { ... on Grant { status } } }`, map[string]any{"id": id}).Decode(t, &got)
	return got.Node.Status
}

const requestGrantDry = `mutation($in: RequestGrantInput!) { requestGrant(input: $in) { clientMutationId grant { id status level } ` + decisionFields + ` } }`

func TestDryRunRequestGrantChangesNothing(t *testing.T) {
	w := newGrantWorld(t)
	s, pending := w.grantStream(t)
	smtp := testkit.StartSMTP(t)
	w.DeliverOutbox(smtp)
	mails := len(smtp.Received())
	// The same customer, grantee and domain as the pending request: a real
	// request would supersede it.
	in := map[string]any{"customerContactEmail": w.manager.Email, "level": "UPDATE", "expiresInDays": 7}
	before := stored(w.Env)

	var p grantPayload
	d := dryRunOf(t, w.Env, w.adminT, requestGrantDry, "requestGrant", in, &p)
	if !d.Allowed || p.Grant.Status != "PENDING" || p.Grant.Level != "UPDATE" {
		t.Fatalf("a dry request answered %+v %+v", d, p)
	}
	if after := stored(w.Env); !maps.Equal(before, after) {
		t.Fatalf("a dry request stored %v, then %v", before, after)
	}
	if st := w.status(t, pending); st != "PENDING" {
		t.Fatalf("a dry request superseded the pending one: %s", st)
	}
	w.DeliverOutbox(smtp)
	if n := len(smtp.Received()); n != mails {
		t.Fatalf("a dry request mailed: %d mails, then %d", mails, n)
	}

	// Refused: by the @action directive (a plain member may not request),
	// and by the domain (an expiry out of range, with the field at fault).
	unchanged := func() any { return w.status(t, pending) }
	refusedLikeTheRealRun(t, w.Env, w.partnerT, requestGrantDry, "requestGrant", in, unchanged)
	bad := maps.Clone(in)
	bad["expiresInDays"] = 0
	refusedLikeTheRealRun(t, w.Env, w.adminT, requestGrantDry, "requestGrant", bad, unchanged)
	if d := dryRunOf(t, w.Env, w.adminT, requestGrantDry, "requestGrant", bad, nil); deref(d.Code) != "BAD_USER_INPUT" || deref(d.Field) != "expiresInDays" {
		t.Fatalf("an expiry of 0 days: %+v", d)
	}

	var real struct{ RequestGrant grantPayload }
	w.Query(w.adminT, requestGrantDry, map[string]any{"in": in}).Decode(t, &real)
	if ev := nextGrantEvent(t, s); ev.GrantEvents.Grant.ID != real.RequestGrant.Grant.ID && ev.GrantEvents.Grant.ID != pending {
		t.Fatalf("the stream delivered %+v, not the real request's", ev)
	}
	if st := w.status(t, pending); st != "SUPERSEDED" {
		t.Fatalf("the real request left the older one %s", st)
	}
	w.DeliverOutbox(smtp)
	if n := len(smtp.Received()); n == mails {
		t.Fatal("the real request mailed no one")
	}
}

const revokeGrantDry = `mutation($in: RevokeGrantInput!) { revokeGrant(input: $in) { clientMutationId grant { id status level } ` + decisionFields + ` } }`

func TestDryRunRevokeGrantChangesNothing(t *testing.T) {
	w := newGrantWorld(t)
	active := w.Grant(testkit.GrantSpec{Partner: w.partner, Customer: w.acme, Level: access.Look})
	s, pending := w.grantStream(t)
	in := map[string]any{"id": active.ID}
	before := stored(w.Env)

	var p grantPayload
	d := dryRunOf(t, w.Env, w.managerT, revokeGrantDry, "revokeGrant", in, &p)
	if !d.Allowed || p.Grant.ID != active.ID || p.Grant.Status != "REVOKED" {
		t.Fatalf("a dry revocation answered %+v %+v", d, p)
	}
	if after := stored(w.Env); !maps.Equal(before, after) {
		t.Fatalf("a dry revocation stored %v, then %v", before, after)
	}
	if st := w.status(t, active.ID); st != "ACTIVE" {
		t.Fatalf("a dry revocation left the grant %s", st)
	}
	if l := w.level(t, w.partnerT); l == nil || *l != "LOOK" {
		t.Fatalf("after a dry revocation the partner holds %v", l)
	}

	// Refused: a plain customer member may not revoke.
	refusedLikeTheRealRun(t, w.Env, w.memberT, revokeGrantDry, "revokeGrant", in, func() any { return w.status(t, active.ID) })

	// The stream's next event is the real revocation's.
	var real struct{ RevokeGrant grantPayload }
	w.Query(w.managerT, revokeGrantDry, map[string]any{"in": map[string]any{"id": pending}}).Decode(t, &real)
	if ev := nextGrantEvent(t, s); ev.GrantEvents.Kind != "REVOKED" || ev.GrantEvents.Grant.ID != pending {
		t.Fatalf("the stream delivered %+v before the real revocation of %s", ev, pending)
	}
	w.Query(w.managerT, revokeGrantDry, map[string]any{"in": in}).Decode(t, &real)
	if real.RevokeGrant.Grant.Status != "REVOKED" || w.status(t, active.ID) != "REVOKED" {
		t.Fatalf("the real revocation: %+v", real)
	}
}

// TestDryRunOfAMalformedRequest: what never reaches the mutation (a
// required input field missing) stays a top-level error; an ID that names
// nothing, malformed or not, reaches it and is decided as the real run
// answers it.
func TestDryRunOfAMalformedRequest(t *testing.T) {
	w := newCaseWorld(t)
	res := w.do(w.member, closeCase, map[string]any{"in": map[string]any{"dryRun": true}})
	if res.Code() != "BAD_USER_INPUT" || !res.NoData() {
		t.Fatalf("a dry close without an id: %+v %s", res.Errors, res.Data)
	}
	c := w.create(t, w.member, w.acme, "S3")
	unchanged := func() any { return w.state(t, c.ID) }
	for _, id := range []string{"nonsense", "cas_01M8MF0QHRCSQ1YQA8ZXQKX6BD"} {
		refusedLikeTheRealRun(t, w.Env, w.tokens[w.member], closeCase, "closeCase", map[string]any{"id": id}, unchanged)
	}
}
