package graph_test

import (
	"strings"
	"testing"
)

func TestConnectionsNeedFirstOrLastFromOneToHundred(t *testing.T) {
	w := newWorld(t)
	token := w.Token(w.vendorAdmin)
	for name, tc := range map[string]struct {
		query string
		vars  map[string]any
		ok    bool
	}{
		"first 1":           {query: `{ organizations(first: 1) { edges { node { id } } } }`, ok: true},
		"last 100":          {query: `{ organizations(last: 100) { edges { node { id } } } }`, ok: true},
		"no limit":          {query: `{ organizations { edges { node { id } } } }`},
		"first 0":           {query: `{ organizations(first: 0) { edges { node { id } } } }`},
		"first 101":         {query: `{ organizations(first: 101) { edges { node { id } } } }`},
		"last -1":           {query: `{ cases(last: -1) { totalCount } }`},
		"variable 500":      {query: `query($n: Int) { cases(first: $n) { totalCount } }`, vars: map[string]any{"n": 500}},
		"nested no limit":   {query: `{ organizations(first: 5) { edges { node { contacts { totalCount } } } } }`},
		"in a fragment":     {query: `{ organizations(first: 5) { edges { node { ...F } } } } fragment F on Organization { devices(first: 1000) { totalCount } }`},
		"nested within cap": {query: `{ organizations(first: 5) { edges { node { contacts(first: 100) { totalCount } } } } }`, ok: true},
	} {
		t.Run(name, func(t *testing.T) {
			res := w.Query(token, tc.query, tc.vars)
			if tc.ok {
				if len(res.Errors) > 0 {
					t.Fatalf("unexpected errors %+v", res.Errors)
				}
				return
			}
			if res.Code() != "BAD_USER_INPUT" || !strings.Contains(res.Errors[0].Message, "1 and 100") && !strings.Contains(res.Errors[0].Message, "first or last") || !res.NoData() {
				t.Fatalf("want BAD_USER_INPUT before execution, got %+v data=%s", res.Errors, res.Data)
			}
		})
	}
}

// TestNodesAndCursorsWithoutEdges: every connection offers GitHub's nodes
// shortcut, at the root and nested, and its pageInfo's cursors and
// hasNextPage are right whether or not edges are selected.
func TestNodesAndCursorsWithoutEdges(t *testing.T) {
	w := newWorld(t)
	token := w.Token(w.vendorAdmin)
	type page struct {
		Nodes    []struct{ ID, Name string }
		Edges    []struct{ Node struct{ ID string } }
		PageInfo struct {
			EndCursor   *string
			HasNextPage bool
		}
	}
	var got struct{ Organizations page }
	w.Query(token, `{ organizations(first: 2) { nodes { id } pageInfo { endCursor hasNextPage } } }`, nil).Decode(t, &got)
	if len(got.Organizations.Nodes) != 2 || got.Organizations.PageInfo.EndCursor == nil || !got.Organizations.PageInfo.HasNextPage {
		t.Fatalf("root nodes without edges: %+v", got.Organizations)
	}
	var both struct{ Organizations page }
	w.Query(token, `{ organizations(first: 2) { nodes { id } edges { node { id } } } }`, nil).Decode(t, &both)
	for i, n := range both.Organizations.Nodes {
		if n.ID != both.Organizations.Edges[i].Node.ID || n.ID != got.Organizations.Nodes[i].ID {
			t.Fatalf("nodes and edges differ: %+v", both.Organizations)
		}
	}
	var cursorOnly struct{ Organizations page }
	w.Query(token, `{ organizations(first: 1) { pageInfo { endCursor hasNextPage } } }`, nil).Decode(t, &cursorOnly)
	if c := cursorOnly.Organizations.PageInfo; c.EndCursor == nil || !c.HasNextPage {
		t.Fatalf("pageInfo alone: %+v", c)
	}
	var nested struct {
		Organizations struct {
			Nodes []struct{ Contacts page }
		}
	}
	w.Query(token, `{ organizations(first: 5, where: {kind: CUSTOMER}) { nodes { contacts(first: 1) { nodes { name } pageInfo { endCursor } } } } }`, nil).Decode(t, &nested)
	found := false
	for _, o := range nested.Organizations.Nodes {
		if len(o.Contacts.Nodes) == 1 {
			found = true
			if o.Contacts.Nodes[0].Name == "" || o.Contacts.PageInfo.EndCursor == nil {
				t.Fatalf("nested nodes without edges: %+v", o.Contacts)
			}
		}
	}
	if !found {
		t.Fatalf("no customer's contacts came back as nodes: %+v", nested)
	}
}
