package graph

import (
	"context"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// The directives decide, before a field resolves, whether the caller may
// have it: on an object's field from the object's owners, on a mutation
// from the action it names (which the mutation then requires on the object
// it loads).

func caller(ctx context.Context) (*access.Session, error) {
	s := viewer.ForContext(ctx)
	if s == nil || !s.Active {
		return nil, apperr.ErrUnauthenticated
	}
	return s, nil
}

// owned is an entity that names its owners (ent/template/owner.tmpl).
type owned interface{ Owners() []string }

func hasGrant(ctx context.Context, obj any, next graphql.Resolver, level access.Level) (any, error) {
	s, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if o, ok := obj.(owned); ok {
		for _, org := range o.Owners() {
			if s.Level(org).AtLeast(level) {
				return next(ctx)
			}
		}
	}
	return nil, apperr.Forbiddenf("this needs %s access to the organisation", level)
}

// public needs a signed-in caller. Below the root there is nothing to
// check: the row filters let through only objects the caller may read.
func public(ctx context.Context, obj any, next graphql.Resolver) (any, error) {
	if obj == nil {
		if _, err := caller(ctx); err != nil {
			return nil, err
		}
	}
	return next(ctx)
}

func action(ctx context.Context, _ any, next graphql.Resolver, name access.Action) (any, error) {
	s, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if !s.Could(name) {
		_, err := s.Require(name, s.OrgID)
		return nil, err
	}
	return next(ctx)
}

// Decisions are the directives that state who may have a field.
var Decisions = []string{"hasGrant", "public", "action"}

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
