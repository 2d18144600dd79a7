package directory

import (
	"entgo.io/ent/dialect/sql"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/predicate"
)

// RoleCondition is the SQL condition that the contact whose roles column
// is col holds role r. Roles are stored as a JSON list of quoted names,
// so the quoted name matches that role and no other. The role is written
// into the condition, not bound: SQLite uses a partial index only for a
// condition identical to the index's own (ent/schema/contact.go).
func RoleCondition(col string, r access.Role) string {
	// The cast, a no-op on SQLite, reads PostgreSQL's jsonb as text.
	return `CAST(` + col + ` AS TEXT) LIKE '%"` + string(r) + `"%'`
}

// HasRole selects the contacts holding r, through r's index. Contacts are
// listed only under an organisation the caller has LOOK on, the level
// their roles need, so the filter never matches on roles the caller may
// not read.
func HasRole(r access.Role) predicate.Contact {
	return func(sel *sql.Selector) { sel.Where(sql.ExprP(RoleCondition(sel.C(contact.FieldRoles), r))) }
}

// WithRole is the query of an organisation's contacts holding r, by name
// unless the caller orders them otherwise.
func WithRole(c *ent.Client, orgID string, r access.Role) *ent.ContactQuery {
	return c.Contact.Query().Where(contact.OrganizationID(orgID), HasRole(r))
}
