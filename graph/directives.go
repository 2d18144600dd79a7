package graph

import (
	"context"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/audit"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// The directives decide, before a field resolves, whether the caller may
// have it. On an object's field they read the owner from the parent object;
// on a root mutation from the object or organisation its arguments name.

func caller(ctx context.Context) (*viewer.Viewer, error) {
	v := viewer.ForContext(ctx)
	if v == nil || !v.Active {
		return nil, apperr.ErrUnauthenticated
	}
	return v, nil
}

func (r *Resolver) hasGrant(ctx context.Context, obj any, next graphql.Resolver, level access.Level) (any, error) {
	v, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	target, err := r.target(ctx, obj)
	if err != nil {
		return nil, err
	}
	for _, org := range owners(target) {
		d, err := v.LevelOn(ctx, org)
		if err != nil {
			return nil, err
		}
		if d.Level.AtLeast(level) {
			audit.Allowed(ctx, org, d)
			return next(ctx)
		}
	}
	return nil, apperr.Forbiddenf("this needs %s access to the organisation", level)
}

func public(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	return next(ctx)
}

func (r *Resolver) ownOrganization(ctx context.Context, obj any, next graphql.Resolver) (any, error) {
	v, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	target, err := r.target(ctx, obj)
	if err != nil {
		return nil, err
	}
	if tok, ok := target.(*ent.AccessToken); ok {
		// A token is its owner's alone, whatever its organisation.
		if tok.ContactID == v.ContactID {
			return next(ctx)
		}
	} else if slices.Contains(owners(target), v.OrgID) || v.IsVendorStaff() {
		// The audit takes the customer from the object acted on: a grant's
		// customer, whichever side acts.
		return next(ctx)
	}
	return nil, apperr.Forbiddenf("only members of the organisation may do this")
}

func vendorOnly(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	v, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if v.OrgKind != access.Vendor {
		return nil, apperr.Forbiddenf("only the vendor's staff may do this")
	}
	return next(ctx)
}

// Decisions are the directives that state who may read a field.
var Decisions = []string{"hasGrant", "public", "ownOrganization", "vendorOnly"}

// RequireDecision returns a field middleware that denies a field whose
// schema definition carries none of the Decisions: a field added without an
// access rule fails closed instead of leaking. The definition is looked up
// on the concrete type, as a field selected through an interface (node {
// id }) carries the interface's. Introspection is left to its own switch.
func RequireDecision(schema *ast.Schema) graphql.FieldMiddleware {
	return func(ctx context.Context, next graphql.Resolver) (any, error) {
		fc := graphql.GetFieldContext(ctx)
		if strings.HasPrefix(fc.Object, "__") || strings.HasPrefix(fc.Field.Name, "__") {
			return next(ctx)
		}
		def := fc.Field.Definition
		if t := schema.Types[fc.Object]; t != nil {
			if f := t.Fields.ForName(fc.Field.Name); f != nil {
				def = f
			}
		}
		for _, d := range def.Directives {
			if slices.Contains(Decisions, d.Name) {
				return next(ctx)
			}
		}
		return nil, apperr.Forbiddenf("%s.%s has no access rule", fc.Object, fc.Field.Name)
	}
}
