// Package txn runs one change in a transaction of its own: committed, or,
// for a dry run, rolled back. A rollback keeps nothing the change did:
// events publish only once their transaction commits (events.AfterCommit),
// and mail and audit entries are rows written in it. graph.Mutations runs
// every root mutation field through it; a bulk job may run each item so.
package txn

import (
	"context"
	"fmt"
	"reflect"

	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/apperr/enterr"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/schema/fieldaccess"
)

// Run runs fn with a transaction of client and commits it if fn succeeds,
// or, when dry, rolls it back all the same; a failed fn is always rolled
// back. The ent entities fn returns (itself, or in the fields of the struct
// it points to) are detached from the finished transaction: their edges
// are read with client, from what is committed, which after a dry run
// lacks what fn wrote.
func Run[T any](ctx context.Context, client *ent.Client, dry bool, fn func(context.Context, *ent.Client) (T, error)) (res T, err error) {
	tx, err := client.Tx(ctx)
	if err != nil {
		return res, err
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
	}()
	res, err = fn(ctx, tx.Client())
	switch {
	case err != nil:
		if rerr := tx.Rollback(); rerr != nil {
			err = fmt.Errorf("%w (and rolling back: %v)", err, rerr)
		}
		return res, err
	case dry:
		err = tx.Rollback()
	default:
		err = tx.Commit()
	}
	if err != nil {
		return res, err
	}
	Detach(res)
	return res, nil
}

// Decision says whether a change was (or would be) allowed, and if not,
// why, in the words of the error the change failed with.
type Decision struct {
	Allowed bool
	// Code, Reason and Message are the refusal's; Field is the GraphQL
	// name of the input field at fault, if the error names one.
	Code    apperr.Code
	Reason  string
	Field   string
	Message string
}

// Decide turns what a change returned into its decision: a refusal for a
// coded error, which the caller could have foreseen; anything else (a
// defect, an operation stopped by its limits or its client) stays an error.
func Decide(ctx context.Context, err error) (Decision, error) {
	if err == nil {
		return Decision{Allowed: true}, nil
	}
	e, ok := apperr.As(enterr.Convert(err))
	if !ok || e.Code == apperr.Internal || ctx.Err() != nil {
		return Decision{}, err
	}
	d := Decision{Code: e.Code, Reason: e.Reason, Message: e.Message}
	if e.Field != "" {
		d.Field = fieldaccess.GraphQLName(e.Field)
	}
	return d, nil
}

// detachable is an ent entity (ent/template/detach.tmpl).
type detachable interface{ Detach() }

// Detach moves the ent entities in res (itself, or the fields of the
// struct it points to, lists such as a change's events included) off the
// transaction that loaded them, so that their edges are read with the
// root client.
func Detach(res any) {
	rv := reflect.ValueOf(res)
	if !rv.IsValid() || detachOne(rv) {
		return
	}
	if rv = reflect.Indirect(rv); rv.Kind() != reflect.Struct {
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

// detachOne detaches v if it is an entity, and says whether it is one.
func detachOne(v reflect.Value) bool {
	d, ok := v.Interface().(detachable)
	if ok && !v.IsNil() {
		d.Detach()
	}
	return ok
}
