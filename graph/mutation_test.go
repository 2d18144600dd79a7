package graph_test

import (
	"slices"
	"testing"

	"github.com/partnerdesk/partnerdesk/ent/auditentry"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/device"
)

const createContact = `mutation($in: CreateContactInput!) { createContact(input: $in) { contact { id email phone roles } } }`

func TestCreateContactNormalisesWhatPeopleType(t *testing.T) {
	w := newWorld(t)
	var got struct {
		CreateContact struct {
			Contact struct {
				ID, Email, Phone string
				Roles            []string
			}
		}
	}
	w.Query(w.Token(w.acmeAdmin), createContact, map[string]any{"in": map[string]any{
		"organizationID": w.acme.ID,
		"name":           "Nina New",
		"email":          "  Nina.New@Acme.EXAMPLE ",
		"phone":          "+1 (212) 456-7890",
		"roles":          []string{"DESIGNATED"},
	}}).Decode(t, &got)
	c := got.CreateContact.Contact
	if c.Email != "nina.new@acme.example" || c.Phone != "+12124567890" || len(c.Roles) != 1 {
		t.Fatalf("stored %+v", c)
	}
}

func TestBadInputIsRefusedNamingTheFieldAndChangesNothing(t *testing.T) {
	w := newWorld(t)
	token := w.Token(w.acmeAdmin)
	valid := func() map[string]any {
		return map[string]any{"organizationID": w.acme.ID, "name": "Olga", "email": "olga@acme.example"}
	}
	for name, tc := range map[string]struct {
		key, field string
		value      any
	}{
		"email":              {"email", "email", "not-an-email"},
		"phone without +":    {"phone", "phone", "212 456 7890"},
		"phone not a number": {"phone", "phone", "+1 999"},
		"time zone":          {"timezone", "timezone", "Mars/Olympus"},
		"locale":             {"locale", "locale", "xx-!!"},
		"role of a vendor":   {"roles", "roles", []string{"AGENT"}},
		"empty name":         {"name", "name", ""},
		"feature":            {"features", "features", []string{"Bad Feature!"}},
		"duplicate email":    {"email", "email", w.acmeMember.Email},
	} {
		t.Run(name, func(t *testing.T) {
			before := w.Client.Contact.Query().CountX(w.System())
			in := valid()
			in[tc.key] = tc.value
			res := w.Query(token, createContact, map[string]any{"in": in})
			if len(res.Errors) != 1 || res.Errors[0].Extensions["field"] != tc.field {
				t.Fatalf("want one error naming %s, got %+v", tc.field, res.Errors)
			}
			if code := res.Code(); code != "BAD_USER_INPUT" && !(name == "duplicate email" && code == "CONFLICT") {
				t.Fatalf("code %s: %+v", code, res.Errors)
			}
			if after := w.Client.Contact.Query().CountX(w.System()); after != before {
				t.Fatalf("contacts went from %d to %d", before, after)
			}
			if n := w.Client.AuditEntry.Query().CountX(w.System()); n != 0 {
				t.Fatalf("a refused mutation left %d audit entries", n)
			}
		})
	}
}

func TestDeviceIdentifiersAreStoredInOneForm(t *testing.T) {
	w := newWorld(t)
	var got struct {
		RegisterDevice struct {
			Device struct{ ID, MacAddress, SipAddress string }
		}
	}
	w.Query(w.Token(w.acmeAdmin), `mutation($in: RegisterDeviceInput!) { registerDevice(input: $in) { device { id macAddress sipAddress } } }`,
		map[string]any{"in": map[string]any{
			"organizationID": w.acme.ID, "model": "Desk Pro",
			"macAddress": "00-1a-2B-3c-4D-5e", "sipAddress": "sip:room-12@Acme.Example",
		}}).Decode(t, &got)
	if d := got.RegisterDevice.Device; d.MacAddress != "00:1A:2B:3C:4D:5E" || d.SipAddress != "sip:room-12@acme.example" {
		t.Fatalf("stored %+v", got.RegisterDevice)
	}
	res := w.Query(w.Token(w.acmeAdmin), `mutation($in: RegisterDeviceInput!) { registerDevice(input: $in) { device { id } } }`,
		map[string]any{"in": map[string]any{"organizationID": w.acme.ID, "model": "Desk Pro", "macAddress": "00:1A:2B"}})
	if res.Code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != "macAddress" {
		t.Fatalf("short MAC: %+v", res.Errors)
	}
	if n := w.Client.Device.Query().Where(device.OrganizationID(w.acme.ID)).CountX(w.System()); n != 1 {
		t.Fatalf("%d devices", n)
	}
}

func TestCustomersManageOnlyTheirOwnDirectory(t *testing.T) {
	w := newWorld(t)
	in := map[string]any{"organizationID": w.globex.ID, "name": "Intruder", "email": "x@globex.example"}
	res := w.Query(w.Token(w.acmeAdmin), createContact, map[string]any{"in": in})
	if res.Code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != "organizationID" {
		t.Fatalf("another customer's organisation must look missing, got %+v", res.Errors)
	}
	in["organizationID"] = w.acme.ID
	res = w.Query(w.Token(w.acmeMember), createContact, map[string]any{"in": in})
	if res.Code() != "FORBIDDEN" {
		t.Fatalf("a plain member may not add contacts, got %+v", res.Errors)
	}
	res = w.Query(w.Token(w.acmeAdmin), `mutation($id: ID!) { updateContact(input: {id: $id, name: "Hijacked"}) { contact { id } } }`,
		map[string]any{"id": w.globexAdmin.ID})
	if res.Code() != "NOT_FOUND" {
		t.Fatalf("updating another customer's contact: %+v", res.Errors)
	}
	if n := w.Client.Contact.Query().Where(contact.Name("Hijacked")).CountX(w.System()); n != 0 {
		t.Fatal("the contact was changed")
	}
}

func TestOnlyVendorAdminsCreateOrganizationsAndSetPlans(t *testing.T) {
	w := newWorld(t)
	create := `mutation($in: CreateOrganizationInput!) { createOrganization(input: $in) { organization { id kind supportPlan } } }`
	in := map[string]any{"kind": "CUSTOMER", "name": "Initech", "domains": []string{"Initech.example"}, "supportPlan": "PREMIUM"}
	if res := w.Query(w.Token(w.acmeAdmin), create, map[string]any{"in": in}); res.Code() != "FORBIDDEN" {
		t.Fatalf("customer admin: %+v", res.Errors)
	}
	var got struct {
		CreateOrganization struct {
			Organization struct{ ID, Kind, SupportPlan string }
		}
	}
	w.Query(w.Token(w.vendorAdmin), create, map[string]any{"in": in}).Decode(t, &got)
	if got.CreateOrganization.Organization.SupportPlan != "PREMIUM" {
		t.Fatalf("created %+v", got)
	}
	in = map[string]any{"kind": "PARTNER", "name": "Planned Partner", "supportPlan": "PREMIUM"}
	if res := w.Query(w.Token(w.vendorAdmin), create, map[string]any{"in": in}); res.Code() != "BAD_USER_INPUT" {
		t.Fatalf("a partner with a plan: %+v", res.Errors)
	}
	res := w.Query(w.Token(w.acmeAdmin), `mutation($id: ID!) { updateOrganization(input: {id: $id, supportPlan: PREMIUM}) { organization { id } } }`,
		map[string]any{"id": w.acme.ID})
	if res.Code() != "FORBIDDEN" {
		t.Fatalf("a customer upgrading its own plan: %+v", res.Errors)
	}
}

func TestEveryMutationLeavesAnAuditEntry(t *testing.T) {
	w := newWorld(t)
	var got struct {
		UpdateContact struct {
			ClientMutationID string
			Contact          struct{ ID string }
		}
	}
	w.Query(w.Token(w.acmeAdmin), `mutation($id: ID!) { updateContact(input: {id: $id, name: "Max Renamed", timezone: "Europe/Warsaw", clientMutationId: "rename-1"}) { clientMutationId contact { id } } }`,
		map[string]any{"id": w.acmeMember.ID}).Decode(t, &got)
	if got.UpdateContact.ClientMutationID != "rename-1" || got.UpdateContact.Contact.ID != w.acmeMember.ID {
		t.Fatalf("the payload %+v does not echo the clientMutationId", got.UpdateContact)
	}
	e := w.Client.AuditEntry.Query().Where(auditentry.Operation("updateContact")).OnlyX(w.System())
	if *e.ActorID != w.acmeAdmin.ID || *e.ActorOrganizationID != w.acme.ID || *e.CustomerID != w.acme.ID ||
		e.ObjectID != w.acmeMember.ID || e.ObjectType != "Contact" || *e.Level != "FULL_ADMIN" {
		t.Fatalf("entry %+v", e)
	}
	if want := []string{"input.id", "input.name", "input.timezone"}; !slices.Equal(e.ChangedFields, want) {
		t.Fatalf("changed fields %v", e.ChangedFields)
	}
}
