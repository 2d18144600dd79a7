// Package fieldaccess holds the ent annotations that decide, for every field
// of every generated GraphQL type, which access directive guards it. A type
// states its default; a field or edge may state its own. The entc extension
// stamps the matching directive on each field of the generated SDL and fails
// the build for a type that states nothing, so no field is ever undecided.
package fieldaccess

import (
	"strings"

	"github.com/partnerdesk/partnerdesk/access"
)

// Name is the annotation's key in ent's annotation map.
const Name = "FieldAccess"

// The directives a Rule can name, as declared in schema.graphqls.
const (
	DirectiveHasGrant        = "hasGrant"
	DirectivePublic          = "public"
	DirectiveOwnOrganization = "ownOrganization"
	DirectiveVendorOnly      = "vendorOnly"
)

// Rule is one access decision for a field, an edge or (as a default) a type.
type Rule struct {
	Directive string       `json:"directive"`
	Level     access.Level `json:"level,omitempty"`
	// Owners, on a type's default rule, are the columns naming the
	// organisation(s) a row belongs to. Generated queries always read them
	// and the row filters filter on them.
	Owners []string `json:"owners,omitempty"`
}

// OwnedBy returns the rule with the type's owner columns.
func (r Rule) OwnedBy(columns ...string) Rule {
	r.Owners = columns
	return r
}

// Name implements ent's schema.Annotation.
func (Rule) Name() string { return Name }

// Grant guards with @hasGrant(level: l): the caller needs level l or higher on
// the customer that owns the object.
func Grant(l access.Level) Rule { return Rule{Directive: DirectiveHasGrant, Level: l} }

// Public guards with @public: any signed-in caller who can reach the object.
func Public() Rule { return Rule{Directive: DirectivePublic} }

// OwnOrganization guards with @ownOrganization: only members of the
// organisation (or one of the organisations) the object belongs to.
func OwnOrganization() Rule { return Rule{Directive: DirectiveOwnOrganization} }

// VendorOnly guards with @vendorOnly: only the vendor's contacts.
func VendorOnly() Rule { return Rule{Directive: DirectiveVendorOnly} }

// GraphQLName is the name entgql gives an ent field or edge in the graph:
// lower camel case, with an "_id" part written "ID" ("organization_id" is
// organizationID).
func GraphQLName(snake string) string {
	parts := strings.Split(snake, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] == "id" {
			parts[i] = "ID"
		} else if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}
