package graph_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/partnerdesk/partnerdesk/ent/schema"
	"github.com/partnerdesk/partnerdesk/ent/schema/fieldaccess"
	"github.com/partnerdesk/partnerdesk/graph"
)

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
		schema.AccessToken{}, schema.Attachment{}, schema.AuditEntry{}, schema.CaseComment{},
		schema.CaseEvent{}, schema.Contact{}, schema.Device{}, schema.Grant{},
		schema.Organization{}, schema.PhoneNumber{}, schema.SupportCase{},
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
