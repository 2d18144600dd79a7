// Package gqldoc holds the ent annotation that documents, in the generated
// GraphQL schema, what entgql has no place for: the object type of an ent
// type, and the enum of an enum field with each of its values. entgql gives
// such an enum a placeholder ("X is enum for the field y"), and the type
// and the values nothing; the entc schema hook (ent/entc.go) writes these
// instead, and fails generation for a type of the graph without one and for
// an enum that leaves a value bare.
package gqldoc

// Name is the annotation's key in ent's annotation map.
const Name = "GQLDoc"

// Values maps the name of each enum value to its description.
type Values map[string]string

// Annotation documents a GraphQL type generated from an ent type or an
// enum field.
type Annotation struct {
	// Description describes the type.
	Description string `json:"description"`
	// Values describes each value of an enum.
	Values Values `json:"values,omitempty"`
}

// Name implements ent's schema.Annotation.
func (Annotation) Name() string { return Name }

// Type documents the GraphQL object type of an ent type.
func Type(description string) Annotation { return Annotation{Description: description} }

// Enum documents an enum field's GraphQL enum: what the type is, and what
// each value means. Fields that share an enum type (a GoType used twice)
// give it the same annotation.
func Enum(description string, values Values) Annotation {
	return Annotation{Description: description, Values: values}
}
