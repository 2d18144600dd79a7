package directory

import (
	"context"
	"slices"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/rowfilter"
)

// The directory's changes (SPEC §1, §2.1): each loads what it acts on as
// the caller sees it, so that an object the caller may not see is
// refused exactly like one that does not exist, and then requires the
// action on it. c is the client of the change's transaction. What they
// create is dated at the session's instant, the one the change is decided
// at, not the wall clock's.

// CreateOrganization adds a partner or customer (the vendor's admins).
func CreateOrganization(ctx context.Context, c *ent.Client, s *access.Session, in ent.CreateOrganizationInput) (*ent.Organization, error) {
	if _, err := s.Require(access.ManageOrganizations, s.OrgID); err != nil {
		return nil, err
	}
	return c.Organization.Create().SetInput(in).SetCreatedAt(s.Now).Save(ctx)
}

// UpdateOrganization changes an organisation's configuration (SERVICE_ADMIN
// on it). Setting the support plan is the vendor's admins'; sharing the
// case history with partners is the customer's own choice (SPEC §2.4).
func UpdateOrganization(ctx context.Context, c *ent.Client, s *access.Session, id string, in ent.UpdateOrganizationInput) (*ent.Organization, error) {
	org, err := c.Organization.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := s.Require(access.ChangeConfiguration, org.ID); err != nil {
		return nil, err
	}
	if in.SupportPlan != nil || in.ClearSupportPlan {
		if _, err := s.Require(access.ManageOrganizations, org.ID); err != nil {
			return nil, err
		}
	}
	if in.ShareCaseHistoryWithPartners != nil {
		if _, err := s.Require(access.ShareCaseHistory, org.ID); err != nil {
			return nil, err
		}
	}
	return org.Update().SetInput(in).Save(ctx)
}

// CreateContact adds a contact to an organisation (FULL_ADMIN on it).
func CreateContact(ctx context.Context, c *ent.Client, s *access.Session, in ent.CreateContactInput) (*ent.Contact, error) {
	org, err := Named(ctx, c, "organization_id", in.OrganizationID)
	if err != nil {
		return nil, err
	}
	if _, err := s.Require(access.ManageContacts, org.ID); err != nil {
		return nil, err
	}
	return c.Contact.Create().SetInput(in).SetCreatedAt(s.Now).Save(ctx)
}

// UpdateContact changes a contact, its status included (FULL_ADMIN on its
// organisation).
func UpdateContact(ctx context.Context, c *ent.Client, s *access.Session, id string, in ent.UpdateContactInput) (*ent.Contact, error) {
	ct, err := c.Contact.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := s.Require(access.ManageContacts, ct.OrganizationID); err != nil {
		return nil, err
	}
	if err := keepLastAdmin(ctx, c, s, ct, in); err != nil {
		return nil, err
	}
	return ct.Update().SetInput(in).Save(ctx)
}

// keepLastAdmin refuses the change by which the last active ADMIN of an
// organisation would drop its own role or stop being active: nobody would
// be left to manage the organisation's contacts, and the vendor would
// have to step in. Another admin may still be suspended by one who stays.
func keepLastAdmin(ctx context.Context, c *ent.Client, s *access.Session, ct *ent.Contact, in ent.UpdateContactInput) error {
	stepsDown, field := false, ""
	switch {
	case ct.ID != s.ContactID || ct.Status != contact.StatusACTIVE || !slices.Contains(ct.Roles, access.RoleAdmin):
		return nil
	case in.Roles != nil && !slices.Contains(in.Roles, access.RoleAdmin):
		stepsDown, field = true, "roles"
	case in.Status != nil && *in.Status != contact.StatusACTIVE:
		stepsDown, field = true, "status"
	}
	if !stepsDown {
		return nil
	}
	// The organisation's other contacts, whatever the caller may read of them.
	others, err := c.Contact.Query().
		Where(contact.OrganizationID(ct.OrganizationID), contact.IDNEQ(ct.ID), contact.StatusEQ(contact.StatusACTIVE)).
		All(rowfilter.Privileged(ctx))
	if err != nil {
		return err
	}
	if slices.ContainsFunc(others, func(o *ent.Contact) bool { return slices.Contains(o.Roles, access.RoleAdmin) }) {
		return nil
	}
	return &apperr.Error{Code: apperr.Conflict, Field: field, Reason: "LAST_ADMIN",
		Message: "you are the last active admin of your organisation: make another contact an admin first"}
}

// RegisterDevice adds a device to an organisation (SERVICE_ADMIN on it).
func RegisterDevice(ctx context.Context, c *ent.Client, s *access.Session, in ent.CreateDeviceInput) (*ent.Device, error) {
	org, err := Named(ctx, c, "organization_id", in.OrganizationID)
	if err != nil {
		return nil, err
	}
	if _, err := s.Require(access.ChangeConfiguration, org.ID); err != nil {
		return nil, err
	}
	return c.Device.Create().SetInput(in).SetCreatedAt(s.Now).Save(ctx)
}

// UpdateDevice changes a device (SERVICE_ADMIN on its organisation).
func UpdateDevice(ctx context.Context, c *ent.Client, s *access.Session, id string, in ent.UpdateDeviceInput) (*ent.Device, error) {
	d, err := c.Device.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := s.Require(access.ChangeConfiguration, d.OrganizationID); err != nil {
		return nil, err
	}
	return d.Update().SetInput(in).Save(ctx)
}

// AddPhoneNumber adds a number to an organisation's inventory
// (SERVICE_ADMIN on it).
func AddPhoneNumber(ctx context.Context, c *ent.Client, s *access.Session, in ent.CreatePhoneNumberInput) (*ent.PhoneNumber, error) {
	org, err := Named(ctx, c, "organization_id", in.OrganizationID)
	if err != nil {
		return nil, err
	}
	if _, err := s.Require(access.ChangeConfiguration, org.ID); err != nil {
		return nil, err
	}
	return c.PhoneNumber.Create().SetInput(in).SetCreatedAt(s.Now).Save(ctx)
}

// UpdatePhoneNumber changes a number's kind, state or assignee
// (SERVICE_ADMIN on its organisation).
func UpdatePhoneNumber(ctx context.Context, c *ent.Client, s *access.Session, id string, in ent.UpdatePhoneNumberInput) (*ent.PhoneNumber, error) {
	n, err := c.PhoneNumber.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := s.Require(access.ChangeConfiguration, n.OrganizationID); err != nil {
		return nil, err
	}
	return n.Update().SetInput(in).Save(ctx)
}

// Named loads the organisation an input field names, as the caller sees
// it: one it may not see is answered like one that does not exist.
func Named(ctx context.Context, c *ent.Client, field, id string) (*ent.Organization, error) {
	org, err := c.Organization.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.Invalid(field, "no organisation %q", id)
	}
	return org, err
}
