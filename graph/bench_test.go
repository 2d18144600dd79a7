package graph_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/auth"
	"github.com/partnerdesk/partnerdesk/graph"
	"github.com/partnerdesk/partnerdesk/limits"
	"github.com/partnerdesk/partnerdesk/testkit"
	"github.com/partnerdesk/partnerdesk/viewer"
)

const hundredCases = `{ cases(first: 100) { edges { node {
  id number title severity status escalated createdAt updatedAt firstResponseDueAt
  customer { name supportPlan } createdBy { name email }
} } } }`

// BenchmarkCasesQuery runs a 100-case query as a partner contact through
// two handlers that differ only in whether the access directives run: the
// row filters, authentication and transport are the same. Compare the two
// sub-benchmarks' ns/op and allocs/op.
func BenchmarkCasesQuery(b *testing.B) {
	e := testkit.New(b)
	acme := e.Org(access.Customer, "Acme")
	partner := e.Org(access.Partner, "Contoso")
	e.Grant(testkit.GrantSpec{Partner: partner, Customer: acme, Level: access.Look, StartsAt: e.Clock.Now().Add(-time.Hour)})
	author := e.Contact(acme, "Ada")
	for range 100 {
		e.Case(acme, author, "Phones reboot every hour")
	}
	token := e.Token(e.Contact(partner, "Pat"))
	authn := &auth.Authenticator{Client: e.Client, Clock: e.Clock}
	resolver := &graph.Resolver{Client: e.Client, Clock: e.Clock}

	pass := func(ctx context.Context, _ any, next graphql.Resolver) (any, error) { return next(ctx) }
	on := graph.NewSchema(resolver)
	off := graph.NewExecutableSchema(graph.Config{Resolvers: resolver, Directives: graph.DirectiveRoot{
		HasGrant: func(ctx context.Context, obj any, next graphql.Resolver, _ access.Level) (any, error) {
			return pass(ctx, obj, next)
		},
		Public: pass,
		Action: func(ctx context.Context, obj any, next graphql.Resolver, _ access.Action) (any, error) {
			return pass(ctx, obj, next)
		},
	}})
	for _, bc := range []struct {
		name   string
		schema graphql.ExecutableSchema
	}{{"directives-on", on}, {"directives-off", off}} {
		srv := handler.New(bc.schema)
		srv.AddTransport(transport.POST{})
		srv.SetQueryCache(lru.New[*ast.QueryDocument](100))
		srv.Use(limits.New(limits.Config{}))
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			v, err := authn.Authenticate(r.Context(), r.Header.Get("Authorization"))
			if err != nil {
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
			srv.ServeHTTP(w, r.WithContext(viewer.NewContext(r.Context(), v)))
		})
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":`+quote(hundredCases)+`}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"errors"`) || strings.Count(rec.Body.String(), `"number"`) != 100 {
					b.Fatalf("%d %s", rec.Code, rec.Body.String()[:min(300, rec.Body.Len())])
				}
			}
		})
	}
}

func quote(s string) string {
	return `"` + strings.NewReplacer("\n", " ", `"`, `\"`).Replace(s) + `"`
}
