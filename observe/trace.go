package observe

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"entgo.io/ent/dialect"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// OTLP returns a tracer provider that exports over OTLP/HTTP to endpoint,
// the collector's base URL (http://collector:4318); a URL without a path
// gets OTLP's /v1/traces. The standard OTEL_* variables tune the rest:
// OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_TIMEOUT, OTEL_SERVICE_NAME,
// OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER and its argument. Shut it
// down to flush what it holds.
func OTLP(ctx context.Context, endpoint string) (*sdktrace.TracerProvider, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("the OTLP endpoint %q is not an http(s) URL", endpoint)
	}
	if strings.Trim(u.Path, "/") == "" {
		u.Path = "/v1/traces"
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(u.String()))
	if err != nil {
		return nil, err
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "partnerdesk")),
		resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, err
	}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), nil
}

// TraceSQL returns a wrapper of a database driver that traces each
// statement of a traced request as a client span under the request's.
// Statements are traced without their arguments, which may hold personal
// data.
func TraceSQL(tp trace.TracerProvider) func(dialect.Driver) dialect.Driver {
	t := tp.Tracer(instrumentation)
	return func(d dialect.Driver) dialect.Driver { return &tracedDriver{Driver: d, t: t} }
}

type tracedDriver struct {
	dialect.Driver
	t trace.Tracer
}

var _ dialect.Driver = (*tracedDriver)(nil)

func (d *tracedDriver) Exec(ctx context.Context, q string, args, v any) error {
	return traced(ctx, d.t, q, func(ctx context.Context) error { return d.Driver.Exec(ctx, q, args, v) })
}

func (d *tracedDriver) Query(ctx context.Context, q string, args, v any) error {
	return traced(ctx, d.t, q, func(ctx context.Context) error { return d.Driver.Query(ctx, q, args, v) })
}

func (d *tracedDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &tracedTx{Tx: tx, t: d.t}, nil
}

type tracedTx struct {
	dialect.Tx
	t trace.Tracer
}

func (t *tracedTx) Exec(ctx context.Context, q string, args, v any) error {
	return traced(ctx, t.t, q, func(ctx context.Context) error { return t.Tx.Exec(ctx, q, args, v) })
}

func (t *tracedTx) Query(ctx context.Context, q string, args, v any) error {
	return traced(ctx, t.t, q, func(ctx context.Context) error { return t.Tx.Query(ctx, q, args, v) })
}

// traced runs one statement in a span named after its verb, when it runs
// for a traced request: the scheduler's and the migration's statements
// would each start a one-span trace.
func traced(ctx context.Context, t trace.Tracer, q string, run func(context.Context) error) error {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return run(ctx)
	}
	verb, _, _ := strings.Cut(strings.TrimSpace(q), " ")
	ctx, span := t.Start(ctx, "sql "+strings.ToUpper(verb), trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system.name", "sqlite"), attribute.String("db.query.text", q)))
	defer span.End()
	err := run(ctx)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "statement failed")
	}
	return err
}
