package graph_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/partnerdesk/partnerdesk/graph"
)

// TestAPanickingResolverFailsAloneAndLeaksNothing serves the real schema
// with the server's recover function and error presenter, and a resolver
// that panics while holding a secret-looking message.
func TestAPanickingResolverFailsAloneAndLeaksNothing(t *testing.T) {
	srv := handler.New(graph.NewSchema(&graph.Resolver{}))
	srv.AddTransport(transport.POST{})
	srv.SetRecoverFunc(graph.Recover)
	srv.SetErrorPresenter(graph.PresentError)
	srv.AroundFields(func(ctx context.Context, next graphql.Resolver) (any, error) {
		panic("SELECT * FROM access_tokens /work/main/graph/secret.go:42")
	})
	ts := httptest.NewServer(srv)
	defer ts.Close()

	for range 2 { // the second request proves the server survived the first
		res, err := http.Post(ts.URL, "application/json", strings.NewReader(`{"query":"{ viewer { contact { id } } }"}`))
		if err != nil {
			t.Fatalf("the server is gone: %v", err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		for _, leak := range []string{"SELECT", "access_tokens", ".go", "goroutine", "panic"} {
			if strings.Contains(string(body), leak) {
				t.Fatalf("response leaks %q: %s", leak, body)
			}
		}
		if !strings.Contains(string(body), `"code":"INTERNAL"`) || !strings.Contains(string(body), `"message":"internal error"`) {
			t.Fatalf("want an INTERNAL error, got %s", body)
		}
	}
}
