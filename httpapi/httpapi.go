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
	"mime"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/playground"
	coderws "github.com/coder/websocket"
	"github.com/gorilla/websocket"
	"github.com/rs/cors"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/attachments"
	"github.com/partnerdesk/partnerdesk/auth"
	"github.com/partnerdesk/partnerdesk/clock"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/events"
	"github.com/partnerdesk/partnerdesk/graph"
	"github.com/partnerdesk/partnerdesk/mailer"
	"github.com/partnerdesk/partnerdesk/requestid"
	"github.com/partnerdesk/partnerdesk/store"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// Config is what the handler needs; zero limits take the defaults below.
type Config struct {
	DB    *store.DB
	Clock clock.Clock
	// Attachments keeps uploaded files; its size limit bounds uploads.
	// Nil turns attachments off.
	Attachments *attachments.Store
	// Mailer sends email; nil keeps messages in the database outbox.
	Mailer mailer.Mailer
	// Broker feeds subscriptions with what commits; nil turns them off.
	Broker events.Broker
	// InitTimeout is how long a websocket may take to send connection_init
	// before it is closed with 4408; 10s when zero.
	InitTimeout time.Duration
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
	if cfg.InitTimeout == 0 {
		cfg.InitTimeout = 10 * time.Second
	}
	authn := &auth.Authenticator{Client: cfg.DB.Client, Clock: cfg.Clock}
	gql := graphQL(cfg, authn)

	mux := http.NewServeMux()
	mux.Handle("/graphql", authenticate(authn, limitBody(cfg.MaxBodyBytes, queriesOnlyOverGET(withTimeout(cfg.RequestTimeout, gql)))))
	mux.Handle("GET /attachments/{id}", authenticate(authn, download(cfg.DB.Client, cfg.Attachments)))
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
	if len(cfg.CORSOrigins) == 0 {
		// No origins: no CORS headers, so browsers keep other sites out.
		// (rs/cors would read an empty list as "*".)
		return requestid.Middleware(mux)
	}
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
	resolver := &graph.Resolver{Client: cfg.DB.Client, Clock: cfg.Clock, Attachments: cfg.Attachments, Mailer: cfg.Mailer, Broker: cfg.Broker}
	schema := graph.NewSchema(resolver)
	srv := handler.New(schema)
	srv.AddTransport(transport.Websocket{
		KeepAlivePingInterval: 15 * time.Second,
		InitTimeout:           cfg.InitTimeout,
		// Websockets authenticate through connection_init or a header, never
		// cookies, so a foreign page cannot ride a user's session: any
		// origin may connect.
		Implementation: closeCodes{transport.CoderWebsocketImplementation{
			AcceptOptions: coderws.AcceptOptions{InsecureSkipVerify: true},
		}},
		PayloadReadLimit: &maxWebsocketMessage,
		InitFunc: func(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			if viewer.ForContext(ctx) != nil {
				return ctx, nil, nil // authenticated by header at upgrade
			}
			v, err := authn.Authenticate(ctx, payload.Authorization())
			if err != nil {
				// 4401 tells graphql-ws clients not to retry in a loop.
				return transport.WithWebsocketCloseCode(transport.AppendCloseReason(ctx, "Unauthorized"), 4401), nil, err
			}
			return viewer.NewContext(ctx, v), nil, nil
		},
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.SSE{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	// The form carries the operation besides the file: allow it 1 MiB.
	maxUpload := int64(1 << 20)
	if cfg.Attachments != nil {
		maxUpload += cfg.Attachments.MaxBytes()
	}
	srv.AddTransport(transport.MultipartForm{MaxUploadSize: maxUpload, MaxMemory: 8 << 20})

	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetDisableSuggestion(!cfg.Introspection)
	if cfg.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	srv.Use(graph.Mutations{Client: cfg.DB.Client})
	srv.Use(graph.PageSize{})
	srv.AroundOperations(resolver.Operations)
	srv.AroundResponses(graph.Responses)
	srv.SetErrorPresenter(graph.PresentError)
	srv.SetRecoverFunc(graph.Recover)
	return srv
}

// download serves an attachment to a caller who may see its case, as a
// download that the browser must not sniff into something renderable.
func download(client *ent.Client, files *attachments.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, err := client.Attachment.Get(r.Context(), r.PathValue("id"))
		if ent.IsNotFound(err) || files == nil {
			writeError(w, http.StatusNotFound, apperr.ErrNotFound)
			return
		}
		var f *os.File
		if err == nil {
			f, err = files.Open(a.Sha256)
		}
		if err != nil {
			slog.ErrorContext(r.Context(), "attachment download", "request_id", requestid.FromContext(r.Context()), "error", err)
			writeError(w, http.StatusInternalServerError, &apperr.Error{Code: apperr.Internal, Message: "internal error"})
			return
		}
		defer f.Close()
		w.Header().Set("Content-Type", a.ContentType)
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Name}))
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "private, no-store")
		http.ServeContent(w, r, "", a.CreatedAt, f)
	})
}

// maxWebsocketMessage bounds one message a websocket client sends.
var maxWebsocketMessage int64 = 64 << 10

// closeCodes closes a websocket whose connection_init came too late with
// 4408, as graphql-transport-ws asks (gqlgen closes it with 1002), so that
// clients such as graphql-ws know to retry later rather than treat it as a
// protocol error.
type closeCodes struct {
	transport.WebsocketImplementation
}

func (c closeCodes) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	conn, err := c.WebsocketImplementation.Accept(w, r, o)
	if err != nil {
		return nil, err
	}
	return &initTimeoutConn{conn}, nil
}

type initTimeoutConn struct{ transport.WebsocketConn }

func (c *initTimeoutConn) WriteClose(code int, msg string) error {
	if code == transport.WebsocketCloseProtocolError && msg == "connection initialisation timeout" {
		code, msg = 4408, "Connection initialisation timeout"
	}
	return c.WebsocketConn.WriteClose(code, msg)
}

// SetReadLimit and SetReadDeadline pass gqlgen's optional controls through.
func (c *initTimeoutConn) SetReadLimit(n int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(n)
	}
}

func (c *initTimeoutConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}

// queriesOnlyOverGET refuses a mutation or subscription sent with GET with
// 405, as GraphQL over HTTP asks: GET must be safe to repeat and to cache.
func queriesOnlyOverGET(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && !websocket.IsWebSocketUpgrade(r) {
			if doc, err := parser.ParseQuery(&ast.Source{Input: r.URL.Query().Get("query")}); err == nil {
				if op := doc.Operations.ForName(r.URL.Query().Get("operationName")); op != nil && op.Operation != ast.Query {
					w.Header().Set("Allow", http.MethodPost)
					writeError(w, http.StatusMethodNotAllowed, &apperr.Error{
						Code: apperr.BadUserInput, Message: "only queries may be sent with GET; send " + string(op.Operation) + "s with POST",
					})
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
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
// their connection. When the time runs out before execution produced
// anything, gqlgen answers a bare null: that answer is replaced by the
// timeout error.
func withTimeout(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if websocket.IsWebSocketUpgrade(r) || strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		buf := &bufferedResponse{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(buf, r.WithContext(ctx))
		if ctx.Err() != nil && strings.TrimSpace(buf.body.String()) == "null" {
			slog.WarnContext(ctx, "request timed out", "request_id", requestid.FromContext(ctx), "after", d)
			writeError(w, http.StatusOK, apperr.ErrTimeout)
			return
		}
		w.WriteHeader(buf.status)
		w.Write(buf.body.Bytes())
	})
}

// bufferedResponse holds a response back until the handler is done.
type bufferedResponse struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) WriteHeader(status int) { b.status = status }

func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }

// writeError answers with a GraphQL-shaped error body outside the executor.
func writeError(w http.ResponseWriter, status int, e *apperr.Error) {
	ext := map[string]any{"code": e.Code}
	if e.Field != "" && e.Code == apperr.BadUserInput {
		ext["field"] = e.Field
	}
	if e.Reason != "" {
		ext["reason"] = e.Reason
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": e.Message, "extensions": ext}},
	})
}
