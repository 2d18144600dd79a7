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
