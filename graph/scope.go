package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"

	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/accesstoken"
	"github.com/partnerdesk/partnerdesk/ent/attachment"
	"github.com/partnerdesk/partnerdesk/ent/auditentry"
	"github.com/partnerdesk/partnerdesk/ent/casecomment"
	"github.com/partnerdesk/partnerdesk/ent/caseevent"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/device"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/ent/phonenumber"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
	"github.com/partnerdesk/partnerdesk/ids"
)

// nodeTables maps an ID's prefix to its table, so that node(id:) reads one
// table instead of trying them all.
var nodeTables = map[string]string{
	ids.Organization: organization.Table,
	ids.Contact:      contact.Table,
	ids.Grant:        grant.Table,
	ids.Case:         supportcase.Table,
	ids.CaseComment:  casecomment.Table,
	ids.CaseEvent:    caseevent.Table,
	ids.Device:       device.Table,
	ids.PhoneNumber:  phonenumber.Table,
	ids.AuditEntry:   auditentry.Table,
	ids.AccessToken:  accesstoken.Table,
	ids.Attachment:   attachment.Table,
}

// nodeType resolves an ID to its table. A malformed or unknown ID is simply
// not found, like an ID the caller may not see.
func nodeType(_ context.Context, id string) (string, error) {
	if p, ok := ids.Prefix(id); ok {
		if t, ok := nodeTables[p]; ok {
			return t, nil
		}
	}
	return "", apperr.ErrNotFound
}

// target is the object a directive decides on: the parent object for a
// field, or for a root field the object (id, caseID, contactID,
// input.caseID) or
// organisation (input.organizationID, input.customerID) its arguments name,
// loaded as the caller sees it.
func (r *Resolver) target(ctx context.Context, obj any) (any, error) {
	if obj != nil {
		return obj, nil
	}
	fc := graphql.GetFieldContext(ctx)
	args := fc.Args // coerced: an ID written as 1 is "1" here
	for _, key := range []string{"id", "caseID", "contactID"} {
		if id, ok := args[key].(string); ok {
			return r.load(ctx, id)
		}
	}
	if in, ok := fc.Field.ArgumentMap(graphql.GetOperationContext(ctx).Variables)["input"].(map[string]any); ok {
		if id, ok := in["caseID"].(string); ok {
			return r.load(ctx, id)
		}
		for _, key := range []string{"organizationID", "customerID"} {
			if id, ok := in[key].(string); ok {
				org, err := r.client(ctx).Organization.Get(ctx, id)
				if ent.IsNotFound(err) {
					return nil, apperr.Invalid(key, "no organisation %q", id)
				}
				return org, err
			}
		}
	}
	return nil, fmt.Errorf("graph: %s.%s names no object to check access on", fc.Object, fc.Field.Name)
}

// load reads the whole row behind an ID, row filters applied. (The noder
// would select only the columns of the current field's selection.)
func (r *Resolver) load(ctx context.Context, id string) (any, error) {
	c := r.client(ctx)
	p, _ := ids.Prefix(id)
	switch p {
	case ids.Organization:
		return c.Organization.Get(ctx, id)
	case ids.Contact:
		return c.Contact.Get(ctx, id)
	case ids.Grant:
		return c.Grant.Get(ctx, id)
	case ids.Case:
		return c.SupportCase.Get(ctx, id)
	case ids.CaseComment:
		return c.CaseComment.Get(ctx, id)
	case ids.CaseEvent:
		return c.CaseEvent.Get(ctx, id)
	case ids.Device:
		return c.Device.Get(ctx, id)
	case ids.PhoneNumber:
		return c.PhoneNumber.Get(ctx, id)
	case ids.AuditEntry:
		return c.AuditEntry.Get(ctx, id)
	case ids.AccessToken:
		return c.AccessToken.Get(ctx, id)
	case ids.Attachment:
		return c.Attachment.Get(ctx, id)
	}
	return nil, apperr.ErrNotFound
}

// owners returns the organisations an object belongs to (at most two);
// access on either reaches the object. Unknown objects own nothing, so a
// field on such a type is denied. It returns an array, not a slice, because
// it runs for every guarded field of every row.
func owners(obj any) [2]string {
	switch o := obj.(type) {
	case *ent.Organization:
		return [2]string{o.ID}
	case *ent.Contact:
		return [2]string{o.OrganizationID}
	case *ent.Device:
		return [2]string{o.OrganizationID}
	case *ent.PhoneNumber:
		return [2]string{o.OrganizationID}
	case *ent.SupportCase:
		return [2]string{o.CustomerID}
	case *ent.CaseComment:
		return [2]string{o.CustomerID}
	case *ent.CaseEvent:
		return [2]string{o.CustomerID}
	case *ent.Attachment:
		return [2]string{o.CustomerID}
	case *ent.Grant:
		return [2]string{o.PartnerID, o.CustomerID}
	case *ent.AuditEntry:
		return [2]string{deref(o.CustomerID), deref(o.ActorOrganizationID)}
	}
	return [2]string{}
}
