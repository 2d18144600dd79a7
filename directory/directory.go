// Package directory keeps the organisation directory consistent whoever
// writes to it (the API, the operator commands, the demo loader): contacts
// hold only roles their side can have, support plans belong to customers,
// domains and names are unique (unique.go), and devices and numbers point only at people and devices of their own
// organisation.
package directory

import (
	"context"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/device"
	"github.com/partnerdesk/partnerdesk/ent/hook"
	"github.com/partnerdesk/partnerdesk/rowfilter"
)

// Install registers the consistency hooks on client.
func Install(client *ent.Client) {
	writes := ent.OpCreate | ent.OpUpdateOne
	client.Organization.Use(hook.On(checkPlan, writes))
	client.Contact.Use(hook.On(checkContactRoles, writes))
	client.Device.Use(hook.On(checkDeviceOwner, writes))
	client.PhoneNumber.Use(hook.On(checkAssignee, writes))
}

func checkPlan(next ent.Mutator) ent.Mutator {
	return hook.OrganizationFunc(func(ctx context.Context, m *ent.OrganizationMutation) (ent.Value, error) {
		if _, ok := m.SupportPlan(); ok {
			kind, ok := m.Kind()
			if !ok {
				old, err := m.OldKind(ctx)
				if err != nil {
					return nil, err
				}
				kind = old
			}
			if kind != access.Customer {
				return nil, apperr.Invalid("support_plan", "only customers have a support plan")
			}
		}
		return next.Mutate(ctx, m)
	})
}

func checkContactRoles(next ent.Mutator) ent.Mutator {
	return hook.ContactFunc(func(ctx context.Context, m *ent.ContactMutation) (ent.Value, error) {
		roles, ok := m.Roles()
		if !ok {
			return next.Mutate(ctx, m)
		}
		orgID, ok := m.OrganizationID()
		if !ok {
			old, err := m.OldOrganizationID(ctx)
			if err != nil {
				return nil, err
			}
			orgID = old
		}
		org, err := m.Client().Organization.Get(rowfilter.Privileged(ctx), orgID)
		if err != nil {
			return nil, err
		}
		if err := access.CheckRolesFor(org.Kind, roles); err != nil {
			return nil, apperr.Invalid("roles", "%v", err)
		}
		return next.Mutate(ctx, m)
	})
}

func checkDeviceOwner(next ent.Mutator) ent.Mutator {
	return hook.DeviceFunc(func(ctx context.Context, m *ent.DeviceMutation) (ent.Value, error) {
		if owner, ok := m.OwnerID(); ok {
			orgID, err := deviceOrg(ctx, m)
			if err != nil {
				return nil, err
			}
			if err := sameOrg(ctx, m.Client(), "owner_id", owner, orgID); err != nil {
				return nil, err
			}
		}
		return next.Mutate(ctx, m)
	})
}

func deviceOrg(ctx context.Context, m *ent.DeviceMutation) (string, error) {
	if id, ok := m.OrganizationID(); ok {
		return id, nil
	}
	return m.OldOrganizationID(ctx)
}

func checkAssignee(next ent.Mutator) ent.Mutator {
	return hook.PhoneNumberFunc(func(ctx context.Context, m *ent.PhoneNumberMutation) (ent.Value, error) {
		orgID, ok := m.OrganizationID()
		if !ok {
			old, err := m.OldOrganizationID(ctx)
			if err != nil {
				return nil, err
			}
			orgID = old
		}
		if id, ok := m.ContactID(); ok {
			if err := sameOrg(ctx, m.Client(), "contact_id", id, orgID); err != nil {
				return nil, err
			}
			m.ClearDevice() // a number has one assignee
		}
		if id, ok := m.DeviceID(); ok {
			n, err := m.Client().Device.Query().
				Where(device.ID(id), device.OrganizationID(orgID)).
				Count(rowfilter.Privileged(ctx))
			if err != nil {
				return nil, err
			}
			if n == 0 {
				return nil, apperr.Invalid("device_id", "no device %q in this organisation", id)
			}
			m.ClearContact()
		}
		return next.Mutate(ctx, m)
	})
}

// sameOrg refuses a reference to a contact outside the organisation.
func sameOrg(ctx context.Context, c *ent.Client, field, contactID, orgID string) error {
	n, err := c.Contact.Query().
		Where(contact.ID(contactID), contact.OrganizationID(orgID)).
		Count(rowfilter.Privileged(ctx))
	if err != nil {
		return err
	}
	if n == 0 {
		return apperr.Invalid(field, "no contact %q in this organisation", contactID)
	}
	return nil
}
