package graph_test

import (
	"testing"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent/contact"
)

// The last active ADMIN of an organisation cannot lock it out of its own
// administration: not by dropping its role, and not by suspending or
// deactivating itself. Once another admin is there, it may step down.
func TestLastAdminCannotStepDown(t *testing.T) {
	w := newWorld(t)
	update := `mutation($in: UpdateContactInput!) { updateContact(input: $in) { contact { id roles status } } }`
	steps := map[string]map[string]any{
		"drop the role": {"roles": []string{"CONTACT_MANAGER"}},
		"suspend":       {"status": "SUSPENDED"},
		"deactivate":    {"status": "DEACTIVATED"},
	}
	for name, in := range steps {
		in["id"] = w.acmeAdmin.ID
		res := w.Query(w.Token(w.acmeAdmin), update, map[string]any{"in": in})
		if res.Code() != "CONFLICT" || res.Errors[0].Extensions["reason"] != "LAST_ADMIN" {
			t.Fatalf("%s: %+v", name, res.Errors)
		}
		ct := w.Client.Contact.GetX(w.System(), w.acmeAdmin.ID)
		if ct.Status != contact.StatusACTIVE || len(ct.Roles) != 1 || ct.Roles[0] != access.RoleAdmin {
			t.Fatalf("%s: a refused change changed the admin: %+v", name, ct)
		}
	}

	// A suspended admin is no admin to hand over to.
	other := w.Contact(w.acme, "Otto Other", access.RoleAdmin)
	w.Client.Contact.UpdateOne(other).SetStatus(contact.StatusSUSPENDED).ExecX(w.System())
	in := map[string]any{"id": w.acmeAdmin.ID, "status": "DEACTIVATED"}
	if res := w.Query(w.Token(w.acmeAdmin), update, map[string]any{"in": in}); res.Code() != "CONFLICT" {
		t.Fatalf("with only a suspended second admin: %+v", res.Errors)
	}

	w.Client.Contact.UpdateOne(other).SetStatus(contact.StatusACTIVE).ExecX(w.System())
	in = map[string]any{"id": w.acmeAdmin.ID, "roles": []string{"CONTACT_MANAGER"}}
	if res := w.Query(w.Token(w.acmeAdmin), update, map[string]any{"in": in}); len(res.Errors) > 0 {
		t.Fatalf("with another active admin, stepping down must work: %+v", res.Errors)
	}
}
