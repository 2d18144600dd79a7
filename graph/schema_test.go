package graph_test

import (
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/partnerdesk/partnerdesk/graph"
)

// TestEveryFieldHasAnAccessDecision walks the whole schema, root types
// included: every field of an object type states exactly one decision.
func TestEveryFieldHasAnAccessDecision(t *testing.T) {
	schema := graph.NewSchema(&graph.Resolver{}).Schema()
	if undecided := graph.UndecidedFields(schema); len(undecided) > 0 {
		t.Fatalf("fields without exactly one access decision: %v", undecided)
	}
	var fields int
	for name, typ := range schema.Types {
		if typ.Kind == ast.Object && name[:2] != "__" {
			fields += len(typ.Fields)
		}
	}
	if fields < 200 || schema.Types["Mutation"] == nil {
		t.Fatalf("walked %d fields; the schema looks incomplete", fields)
	}
	t.Logf("%d fields checked", fields)
}

func TestUndecidedFieldsAreFound(t *testing.T) {
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: `
		directive @public on FIELD_DEFINITION
		directive @hasGrant(level: String) on FIELD_DEFINITION
		type Query { ok: Int @public, bare: Int, twice: Int @public @hasGrant(level: "CC") }`})
	got := graph.UndecidedFields(schema)
	if len(got) != 2 || got[0] != "Query.bare" || got[1] != "Query.twice" {
		t.Fatalf("UndecidedFields = %v", got)
	}
}

// TestDryRunsAnswerADecision: a mutation whose input takes dryRun answers
// a payload with a decision, in which what a refused dry run cannot show
// may be null (or an empty list); and only such a mutation has a decision.
func TestDryRunsAnswerADecision(t *testing.T) {
	schema := graph.NewSchema(&graph.Resolver{}).Schema()
	var dry int
	for _, f := range schema.Mutation.Fields {
		in := f.Arguments.ForName("input")
		takes := in != nil && schema.Types[in.Type.Name()].Fields.ForName("dryRun") != nil
		payload := schema.Types[f.Type.Name()]
		d := payload.Fields.ForName("decision")
		if answers := d != nil && d.Type.String() == "MutationDecision!"; takes != answers {
			t.Errorf("%s: its input takes dryRun %v, its payload has decision: MutationDecision! %v", f.Name, takes, answers)
			continue
		}
		if !takes {
			continue
		}
		dry++
		for _, pf := range payload.Fields {
			if pf.Name != "decision" && pf.Type.NonNull && pf.Type.Elem == nil {
				t.Errorf("%s.%s is %s: a refused dry run could not answer it", payload.Name, pf.Name, pf.Type)
			}
		}
	}
	if dry < 4 {
		t.Fatalf("%d mutations take dryRun; closeCase, escalateCase, requestGrant and revokeGrant do", dry)
	}
}
