package observe

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/partnerdesk/partnerdesk/limits"
	"github.com/partnerdesk/partnerdesk/requestid"
	"github.com/partnerdesk/partnerdesk/streams"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// instrumentation names the tracer of this package's spans.
const instrumentation = "github.com/partnerdesk/partnerdesk/observe"

// Extension is the gqlgen side of an Observer: it notes each operation on
// its record and traces it. Use it before every other extension, so that
// it sees what they refuse.
type Extension struct {
	o      *Observer
	tracer trace.Tracer // nil: no tracing
}

var (
	_ graphql.HandlerExtension     = (*Extension)(nil)
	_ graphql.OperationInterceptor = (*Extension)(nil)
	_ graphql.ResponseInterceptor  = (*Extension)(nil)
	_ graphql.RootFieldInterceptor = (*Extension)(nil)
)

// Extension returns the observer's gqlgen extension.
func (o *Observer) Extension() *Extension {
	e := &Extension{o: o}
	if o.Tracer != nil {
		e.tracer = o.Tracer.Tracer(instrumentation)
	}
	return e
}

// ExtensionName implements graphql.HandlerExtension.
func (*Extension) ExtensionName() string { return "Observe" }

// Validate implements graphql.HandlerExtension.
func (*Extension) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation implements graphql.OperationInterceptor: the
// operation's span, and its record's operation, caller and codes.
func (e *Extension) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	rec, own := e.recordOf(ctx)
	if own {
		ctx = context.WithValue(ctx, recordKey{}, rec)
	}
	rec.setOperation(oc)
	var span trace.Span
	if e.tracer != nil {
		opts := []trace.SpanStartOption{trace.WithAttributes(
			attribute.String("graphql.operation.type", rec.opType),
			attribute.String("graphql.operation.name", rec.opName))}
		if own {
			// A websocket's operation starts a trace of its own, linked
			// to the upgrade's, which has long ended.
			opts = append(opts, trace.WithNewRoot(), trace.WithLinks(trace.LinkFromContext(ctx)))
		}
		ctx, span = e.tracer.Start(ctx, rec.spanName(), opts...)
	}
	responses := next(ctx)
	if oc.Operation != nil && oc.Operation.Operation == ast.Subscription && streams.Following(ctx) {
		// It follows its stream from now on: what it renders later are
		// events, not its answer, and its time to answer is over.
		e.end(ctx, span, rec, own)
		e.o.count(rec)
		return responses
	}
	var once sync.Once
	return func(ctx context.Context) *graphql.Response {
		res := responses(ctx)
		once.Do(func() {
			rec.noteResponse(res)
			e.end(ctx, span, rec, own)
		})
		return res
	}
}

// InterceptResponse implements graphql.ResponseInterceptor, for the
// errors answered before an operation could run (unparsable, invalid, or
// over a limit): InterceptOperation notes those of the others.
func (e *Extension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	rec, own := e.recordOf(ctx)
	if !own && rec.hasOperation() {
		return next(ctx)
	}
	res := next(ctx)
	if graphql.HasOperationContext(ctx) {
		rec.setOperation(graphql.GetOperationContext(ctx))
	}
	rec.noteResponse(res)
	if own {
		e.o.finish(ctx, rec, nil)
	}
	return res
}

// InterceptRootField implements graphql.RootFieldInterceptor: a span for
// each root resolver (they are the ones that read the database), and the
// caller, now signed in.
func (e *Extension) InterceptRootField(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	if rec := recordFrom(ctx); rec != nil {
		if v := viewer.ForContext(ctx); v != nil {
			rec.mu.Lock()
			rec.caller = v.ContactID
			rec.mu.Unlock()
		}
	}
	fc := graphql.GetRootFieldContext(ctx)
	if e.tracer == nil || fc == nil || strings.HasPrefix(fc.Field.Name, "__") {
		return next(ctx)
	}
	ctx, span := e.tracer.Start(ctx, fc.Field.ObjectDefinition.Name+"."+fc.Field.Name,
		trace.WithAttributes(attribute.String("graphql.field.alias", fc.Field.Alias)))
	defer span.End()
	return next(ctx)
}

// recordOf returns the record of the request in ctx, or a new one when ctx
// is a websocket's, whose operations each have their own (own).
func (e *Extension) recordOf(ctx context.Context) (rec *record, own bool) {
	if rec := recordFrom(ctx); rec != nil {
		return rec, false
	}
	return &record{id: requestid.FromContext(ctx), start: time.Now(), transport: "websocket"}, true
}

// end ends the operation's span and, for an operation with a record of
// its own, the record.
func (e *Extension) end(ctx context.Context, span trace.Span, rec *record, own bool) {
	if span != nil {
		rec.mu.Lock()
		code := rec.outcome()
		rec.mu.Unlock()
		span.SetAttributes(attribute.String("graphql.outcome", code))
		if code != "OK" {
			span.SetStatus(codes.Error, code)
		}
		span.End()
	}
	if own {
		e.o.finish(ctx, rec, nil)
	}
}

// spanName names an operation's span: "query CaseList", or "query".
func (r *record) spanName() string {
	if r.opName == "" {
		return r.opType
	}
	return r.opType + " " + r.opName
}

// setOperation notes what the operation context says of the operation.
func (r *record) setOperation(oc *graphql.OperationContext) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.operation = true
	r.opType = "unknown"
	if oc.Operation != nil {
		r.opType = string(oc.Operation.Operation)
		r.opName = oc.Operation.Name
	} else {
		r.opName = oc.OperationName
	}
	if pq, ok := oc.Extensions["persistedQuery"].(map[string]any); ok {
		r.persistedHash, _ = pq["sha256Hash"].(string)
	}
	if c, ok := limits.CostOf(oc); ok {
		r.cost = c.Points
	}
}

func (r *record) hasOperation() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.operation
}

// noteResponse notes the codes of a response's errors.
func (r *record) noteResponse(res *graphql.Response) {
	if res == nil {
		return
	}
	for _, err := range res.Errors {
		code, _ := err.Extensions["code"].(string)
		reason, _ := err.Extensions["reason"].(string)
		r.note(code, reason)
	}
}
