// Package audit writes an AuditEntry for every mutation, in the mutation's
// own transaction (SPEC §2.6). It wraps the root fields of every mutation
// operation, so that no mutation can forget to be audited; the access
// directive tells it which customer and grant allowed the call.
package audit

import (
	"context"
	"reflect"
	"sort"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

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

// Extension is a gqlgen handler extension that audits every mutation. It
// wraps the resolvers of mutation operations only, so queries and
// subscriptions pay nothing for it.
type Extension struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = Extension{}

func (Extension) ExtensionName() string { return "Audit" }

func (Extension) Validate(graphql.ExecutableSchema) error { return nil }

func (Extension) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
		return nil
	}
	previous := oc.ResolverMiddleware
	oc.ResolverMiddleware = func(ctx context.Context, next graphql.Resolver) (any, error) {
		return previous(ctx, func(ctx context.Context) (any, error) { return audited(ctx, next) })
	}
	return nil
}

// audited runs a field of a mutation, writing the entry for a root field.
func audited(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Object != "Mutation" {
		return next(ctx)
	}
	rec := &record{}
	res, err := next(context.WithValue(ctx, ctxKey{}, rec))
	if err != nil {
		return res, err
	}
	return res, write(ctx, fc, rec, res)
}

func write(ctx context.Context, fc *graphql.FieldContext, rec *record, res any) error {
	v := viewer.ForContext(ctx)
	client := ent.FromContext(ctx)
	if v == nil || client == nil {
		return nil // unreachable: mutations need a caller and run in a transaction
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
