package directory

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/organization"
)

// VendorRole is the part a vendor contact plays for a customer: whom the
// customer calls at the vendor (seed 000).
type VendorRole string

// The vendor roles, in the order a customer's page lists them.
const (
	TechnicalAccountManager VendorRole = "TECHNICAL_ACCOUNT_MANAGER"
	ClientSuccessManager    VendorRole = "CLIENT_SUCCESS_MANAGER"
)

// VendorRoles lists every vendor role.
var VendorRoles = []VendorRole{TechnicalAccountManager, ClientSuccessManager}

// VendorContact is a vendor contact assigned to a customer in a role.
type VendorContact struct {
	CustomerID string
	Role       VendorRole
	Contact    *ent.Contact
}

// Owners names the customer, for the access directives.
func (v *VendorContact) Owners() []string { return []string{v.CustomerID} }

// Email is how to reach the contact: whoever may see whom a customer
// calls may call them.
func (v *VendorContact) Email() string { return v.Contact.Email }

// Phone is the contact's phone number, if it has one.
func (v *VendorContact) Phone() *string { return v.Contact.Phone }

// assigned is the contact ID org holds for role, or nil.
func assigned(org *ent.Organization, role VendorRole) *string {
	if role == TechnicalAccountManager {
		return org.TechnicalAccountManagerID
	}
	return org.ClientSuccessManagerID
}

// AssignVendorContact sets the vendor contact who plays role for a
// customer, or, with contactID nil, leaves the role unassigned (the
// vendor's admins).
func AssignVendorContact(ctx context.Context, c *ent.Client, s *access.Session, customerID string, role VendorRole, contactID *string) (*ent.Organization, error) {
	org, err := Named(ctx, c, "customer_id", customerID)
	if err != nil {
		return nil, err
	}
	if _, err := s.Require(access.ManageOrganizations, org.ID); err != nil {
		return nil, err
	}
	if org.Kind != access.Customer {
		return nil, apperr.Invalid("customer_id", "only customers have vendor contacts")
	}
	if contactID != nil {
		n, err := c.Contact.Query().
			Where(contact.ID(*contactID), contact.StatusEQ(contact.StatusACTIVE), contact.HasOrganizationWith(organization.KindEQ(access.Vendor))).
			Count(ctx)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, apperr.Invalid("contact_id", "no active vendor contact %q", *contactID)
		}
	}
	u := org.Update()
	switch {
	case role == TechnicalAccountManager && contactID == nil:
		u.ClearTechnicalAccountManagerID()
	case role == TechnicalAccountManager:
		u.SetTechnicalAccountManagerID(*contactID)
	case contactID == nil:
		u.ClearClientSuccessManagerID()
	default:
		u.SetClientSuccessManagerID(*contactID)
	}
	return u.Save(ctx)
}

// VendorContacts lists whom org calls at the vendor, in role order. The
// contacts are read as the caller sees them: the read policy shows the
// vendor contacts assigned to an organisation to whoever reads it.
func VendorContacts(ctx context.Context, c *ent.Client, org *ent.Organization) ([]*VendorContact, error) {
	var ids []string
	for _, r := range VendorRoles {
		if id := assigned(org, r); id != nil {
			ids = append(ids, *id)
		}
	}
	out := []*VendorContact{}
	if len(ids) == 0 {
		return out, nil
	}
	contacts, err := c.Contact.Query().Where(contact.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range VendorRoles {
		id := assigned(org, r)
		if id == nil {
			continue
		}
		if i := slices.IndexFunc(contacts, func(ct *ent.Contact) bool { return ct.ID == *id }); i >= 0 {
			out = append(out, &VendorContact{CustomerID: org.ID, Role: r, Contact: contacts[i]})
		}
	}
	return out, nil
}

// MarshalGQL writes the role as a GraphQL enum value.
func (r VendorRole) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(r))) }

// UnmarshalGQL reads a GraphQL enum value.
func (r *VendorRole) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok || !slices.Contains(VendorRoles, VendorRole(s)) {
		return fmt.Errorf("%v is not a vendor contact role", v)
	}
	*r = VendorRole(s)
	return nil
}
