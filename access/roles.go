package access

import "fmt"

// rolesByKind says which roles make sense on which side: a customer has no
// agents, the vendor no contact managers.
var rolesByKind = map[OrgKind][]Role{
	Vendor:   {RoleAdmin, RoleAgent},
	Partner:  {RoleAdmin, RoleHelpDesk},
	Customer: {RoleAdmin, RoleContactManager, RoleDesignated},
}

// CheckRolesFor reports a role that a contact of an organisation of kind k
// cannot hold.
func CheckRolesFor(k OrgKind, rs []Role) error {
	for _, r := range rs {
		if !contains(rolesByKind[k], r) {
			return fmt.Errorf("a %s contact cannot have the role %s", k, r)
		}
	}
	return nil
}
