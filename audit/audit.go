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

// record collects what the access check learned during one mutation.
type record struct {
	orgID    string
	decision access.Decision
}

type ctxKey struct{}

// Allowed tells the audit which organisation a mutation acts on and the
// decision that let it; outside a mutation it does nothing.
func Allowed(ctx context.Context, orgID string, d access.Decision) {
	if r, ok := ctx.Value(ctxKey{}).(*record); ok {
		r.orgID, r.decision = orgID, d
	}
}

// Begin prepares ctx for one root mutation field, whose access check will
// tell the audit what allowed it.
func Begin(ctx context.Context) context.Context {
	return context.WithValue(ctx, ctxKey{}, &record{})
}

// Write records the root mutation field that ctx (prepared by Begin) ran
// and the result it returned, with client: the field's transaction, so
// that the entry commits or rolls back with what it records.
func Write(ctx context.Context, client *ent.Client, fc *graphql.FieldContext, res any) error {
	rec, _ := ctx.Value(ctxKey{}).(*record)
	v := viewer.ForContext(ctx)
	if v == nil || rec == nil {
		return errors.New("audit: a mutation ran without a caller or outside Begin")
	}
	objType, objID, objCustomer := object(res)
	if rec.orgID == "" {
		// Directives that are not about one customer (own-organisation
		// checks of grants, say) leave it to the object acted on.
		rec.orgID = objCustomer
	}
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
	if rec.orgID != "" && !(rec.orgID == v.OrgID && v.OrgKind != access.Customer) {
		q.SetCustomerID(rec.orgID)
	}
	if rec.decision.Level != "" {
		q.SetLevel(rec.decision.Level)
	}
	if rec.decision.Grant != nil {
		q.SetGrantID(rec.decision.Grant.ID)
	}
	return q.Exec(ctx)
}

// changedFields lists the arguments the caller sent, with the fields of an
// input object spelled out ("input.name"), as the client named them.
func changedFields(ctx context.Context, fc *graphql.FieldContext) []string {
	args := fc.Field.ArgumentMap(graphql.GetOperationContext(ctx).Variables)
	var out []string
	for name, val := range args {
		if in, ok := val.(map[string]any); ok {
			for k := range in {
				out = append(out, name+"."+k)
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
	if c := rv.FieldByName("CustomerID"); c.Kind() == reflect.String {
		customer = c.String()
	}
	return rv.Type().Name(), rv.FieldByName("ID").String(), customer
}
