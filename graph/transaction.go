package graph

import (
	"context"
	"fmt"
	"reflect"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/partnerdesk/partnerdesk/audit"
	"github.com/partnerdesk/partnerdesk/ent"
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

func (m Mutations) field(ctx context.Context, fc *graphql.FieldContext, next graphql.Resolver) (res any, err error) {
	tx, err := m.Client.Tx(ctx)
	if err != nil {
		return nil, err
	}
	h := &txHolder{}
	h.client.Store(tx.Client())
	defer func() {
		h.client.Store(nil)
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
	}()
	ctx = context.WithValue(ctx, txKey{}, h)
	res, err = next(ctx)
	if err == nil {
		err = audit.Write(ctx, tx.Client(), fc, res)
	}
	if err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			err = fmt.Errorf("%w (and rolling back: %v)", err, rerr)
		}
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	detach(res)
	return res, nil
}

// detachable is an ent entity (ent/template/detach.tmpl).
type detachable interface{ Detach() }

// detach moves the ent entities a mutation returns (itself, or the fields
// of its payload, lists such as a change's events included) off the
// committed transaction, so that the edges its selection asks for are read
// with the root client.
func detach(res any) {
	if d, ok := res.(detachable); ok {
		d.Detach()
		return
	}
	rv := reflect.Indirect(reflect.ValueOf(res))
	if rv.Kind() != reflect.Struct {
		return
	}
	for i := range rv.NumField() {
		f := rv.Field(i)
		if !f.CanInterface() {
			continue
		}
		if f.Kind() == reflect.Slice {
			for j := range f.Len() {
				detachOne(f.Index(j))
			}
			continue
		}
		detachOne(f)
	}
}

func detachOne(v reflect.Value) {
	if d, ok := v.Interface().(detachable); ok && !v.IsNil() {
		d.Detach()
	}
}
