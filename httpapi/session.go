package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/gorilla/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/auth"
	"github.com/partnerdesk/partnerdesk/graph"
	"github.com/partnerdesk/partnerdesk/limits"
	"github.com/partnerdesk/partnerdesk/requestid"
	"github.com/partnerdesk/partnerdesk/streams"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// Signing in is the first step of a request that costs SQL, so a GraphQL
// request signs in only once the limits have looked at it: a request
// refused by a limit issues none. Before that, only the credential's shape
// is checked; a request without a bearer token learns nothing else.

// sessions signs callers in, and slows down addresses that keep failing.
type sessions struct {
	authn *auth.Authenticator
	// failures holds each client address's failed sign-ins; nil: no limit.
	failures *limits.Buckets
}

// credential is what a request presented, kept for the sign-in after the
// limits.
type credential struct {
	authorization string
	address       string
	// streaming: the request can carry a subscription's events (a
	// websocket, or server-sent events).
	streaming bool
}

type credentialKey struct{}

// withCredential keeps the request's credential for the sign-in. A plain
// request without a bearer token is refused at once. A websocket may
// present its token in connection_init instead, and a bad one in the
// upgrade header is refused there too, after the upgrade, with 4401: an
// HTTP 401 before it would look to graphql-ws clients like a network
// failure, which they retry.
func withCredential(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upgrade := websocket.IsWebSocketUpgrade(r)
		cred := credential{authorization: r.Header.Get("Authorization"), address: clientAddress(r),
			streaming: upgrade || strings.Contains(r.Header.Get("Accept"), "text/event-stream")}
		if r.Method != http.MethodOptions && !upgrade && !auth.LooksLikeBearer(cred.authorization) {
			writeError(w, http.StatusUnauthorized, apperr.ErrUnauthenticated)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), credentialKey{}, cred)))
	})
}

// clientAddress is the address failed sign-ins are counted against: the
// peer's IP, not a forwarded header a client could write.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// signInAs returns the viewer a credential stands for. While an address
// keeps failing, it is refused without a look at what it sent, so that
// guessing tokens slows to the bucket's pace.
func (s *sessions) signInAs(ctx context.Context, cred credential) (*access.Session, error) {
	if s.failures != nil {
		if st, empty := s.failures.Empty(cred.address); empty {
			return nil, limits.TooManyFailures(st)
		}
	}
	v, err := s.authn.Authenticate(ctx, cred.authorization)
	if errors.Is(err, apperr.ErrUnauthenticated) && s.failures != nil {
		s.failures.Spend(cred.address, 1)
	}
	return v, err
}

// operation signs in the caller of an HTTP operation; a websocket's caller
// signed in at connection_init. It is the outermost step of an operation,
// so every refusal after it passes here on its way out, and gets its HTTP
// status.
func (s *sessions) operation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	cred, _ := ctx.Value(credentialKey{}).(credential)
	var answer graphql.ResponseHandler
	var session *access.Session
	var err error
	switch {
	case graphql.GetOperationContext(ctx).Operation.Operation == ast.Subscription && !cred.streaming:
		// Over a plain request it would hold the connection open, waiting.
		err = streams.ErrNoStream
	case viewer.ForContext(ctx) != nil:
		// A websocket signed in at connection_init; each of its operations
		// decides as of its own start, the token and grants read again.
		session, err = s.authn.Refresh(ctx, viewer.ForContext(ctx))
	default:
		session, err = s.signInAs(ctx, cred)
	}
	if err != nil {
		if _, ok := apperr.As(err); !ok {
			slog.ErrorContext(ctx, "signing in", "request_id", requestid.FromContext(ctx), "error", err)
		}
		answer = graphql.OneShot(&graphql.Response{Errors: gqlerror.List{graph.PresentError(ctx, err)}})
	} else {
		answer = next(viewer.NewContext(ctx, session))
	}
	return func(ctx context.Context) *graphql.Response {
		res := answer(ctx)
		if res != nil && len(res.Errors) > 0 && res.Data == nil {
			if status, retry := refusalStatus(res.Errors[0].Extensions); status != 0 {
				setReply(ctx, status, retry)
			}
		}
		return res
	}
}

// refusalStatus is the HTTP status of a request refused as a whole: 401
// for a failed sign-in, 429 (and when to retry) for a rate limit, 500 for
// a failure of the server's.
func refusalStatus(ext map[string]any) (int, time.Duration) {
	switch ext["code"] {
	case string(apperr.Internal):
		return http.StatusInternalServerError, 0
	case string(apperr.Unauthenticated):
		return http.StatusUnauthorized, 0
	case string(apperr.RateLimited):
		secs, _ := ext["retryAfterSeconds"].(int64)
		return http.StatusTooManyRequests, time.Duration(secs) * time.Second
	}
	return 0, 0
}

// websocketInit signs in a websocket with its connection_init payload, or
// the header it was upgraded with.
func (s *sessions) websocketInit(ctx context.Context, payload transport.InitPayload) (context.Context, error) {
	cred, _ := ctx.Value(credentialKey{}).(credential)
	if a := payload.Authorization(); strings.TrimSpace(cred.authorization) == "" {
		cred.authorization = a
	}
	v, err := s.signInAs(ctx, cred)
	if err != nil {
		return ctx, err
	}
	return viewer.NewContext(ctx, v), nil
}

// signIn puts the caller in the context of a plain HTTP request (an
// attachment download).
func (s *sessions) signIn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cred := credential{authorization: r.Header.Get("Authorization"), address: clientAddress(r)}
		if !auth.LooksLikeBearer(cred.authorization) {
			writeError(w, http.StatusUnauthorized, apperr.ErrUnauthenticated)
			return
		}
		v, err := s.signInAs(r.Context(), cred)
		if err != nil {
			e, ok := apperr.As(err)
			if !ok {
				slog.ErrorContext(r.Context(), "signing in", "request_id", requestid.FromContext(r.Context()), "error", err)
				writeError(w, http.StatusInternalServerError, &apperr.Error{Code: apperr.Internal, Message: "internal error"})
				return
			}
			status, _ := refusalStatus(e.Extensions())
			writeError(w, status, e)
			return
		}
		next.ServeHTTP(w, r.WithContext(viewer.NewContext(r.Context(), v)))
	})
}
