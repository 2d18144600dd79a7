package limits

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/partnerdesk/partnerdesk/apperr"
)

// MaxPageSize bounds first and last on every connection (SPEC §6).
const MaxPageSize = 100

// Cost is what an operation may cost, worked out before it runs.
type Cost struct {
	// Nodes is the operation's complexity: the nodes it may return.
	Nodes int64
	// Points is what it spends from its caller's rate-limit bucket.
	Points int64
}

// Points is the rate-limit cost of an operation that may return nodes
// nodes: one for the request, and one per hundred nodes (GitHub's score).
func Points(nodes int64) int64 { return 1 + (nodes+99)/100 }

const costKey = "partnerdesk.cost"

// CostOf returns the cost the checks recorded for the operation in oc.
func CostOf(oc *graphql.OperationContext) (Cost, bool) {
	c, ok := oc.Stats.GetExtension(costKey).(Cost)
	return c, ok
}

// checkOperation bounds a validated operation with its variables: whether
// it may introspect, the page each connection asks for, the values of its
// arguments and its complexity. Fragments are expanded as they are used;
// checkDocument already bounded what that expansion amounts to.
func (e *Extension) checkOperation(oc *graphql.OperationContext) (Cost, *apperr.Error) {
	w := &opWalk{cfg: &e.cfg, schema: e.schema, vars: oc.Variables, input: inputBound{cfg: &e.cfg}}
	if !e.cfg.Introspection {
		if name, ok := introspects(oc.Operation.SelectionSet); ok {
			return Cost{}, &apperr.Error{Code: apperr.IntrospectionDisabled, Field: name,
				Message: "introspection is disabled on this server"}
		}
	}
	nodes := w.set(oc.Operation.SelectionSet, 1, false)
	if w.err != nil {
		return Cost{}, w.err
	}
	if nodes > e.cfg.MaxComplexity {
		return Cost{}, apperr.Limited(apperr.QueryTooComplex, "COMPLEXITY", e.cfg.MaxComplexity, nodes,
			"the query may return %d nodes (each connection's first or last, times those around it); at most %d are allowed",
			nodes, e.cfg.MaxComplexity)
	}
	return Cost{Nodes: nodes, Points: Points(nodes)}, nil
}

// introspects reports whether a selection of the root type asks for the
// schema, and under which name.
func introspects(ss ast.SelectionSet) (string, bool) {
	for _, sel := range ss {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				return s.Name, true
			}
		case *ast.FragmentSpread:
			if s.Definition != nil {
				if name, ok := introspects(s.Definition.SelectionSet); ok {
					return name, true
				}
			}
		case *ast.InlineFragment:
			if name, ok := introspects(s.SelectionSet); ok {
				return name, true
			}
		}
	}
	return "", false
}

type opWalk struct {
	cfg    *Config
	schema *ast.Schema
	vars   map[string]any
	input  inputBound
	err    *apperr.Error
}

// set returns the nodes a selection set may return when its parent is
// returned mult times; inConnection says the parent is a connection, whose
// edges and nodes lists are its page, already counted.
func (w *opWalk) set(ss ast.SelectionSet, mult int64, inConnection bool) int64 {
	var nodes int64
	for _, sel := range ss {
		if w.err != nil {
			return nodes
		}
		switch s := sel.(type) {
		case *ast.Field:
			nodes = sat(nodes + w.field(s, mult, inConnection))
		case *ast.FragmentSpread:
			if s.Definition != nil {
				nodes = sat(nodes + w.set(s.Definition.SelectionSet, mult, inConnection))
			}
		case *ast.InlineFragment:
			nodes = sat(nodes + w.set(s.SelectionSet, mult, inConnection))
		}
	}
	return nodes
}

func (w *opWalk) field(f *ast.Field, mult int64, inConnection bool) int64 {
	def := f.Definition
	if def == nil || strings.HasPrefix(f.Name, "__") {
		return 0 // __typename, or introspection: bounded by its own rule
	}
	var args map[string]any
	if len(f.Arguments) > 0 {
		args = f.ArgumentMap(w.vars)
		for _, a := range def.Arguments {
			w.value(a.Name, a.Type, args[a.Name], 0)
		}
	}
	if w.err != nil {
		return 0
	}
	switch {
	case isConnection(f):
		page, ok := w.page(f, args)
		if !ok {
			return 0
		}
		n := sat(mult * page)
		return sat(n + w.set(f.SelectionSet, n, true))
	case def.Type.Elem != nil && !inConnection:
		n := sat(mult * w.listSize(def, args))
		return sat(n + w.set(f.SelectionSet, n, false))
	}
	return w.set(f.SelectionSet, mult, false)
}

// isConnection reports whether f returns a Relay connection.
func isConnection(f *ast.Field) bool {
	return f.Definition.Type.Elem == nil && strings.HasSuffix(f.Definition.Type.Name(), "Connection")
}

// page is the page a connection asks for: first or last, between 1 and
// MaxPageSize. Asking for neither is refused, not defaulted: nested
// connections are loaded with their parent, so a missing limit deep in a
// query would read every child row.
func (w *opWalk) page(f *ast.Field, args map[string]any) (int64, bool) {
	first, hasFirst := asInt(args["first"])
	last, hasLast := asInt(args["last"])
	switch {
	case !hasFirst && !hasLast:
		w.err = apperr.Invalid("first", "%s needs first or last (1 to %d)", f.Alias, MaxPageSize)
	case hasFirst && (first < 1 || first > MaxPageSize):
		w.err = apperr.Invalid("first", "%s: first must be between 1 and %d", f.Alias, MaxPageSize)
	case hasLast && (last < 1 || last > MaxPageSize):
		w.err = apperr.Invalid("last", "%s: last must be between 1 and %d", f.Alias, MaxPageSize)
	}
	return max(first, last), w.err == nil
}

// listSize is how many items a list without a page may hold: as many as
// the IDs it is asked for (nodes(ids:)), else an estimate.
func (w *opWalk) listSize(def *ast.FieldDefinition, args map[string]any) int64 {
	for _, a := range def.Arguments {
		if a.Type.Elem != nil {
			if l, ok := args[a.Name].([]any); ok {
				return int64(len(l))
			}
		}
	}
	return w.cfg.ListEstimate
}

// value checks one argument value against its type: bounded as every
// argument value is, custom scalars that will parse, and no empty
// condition inside a where filter (ent would fail on it at run time).
func (w *opWalk) value(path string, t *ast.Type, v any, depth int) {
	if v == nil || w.err != nil {
		return
	}
	if w.err = w.input.value(path, depth); w.err != nil {
		return
	}
	if t.Elem != nil {
		list, ok := v.([]any)
		if !ok { // a single value stands for a list of one
			w.value(path, t.Elem, v, depth+1)
			return
		}
		if w.err = w.input.list(path, len(list)); w.err != nil {
			return
		}
		for _, item := range list {
			w.value(path, t.Elem, item, depth+1)
		}
		return
	}
	switch def := w.schema.Types[t.NamedType]; {
	case def != nil && def.Kind == ast.InputObject:
		obj, ok := v.(map[string]any)
		if !ok {
			return
		}
		if depth > 0 && strings.HasSuffix(def.Name, "WhereInput") && !anySet(obj) {
			w.err = apperr.Invalid(path, "%s is empty: name at least one condition", path)
			return
		}
		for _, f := range def.Fields {
			if n, ok := maxItems(f); ok {
				w.items(path+"."+f.Name, f.Type, obj[f.Name], n, depth+1)
				continue
			}
			w.value(path+"."+f.Name, f.Type, obj[f.Name], depth+1)
		}
	case def != nil && def.Kind == ast.Scalar:
		if check := w.cfg.Scalars[def.Name]; check != nil {
			if err := check(v); err != nil {
				w.err = apperr.Invalid(path, "%s: %s", path, describe(err, def.Name))
			}
		}
	}
}

func anySet(obj map[string]any) bool {
	for _, v := range obj {
		if v != nil {
			return true
		}
	}
	return false
}

// describe is what a scalar's check said, when it says it to a client.
func describe(err error, scalar string) string {
	if e, ok := apperr.As(err); ok {
		return e.Message
	}
	return fmt.Sprintf("not a valid %s", scalar)
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

// items checks the list of a bulk mutation's items (@maxItems): at most
// max of them, each bounded on its own as a whole operation's arguments
// are, so that a bulk of many small items passes where one argument that
// large would not. More items than max is the caller's mistake, not an
// abuse: BAD_USER_INPUT, before anything runs.
func (w *opWalk) items(path string, t *ast.Type, v any, max, depth int) {
	list, ok := v.([]any)
	if !ok || t.Elem == nil {
		w.value(path, t, v, depth)
		return
	}
	if w.err = w.input.value(path, depth); w.err != nil {
		return
	}
	if len(list) > max {
		w.err = apperr.Invalid(path, "%s holds %d items; a bulk mutation takes at most %d: send the rest in another", path, len(list), max)
		return
	}
	outer := w.input
	defer func() { w.input = outer }()
	for _, item := range list {
		w.input = inputBound{cfg: w.cfg}
		if w.value(path, t.Elem, item, depth+1); w.err != nil {
			return
		}
	}
}
