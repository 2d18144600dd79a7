package graph_test

import (
	"testing"

	"github.com/partnerdesk/partnerdesk/ids"
)

func TestNodeHidesWhatTheCallerMayNotSee(t *testing.T) {
	w := newWorld(t)
	query := `query($id: ID!) { node(id: $id) { id ... on Contact { email } } }`

	var got struct{ Node struct{ ID, Email string } }
	w.Query(w.Token(w.vendorAdmin), query, map[string]any{"id": w.globexAdmin.ID}).Decode(t, &got)
	if got.Node.Email != w.globexAdmin.Email {
		t.Fatalf("vendor staff see every contact, got %+v", got)
	}

	acme := w.Token(w.acmeAdmin)
	hidden := w.Query(acme, query, map[string]any{"id": w.globexAdmin.ID})
	missing := w.Query(acme, query, map[string]any{"id": ids.New(ids.Contact)})
	malformed := w.Query(acme, query, map[string]any{"id": "con_nope"})
	if hidden.Code() != "NOT_FOUND" || missing.Code() != "NOT_FOUND" || malformed.Code() != "NOT_FOUND" {
		t.Fatalf("codes: hidden %q, missing %q, malformed %q", hidden.Code(), missing.Code(), malformed.Code())
	}
	if hidden.Errors[0].Message != missing.Errors[0].Message || string(hidden.Data) != string(missing.Data) {
		t.Fatalf("a hidden object must look like a missing one:\n%+v %s\n%+v %s", hidden.Errors, hidden.Data, missing.Errors, missing.Data)
	}
}

func TestNodesResolvesEachIDOnItsOwn(t *testing.T) {
	w := newWorld(t)
	var got struct{ Nodes []*struct{ ID string } }
	res := w.Query(w.Token(w.acmeAdmin), `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
		map[string]any{"ids": []string{w.acmeMember.ID, w.globexAdmin.ID, w.acme.ID}})
	if len(res.Errors) != 1 || res.Code() != "NOT_FOUND" {
		t.Fatalf("want one NOT_FOUND for the other customer's contact, got %+v", res.Errors)
	}
	res.Errors = nil
	res.Decode(t, &got)
	if len(got.Nodes) != 3 || got.Nodes[0] == nil || got.Nodes[0].ID != w.acmeMember.ID || got.Nodes[1] != nil || got.Nodes[2].ID != w.acme.ID {
		t.Fatalf("nodes = %+v", got.Nodes)
	}
}
