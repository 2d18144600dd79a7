package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/partnerdesk/partnerdesk/apperr"
)

// MaxPageSize bounds first and last on every connection.
const MaxPageSize = 100

// PageSize is a handler extension that refuses, before anything runs, an
// operation with a connection that does not ask for first or last between 1
// and MaxPageSize. Checking the whole operation up front matters: nested
// connections are eager-loaded by their parent's query, so a missing limit
// deep in a query would read every child row before any resolver of the
// child ran.
type PageSize struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = PageSize{}

func (PageSize) ExtensionName() string { return "PageSize" }

func (PageSize) Validate(graphql.ExecutableSchema) error { return nil }

func (PageSize) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	return checkPages(oc.Operation.SelectionSet, oc.Variables)
}

func checkPages(set ast.SelectionSet, vars map[string]any) *gqlerror.Error {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Definition != nil && strings.HasSuffix(s.Definition.Type.Name(), "Connection") {
				if err := checkPage(s, vars); err != nil {
					return err
				}
			}
			if err := checkPages(s.SelectionSet, vars); err != nil {
				return err
			}
		case *ast.InlineFragment:
			if err := checkPages(s.SelectionSet, vars); err != nil {
				return err
			}
		case *ast.FragmentSpread:
			if s.Definition != nil {
				if err := checkPages(s.Definition.SelectionSet, vars); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func checkPage(f *ast.Field, vars map[string]any) *gqlerror.Error {
	args := f.ArgumentMap(vars)
	first, last := args["first"], args["last"]
	if first == nil && last == nil {
		return pageError(f, "first", fmt.Sprintf("%s needs first or last (1 to %d)", f.Alias, MaxPageSize))
	}
	for _, name := range []string{"first", "last"} {
		if v, ok := asInt(args[name]); ok && (v < 1 || v > MaxPageSize) {
			return pageError(f, name, fmt.Sprintf("%s: %s must be between 1 and %d", f.Alias, name, MaxPageSize))
		}
	}
	return nil
}

func pageError(f *ast.Field, arg, msg string) *gqlerror.Error {
	return &gqlerror.Error{
		Message:   msg,
		Locations: []gqlerror.Location{{Line: f.Position.Line, Column: f.Position.Column}},
		Extensions: map[string]any{
			"code":  string(apperr.BadUserInput),
			"field": arg,
		},
	}
}

// asInt reads an Int argument, which arrives as int64 when written inline
// and in whatever form JSON decoding gave when passed as a variable.
func asInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		return int64(n), true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}
