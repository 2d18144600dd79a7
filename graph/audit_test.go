package graph_test

import (
	"slices"
	"testing"

	"github.com/partnerdesk/partnerdesk/audit"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/auditentry"
	"github.com/partnerdesk/partnerdesk/graph"
)

// TestEveryMutationHasAnAuditRule walks the Mutation fields of the served
// schema: each has a rule naming the object its audit entry records, and
// the rule points at a field its payload has: a node, or the ID of a
// removed object. No rule names a mutation the schema does not have.
func TestEveryMutationHasAnAuditRule(t *testing.T) {
	schema := graph.NewSchema(&graph.Resolver{}).Schema()
	fields := schema.Types["Mutation"].Fields
	if len(fields) < 20 {
		t.Fatalf("walked %d mutations; the schema looks incomplete", len(fields))
	}
	for _, f := range fields {
		rule, ok := audit.Rules[f.Name]
		if !ok {
			t.Errorf("mutation %s has no audit rule: its entries would name no object", f.Name)
			continue
		}
		payload := schema.Types[f.Type.Name()]
		pf := payload.Fields.ForName(rule.Field)
		switch {
		case pf == nil:
			t.Errorf("%s: its payload %s has no field %s", f.Name, payload.Name, rule.Field)
		case rule.Removed != "" && pf.Type.Name() != "ID":
			t.Errorf("%s: %s.%s is %s, not the ID of the removed %s", f.Name, payload.Name, rule.Field, pf.Type, rule.Removed)
		case rule.Removed == "" && !slices.Contains(schema.Types[pf.Type.Name()].Interfaces, "Node"):
			t.Errorf("%s: %s.%s is %s, not a node", f.Name, payload.Name, rule.Field, pf.Type)
		}
	}
	for name := range audit.Rules {
		if fields.ForName(name) == nil {
			t.Errorf("an audit rule for %s, which is no mutation", name)
		}
	}
}

// named checks an entry's object, customer and level.
func named(t *testing.T, e *ent.AuditEntry, objType, objID, customer, level string) {
	t.Helper()
	if e.ObjectType != objType || e.ObjectID != objID || e.CustomerID == nil || *e.CustomerID != customer ||
		e.Level == nil || string(*e.Level) != level {
		t.Errorf("%s names %s %s of customer %q at level %q; want %s %s of %s at %s", e.Operation,
			e.ObjectType, e.ObjectID, deref(e.CustomerID), deref((*string)(e.Level)), objType, objID, customer, level)
	}
}

// Removing an attachment names the attachment and its customer, so the
// customer reads it among the entries about it.
func TestAuditOfAnAttachmentRemoved(t *testing.T) {
	w := newCaseWorld(t)
	c := w.create(t, w.member, w.acme, "S3")
	var got struct {
		AddCaseAttachment struct{ Attachment struct{ ID string } }
	}
	w.upload(t, w.member, c.ID, "logs.txt", []byte("the logs")).Decode(t, &got)
	id := got.AddCaseAttachment.Attachment.ID
	w.do(w.agent, `mutation($id: ID!) { deleteCaseAttachment(input: {id: $id}) { deletedAttachmentID } }`, map[string]any{"id": id}).Decode(t, &struct{}{})

	e := w.Client.AuditEntry.Query().Where(auditentry.Operation("deleteCaseAttachment")).OnlyX(w.System())
	named(t, e, "Attachment", id, w.acme.ID, "FULL_ADMIN")
	var list struct {
		AuditEntries struct {
			Nodes []struct{ Operation, ObjectID string }
		}
	}
	w.do(w.admin, `{ auditEntries(first: 20) { nodes { operation objectID } } }`, nil).Decode(t, &list)
	for _, n := range list.AuditEntries.Nodes {
		if n.Operation == "deleteCaseAttachment" && n.ObjectID == id {
			return
		}
	}
	t.Fatalf("the customer's admin does not see the removal: %+v", list.AuditEntries.Nodes)
}

// A code check names the contact checked, its customer, and the grant and
// level the help desk worked under.
func TestAuditOfAVerificationCheck(t *testing.T) {
	w := newHelpDeskWorld(t)
	w.Query(w.helpDesk, `mutation($c: ID!) { sendVerificationCode(input: {contactID: $c}) { expiresAt } }`, map[string]any{"c": w.alice.ID}).Decode(t, &struct{}{})
	var got struct {
		CheckVerificationCode struct{ Contact struct{ ID string } }
	}
	w.Query(w.helpDesk, `mutation($c: ID!) { checkVerificationCode(input: {contactID: $c, code: "000000"}) { contact { id } } }`,
		map[string]any{"c": w.alice.ID}).Decode(t, &got)
	if got.CheckVerificationCode.Contact.ID != w.alice.ID {
		t.Fatalf("the payload names %+v", got)
	}
	e := w.Client.AuditEntry.Query().Where(auditentry.Operation("checkVerificationCode")).OnlyX(w.System())
	named(t, e, "Contact", w.alice.ID, w.acme.ID, "LOOK")
	if e.GrantID == nil {
		t.Errorf("the check names no grant")
	}
}

// Grant decisions, allowed by a role, still record the level the decider
// held on the customer.
func TestAuditOfGrantDecisions(t *testing.T) {
	w := newGrantWorld(t)
	approved := w.request(t, map[string]any{"level": "LOOK", "expiresInDays": 30})
	rejected := w.request(t, map[string]any{"level": "UPDATE", "expiresInDays": 30, "granteeID": w.member.ID})
	w.Query(w.managerT, `mutation($id: ID!) { approveGrant(input: {id: $id}) { grant { id } } }`, map[string]any{"id": approved}).Decode(t, &struct{}{})
	w.Query(w.managerT, `mutation($id: ID!) { rejectGrant(input: {id: $id}) { grant { id } } }`, map[string]any{"id": rejected}).Decode(t, &struct{}{})
	for op, id := range map[string]string{"approveGrant": approved, "rejectGrant": rejected} {
		named(t, w.Client.AuditEntry.Query().Where(auditentry.Operation(op)).OnlyX(w.System()), "Grant", id, w.acme.ID, "FULL_ADMIN")
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
