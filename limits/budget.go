package limits

import (
	"context"
	"math"
	"reflect"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/partnerdesk/partnerdesk/apperr"
)

// budget is what one query or mutation may still use while it runs: the
// rest of its time (its context's deadline) and of its response size.
type budget struct {
	maxBytes int64
	bytes    atomic.Int64
	// nodes counts the items of the lists and connections resolved: the
	// actual cost, against the cost requested.
	nodes atomic.Int64
	stop  context.CancelCauseFunc
}

type budgetKey struct{}

// errResponseTooLarge stops an operation whose response outgrew its limit.
func errResponseTooLarge(limit int64) *apperr.Error {
	return apperr.Limited(apperr.ResponseTooLarge, "", limit, limit+1,
		"the response grew past %d bytes and was stopped; ask for fewer fields or smaller pages", limit)
}

// InterceptOperation spends the operation's cost from its caller's bucket,
// then gives a query or mutation its deadline and response budget. When
// either runs out, the operation's context is cancelled with the reason as
// its cause: running SQL is interrupted, fields not yet resolved are not,
// and the response is replaced by that one error.
func (e *Extension) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if cost, ok := CostOf(oc); ok && e.cfg.Rate != nil && e.cfg.Caller != nil {
		if key := e.cfg.Caller(ctx); key != "" {
			st, ok := e.cfg.Rate.Spend(key, cost.Points)
			oc.Stats.SetExtension(statusKey, st)
			if !ok {
				return graphql.OneShot(&graphql.Response{
					Errors:     gqlerror.List{present(rateLimited(cost, st))},
					Extensions: map[string]any{"cost": costReport(cost, 0, st)},
				})
			}
		}
	}
	if oc.Operation.Operation == ast.Subscription {
		return next(ctx)
	}
	ctx, stop := context.WithCancelCause(ctx)
	ctx, release := context.WithTimeoutCause(ctx, e.cfg.Timeout, apperr.ErrTimeout)
	b := &budget{maxBytes: e.cfg.MaxResponseBytes, stop: stop}
	answer := next(context.WithValue(ctx, budgetKey{}, b))
	return func(ctx context.Context) *graphql.Response {
		res := answer(ctx)
		if cause, ok := apperr.As(context.Cause(ctx)); ok && res == nil {
			// Stopped before it began: gqlgen answers nothing at all.
			res = &graphql.Response{Errors: gqlerror.List{present(cause)}}
		}
		release()
		stop(nil)
		return res
	}
}

func rateLimited(cost Cost, st Status) *apperr.Error {
	secs := int64(math.Ceil(st.RetryAfter.Seconds()))
	e := apperr.Limited(apperr.RateLimited, "", int64(st.Available), cost.Points,
		"this request costs %d points and %d are left; try again in %d s", cost.Points, int64(st.Available), secs)
	e.RetryAfter = time.Duration(secs) * time.Second
	return e
}

// present renders an error refused outside gqlgen's execution, where its
// error presenter does not run, in the same shape.
func present(e *apperr.Error) *gqlerror.Error {
	return &gqlerror.Error{Message: e.Message, Extensions: e.Extensions()}
}

// InterceptField stops fields once the operation is stopped, and counts
// what each resolved field adds to the response.
func (e *Extension) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	b, _ := ctx.Value(budgetKey{}).(*budget)
	if b == nil {
		return next(ctx)
	}
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	res, err := next(ctx)
	if err != nil {
		return res, err
	}
	size, items := measure(res)
	b.nodes.Add(items)
	if b.bytes.Add(size+int64(len(graphql.GetFieldContext(ctx).Field.Alias))+4) > b.maxBytes {
		cause := errResponseTooLarge(b.maxBytes)
		b.stop(cause)
		return nil, cause
	}
	return res, nil
}

// InterceptResponse puts the cost in the response's extensions (Shopify's
// shape), and replaces the response of a stopped operation by the reason
// it stopped: a half-built answer would only mislead.
func (e *Extension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	res := next(ctx)
	if res == nil || !graphql.HasOperationContext(ctx) {
		return res
	}
	b, _ := ctx.Value(budgetKey{}).(*budget)
	if b != nil && ctx.Err() != nil {
		if cause, ok := apperr.As(context.Cause(ctx)); ok {
			res = &graphql.Response{Errors: gqlerror.List{present(cause)}, Extensions: res.Extensions}
		}
	}
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation != nil && oc.Operation.Operation == ast.Subscription {
		// A subscription paid once, as it started; its events are rendered
		// once for every subscriber alike, and carry no one's bucket.
		return res
	}
	cost, ok := CostOf(oc)
	st, rated := oc.Stats.GetExtension(statusKey).(Status)
	if !ok || !rated {
		return res
	}
	var actual int64
	if b != nil {
		actual = Points(b.nodes.Load())
	}
	if res.Extensions == nil {
		res.Extensions = map[string]any{}
	}
	res.Extensions["cost"] = costReport(cost, actual, st)
	return res
}

const statusKey = "partnerdesk.rate"

func costReport(c Cost, actual int64, st Status) map[string]any {
	return map[string]any{
		"requestedQueryCost": c.Points,
		"actualQueryCost":    actual,
		"complexity":         c.Nodes,
		"throttleStatus":     st,
	}
}

// measure estimates what a resolved value adds to the JSON response, and
// how many list items it holds. Objects add their braces here and their
// fields as those resolve.
func measure(v any) (bytes, items int64) {
	switch x := v.(type) {
	case nil:
		return 4, 0
	case string:
		return int64(len(x)) + 2, 0
	case *string:
		if x == nil {
			return 4, 0
		}
		return int64(len(*x)) + 2, 0
	case bool, int, int64, float64, *int, *bool, time.Time, *time.Time:
		return 24, 0
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return 4, 0
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.String:
		return int64(rv.Len()) + 2, 0
	case reflect.Slice:
		n := int64(rv.Len())
		if rv.Type().Elem().Kind() == reflect.String {
			for i := range rv.Len() {
				bytes += int64(rv.Index(i).Len()) + 3
			}
		}
		return bytes + n*2 + 2, n
	case reflect.Struct:
		// A connection: its edges are the items it returns.
		if edges := rv.FieldByName("Edges"); edges.Kind() == reflect.Slice {
			return 2, int64(edges.Len())
		}
	}
	return 2, 0
}
