package graph_test

import (
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// TestEscalationExplanationAgreesWithTheMutation: what Case.escalation
// explains is what escalateCase answers, the caller's level first.
func TestEscalationExplanationAgreesWithTheMutation(t *testing.T) {
	w := newCaseWorld(t)
	fabrikam := w.Org(access.Partner, "Fabrikam")
	w.Grant(testkit.GrantSpec{Partner: fabrikam, Customer: w.acme, Level: access.Look, StartsAt: w.Clock.Now().Add(-time.Hour)})
	look := w.Contact(fabrikam, "Lou Look")
	w.tokens[look] = w.Token(look)
	c := w.create(t, w.member, w.acme, "S1")
	w.Clock.Set(c.FirstResponseDueAt)

	if v := w.get(t, look, c.ID); v.Escalation.Allowed || v.Escalation.Reason == nil || *v.Escalation.Reason != "LEVEL" {
		t.Fatalf("a LOOK partner's escalation: %+v", v.Escalation)
	}
	res := w.do(look, `mutation($id: ID!) { escalateCase(input: {id: $id, reason: "down"}) { case { escalated } } }`, map[string]any{"id": c.ID})
	if res.Code() != "FORBIDDEN" {
		t.Fatalf("a LOOK partner escalating: %+v", res.Errors)
	}
}

func TestTooEarlyRefusalSaysWhenInExtensions(t *testing.T) {
	w := newCaseWorld(t)
	c := w.create(t, w.member, w.acme, "S1")
	res := w.do(w.designated, `mutation($id: ID!) { escalateCase(input: {id: $id, reason: "down"}) { case { escalated } } }`, map[string]any{"id": c.ID})
	if res.Code() != "ESCALATION_NOT_ALLOWED" || res.Errors[0].Extensions["reason"] != "TOO_EARLY" {
		t.Fatalf("escalating early: %+v", res.Errors)
	}
	if at := res.Errors[0].Extensions["availableAt"]; at != c.FirstResponseDueAt.UTC().Format(time.RFC3339Nano) {
		t.Fatalf("availableAt %v, want %s", at, c.FirstResponseDueAt.UTC().Format(time.RFC3339Nano))
	}
}
