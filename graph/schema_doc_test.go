package graph_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent/schema"
	"github.com/partnerdesk/partnerdesk/ent/schema/fieldaccess"
	"github.com/partnerdesk/partnerdesk/graph"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// TestServedSchemaIsDocumented walks the schema the server serves, both
// files, and lists every type, field, argument, input field, enum value and
// directive without a description. A field's own description does not
// count its access note, which every field gets.
func TestServedSchemaIsDocumented(t *testing.T) {
	s := graph.NewSchema(&graph.Resolver{}).Schema()
	var missing []string
	documented := 0
	check := func(where, description string) {
		if strings.TrimSpace(description) == "" {
			missing = append(missing, where)
		} else {
			documented++
		}
	}
	for _, name := range sortedKeys(s.Types) {
		typ := s.Types[name]
		if typ.BuiltIn || strings.HasPrefix(name, "__") {
			continue
		}
		check(name, typ.Description)
		for _, f := range typ.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue // introspection's, on Query
			}
			description := f.Description
			if typ.Kind == ast.Object {
				description = strings.TrimSuffix(description, graph.AccessNote(s, typ, f))
			}
			check(name+"."+f.Name, description)
			for _, a := range f.Arguments {
				check(name+"."+f.Name+"("+a.Name+":)", a.Description)
			}
		}
		for _, v := range typ.EnumValues {
			check(name+"."+v.Name, v.Description)
		}
	}
	for _, name := range sortedKeys(s.Directives) {
		d := s.Directives[name]
		if d.Position != nil && d.Position.Src != nil && d.Position.Src.BuiltIn {
			continue
		}
		check("@"+name, d.Description)
		for _, a := range d.Arguments {
			check("@"+name+"("+a.Name+":)", a.Description)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%d elements of the served schema have no description:\n%s", len(missing), strings.Join(missing, "\n"))
	}
	if documented < 1000 {
		t.Fatalf("checked %d elements; the schema looks incomplete", documented)
	}
	t.Logf("%d elements documented", documented)
}

// TestEveryFieldEndsWithItsAccess: the last paragraph of every field's
// served description is the access its directive asks for.
func TestEveryFieldEndsWithItsAccess(t *testing.T) {
	s := graph.NewSchema(&graph.Resolver{}).Schema()
	var bad []string
	for name, typ := range s.Types {
		if typ.Kind != ast.Object || typ.BuiltIn || strings.HasPrefix(name, "__") {
			continue
		}
		for _, f := range typ.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			note := graph.AccessNote(s, typ, f)
			own := strings.TrimSuffix(f.Description, note)
			if note == "" || !strings.HasSuffix(f.Description, note) || (own != "" && !strings.HasSuffix(own, "\n\n")) {
				bad = append(bad, fmt.Sprintf("%s.%s: %q", name, f.Name, f.Description))
			}
		}
	}
	slices.Sort(bad)
	if len(bad) > 0 {
		t.Fatalf("fields whose description does not end with their access:\n%s", strings.Join(bad, "\n"))
	}

	for field, want := range map[string]string{
		"Case.title":                  "One-line summary.\n\nNeeds CC on the case's customer.",
		"Case.slaState":               "Needs CC on the case's customer.",
		"Contact.name":                "Full name.\n\nWhoever may read the contact may read it.",
		"Contact.email":               "Needs LOOK on the contact's organisation.",
		"Device.macAddress":           "Needs LOOK on the device's organisation.",
		"Organization.sites":          "Needs LOOK on the organisation.",
		"Organization.supportMetrics": "Needs LOOK on the organisation.",
		"CaseAttachment.downloadURL":  "Needs CC on the case's customer.",
		"Grant.level":                 "Whoever may read the grant may read it.",
		"CaseConnection.totalCount":   "Whoever may read the list may read it.",
		"Query.cases":                 "Needs a signed-in caller; it holds only what the caller may read.",
		"Subscription.caseEvents":     "Needs a signed-in caller; it holds only what the caller may read.",
		"Mutation.updateCase":         "Needs WORK_CASE: UPDATE on the case's customer.",
		"Mutation.requestGrant":       "Needs REQUEST_GRANT: a partner's admins.",
	} {
		typ, name, _ := strings.Cut(field, ".")
		f := s.Types[typ].Fields.ForName(name)
		if f == nil || !strings.HasSuffix(f.Description, want) {
			t.Errorf("%s: description %q does not end with %q", field, description(f), want)
		}
	}
}

func description(f *ast.FieldDefinition) string {
	if f == nil {
		return "(no such field)"
	}
	return f.Description
}

// TestOwnersAreTheEntSchemaOwners holds the owners the access notes name
// to the owner columns of each ent type's fieldaccess rule, and requires
// every type with a @hasGrant field to name its owner.
func TestOwnersAreTheEntSchemaOwners(t *testing.T) {
	types := []ent.Interface{
		schema.AccessToken{}, schema.Attachment{}, schema.AuditEntry{}, schema.BulkJob{}, schema.BulkJobResult{}, schema.CaseComment{},
		schema.CaseEvent{}, schema.Contact{}, schema.Device{}, schema.ElevationRule{}, schema.Grant{}, schema.GrantEvent{},
		schema.Organization{}, schema.PhoneNumber{}, schema.SupportCase{}, schema.Webhook{}, schema.WebhookDelivery{}, schema.WebhookAttempt{},
	}
	s := graph.NewSchema(&graph.Resolver{}).Schema()
	seen := map[string]bool{}
	for _, typ := range types {
		name, rule := graphQLType(t, typ)
		seen[name] = true
		if got := graph.Owners[name].Columns; !slices.Equal(got, rule.Owners) {
			t.Errorf("%s: the access notes name the owner columns %v, the ent schema %v", name, got, rule.Owners)
		}
		if graph.Owners[name].Noun == "" {
			t.Errorf("%s has no noun in graph.Owners", name)
		}
	}
	for name, typ := range s.Types {
		if slices.Contains(typ.Interfaces, "Node") && !seen[name] {
			t.Errorf("node type %s is missing from this test's ent types", name)
		}
		for _, f := range typ.Fields {
			if f.Directives.ForName("hasGrant") != nil && graph.Owners[name].Phrase == "" {
				t.Errorf("%s.%s needs a level, but graph.Owners names no owner for %s", name, f.Name, name)
			}
		}
	}
}

// graphQLType returns an ent schema's GraphQL type name and its default
// fieldaccess rule.
func graphQLType(t *testing.T, typ ent.Interface) (string, fieldaccess.Rule) {
	t.Helper()
	name := fmt.Sprintf("%T", typ)
	name = name[strings.LastIndex(name, ".")+1:]
	var rule fieldaccess.Rule
	for _, a := range typ.Annotations() {
		switch a := a.(type) {
		case entgql.Annotation:
			if a.Type != "" {
				name = a.Type
			}
		case fieldaccess.Rule:
			rule = a
		}
	}
	return name, rule
}

// TestIntrospectionServesTheDocumentation asks the running server, as a
// client would, for a few of the descriptions.
func TestIntrospectionServesTheDocumentation(t *testing.T) {
	e := testkit.New(t)
	org := e.Org(access.Customer, "Acme")
	token := e.Token(e.Contact(org, "Ada"))
	var got struct {
		Time struct {
			Description    string
			SpecifiedByURL string
		}
		Severity struct {
			EnumValues []struct{ Name, Description string }
		}
		Contact struct {
			Fields []struct{ Name, Description string }
		}
	}
	e.Query(token, `{
		time: __type(name: "Time") { description specifiedByURL }
		severity: __type(name: "CaseSeverity") { enumValues { name description } }
		contact: __type(name: "Contact") { fields { name description } }
	}`, nil).Decode(t, &got)
	if got.Time.SpecifiedByURL != "https://www.rfc-editor.org/rfc/rfc3339" || !strings.Contains(got.Time.Description, "RFC 3339") {
		t.Errorf("Time = %+v", got.Time)
	}
	targets := map[string]string{"S1": "1 hour", "S2": "2 hours", "S3": "4 hours", "S4": "8 hours"}
	for _, v := range got.Severity.EnumValues {
		if !strings.Contains(v.Description, targets[v.Name]) {
			t.Errorf("CaseSeverity.%s = %q, want its first-response target, %s", v.Name, v.Description, targets[v.Name])
		}
	}
	for _, f := range got.Contact.Fields {
		if f.Name == "email" && !strings.HasSuffix(f.Description, "\n\nNeeds LOOK on the contact's organisation.") {
			t.Errorf("Contact.email = %q", f.Description)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
