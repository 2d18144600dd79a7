package graph_test

import (
	"fmt"
	"testing"
)

func TestKeywordSearch(t *testing.T) {
	w := newCaseWorld(t)
	create := func(title, description string) caseView {
		var got struct {
			CreateCase struct{ Case caseView }
		}
		w.do(w.member, `mutation($in: CreateCaseInput!) { createCase(input: $in) { case { id number } } }`, map[string]any{"in": map[string]any{
			"customerID": w.acme.ID, "title": title, "description": description, "severity": "S3"}}).Decode(t, &got)
		return got.CreateCase.Case
	}
	inTitle := create("Printer jams on every page", "")
	inDescription := create("Office equipment", "the printer in room 4 is offline")
	inComment := create("Something odd", "")
	w.do(w.member, `mutation($in: AddCaseCommentInput!) { addCaseComment(input: $in) { comment { id } } }`,
		map[string]any{"in": map[string]any{"caseID": inComment.ID, "body": "maybe the printer driver?"}}).Decode(t, &struct{}{})
	w.do(w.agent, `mutation($in: AddCaseCommentInput!) { addCaseComment(input: $in) { comment { id } } }`,
		map[string]any{"in": map[string]any{"caseID": inComment.ID, "body": "secretword: known firmware bug", "visibility": "INTERNAL"}}).Decode(t, &struct{}{})
	w.do(w.globexAdmin, `mutation($in: CreateCaseInput!) { createCase(input: $in) { case { id } } }`, map[string]any{"in": map[string]any{
		"customerID": w.globex.ID, "title": "Printer on fire", "severity": "S1"}}).Decode(t, &struct{}{}) // never Acme's to see

	ids := func(as string, query string, vars map[string]any) []string {
		t.Helper()
		var got struct {
			Cases, SearchCases struct {
				TotalCount int
				Edges      []struct{ Node struct{ ID string } }
			}
		}
		w.Query(as, query, vars).Decode(t, &got)
		out := []string{}
		for _, e := range append(got.Cases.Edges, got.SearchCases.Edges...) {
			out = append(out, e.Node.ID)
		}
		return out
	}
	filter := `query($k: String!) { cases(first: 10, where: {keyword: $k}) { edges { node { id } } } }`
	if got := ids(w.tokens[w.member], filter, map[string]any{"k": "print"}); len(got) != 3 {
		t.Fatalf("prefix 'print' finds %v, want the three printer cases", got)
	}
	if got := ids(w.tokens[w.agent], filter, map[string]any{"k": "secretword"}); len(got) != 0 {
		t.Fatalf("internal comment text is searchable: %v", got)
	}
	if got := ids(w.tokens[w.member], filter, map[string]any{"k": fmt.Sprintf("#%d", inDescription.Number)}); len(got) != 1 || got[0] != inDescription.ID {
		t.Fatalf("case number search: %v", got)
	}
	if got := ids(w.tokens[w.globexAdmin], filter, map[string]any{"k": "printer"}); len(got) != 1 {
		t.Fatalf("Globex must find only its own printer case: %v", got)
	}

	search := `query($k: String!, $after: Cursor) { searchCases(keyword: $k, first: 2, after: $after) {
		totalCount pageInfo { hasNextPage endCursor } edges { node { id createdBy { name } } } } }`
	var page struct {
		SearchCases struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage bool
				EndCursor   string
			}
			Edges []struct {
				Node struct {
					ID        string
					CreatedBy struct{ Name string }
				}
			}
		}
	}
	w.Query(w.tokens[w.member], search, map[string]any{"k": "printer"}).Decode(t, &page)
	p := page.SearchCases
	if p.TotalCount != 3 || !p.PageInfo.HasNextPage || len(p.Edges) != 2 || p.Edges[0].Node.ID != inTitle.ID || p.Edges[0].Node.CreatedBy.Name != w.member.Name {
		t.Fatalf("first page %+v: the title match must rank first", p)
	}
	w.Query(w.tokens[w.member], search, map[string]any{"k": "printer", "after": p.PageInfo.EndCursor}).Decode(t, &page)
	if len(page.SearchCases.Edges) != 1 || page.SearchCases.PageInfo.HasNextPage {
		t.Fatalf("second page %+v", page.SearchCases)
	}
	for _, bad := range []string{"", `"*()`} {
		if res := w.Query(w.tokens[w.member], filter, map[string]any{"k": bad}); res.Code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != "keyword" {
			t.Fatalf("keyword %q: %+v", bad, res.Errors)
		}
	}
}
