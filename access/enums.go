// Package access holds the rules of who may see and do what on a customer
// organisation: levels, roles and the effective level of a caller (SPEC §2).
// It knows nothing of GraphQL or SQL; the directive, the row filters and the
// subscription fan-out all ask it the same questions.
package access

import (
	"fmt"
	"io"
	"strconv"
)

// Level is a rank of access on a customer organisation. The zero value is
// no access at all.
type Level string

// The levels, lowest first.
const (
	CC           Level = "CC"
	Look         Level = "LOOK"
	Update       Level = "UPDATE"
	Create       Level = "CREATE"
	ServiceAdmin Level = "SERVICE_ADMIN"
	FullAdmin    Level = "FULL_ADMIN"
)

var levels = []Level{CC, Look, Update, Create, ServiceAdmin, FullAdmin}

// Levels returns every level, lowest first.
func Levels() []Level { return append([]Level(nil), levels...) }

// rank is 0 for no access and 1..6 for CC..FULL_ADMIN.
func (l Level) rank() int {
	for i, v := range levels {
		if v == l {
			return i + 1
		}
	}
	return 0
}

// AtLeast reports whether l grants everything min grants. An unknown or
// empty min is satisfied by nothing, so a forgotten level fails closed.
func (l Level) AtLeast(min Level) bool {
	return l.rank() > 0 && min.rank() > 0 && l.rank() >= min.rank()
}

// Valid reports whether l is one of the six levels.
func (l Level) Valid() bool { return l.rank() > 0 }

// Values lets ent store Level as an enum column.
func (Level) Values() []string { return enumValues(levels) }

// MarshalGQL writes the level as a GraphQL enum value.
func (l Level) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(l))) }

// UnmarshalGQL reads a GraphQL enum value.
func (l *Level) UnmarshalGQL(v any) error { return unmarshalEnum(v, l, levels, "AccessLevel") }

// Role is a duty a contact holds in its organisation.
type Role string

// The roles of SPEC §1.
const (
	RoleAdmin          Role = "ADMIN"
	RoleContactManager Role = "CONTACT_MANAGER"
	RoleDesignated     Role = "DESIGNATED"
	RoleHelpDesk       Role = "HELP_DESK"
	RoleAgent          Role = "AGENT"
)

var roles = []Role{RoleAdmin, RoleContactManager, RoleDesignated, RoleHelpDesk, RoleAgent}

// Values lists every role.
func (Role) Values() []string { return enumValues(roles) }

// MarshalGQL writes the role as a GraphQL enum value.
func (r Role) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(r))) }

// UnmarshalGQL reads a GraphQL enum value.
func (r *Role) UnmarshalGQL(v any) error { return unmarshalEnum(v, r, roles, "ContactRole") }

// ValidateRoles reports an unknown or repeated role.
func ValidateRoles(rs []Role) error {
	seen := map[Role]bool{}
	for _, r := range rs {
		if !contains(roles, r) {
			return fmt.Errorf("%q is not a role", r)
		}
		if seen[r] {
			return fmt.Errorf("role %s is listed twice", r)
		}
		seen[r] = true
	}
	return nil
}

// OrgKind says which side of the support relationship an organisation is on.
type OrgKind string

// The organisation kinds.
const (
	Vendor   OrgKind = "VENDOR"
	Partner  OrgKind = "PARTNER"
	Customer OrgKind = "CUSTOMER"
)

var orgKinds = []OrgKind{Vendor, Partner, Customer}

// Values lets ent store OrgKind as an enum column.
func (OrgKind) Values() []string { return enumValues(orgKinds) }

// MarshalGQL writes the kind as a GraphQL enum value.
func (k OrgKind) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(k))) }

// UnmarshalGQL reads a GraphQL enum value.
func (k *OrgKind) UnmarshalGQL(v any) error {
	return unmarshalEnum(v, k, orgKinds, "OrganizationKind")
}

func enumValues[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func contains[T comparable](vs []T, v T) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

func unmarshalEnum[T ~string](v any, dst *T, valid []T, name string) error {
	s, ok := v.(string)
	if !ok || !contains(valid, T(s)) {
		return fmt.Errorf("%v is not a valid %s", v, name)
	}
	*dst = T(s)
	return nil
}
