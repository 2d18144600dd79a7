package streams

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// operation is one GraphQL operation a stream carries, as either transport
// starts it.
type operation struct {
	fan     *Fan
	exec    graphql.GraphExecutor
	present graphql.ErrorPresenterFunc
	// transport names what carries the operation, for Fan.Open.
	transport string
}

// outcome is how an operation started: a subscription now following its
// stream, or the one answer to send (a query's, a mutation's, or a
// refusal's) before completing.
type outcome struct {
	sub    *subscription
	answer *graphql.Response
	// refused: the request itself was malformed (not a GraphQL error of
	// its execution); graphql-transport-ws sends it as an error message.
	refused bool
}

// start runs the operation in payload, sending a subscription's events to
// s. A query or mutation runs to its end before start returns.
func (o operation) start(ctx context.Context, payload []byte, s sink) (out outcome) {
	defer func() {
		if p := recover(); p != nil {
			slog.ErrorContext(ctx, "panic starting an operation", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			out = outcome{answer: &graphql.Response{Errors: gqlerror.List{o.present(ctx, fmt.Errorf("panic: %v", p))}}}
		}
	}()
	start := graphql.Now()
	params := &graphql.RawParams{}
	d := json.NewDecoder(bytes.NewReader(payload))
	d.UseNumber()
	if err := d.Decode(params); err != nil {
		return outcome{answer: &graphql.Response{Errors: gqlerror.List{{Message: "the payload is not a GraphQL request",
			Extensions: map[string]any{"code": "BAD_USER_INPUT"}}}}, refused: true}
	}
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	ctx = graphql.StartOperationTrace(ctx)
	rc, errs := o.exec.CreateOperationContext(ctx, params)
	if errs != nil {
		// The kind first: presenting the errors renames their codes.
		refused := errcode.GetErrorKind(errs) == errcode.KindProtocol
		return outcome{answer: o.exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs), refused: refused}
	}
	ctx = graphql.WithOperationContext(ctx, rc)
	if rc.Operation.Operation != ast.Subscription {
		responses, ctx := o.exec.DispatchOperation(ctx, rc)
		return outcome{answer: responses(ctx)}
	}
	sub := o.fan.newSubscription(rc, s, o.transport, o.present)
	responses, opCtx, following := sub.dispatch(ctx, o.exec, rc)
	if !following {
		return outcome{answer: responses(opCtx)}
	}
	sub.start(opCtx, responses)
	return outcome{sub: sub}
}
