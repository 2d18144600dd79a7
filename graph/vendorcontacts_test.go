package graph_test

import (
	"testing"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/testkit"
)

const (
	assignVendorContact = `mutation($in: AssignVendorContactInput!) { assignVendorContact(input: $in) { clientMutationId organization { id } } }`
	readVendorContacts  = `query($id: ID!) { node(id: $id) { ... on Organization { vendorContacts { role email phone contact { name } } } } }`
)

type vendorContactView struct {
	Role, Email string
	Phone       *string
	Contact     struct{ Name string }
}

func vendorContactsOf(t *testing.T, w *world, token string, org *ent.Organization) []vendorContactView {
	t.Helper()
	var got []vendorContactView
	readNode(t, w.Env, token, readVendorContacts, org.ID, "vendorContacts", &got)
	return got
}

// TestCustomersSeeWhomToCallAtTheVendor: the vendor's admins assign a
// technical account manager and a client success manager to Acme; Acme's
// people and a partner with LOOK see them with how to reach them, and a
// role can be left unassigned again.
func TestCustomersSeeWhomToCallAtTheVendor(t *testing.T) {
	w := newWorld(t)
	vera := w.Token(w.vendorAdmin)
	tom := w.Contact(w.vendor, "Tom TAM", access.RoleAgent)
	w.Client.Contact.UpdateOne(tom).SetPhone("+12124567890").ExecX(w.System())
	cora := w.Contact(w.vendor, "Cora CSM")
	for role, c := range map[string]*ent.Contact{"TECHNICAL_ACCOUNT_MANAGER": tom, "CLIENT_SUCCESS_MANAGER": cora} {
		var got struct {
			AssignVendorContact struct {
				ClientMutationID string
				Organization     struct{ ID string }
			}
		}
		w.Query(vera, assignVendorContact, map[string]any{"in": map[string]any{"customerID": w.acme.ID, "role": role,
			"contactID": c.ID, "clientMutationId": role}}).Decode(t, &got)
		if got.AssignVendorContact.ClientMutationID != role || got.AssignVendorContact.Organization.ID != w.acme.ID {
			t.Fatalf("assigning %s: %+v", role, got)
		}
	}
	w.Grant(testkit.GrantSpec{Partner: w.partner, Customer: w.acme, Level: access.Look})

	for _, c := range []*ent.Contact{w.acmeMember, w.partnerAdmin} {
		got := vendorContactsOf(t, w, w.Token(c), w.acme)
		if len(got) != 2 || got[0].Role != "TECHNICAL_ACCOUNT_MANAGER" || got[0].Contact.Name != "Tom TAM" || got[0].Email != tom.Email ||
			got[0].Phone == nil || *got[0].Phone != "+12124567890" ||
			got[1].Role != "CLIENT_SUCCESS_MANAGER" || got[1].Contact.Name != "Cora CSM" || got[1].Phone != nil {
			t.Errorf("%s sees Acme's vendor contacts as %+v", c.Name, got)
		}
	}
	if got := vendorContactsOf(t, w, w.Token(w.globexAdmin), w.globex); len(got) != 0 {
		t.Errorf("Globex has no vendor contacts, got %+v", got)
	}

	w.Query(vera, assignVendorContact, map[string]any{"in": map[string]any{"customerID": w.acme.ID, "role": "TECHNICAL_ACCOUNT_MANAGER"}}).Decode(t, &struct{}{})
	if got := vendorContactsOf(t, w, w.Token(w.acmeMember), w.acme); len(got) != 1 || got[0].Role != "CLIENT_SUCCESS_MANAGER" {
		t.Errorf("after leaving the TAM unassigned: %+v", got)
	}

	var audit struct {
		AuditEntries struct {
			Nodes []struct{ ObjectType, ObjectID, CustomerID string }
		}
	}
	w.Query(w.Token(w.acmeAdmin), `{ auditEntries(first: 10, where: {operation: "assignVendorContact"}) { nodes { objectType objectID customerID } } }`, nil).Decode(t, &audit)
	if n := audit.AuditEntries.Nodes; len(n) != 3 || n[0].ObjectType != "Organization" || n[0].ObjectID != w.acme.ID || n[0].CustomerID != w.acme.ID {
		t.Errorf("Acme's admin reads the assignments as %+v", n)
	}
}

// TestOnlyVendorAdminsAssignVendorContacts: a customer's admin, a partner
// at FULL_ADMIN and a vendor agent are refused; a contact outside the
// vendor or an organisation other than a customer is bad input; CC does
// not show whom to call.
func TestOnlyVendorAdminsAssignVendorContacts(t *testing.T) {
	w := newWorld(t)
	tom := w.Contact(w.vendor, "Tom TAM", access.RoleAgent)
	w.Grant(testkit.GrantSpec{Partner: w.partner, Customer: w.acme, Level: access.FullAdmin})
	in := map[string]any{"customerID": w.acme.ID, "role": "TECHNICAL_ACCOUNT_MANAGER", "contactID": tom.ID}
	for _, c := range []*ent.Contact{w.acmeAdmin, w.partnerAdmin, tom} {
		if res := w.Query(w.Token(c), assignVendorContact, map[string]any{"in": in}); res.Code() != "FORBIDDEN" {
			t.Errorf("%s may assign vendor contacts: %+v", c.Name, res.Errors)
		}
	}
	vera := w.Token(w.vendorAdmin)
	for name, tc := range map[string]struct {
		field string
		in    map[string]any
	}{
		"a customer's contact": {"contactID", map[string]any{"customerID": w.acme.ID, "role": "TECHNICAL_ACCOUNT_MANAGER", "contactID": w.acmeAdmin.ID}},
		"a partner's contact":  {"contactID", map[string]any{"customerID": w.acme.ID, "role": "CLIENT_SUCCESS_MANAGER", "contactID": w.partnerAdmin.ID}},
		"a partner":            {"customerID", map[string]any{"customerID": w.partner.ID, "role": "CLIENT_SUCCESS_MANAGER", "contactID": tom.ID}},
	} {
		if res := w.Query(vera, assignVendorContact, map[string]any{"in": tc.in}); res.Code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != tc.field {
			t.Errorf("%s: %+v", name, res.Errors)
		}
	}
	if got := vendorContactsOf(t, w, vera, w.acme); len(got) != 0 {
		t.Fatalf("a refused assignment changed Acme: %+v", got)
	}

	w.Query(vera, assignVendorContact, map[string]any{"in": in}).Decode(t, &struct{}{})
	initech := w.Org(access.Partner, "Initech")
	w.Grant(testkit.GrantSpec{Partner: initech, Customer: w.acme, Level: access.CC})
	if res := w.Query(w.Token(w.Contact(initech, "Ivy")), readVendorContacts, map[string]any{"id": w.acme.ID}); res.Code() != "FORBIDDEN" {
		t.Errorf("a CC partner reads whom Acme calls: %+v %s", res.Errors, res.Data)
	}
}
