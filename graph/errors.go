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
	code, msg, field, reason := classify(err)
	if code == "" {
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
		code, msg = apperr.Internal, "internal error"
		id := requestid.FromContext(ctx)
		slog.ErrorContext(ctx, "internal error", "request_id", id, "path", out.Path.String(), "error", err)
		setExt(out, "requestId", id)
	}
	out.Message = msg
	setExt(out, "code", string(code))
	if field != "" {
		setExt(out, "field", field)
	}
	if reason != "" {
		setExt(out, "reason", reason)
	}
	return out
}

// classify maps known errors to a code and a message safe to show.
func classify(err error) (code apperr.Code, msg, field, reason string) {
	e, ok := apperr.As(enterr.Convert(err))
	if !ok {
		return "", "", "", ""
	}
	if e.Field != "" {
		field = fieldaccess.GraphQLName(e.Field)
	}
	return e.Code, e.Message, field, e.Reason
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
