// Package jsontype holds the types of the JSON columns of the ent schema.
// They live apart from the schema, which registers the row filter (and so
// imports the generated client), because the generated client imports them.
package jsontype

import "time"

// License is one product entitlement of a customer.
type License struct {
	// Product names the licensed product.
	Product string `json:"product"`
	// Quantity is the number of seats or units.
	Quantity int `json:"quantity"`
	// ExpiresAt is nil for a perpetual licence.
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
}

// FieldChange is one field's value before and after an event.
type FieldChange struct {
	Field  string  `json:"field"`
	Before *string `json:"before,omitempty"`
	After  *string `json:"after,omitempty"`
}
