// Package observe makes the server operable: an access log line, metrics
// and a trace for every request, joined by one request ID.
//
// A request's record travels in its context. The HTTP middleware opens
// it; the GraphQL extension fills in what only the executor knows (the
// operation, the caller, the cost, the error codes); the middleware then
// logs and counts it once the response is written. A websocket outlives
// its upgrade request, so each of its operations keeps a record of its
// own, which the extension closes.
package observe

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/requestid"
)

// Observer watches requests. Each nil field turns its part off, at no
// cost on the request path.
type Observer struct {
	// Log receives the access log: one line per HTTP request, and one per
	// operation a websocket carries.
	Log *slog.Logger
	// Metrics counts and times requests.
	Metrics *Metrics
	// Tracer traces requests, operations, root resolvers and SQL.
	Tracer trace.TracerProvider
}

// Only W3C trace context is read and written: it is what gateways and
// the OpenTelemetry SDKs send.
var propagator = propagation.TraceContext{}

// record is what is known of one request, or of one websocket operation.
type record struct {
	id        string
	start     time.Time
	transport string // "http", "sse" or "websocket"
	// graphQL: the request was for the GraphQL endpoint, so it is counted
	// as an operation even when it was refused before being parsed.
	graphQL bool
	// upgrade: the request opened a websocket, whose operations are
	// recorded one by one.
	upgrade bool

	mu sync.Mutex // guards what follows: a stream renders on another goroutine
	// operation: the extension saw it, so it has noted its codes.
	operation bool
	// counted: the metrics have counted it (a subscription is, once it
	// follows its stream, though its request goes on).
	counted       bool
	opType        string
	opName        string
	persistedHash string
	caller        string
	cost          int64
	codes         []codeReason
	status        int
	bytes         int64
}

// codeReason is one error's extensions.code and, for limits, its reason.
type codeReason struct{ code, reason string }

type recordKey struct{}

func recordFrom(ctx context.Context) *record {
	r, _ := ctx.Value(recordKey{}).(*record)
	return r
}

// note adds an error's code.
func (r *record) note(code, reason string) {
	if code == "" {
		return
	}
	r.mu.Lock()
	r.codes = append(r.codes, codeReason{code, reason})
	r.mu.Unlock()
}

// outcome is the request's code: its first error's, or OK.
func (r *record) outcome() string {
	if len(r.codes) == 0 {
		return "OK"
	}
	return r.codes[0].code
}

// Note records an error answered outside the GraphQL executor (a request
// refused before it was parsed) on the record of the response w writes.
func Note(w http.ResponseWriter, e *apperr.Error) {
	for {
		if rw, ok := w.(*responseWriter); ok {
			rw.rec.note(string(e.Code), e.Reason)
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}

// Handler observes every request to next: it keeps or gives the request
// its ID, traces it, echoes the trace context, and logs and counts it
// once answered.
func (o *Observer) Handler(next http.Handler) http.Handler {
	if o == nil {
		return requestid.Middleware(next)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if o.Tracer == nil {
			// Without a tracer of ours, the caller's trace context is
			// still passed on, so that the gateway's trace stays whole.
			ctx = propagator.Extract(ctx, propagation.HeaderCarrier(r.Header))
		}
		propagator.Inject(ctx, propagation.HeaderCarrier(w.Header()))
		rec := &record{id: requestid.FromContext(ctx), start: time.Now(), transport: "http",
			upgrade: websocket.IsWebSocketUpgrade(r)}
		switch {
		case rec.upgrade:
			rec.transport = "websocket"
		case strings.Contains(r.Header.Get("Accept"), "text/event-stream"):
			rec.transport = "sse"
		}
		if !rec.upgrade {
			// A websocket's operations outlive this request: each keeps
			// a record of its own.
			ctx = context.WithValue(ctx, recordKey{}, rec)
		}
		rw := &responseWriter{ResponseWriter: w, rec: rec}
		next.ServeHTTP(rw, r.WithContext(ctx))
		if rec.upgrade && rec.status == 0 {
			rec.status = http.StatusSwitchingProtocols
		}
		o.finish(ctx, rec, r)
	})
	var traced http.Handler = h
	if o.Tracer != nil {
		traced = otelhttp.NewHandler(h, "partnerdesk",
			otelhttp.WithTracerProvider(o.Tracer),
			otelhttp.WithPropagators(propagator),
			otelhttp.WithSpanNameFormatter(spanName))
	}
	return requestid.Middleware(traced)
}

// spanName names a request's span by its method and the first segment of
// its path: an attachment's ID would make every download's name unique.
func spanName(_ string, r *http.Request) string {
	first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	return r.Method + " /" + first
}

// GraphQL marks the requests to next as GraphQL operations, counted in
// flight while they run.
func (o *Observer) GraphQL(next http.Handler) http.Handler {
	if o == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rec := recordFrom(r.Context()); rec != nil {
			rec.graphQL = true
		}
		if o.Metrics != nil {
			o.Metrics.inFlight.Inc()
			defer o.Metrics.inFlight.Dec()
		}
		next.ServeHTTP(w, r)
	})
}

// finish logs and counts a record; r is its HTTP request, nil for a
// websocket operation.
func (o *Observer) finish(ctx context.Context, rec *record, r *http.Request) {
	elapsed := time.Since(rec.start)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	o.countLocked(rec, elapsed)
	if o.Log == nil {
		return
	}
	attrs := make([]slog.Attr, 0, 16)
	attrs = append(attrs, slog.String("request_id", rec.id))
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		attrs = append(attrs, slog.String("trace_id", sc.TraceID().String()))
	}
	msg := "operation"
	if r != nil {
		msg = "request"
		attrs = append(attrs, slog.String("method", r.Method), slog.String("path", r.URL.Path))
	}
	attrs = append(attrs, slog.String("transport", rec.transport))
	if rec.operation {
		attrs = append(attrs, slog.String("operation_type", rec.opType), slog.String("operation", rec.opName))
		if rec.persistedHash != "" {
			attrs = append(attrs, slog.String("persisted_hash", rec.persistedHash))
		}
	}
	if rec.caller != "" {
		attrs = append(attrs, slog.String("caller", rec.caller))
	}
	if r != nil {
		attrs = append(attrs, slog.Int("status", rec.status))
	}
	if rec.graphQL || rec.operation {
		attrs = append(attrs, slog.String("code", rec.outcome()))
		if codes := rec.distinctCodes(); len(codes) > 1 {
			attrs = append(attrs, slog.Any("codes", codes))
		}
	}
	attrs = append(attrs, slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000))
	if rec.cost > 0 {
		attrs = append(attrs, slog.Int64("cost", rec.cost))
	}
	if r != nil {
		attrs = append(attrs, slog.Int64("bytes", rec.bytes))
	}
	o.Log.LogAttrs(ctx, slog.LevelInfo, msg, attrs...)
}

// count counts a record in the metrics, once.
func (o *Observer) count(rec *record) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	o.countLocked(rec, time.Since(rec.start))
}

func (o *Observer) countLocked(rec *record, elapsed time.Duration) {
	if o.Metrics != nil && !rec.counted && (rec.graphQL || rec.operation) {
		rec.counted = true
		o.Metrics.observe(rec, elapsed)
	}
}

// distinctCodes lists the codes of a record's errors, each once, in the
// order they came; rec.mu is held.
func (r *record) distinctCodes() []string {
	var out []string
	for _, c := range r.codes {
		if !slices.Contains(out, c.code) {
			out = append(out, c.code)
		}
	}
	return out
}

// responseWriter notes a response's status and size.
type responseWriter struct {
	http.ResponseWriter
	rec   *record
	wrote bool
}

func (w *responseWriter) WriteHeader(status int) {
	if !w.wrote {
		w.wrote = true
		w.rec.mu.Lock()
		w.rec.status = status
		w.rec.mu.Unlock()
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(p)
	w.rec.mu.Lock()
	w.rec.bytes += int64(n)
	w.rec.mu.Unlock()
	return n, err
}

// Flush keeps server-sent events streaming through the wrapper.
func (w *responseWriter) Flush() {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController, and the websocket upgrade, the
// connection underneath.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
