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
		if org == "" {
			continue
		}
		d, err := v.LevelOn(ctx, org)
		if err != nil {
			return nil, err
		}
		if d.Level.AtLeast(level) {
			if obj == nil { // a root field: a mutation tells the audit what allowed it
				audit.Allowed(ctx, org, d)
			}
			return next(ctx)
		}
	}
	return nil, apperr.Forbiddenf("this needs %s access to the organisation", level)
}

// public needs a signed-in caller. Below the root there is nothing to
// check: every object was reached through a root field that checked it.
func public(ctx context.Context, obj any, next graphql.Resolver) (any, error) {
	if obj == nil {
		if _, err := caller(ctx); err != nil {
			return nil, err
		}
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
	} else if o := owners(target); o[0] == v.OrgID || o[1] == v.OrgID || v.IsVendorStaff() {
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

// UndecidedFields lists the fields of object types ("Type.field") that
// carry none of the Decisions, or more than one. Introspection types are
// left to the introspection switch.
func UndecidedFields(schema *ast.Schema) []string {
	var out []string
	for name, t := range schema.Types {
		if t.Kind != ast.Object || strings.HasPrefix(name, "__") {
			continue
		}
		for _, f := range t.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			n := 0
			for _, d := range f.Directives {
				if slices.Contains(Decisions, d.Name) {
					n++
				}
			}
			if n != 1 {
				out = append(out, name+"."+f.Name)
			}
		}
	}
	slices.Sort(out)
	return out
}
