// Package audit writes an AuditEntry for every mutation, in the mutation's
// own transaction (SPEC §2.6). graph.Mutations calls it around every root
// field of a mutation, so that no mutation can forget to be audited; the
// access directive tells it which customer and grant allowed the call.
package audit

import (
	"context"
	"errors"
	"reflect"
	"sort"

	"github.com/99designs/gqlgen/graphql"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/requestid"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// Write records the root mutation field that ctx ran and the result it
// returned, with client: the field's transaction, so that the entry
// commits or rolls back with what it records. For an action a level
// allows, the level and grant that allowed it are the caller's session's
// on the customer acted on (the object's), at the instant the mutation
// decided; a role allows the others.
func Write(ctx context.Context, client *ent.Client, fc *graphql.FieldContext, res any) error {
	v := viewer.ForContext(ctx)
	if v == nil {
		return errors.New("audit: a mutation ran without a caller")
	}
	objType, objID, objCustomer := object(res)
	q := client.AuditEntry.Create().
		SetActorID(v.ContactID).
		SetActorOrganizationID(v.OrgID).
		SetOperation(fc.Field.Name).
		SetObjectType(objType).
		SetObjectID(objID).
		SetChangedFields(changedFields(ctx, fc)).
		SetRequestID(requestid.FromContext(ctx)).
		SetCreatedAt(v.Now)
	// A partner or the vendor acting on its own directory acts on no customer.
	if objCustomer != "" && !(objCustomer == v.OrgID && v.OrgKind != access.Customer) {
		q.SetCustomerID(objCustomer)
	}
	if objCustomer != "" && actionOf(fc).Level() != "" {
		d := v.Decide(objCustomer)
		if d.Level != "" {
			q.SetLevel(d.Level)
		}
		if d.Grant != nil {
			q.SetGrantID(d.Grant.ID)
		}
	}
	return q.Exec(ctx)
}

// actionOf is the action the field's @action directive names.
func actionOf(fc *graphql.FieldContext) access.Action {
	if d := fc.Field.Definition.Directives.ForName("action"); d != nil {
		if a := d.Arguments.ForName("name"); a != nil {
			return access.Action(a.Value.Raw)
		}
	}
	return ""
}

// changedFields lists the arguments the caller sent, with the fields of an
// input object spelled out ("input.name"), as the client named them; the
// clientMutationId is the client's own bookkeeping, not a change.
func changedFields(ctx context.Context, fc *graphql.FieldContext) []string {
	args := fc.Field.ArgumentMap(graphql.GetOperationContext(ctx).Variables)
	var out []string
	for name, val := range args {
		if in, ok := val.(map[string]any); ok {
			for k := range in {
				if k != "clientMutationId" {
					out = append(out, name+"."+k)
				}
			}
			continue
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// object names the node a mutation returned, or the first node in its
// payload, for the entry's object columns, with the node's customer when it
// has one.
func object(res any) (typ, id, customer string) {
	if n, ok := res.(ent.Noder); ok {
		return nodeOf(n)
	}
	rv := reflect.Indirect(reflect.ValueOf(res))
	if rv.Kind() != reflect.Struct {
		return "", "", ""
	}
	for i := 0; i < rv.NumField(); i++ {
		if n, ok := rv.Field(i).Interface().(ent.Noder); ok && !rv.Field(i).IsNil() {
			return nodeOf(n)
		}
	}
	return "", "", ""
}

func nodeOf(n ent.Noder) (typ, id, customer string) {
	rv := reflect.Indirect(reflect.ValueOf(n))
	if o, ok := n.(interface{ Owners() []string }); ok {
		customer = o.Owners()[0]
	}
	return rv.Type().Name(), rv.FieldByName("ID").String(), customer
}
