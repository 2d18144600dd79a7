// Package httpapi assembles the HTTP surface of partnerdesk: /graphql with
// its transports, GraphiQL at /, and the health endpoints.
package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/playground"
	coderws "github.com/coder/websocket"
	"github.com/gorilla/websocket"
	"github.com/rs/cors"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/audit"
	"github.com/partnerdesk/partnerdesk/auth"
	"github.com/partnerdesk/partnerdesk/clock"
	"github.com/partnerdesk/partnerdesk/graph"
	"github.com/partnerdesk/partnerdesk/requestid"
	"github.com/partnerdesk/partnerdesk/store"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// Config is what the handler needs; zero limits take the defaults below.
type Config struct {
	DB    *store.DB
	Clock clock.Clock
	// CORSOrigins lists the browser origins allowed to call the API; "*"
	// allows any (demo mode only). Empty allows none.
	CORSOrigins []string
	// Introspection enables schema introspection and, with it, field
	// suggestions in error messages.
	Introspection bool
	// MaxBodyBytes bounds a JSON request body; 1 MiB when zero.
	MaxBodyBytes int64
	// RequestTimeout bounds one query or mutation; 30s when zero. The
	// context is cancelled and running SQL is interrupted.
	RequestTimeout time.Duration
}

// New returns the server's root handler.
func New(cfg Config) http.Handler {
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 30 * time.Second
	}
	authn := &auth.Authenticator{Client: cfg.DB.Client, Clock: cfg.Clock}
	gql := graphQL(cfg, authn)

	mux := http.NewServeMux()
	mux.Handle("/graphql", authenticate(authn, limitBody(cfg.MaxBodyBytes, withTimeout(cfg.RequestTimeout, gql))))
	mux.Handle("GET /{$}", playground.Handler("partnerdesk", "/graphql"))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := cfg.DB.Ping(ctx); err != nil {
			http.Error(w, "database unavailable", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready\n")
	})
	c := cors.New(cors.Options{
		AllowedOrigins: cfg.CORSOrigins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodOptions},
		AllowedHeaders: []string{"Authorization", "Content-Type", "Accept"},
		ExposedHeaders: []string{requestid.Header},
		MaxAge:         600,
	})
	return requestid.Middleware(c.Handler(mux))
}

func graphQL(cfg Config, authn *auth.Authenticator) http.Handler {
	schema := graph.NewSchema(&graph.Resolver{Client: cfg.DB.Client, Clock: cfg.Clock})
	srv := handler.New(schema)
	srv.AddTransport(transport.Websocket{
		KeepAlivePingInterval: 15 * time.Second,
		InitTimeout:           10 * time.Second,
		// Websockets authenticate through connection_init or a header, never
		// cookies, so a foreign page cannot ride a user's session: any
		// origin may connect.
		Implementation: transport.CoderWebsocketImplementation{
			AcceptOptions: coderws.AcceptOptions{InsecureSkipVerify: true},
		},
		InitFunc: func(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			if viewer.ForContext(ctx) != nil {
				return ctx, nil, nil // authenticated by header at upgrade
			}
			v, err := authn.Authenticate(ctx, payload.Authorization())
			if err != nil {
				return ctx, nil, err
			}
			return viewer.NewContext(ctx, v), nil, nil
		},
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.SSE{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.AddTransport(transport.MultipartForm{MaxUploadSize: 32 << 20, MaxMemory: 8 << 20})

	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetDisableSuggestion(!cfg.Introspection)
	if cfg.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	srv.Use(entgql.Transactioner{TxOpener: cfg.DB.Client})
	srv.Use(graph.PageSize{})
	srv.AroundFields(graph.RequireDecision(schema.Schema()))
	srv.AroundFields(audit.Middleware)
	srv.SetErrorPresenter(graph.PresentError)
	srv.SetRecoverFunc(graph.Recover)
	return srv
}

// authenticate puts the caller in the request's context. Plain HTTP
// requests without a valid token are refused here; a websocket may instead
// authenticate in its connection_init message.
func authenticate(authn *auth.Authenticator, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header := r.Header.Get("Authorization")
		if header == "" && websocket.IsWebSocketUpgrade(r) {
			next.ServeHTTP(w, r)
			return
		}
		v, err := authn.Authenticate(r.Context(), header)
		if err != nil {
			if !errors.Is(err, apperr.ErrUnauthenticated) {
				slog.ErrorContext(r.Context(), "authentication failed", "request_id", requestid.FromContext(r.Context()), "error", err)
			}
			writeError(w, http.StatusUnauthorized, apperr.ErrUnauthenticated)
			return
		}
		next.ServeHTTP(w, r.WithContext(viewer.NewContext(r.Context(), v)))
	})
}

// limitBody answers 413 to a JSON body over max, before any parsing.
// Multipart uploads are bounded by their transport instead.
func limitBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > max {
			writeError(w, http.StatusRequestEntityTooLarge, tooLarge)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
		if err != nil {
			writeError(w, http.StatusBadRequest, apperr.Invalid("body", "the request body could not be read"))
			return
		}
		if int64(len(body)) > max {
			writeError(w, http.StatusRequestEntityTooLarge, tooLarge)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

var tooLarge = apperr.Invalid("body", "the request body is too large")

// withTimeout bounds queries and mutations; subscriptions live as long as
// their connection.
func withTimeout(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if websocket.IsWebSocketUpgrade(r) || strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// writeError answers with a GraphQL-shaped error body outside the executor.
func writeError(w http.ResponseWriter, status int, e *apperr.Error) {
	ext := map[string]any{"code": e.Code}
	if e.Field != "" && e.Code == apperr.BadUserInput {
		ext["field"] = e.Field
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": e.Message, "extensions": ext}},
	})
}
