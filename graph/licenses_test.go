package graph_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/testkit"
)

type license struct {
	Product   string
	Quantity  int
	ExpiresAt *time.Time
}

const (
	createLicense = `mutation($in: CreateLicenseInput!) { createLicense(input: $in) { clientMutationId license { product quantity expiresAt } organization { licenses { product } } } }`
	updateLicense = `mutation($in: UpdateLicenseInput!) { updateLicense(input: $in) { license { product quantity expiresAt } } }`
	deleteLicense = `mutation($in: DeleteLicenseInput!) { deleteLicense(input: $in) { deletedProduct organization { licenses { product } } } }`
	readLicenses  = `query($id: ID!) { node(id: $id) { ... on Organization { licenses { product quantity expiresAt } } } }`
)

func licensesOf(t *testing.T, w *world, token string, org *ent.Organization) []license {
	t.Helper()
	var got []license
	readNode(t, w.Env, token, readLicenses, org.ID, "licenses", &got)
	return got
}

// readNode runs query, which reads one field of node(id: $id), as token,
// and decodes that field into v.
func readNode(t *testing.T, e *testkit.Env, token, query, id, field string, v any) {
	t.Helper()
	var got struct{ Node map[string]json.RawMessage }
	e.Query(token, query, map[string]any{"id": id}).Decode(t, &got)
	if err := json.Unmarshal(got.Node[field], v); err != nil {
		t.Fatalf("decoding %s: %v", field, err)
	}
}

// TestVendorAdminsManageLicences: the vendor's admins add, change and
// remove a customer's licences through the API, each change audited on the
// customer; whoever has LOOK on the customer reads them.
func TestVendorAdminsManageLicences(t *testing.T) {
	w := newWorld(t)
	vera := w.Token(w.vendorAdmin)
	ends := w.Clock.Now().AddDate(1, 0, 0)
	var created struct {
		CreateLicense struct {
			ClientMutationID string
			License          license
			Organization     struct{ Licenses []license }
		}
	}
	w.Query(vera, createLicense, map[string]any{"in": map[string]any{"customerID": w.acme.ID, "product": " Webex Calling ",
		"quantity": 120, "expiresAt": ends, "clientMutationId": "c1"}}).Decode(t, &created)
	c := created.CreateLicense
	if c.ClientMutationID != "c1" || c.License.Product != "Webex Calling" || c.License.Quantity != 120 ||
		c.License.ExpiresAt == nil || !c.License.ExpiresAt.Equal(ends) || len(c.Organization.Licenses) != 1 {
		t.Fatalf("createLicense: %+v", c)
	}
	w.Query(vera, createLicense, map[string]any{"in": map[string]any{"customerID": w.acme.ID, "product": "Webex Meetings", "quantity": 40}}).Decode(t, &struct{}{})

	var updated struct {
		UpdateLicense struct{ License license }
	}
	w.Query(vera, updateLicense, map[string]any{"in": map[string]any{"customerID": w.acme.ID, "product": "webex calling",
		"quantity": 150, "clearExpiresAt": true}}).Decode(t, &updated)
	if u := updated.UpdateLicense.License; u.Product != "Webex Calling" || u.Quantity != 150 || u.ExpiresAt != nil {
		t.Fatalf("updateLicense: %+v", u)
	}

	var deleted struct {
		DeleteLicense struct {
			DeletedProduct string
			Organization   struct{ Licenses []license }
		}
	}
	w.Query(vera, deleteLicense, map[string]any{"in": map[string]any{"customerID": w.acme.ID, "product": "WEBEX MEETINGS"}}).Decode(t, &deleted)
	if d := deleted.DeleteLicense; d.DeletedProduct != "Webex Meetings" || len(d.Organization.Licenses) != 1 {
		t.Fatalf("deleteLicense: %+v", d)
	}

	w.Grant(testkit.GrantSpec{Partner: w.partner, Customer: w.acme, Level: access.Look})
	for _, c := range []*ent.Contact{w.acmeMember, w.partnerAdmin} {
		if got := licensesOf(t, w, w.Token(c), w.acme); len(got) != 1 || got[0].Quantity != 150 {
			t.Errorf("%s reads Acme's licences as %+v", c.Name, got)
		}
	}

	// Acme's admin reads what was done to its licences.
	var audit struct {
		AuditEntries struct {
			Nodes []struct {
				Operation, ObjectType, ObjectID, CustomerID string
				Level                                       *string
			}
		}
	}
	w.Query(w.Token(w.acmeAdmin), `{ auditEntries(first: 10, where: {operationHasSuffix: "License"}, orderBy: [{field: CREATED_AT}]) {
		nodes { operation objectType objectID customerID level } } }`, nil).Decode(t, &audit)
	var ops []string
	for _, e := range audit.AuditEntries.Nodes {
		ops = append(ops, e.Operation)
		if e.ObjectType != "Organization" || e.ObjectID != w.acme.ID || e.CustomerID != w.acme.ID {
			t.Errorf("audit entry %+v does not name Acme", e)
		}
	}
	if len(ops) != 4 {
		t.Fatalf("audited %v, want two creations, an update and a deletion", ops)
	}
}

// TestOnlyVendorAdminsChangeLicences: the customer's own admin, a partner
// at FULL_ADMIN and a vendor agent are refused; bad input is refused with
// its field; nothing changes.
func TestOnlyVendorAdminsChangeLicences(t *testing.T) {
	w := newWorld(t)
	vera := w.Token(w.vendorAdmin)
	w.Query(vera, createLicense, map[string]any{"in": map[string]any{"customerID": w.acme.ID, "product": "Webex Calling", "quantity": 10}}).Decode(t, &struct{}{})
	w.Grant(testkit.GrantSpec{Partner: w.partner, Customer: w.acme, Level: access.FullAdmin})
	agent := w.Contact(w.vendor, "Nora Agent", access.RoleAgent)

	for _, c := range []*ent.Contact{w.acmeAdmin, w.partnerAdmin, agent} {
		token := w.Token(c)
		for name, call := range map[string]struct {
			query string
			in    map[string]any
		}{
			"create": {createLicense, map[string]any{"customerID": w.acme.ID, "product": "Webex Meetings", "quantity": 5}},
			"update": {updateLicense, map[string]any{"customerID": w.acme.ID, "product": "Webex Calling", "quantity": 500}},
			"delete": {deleteLicense, map[string]any{"customerID": w.acme.ID, "product": "Webex Calling"}},
		} {
			if res := w.Query(token, call.query, map[string]any{"in": call.in}); res.Code() != "FORBIDDEN" {
				t.Errorf("%s may %s a licence: %+v", c.Name, name, res.Errors)
			}
		}
	}

	for name, tc := range map[string]struct {
		query, code, field string
		in                 map[string]any
	}{
		"the same product":   {createLicense, "CONFLICT", "", map[string]any{"customerID": w.acme.ID, "product": "WEBEX calling", "quantity": 5}},
		"no quantity":        {createLicense, "BAD_USER_INPUT", "quantity", map[string]any{"customerID": w.acme.ID, "product": "Jabber", "quantity": 0}},
		"a blank product":    {createLicense, "BAD_USER_INPUT", "product", map[string]any{"customerID": w.acme.ID, "product": "  ", "quantity": 5}},
		"a partner":          {createLicense, "BAD_USER_INPUT", "customerID", map[string]any{"customerID": w.partner.ID, "product": "Jabber", "quantity": 5}},
		"an unknown org":     {createLicense, "BAD_USER_INPUT", "customerID", map[string]any{"customerID": "org_nope", "product": "Jabber", "quantity": 5}},
		"an unknown product": {updateLicense, "BAD_USER_INPUT", "product", map[string]any{"customerID": w.acme.ID, "product": "Jabber", "quantity": 5}},
		"a negative update":  {updateLicense, "BAD_USER_INPUT", "quantity", map[string]any{"customerID": w.acme.ID, "product": "Webex Calling", "quantity": -1}},
		"nothing to delete":  {deleteLicense, "BAD_USER_INPUT", "product", map[string]any{"customerID": w.acme.ID, "product": "Jabber"}},
	} {
		res := w.Query(vera, tc.query, map[string]any{"in": tc.in})
		if res.Code() != tc.code || tc.field != "" && res.Errors[0].Extensions["field"] != tc.field {
			t.Errorf("%s: %+v", name, res.Errors)
		}
	}
	if got := licensesOf(t, w, vera, w.acme); len(got) != 1 || got[0].Product != "Webex Calling" || got[0].Quantity != 10 {
		t.Fatalf("Acme's licences changed: %+v", got)
	}
}
