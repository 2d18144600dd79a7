package graph_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/hook"
	"github.com/partnerdesk/partnerdesk/testkit"
)

type eventView struct {
	ID, Kind string
	Actor    struct{ ID string }
	Changes  []struct {
		Field         string
		Before, After *string
	}
}

const eventFields = `id kind actor { id } changes { field before after }`

// change returns the change of field the event shows, or fails.
func (ev eventView) change(t *testing.T, field string) (before, after string) {
	t.Helper()
	for _, ch := range ev.Changes {
		if ch.Field == field {
			if ch.Before != nil {
				before = *ch.Before
			}
			if ch.After != nil {
				after = *ch.After
			}
			return before, after
		}
	}
	t.Fatalf("the %s event shows no change of %s: %+v", ev.Kind, field, ev.Changes)
	return "", ""
}

// history reads a case's events as as sees them, oldest first.
func (w *caseWorld) history(t *testing.T, as *ent.Contact, id string) []eventView {
	t.Helper()
	var got struct {
		Node struct {
			Events struct{ Nodes []eventView }
		}
	}
	w.Query(w.tokens[as], `query($id: ID!) { node(id: $id) { ... on Case { events(first: 100) { nodes { `+eventFields+` } } } } }`,
		map[string]any{"id": id}).Decode(t, &got)
	return got.Node.Events.Nodes
}

func kinds(evs []eventView) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Kind
	}
	return out
}

// events runs a mutation of one case, field(input: input), as as, and
// returns the events of its payload. The input names IDs of vars.
func (w *caseWorld) events(t *testing.T, as *ent.Contact, field, input string, vars map[string]any) []eventView {
	t.Helper()
	var params []string
	for name := range vars {
		if strings.Contains(input, "$"+name) {
			params = append(params, "$"+name+": ID!")
		}
	}
	var got map[string]struct{ Events []eventView }
	w.do(as, `mutation(`+strings.Join(params, ", ")+`) { `+field+`(input: `+input+`) { events { `+eventFields+` } } }`, vars).Decode(t, &got)
	return got[field].Events
}

// oneEvent is events for a mutation that records one event, of kind, the
// last of the case's history.
func (w *caseWorld) oneEvent(t *testing.T, as *ent.Contact, kind, field, input, caseID string, vars map[string]any) eventView {
	t.Helper()
	evs := w.events(t, as, field, input, vars)
	if len(evs) != 1 || evs[0].Kind != kind {
		t.Fatalf("%s recorded %+v, want one %s", field, evs, kind)
	}
	if h := w.history(t, w.agent, caseID); h[len(h)-1].ID != evs[0].ID {
		t.Fatalf("the history ends with %+v, not %s's event", h[len(h)-1], field)
	}
	return evs[0]
}

// TestEveryCaseWriteDerivesItsHistory runs every case workflow through the
// API and checks that the events each payload returns are the events the
// case's history shows, and the events a hook registered on the client
// (as subscriptions and notifications register theirs) saw created.
func TestEveryCaseWriteDerivesItsHistory(t *testing.T) {
	w := newCaseWorld(t)
	var (
		mu   sync.Mutex // guards seen, which the server's goroutines append to
		seen []string
	)
	w.Client.CaseEvent.Use(hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.CaseEventFunc(func(ctx context.Context, m *ent.CaseEventMutation) (ent.Value, error) {
			v, err := next.Mutate(ctx, m)
			if err == nil {
				mu.Lock()
				seen = append(seen, v.(*ent.CaseEvent).ID)
				mu.Unlock()
			}
			return v, err
		})
	}, ent.OpCreate))

	var (
		payloads []eventView
		vars     map[string]any
	)
	run := func(field, input string) {
		t.Helper()
		payloads = append(payloads, w.events(t, w.agent, field, input, vars)...)
	}
	var created struct {
		CreateCase struct {
			Case   struct{ ID string }
			Events []eventView
		}
	}
	w.do(w.agent, `mutation($in: CreateCaseInput!) { createCase(input: $in) { case { id } events { `+eventFields+` } } }`,
		map[string]any{"in": map[string]any{"customerID": w.acme.ID, "title": "Phones reboot", "severity": "S3"}}).Decode(t, &created)
	id := created.CreateCase.Case.ID
	payloads = append(payloads, created.CreateCase.Events...)
	vars = map[string]any{"id": id, "p": w.member.ID}
	run("updateCase", `{id: $id, title: " Phones reboot hourly ", status: IN_PROGRESS, severity: S2}`)
	run("updateCase", `{id: $id, primaryContactID: $p, product: "Desk phone"}`)
	run("addCaseComment", `{caseID: $id, body: "On it."}`)
	run("addCaseCollaborator", `{caseID: $id, contactID: $p}`)
	run("removeCaseCollaborator", `{caseID: $id, contactID: $p}`)
	run("shareCase", `{caseID: $id, emails: ["ops@acme.example"]}`)
	run("closeCase", `{id: $id}`)
	run("reopenCase", `{id: $id}`)

	want := []string{"CREATED", "STATUS_CHANGED", "SEVERITY_CHANGED", "UPDATED", "PRIMARY_CONTACT_CHANGED", "UPDATED",
		"COMMENTED", "COLLABORATOR_ADDED", "COLLABORATOR_REMOVED", "SHARED", "CLOSED", "REOPENED"}
	if got := kinds(payloads); !slices.Equal(got, want) {
		t.Fatalf("the payloads' events: %v, want %v", got, want)
	}
	history := w.history(t, w.agent, id)
	mu.Lock()
	defer mu.Unlock()
	if len(history) != len(want) || len(seen) != len(want) {
		t.Fatalf("%d events in the history, %d seen by the hook, want %d", len(history), len(seen), len(want))
	}
	for i, ev := range history {
		if ev.ID != payloads[i].ID || !slices.Contains(seen, ev.ID) || ev.Actor.ID != w.agent.ID {
			t.Fatalf("event %d: the history has %+v, the payload %+v; the client's hook saw %v", i, ev, payloads[i], seen)
		}
	}
	// Each event shows the fields of its kind, as the graph names them.
	if _, after := history[0].change(t, "severity"); after != "S3" {
		t.Errorf("CREATED shows severity %q", after)
	}
	if _, after := history[3].change(t, "title"); after != "Phones reboot hourly" {
		t.Errorf("UPDATED shows title %q", after)
	}
	if _, after := history[4].change(t, "primaryContactID"); after != w.member.ID {
		t.Errorf("PRIMARY_CONTACT_CHANGED shows %q", after)
	}
	if _, after := history[9].change(t, "sharedEmails"); after != "ops@acme.example" {
		t.Errorf("SHARED shows %q", after)
	}

	// An update that changes nothing records nothing and keeps the version.
	before := w.get(t, w.agent, id)
	var same struct {
		UpdateCase struct {
			Case   struct{ Version int }
			Events []eventView
		}
	}
	w.do(w.agent, `mutation($id: ID!) { updateCase(input: {id: $id, title: "Phones reboot hourly", severity: S2}) { case { version } events { id } } }`,
		vars).Decode(t, &same)
	if same.UpdateCase.Case.Version != before.Version || len(same.UpdateCase.Events) != 0 || len(w.history(t, w.agent, id)) != len(want) {
		t.Fatalf("an update that changes nothing: %+v", same)
	}
}

// TestAttachmentsAreHistory checks the events of adding and of removing a
// file, which the removal derives from the row it deletes.
func TestAttachmentsAreHistory(t *testing.T) {
	w := newCaseWorld(t)
	c := w.create(t, w.member, w.acme, "S3")
	a := w.Client.Attachment.Create().SetCaseID(c.ID).SetCustomerID(w.acme.ID).SetUploadedByID(w.member.ID).
		SetName("logs.txt").SetContentType("text/plain").SetSize(4).
		SetSha256("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08").SaveX(w.System())
	ev := w.oneEvent(t, w.agent, "ATTACHMENT_REMOVED", "deleteCaseAttachment", `{id: $id}`, c.ID, map[string]any{"id": a.ID})
	if before, _ := ev.change(t, "attachments"); before != "logs.txt" {
		t.Fatalf("ATTACHMENT_REMOVED shows %q", before)
	}
}

func TestReopenedCaseIsNotClosed(t *testing.T) {
	w := newCaseWorld(t)
	c := w.create(t, w.member, w.acme, "S3")
	closedAt := func() *time.Time {
		var got struct{ Node struct{ ClosedAt *time.Time } }
		w.Query(w.tokens[w.member], `query($id: ID!) { node(id: $id) { ... on Case { closedAt } } }`, map[string]any{"id": c.ID}).Decode(t, &got)
		return got.Node.ClosedAt
	}
	w.do(w.member, `mutation($id: ID!) { closeCase(input: {id: $id}) { case { id } } }`, map[string]any{"id": c.ID}).Decode(t, &struct{}{})
	if at := closedAt(); at == nil || !at.Equal(testkit.Epoch) {
		t.Fatalf("closed at %v", at)
	}
	w.Clock.Advance(time.Hour)
	w.do(w.member, `mutation($id: ID!) { reopenCase(input: {id: $id}) { case { id } } }`, map[string]any{"id": c.ID}).Decode(t, &struct{}{})
	if at := closedAt(); at != nil {
		t.Fatalf("a reopened case says it was closed at %s", at)
	}
}

func TestEscalatedEventKeepsTheReason(t *testing.T) {
	w := newCaseWorld(t)
	c := w.create(t, w.member, w.acme, "S1")
	w.Clock.Set(c.FirstResponseDueAt)
	ev := w.oneEvent(t, w.designated, "ESCALATED", "escalateCase", `{id: $id, reason: " production down "}`, c.ID, map[string]any{"id": c.ID})
	if _, reason := ev.change(t, "escalationReason"); reason != "production down" {
		t.Fatalf("ESCALATED keeps the reason %q", reason)
	}
}

func TestSeverityChangedEventShowsTheNewDueTime(t *testing.T) {
	w := newCaseWorld(t)
	c := w.create(t, w.member, w.acme, "S3")
	ev := w.oneEvent(t, w.member, "SEVERITY_CHANGED", "updateCase", `{id: $id, severity: S1}`, c.ID, map[string]any{"id": c.ID})
	before, after := ev.change(t, "firstResponseDueAt")
	if before != c.FirstResponseDueAt.UTC().Format(time.RFC3339Nano) || after != testkit.Epoch.Add(time.Hour).UTC().Format(time.RFC3339Nano) {
		t.Fatalf("the due time moved from %q to %q", before, after)
	}
}
