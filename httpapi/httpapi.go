// Package httpapi assembles the HTTP surface of partnerdesk: /graphql with
// its transports, GraphiQL at /, and the health endpoints.
package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/klauspost/compress/gzhttp"
	"github.com/rs/cors"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/attachments"
	"github.com/partnerdesk/partnerdesk/auth"
	"github.com/partnerdesk/partnerdesk/cases"
	"github.com/partnerdesk/partnerdesk/clock"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/events"
	"github.com/partnerdesk/partnerdesk/graph"
	"github.com/partnerdesk/partnerdesk/httpapi/graphiql"
	"github.com/partnerdesk/partnerdesk/limits"
	"github.com/partnerdesk/partnerdesk/observe"
	"github.com/partnerdesk/partnerdesk/requestid"
	"github.com/partnerdesk/partnerdesk/store"
	"github.com/partnerdesk/partnerdesk/streams"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// Config is what the handler needs; zero limits take the defaults below.
type Config struct {
	DB    *store.DB
	Clock clock.Clock
	// Attachments keeps uploaded files; its size limit bounds uploads.
	// Nil turns attachments off.
	Attachments *attachments.Store
	// Links signs the attachments' download links; nil signs them with a
	// random key, which only this process knows.
	Links *attachments.Links
	// BounceSecret, when set, is the shared secret of POST /hooks/bounce,
	// where a mail provider reports bounces (bounceHook). Empty
	// serves no such endpoint.
	BounceSecret string
	// Broker feeds subscriptions with what commits; nil turns them off.
	Broker events.Broker
	// EventRetention is how far back a client may resume the event
	// history (after); events.DefaultRetention when zero.
	EventRetention time.Duration
	// InitTimeout is how long a websocket may take to send connection_init
	// before it is closed with 4408; 10s when zero.
	InitTimeout time.Duration
	// CORSOrigins lists the browser origins allowed to call the API; "*"
	// allows any (demo mode only). Empty allows none.
	CORSOrigins []string
	// CORSHeaders lists the request headers browsers may send from those
	// origins; DefaultCORSHeaders when nil.
	CORSHeaders []string
	// CORSCredentials lets those origins send credentials (cookies a
	// gateway in front may read; the API itself reads only Authorization).
	CORSCredentials bool
	// Introspection enables schema introspection and, with it, field,
	// argument and enum suggestions in error messages.
	Introspection bool
	// MaxBodyBytes bounds a JSON request body, and the operations of an
	// upload; DefaultMaxBodyBytes when zero.
	MaxBodyBytes int64
	// Limits bound each operation (limits.Defaults where zero); the handler
	// sets their Introspection, Scalars and Caller.
	Limits limits.Config
	// Rate is every caller's cost bucket; nil turns rate limiting off.
	Rate *limits.Buckets
	// SignInFailures is every client address's bucket of failed sign-ins;
	// nil turns that limit off.
	SignInFailures *limits.Buckets
	// Streams ends when the server stops serving streams (it is shutting
	// down): websockets and server-sent events end with it, while queries
	// and mutations finish. Nil never ends.
	Streams context.Context
	// Observe logs, counts and traces requests; nil only gives each its
	// request ID. Its metrics, if any, watch this handler's database,
	// broker and subscriptions.
	Observe *observe.Observer
	// GzipMinBytes is the smallest response compressed for a client that
	// accepts gzip; 0 turns compression off.
	GzipMinBytes int
	// Draining ends when the server starts to drain, before it stops
	// listening: /readyz answers 503 from then on, so that load balancers
	// send new clients elsewhere while this server still answers those who
	// come. Nil never ends.
	Draining context.Context
}

// DefaultMaxBodyBytes bounds a JSON body when Config.MaxBodyBytes is zero:
// a GraphQL document within limits.Defaults with its variables fits many
// times over, and refusing more costs nothing.
const DefaultMaxBodyBytes = 100 << 10

// maxWebsocketMessage bounds one message a websocket client sends.
const maxWebsocketMessage = 64 << 10

// New returns the server's root handler.
//
// A GraphQL request passes, in order: the request's shape (method, media
// type, body size, a JSON object), the credential's shape (no SQL), the
// document limits, gqlgen's validation, the operation limits, sign-in
// (the first SQL), the caller's rate bucket, and then execution under a
// deadline and a response budget.
func New(cfg Config) http.Handler {
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.InitTimeout == 0 {
		cfg.InitTimeout = 10 * time.Second
	}
	if cfg.Links == nil {
		cfg.Links, _ = attachments.NewLinks(nil, 0, cfg.Clock) // a random key is long enough
	}
	s := &sessions{authn: &auth.Authenticator{Client: cfg.DB.Client, Clock: cfg.Clock}, failures: cfg.SignInFailures}
	lim := cfg.Limits
	lim.Introspection = cfg.Introspection
	lim.Scalars = graph.Scalars
	lim.Rate = cfg.Rate
	lim.Caller = callerKey
	limiter := limits.New(lim)
	gql := graphQL(cfg, s, limiter)

	mux := http.NewServeMux()
	mux.Handle("/graphql", cfg.Observe.GraphQL(withReply(withCredential(checkRequest(cfg.MaxBodyBytes, limiter, gql)))))
	mux.Handle("GET /attachments/{id}", download(cfg.DB.Client, cfg.Attachments, cfg.Links, s.signIn))
	page := graphiql.Handler()
	mux.Handle("GET /{$}", page)
	mux.Handle("GET "+graphiql.Prefix, page)
	if cfg.BounceSecret != "" {
		mux.Handle("POST /hooks/bounce", bounceHook(cfg.DB.Client, cfg.Clock, cfg.BounceSecret))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if cfg.Draining != nil && cfg.Draining.Err() != nil {
			http.Error(w, "draining: shutting down", http.StatusServiceUnavailable)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := cfg.DB.Ping(ctx); err != nil {
			http.Error(w, "database unavailable", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready\n")
	})
	h := compress(cfg.GzipMinBytes, mux)
	if len(cfg.CORSOrigins) == 0 {
		// No origins: no CORS headers, so browsers keep other sites out.
		// (rs/cors would read an empty list as "*".)
		return cfg.Observe.Handler(h)
	}
	headers := cfg.CORSHeaders
	if headers == nil {
		headers = DefaultCORSHeaders
	}
	c := cors.New(cors.Options{
		AllowedOrigins:   cfg.CORSOrigins,
		AllowedMethods:   []string{http.MethodGet, http.MethodPost, http.MethodOptions},
		AllowedHeaders:   headers,
		AllowCredentials: cfg.CORSCredentials,
		ExposedHeaders:   []string{requestid.Header, "traceparent", "Retry-After"},
		MaxAge:           600,
	})
	return cfg.Observe.Handler(c.Handler(h))
}

// DefaultCORSHeaders are the request headers browsers may send by
// default: GraphQL's, the request ID and W3C trace context that join our
// logs to a client's, and Apollo Client's name and version.
var DefaultCORSHeaders = []string{"Authorization", "Content-Type", "Accept", requestid.Header,
	"traceparent", "tracestate", "apollographql-client-name", "apollographql-client-version"}

// DefaultGzipMinBytes is the compression threshold the server starts with:
// below about one packet, compressing saves no round trip.
const DefaultGzipMinBytes = 1400

// compress gzips responses of minBytes or more for clients that accept it.
// Event streams are left alone (a proxy may hold compressed bytes until a
// block fills), and so are websocket upgrades, which are not responses.
func compress(minBytes int, next http.Handler) http.Handler {
	if minBytes <= 0 {
		return next
	}
	wrap, err := gzhttp.NewWrapper(gzhttp.MinSize(minBytes), gzhttp.EnableZstd(false),
		gzhttp.ExceptContentTypes([]string{"text/event-stream"}))
	if err != nil {
		panic(err) // the options are constant
	}
	gz := wrap(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r)
			return
		}
		gz.ServeHTTP(w, r)
	})
}

func graphQL(cfg Config, s *sessions, limiter *limits.Extension) http.Handler {
	resolver := &graph.Resolver{Client: cfg.DB.Client, Clock: cfg.Clock, Attachments: cfg.Attachments, Links: cfg.Links, Sessions: s.authn,
		EventRetention: cfg.EventRetention}
	schema := graph.NewSchema(resolver)
	srv := handler.New(schema)
	fan := &streams.Fan{Broker: cfg.Broker}
	if o := cfg.Observe; o != nil {
		// First, so that it sees what every other extension refuses.
		srv.Use(o.Extension())
		if o.Metrics != nil {
			src := observe.Sources{Pools: cfg.DB.Pools(), Subscriptions: fan.Open}
			if hub, ok := cfg.Broker.(*events.Hub); ok {
				src.Events = hub.Stats
			}
			o.Metrics.Watch(src)
		}
	}
	srv.AddTransport(streams.Websocket{
		Fan:         fan,
		Closing:     cfg.Streams,
		Init:        s.websocketInit,
		InitTimeout: cfg.InitTimeout,
		ReadLimit:   maxWebsocketMessage,
		Present:     graph.PresentError,
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(streams.SSE{Fan: fan, Present: graph.PresentError, Closing: cfg.Streams})
	srv.AddTransport(plainHTTP{})
	var maxFile int64
	if cfg.Attachments != nil {
		maxFile = cfg.Attachments.MaxBytes()
	}
	srv.AddTransport(multipartForm{maxOperationsBytes: cfg.MaxBodyBytes, maxFileBytes: maxFile, maxFiles: 1, maxMemory: 1 << 20})
	srv.AddTransport(unsupported{})

	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(limiter.Config().MaxTokens)
	srv.SetValidationRulesFn(validationRules(cfg.Introspection))
	srv.SetDisableSuggestion(!cfg.Introspection)
	if cfg.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	srv.Use(graph.Mutations{Client: cfg.DB.Client, Sessions: s.authn})
	srv.AroundOperations(s.operation)
	// After sign-in, which names the caller whose bucket pays.
	srv.Use(limiter)
	srv.AroundResponses(graph.Responses)
	srv.SetErrorPresenter(graph.PresentError)
	srv.SetRecoverFunc(graph.Recover)
	return srv
}

// callerKey names the rate bucket of an operation: its caller's contact,
// so that minting more tokens buys no more requests.
func callerKey(ctx context.Context) string {
	if v := viewer.ForContext(ctx); v != nil {
		return v.ContactID
	}
	return ""
}

// validationRules are gqlparser's, without the suggestions ("Did you mean
// …?") that would describe the schema where introspection is off.
func validationRules(introspection bool) func() *rules.Rules {
	return func() *rules.Rules {
		r := rules.NewDefaultRules()
		if !introspection {
			for _, rule := range []core.Rule{
				rules.KnownArgumentNamesRuleWithoutSuggestions,
				rules.ValuesOfCorrectTypeRuleWithoutSuggestions,
				rules.KnownTypeNamesRuleWithoutSuggestions,
			} {
				r.RemoveRule(strings.TrimSuffix(rule.Name, "WithoutSuggestions"))
				r.AddRule(rule.Name, rule.RuleFunc)
			}
		}
		return r
	}
}

// download serves an attachment through a signed link, whose maker could
// see the case when the link was made, or to a bearer of a token who may
// see its case now.
func download(client *ent.Client, files *attachments.Store, links *attachments.Links, signIn func(http.Handler) http.Handler) http.Handler {
	bearer := signIn(serveAttachment(files, func(r *http.Request) (*ent.Attachment, error) {
		return client.Attachment.Get(r.Context(), r.PathValue("id"))
	}))
	linked := serveAttachment(files, func(r *http.Request) (*ent.Attachment, error) {
		return cases.LinkedAttachment(r.Context(), client, links, r.PathValue("id"), r.URL.Query())
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if attachments.Signed(r.URL.Query()) {
			linked.ServeHTTP(w, r)
		} else {
			bearer.ServeHTTP(w, r)
		}
	})
}

// serveAttachment serves the attachment get reads for the request, as a
// download that the browser must not sniff into something renderable.
func serveAttachment(files *attachments.Store, get func(*http.Request) (*ent.Attachment, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, err := get(r)
		if ent.IsNotFound(err) || files == nil {
			writeError(w, http.StatusNotFound, apperr.ErrNotFound)
			return
		}
		if e, ok := apperr.As(err); ok {
			writeError(w, http.StatusForbidden, e)
			return
		}
		var f io.ReadSeekCloser
		if err == nil {
			f, err = files.Open(r.Context(), a.Sha256)
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

// writeError answers with a GraphQL-shaped error body outside the executor.
func writeError(w http.ResponseWriter, status int, e *apperr.Error) {
	observe.Note(w, e)
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64(e.RetryAfter/time.Second), 10))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": e.Message, "extensions": e.Extensions()}},
	})
}
