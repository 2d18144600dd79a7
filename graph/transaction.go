package graph

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/partnerdesk/partnerdesk/audit"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/graph/model"
	"github.com/partnerdesk/partnerdesk/txn"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// Mutations is a handler extension that runs each root field of a mutation
// operation in a transaction of its own, with its audit entry, and commits
// it as soon as the field's resolver succeeds. What the mutation did never
// depends on what its response selects: the selection is read afterwards,
// with the root client, from what was committed, and a field error there
// stays a field error. (entgql's Transactioner commits once the whole
// response is built and rolls everything back on any error in it.)
//
// A field whose input says dryRun: true runs the same way, resolver,
// checks and audit entry included, but its transaction is rolled back:
// the caller learns the would-be payload, or, instead of the error, the
// refusal, in the payload's decision (txn.Decide), and nothing changed.
//
// Each root field after the first reads the caller's session again, so
// that it decides against the grants as they stand when it runs: a
// revocation earlier in the same request (or by anyone meanwhile) counts.
type Mutations struct {
	Client   *ent.Client
	Sessions Sessions
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = Mutations{}

// ExtensionName names the extension in gqlgen's list.
func (Mutations) ExtensionName() string { return "Mutations" }

// Validate accepts every schema.
func (Mutations) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext wraps the fields of mutation operations only, so
// queries and subscriptions pay nothing for it.
func (m Mutations) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
		return nil
	}
	previous := oc.ResolverMiddleware
	roots := 0 // gqlgen runs a mutation's root fields one after another
	oc.ResolverMiddleware = func(ctx context.Context, next graphql.Resolver) (any, error) {
		return previous(ctx, func(ctx context.Context) (any, error) {
			fc := graphql.GetFieldContext(ctx)
			if fc == nil || fc.Object != "Mutation" {
				return next(ctx)
			}
			if roots++; roots > 1 {
				s, err := m.Sessions.Refresh(ctx, viewer.ForContext(ctx))
				if err != nil {
					return nil, err
				}
				ctx = viewer.NewContext(ctx, s)
			}
			return m.field(ctx, fc, next)
		})
	}
	return nil
}

// txKey holds the transaction of the root mutation field running in a
// context. The selection under that field inherits the context (gqlgen
// passes a resolver's context to its children), so the holder is emptied
// at commit: from then on reads go to the root client.
type txKey struct{}

type txHolder struct{ client atomic.Pointer[ent.Client] }

// txClient returns the client of the transaction running in ctx, if any.
func txClient(ctx context.Context) *ent.Client {
	if h, ok := ctx.Value(txKey{}).(*txHolder); ok {
		return h.client.Load()
	}
	return nil
}

func (m Mutations) field(ctx context.Context, fc *graphql.FieldContext, next graphql.Resolver) (any, error) {
	input, _ := fc.Field.ArgumentMap(graphql.GetOperationContext(ctx).Variables)["input"].(map[string]any)
	dry := input["dryRun"] == true && !startsJob(fc)
	res, err := txn.Run(ctx, m.Client, dry, func(ctx context.Context, tx *ent.Client) (any, error) {
		h := &txHolder{}
		h.client.Store(tx)
		// The selection reads after the transaction ended, with the root client.
		defer h.client.Store(nil)
		res, err := next(context.WithValue(ctx, txKey{}, h))
		if err != nil {
			return nil, err
		}
		// A dry run writes its entry too, so that it fails where the real
		// run would; the rollback drops it with the rest.
		return res, audit.Write(ctx, tx, fc, res)
	})
	if !dry {
		if err != nil {
			return nil, err
		}
		return decided(res, txn.Decision{Allowed: true}), nil
	}
	d, err := txn.Decide(ctx, err)
	if err != nil {
		return nil, err
	}
	if !d.Allowed {
		res = refused(fc, input)
	}
	return decided(res, d), nil
}

// startsJob says whether a mutation's payload is a job it starts. Such a
// mutation's dry run is its job's: the job is stored, and its worker runs
// each item in a transaction it rolls back (package bulk), so the request
// itself commits.
func startsJob(fc *graphql.FieldContext) bool {
	f, ok := payloadTypes()[fc.Field.Name].FieldByName("Job")
	return ok && f.Type == reflect.TypeFor[*ent.BulkJob]()
}

// refused is the payload of a refused dry run: what was refused left no
// object to show, so its objects are null and its lists empty; it echoes
// the clientMutationId.
func refused(fc *graphql.FieldContext, input map[string]any) any {
	p := reflect.New(payloadTypes()[fc.Field.Name])
	for i := range p.Elem().NumField() {
		if f := p.Elem().Field(i); f.Kind() == reflect.Slice {
			f.Set(reflect.MakeSlice(f.Type(), 0, 0))
		}
	}
	if id, ok := input["clientMutationId"].(string); ok {
		p.Elem().FieldByName("ClientMutationID").Set(reflect.ValueOf(&id))
	}
	return p.Interface()
}

// decided sets the decision on a payload that carries one (the payload of
// a mutation whose input takes dryRun).
func decided(res any, d txn.Decision) any {
	p := reflect.Indirect(reflect.ValueOf(res))
	if p.Kind() != reflect.Struct {
		return res
	}
	f := p.FieldByName("Decision")
	if !f.IsValid() {
		return res
	}
	md := &model.MutationDecision{Allowed: d.Allowed}
	if !d.Allowed {
		md.Code, md.Reason, md.Field, md.Message = nonEmpty(string(d.Code)), nonEmpty(d.Reason), nonEmpty(d.Field), nonEmpty(d.Message)
	}
	f.Set(reflect.ValueOf(md))
	return res
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// payloadTypes maps each Mutation field to the struct its resolver
// answers, as gqlgen names the resolver's method after the field.
var payloadTypes = sync.OnceValue(func() map[string]reflect.Type {
	out := map[string]reflect.Type{}
	r := reflect.TypeFor[MutationResolver]()
	for i := range r.NumMethod() {
		m := r.Method(i)
		out[strings.ToLower(m.Name[:1])+m.Name[1:]] = m.Type.Out(0).Elem()
	}
	return out
})
