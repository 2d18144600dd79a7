package graph_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/partnerdesk/partnerdesk/graph"
)

// TestEveryFieldHasAnAccessDecision walks the whole schema, root types
// included, and fails on any field of an object type that does not state
// exactly one access decision.
func TestEveryFieldHasAnAccessDecision(t *testing.T) {
	schema := graph.NewSchema(&graph.Resolver{}).Schema()
	var fields int
	for name, typ := range schema.Types {
		if typ.Kind != ast.Object || strings.HasPrefix(name, "__") {
			continue
		}
		for _, f := range typ.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			fields++
			var decisions []string
			for _, d := range f.Directives {
				if slices.Contains(graph.Decisions, d.Name) {
					decisions = append(decisions, d.Name)
				}
			}
			if len(decisions) != 1 {
				t.Errorf("%s.%s has %d access decisions %v, want exactly one", name, f.Name, len(decisions), decisions)
			}
		}
	}
	for _, root := range []string{"Query", "Mutation"} {
		if schema.Types[root] == nil {
			t.Fatalf("schema has no %s type", root)
		}
	}
	t.Logf("%d fields checked", fields)
}
