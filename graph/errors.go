package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/apperr/enterr"
	"github.com/partnerdesk/partnerdesk/ent/schema/fieldaccess"
	"github.com/partnerdesk/partnerdesk/requestid"
)

// PresentError gives every error one of the codes of SPEC §6. Domain and ent
// errors say what the caller can fix; anything else is logged with the
// request ID and reaches the client only as INTERNAL, with no SQL, stack or
// path in it.
func PresentError(ctx context.Context, err error) *gqlerror.Error {
	out := graphql.DefaultErrorPresenter(ctx, err)
	e, ok := classify(ctx, err)
	if !ok {
		var gerr *gqlerror.Error
		if errors.As(err, &gerr) && gerr.Err == nil {
			// gqlgen's own complaints about the request (unparsable,
			// invalid, bad variables) already speak to the client; its own
			// code, if any, stays as the reason.
			switch c, _ := out.Extensions["code"].(string); c {
			case "":
				setExt(out, "code", string(apperr.BadUserInput))
			case errcode.ParseFailed, errcode.ValidationFailed:
				setExt(out, "code", string(apperr.BadUserInput))
				setExt(out, "reason", c)
			}
			return out
		}
		id := requestid.FromContext(ctx)
		slog.ErrorContext(ctx, "internal error", "request_id", id, "path", out.Path.String(), "error", err)
		e = &apperr.Error{Code: apperr.Internal, Message: "internal error"}
		setExt(out, "requestId", id)
	}
	out.Message = e.Message
	for k, v := range e.Extensions() {
		setExt(out, k, v)
	}
	if e.Field != "" {
		setExt(out, "field", fieldaccess.GraphQLName(e.Field))
	}
	return out
}

// classify maps known errors to one a client may read. An error that ended
// because its operation was stopped (a limit ran out) is that limit's.
func classify(ctx context.Context, err error) (*apperr.Error, bool) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		if e, ok := apperr.As(context.Cause(ctx)); ok {
			return e, true
		}
	}
	return apperr.As(enterr.Convert(err))
}

func setExt(e *gqlerror.Error, k string, v any) {
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions[k] = v
}

// Recover turns a resolver's panic into an internal error: the stack goes to
// the log, the request fails alone, and the server keeps serving.
func Recover(ctx context.Context, p any) error {
	slog.ErrorContext(ctx, "panic in resolver", "request_id", requestid.FromContext(ctx),
		"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	return fmt.Errorf("panic: %v", p)
}
