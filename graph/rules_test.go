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

// A verified domain belongs to one organisation, and names are unique per
// kind whatever their case: the API says CONFLICT with the field, and the
// database refuses a writer that went around the API.
func TestDomainsAndNamesAreUnique(t *testing.T) {
	w := newWorld(t)
	create := `mutation($in: CreateOrganizationInput!) { createOrganization(input: $in) { organization { id } } }`
	update := `mutation($in: UpdateOrganizationInput!) { updateOrganization(input: $in) { organization { id } } }`
	refusals := []struct {
		name, query string
		in          map[string]any
		field       string
	}{
		{"a new organisation with Acme's domain", create,
			map[string]any{"kind": "CUSTOMER", "name": "Acme Two", "domains": []string{"new.example", "ACME.example"}}, "domains"},
		{"Globex taking Acme's domain", update,
			map[string]any{"id": w.globex.ID, "domains": []string{"globex.example", "acme.example"}}, "domains"},
		{"a second customer called ACME", create, map[string]any{"kind": "CUSTOMER", "name": "ACME"}, "name"},
		{"Globex renamed to acme", update, map[string]any{"id": w.globex.ID, "name": "acme"}, "name"},
	}
	for _, r := range refusals {
		res := w.Query(w.Token(w.vendorAdmin), r.query, map[string]any{"in": r.in})
		if res.Code() != "CONFLICT" || res.Errors[0].Extensions["field"] != r.field {
			t.Fatalf("%s: %+v", r.name, res.Errors)
		}
	}
	if g := w.Client.Organization.GetX(w.System(), w.globex.ID); g.Name != "Globex" || len(g.Domains) != 1 {
		t.Fatalf("a refused change changed Globex: %+v", g)
	}

	// A name is unique within its kind only; an organisation keeps its own.
	res := w.Query(w.Token(w.vendorAdmin), create, map[string]any{"in": map[string]any{"kind": "PARTNER", "name": "ACME", "domains": []string{"acme-partner.example"}}})
	if len(res.Errors) > 0 {
		t.Fatalf("a partner called like a customer: %+v", res.Errors)
	}
	res = w.Query(w.Token(w.vendorAdmin), update, map[string]any{"in": map[string]any{"id": w.acme.ID, "name": "ACME", "domains": []string{"acme.example", "acme.test"}}})
	if len(res.Errors) > 0 {
		t.Fatalf("Acme recasing its own name and keeping its domain: %+v", res.Errors)
	}

	// Writers that race past the checks meet the database's indexes; a
	// row that clashes with nothing goes in, so the statements are sound.
	insert := func(id, name, domains string) error {
		_, err := w.DB.Writer().Exec(`INSERT INTO organizations (id, kind, name, domains, sites, licenses, share_case_history_with_partners, access_version, created_at)
			VALUES ('` + id + `', 'CUSTOMER', '` + name + `', '` + domains + `', '[]', '[]', false, 0, '2026-01-01')`)
		return err
	}
	if err := insert("org_fresh", "Fresh", `["fresh.test"]`); err != nil {
		t.Fatalf("a row that clashes with nothing: %v", err)
	}
	if insert("org_race1", "Racer", `["acme.test"]`) == nil {
		t.Error("the database took a second organisation with the same domain")
	}
	if insert("org_race2", "globex", `[]`) == nil {
		t.Error("the database took a second customer with the same name")
	}
	if _, err := w.DB.Writer().Exec(`UPDATE organizations SET domains = '["acme.test"]' WHERE id = '` + w.globex.ID + `'`); err == nil {
		t.Error("the database let Globex take Acme's domain")
	}
}
