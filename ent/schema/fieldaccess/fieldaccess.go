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
	DirectiveHasGrant = "hasGrant"
	DirectivePublic   = "public"
)

// Rule is one access decision for a field, an edge or (as a default) a type.
type Rule struct {
	Directive string       `json:"directive"`
	Level     access.Level `json:"level,omitempty"`
	// Owners, on a type's default rule, are the columns naming the
	// organisation(s) a row belongs to: the level a field needs is the
	// caller's on them. Generated queries always read them.
	Owners []string `json:"owners,omitempty"`
	// Counterparts, on a type's default rule, says that a caller may read
	// a row with no level on its owner (a counterpart: someone who works a
	// case it sees, the organisation of a grant it reads). A field that
	// needs a level is then null, with its error, for such a caller.
	Counterparts bool `json:"counterparts,omitempty"`
}

// OwnedBy returns the rule with the type's owner columns.
func (r Rule) OwnedBy(columns ...string) Rule {
	r.Owners = columns
	return r
}

// ReadAsCounterparts returns the rule of a type whose rows a caller may
// read with no level on their owner.
func (r Rule) ReadAsCounterparts() Rule {
	r.Counterparts = true
	return r
}

// Above reports whether a field guarded by f may be unreadable on a row
// this type's rule lets a caller read: such a field is nullable in the
// graph, and no filter or order may use it.
func (r Rule) Above(f Rule) bool {
	if f.Directive != DirectiveHasGrant {
		return false
	}
	return r.Counterparts || r.Directive != DirectiveHasGrant || !r.Level.AtLeast(f.Level)
}

// Name implements ent's schema.Annotation.
func (Rule) Name() string { return Name }

// Grant guards with @hasGrant(level: l): the caller needs level l or higher on
// the customer that owns the object.
func Grant(l access.Level) Rule { return Rule{Directive: DirectiveHasGrant, Level: l} }

// Public guards with @public: whoever may read the row may read the field.
func Public() Rule { return Rule{Directive: DirectivePublic} }

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

// FilterName is the key of the Filter annotation in ent's annotation map.
const FilterName = "Filter"

// FilterAnnotation marks a field a portal filters on. Only fields so
// marked appear in the generated where inputs, and only when whoever may
// read a row may read the field (see Rule.Above): a filter on anything
// else would tell what the caller may not read.
type FilterAnnotation struct{}

// Name implements ent's schema.Annotation.
func (FilterAnnotation) Name() string { return FilterName }

// Filter marks a field as one the where inputs offer.
func Filter() FilterAnnotation { return FilterAnnotation{} }
