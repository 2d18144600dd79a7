// Package apperr defines the errors the domain returns to callers, each with
// one of the fixed codes of SPEC §6. The GraphQL error presenter turns them
// into extensions.code; anything else is an internal error.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Code is the value clients read from extensions.code.
type Code string

// The codes of SPEC §6.
const (
	Unauthenticated      Code = "UNAUTHENTICATED"
	Forbidden            Code = "FORBIDDEN"
	NotFound             Code = "NOT_FOUND"
	BadUserInput         Code = "BAD_USER_INPUT"
	Conflict             Code = "CONFLICT"
	EscalationNotAllowed Code = "ESCALATION_NOT_ALLOWED"
	ReopenWindowExpired  Code = "REOPEN_WINDOW_EXPIRED"
	RateLimited          Code = "RATE_LIMITED"
	// CursorExpired refuses an event cursor (after) older than the events
	// the server keeps for resuming (--event-retention): bad input the
	// client fixes by reading the history afresh, without after.
	CursorExpired Code = "CURSOR_EXPIRED"
	// Internal is a server defect, never the answer to anything a client
	// sent: it is logged with the request ID.
	Internal Code = "INTERNAL"
)

// The codes of the abuse limits (SPEC §8): each limit refuses with its own
// code, and with the limit and the measured value in Error.Limit and
// Error.Measured, before anything runs.
const (
	// QueryTooComplex refuses an operation too deep or too costly: Reason
	// says which (DEPTH or COMPLEXITY).
	QueryTooComplex Code = "QUERY_TOO_COMPLEX"
	// QueryTooLarge refuses a document of too many bytes or parser tokens.
	QueryTooLarge Code = "QUERY_TOO_LARGE"
	// TooManyFields refuses a selection of too many fields once fragments
	// are expanded (Reason SELECTION), or a document of too many in all
	// (Reason DOCUMENT).
	TooManyFields Code = "TOO_MANY_FIELDS"
	// TooManyAliases refuses a document with too many aliased fields.
	TooManyAliases Code = "TOO_MANY_ALIASES"
	// TooManyDirectives refuses a document with too many directives.
	TooManyDirectives Code = "TOO_MANY_DIRECTIVES"
	// InputTooLarge refuses an argument with too many values (a list too
	// long, an input nested too deep); Field names it.
	InputTooLarge Code = "INPUT_TOO_LARGE"
	// PayloadTooLarge refuses a request body or an upload over its limit
	// (HTTP 413).
	PayloadTooLarge Code = "PAYLOAD_TOO_LARGE"
	// Timeout ends an operation that ran out of time: its SQL was
	// interrupted and a mutation's writes were rolled back.
	Timeout Code = "TIMEOUT"
	// ResponseTooLarge ends an operation whose response outgrew its limit.
	ResponseTooLarge Code = "RESPONSE_TOO_LARGE"
	// IntrospectionDisabled refuses __schema and __type where
	// introspection is off.
	IntrospectionDisabled Code = "INTROSPECTION_DISABLED"
	// Cancelled ends an operation its client went away from, or that the
	// server stopped while shutting down.
	Cancelled Code = "CANCELLED"
	// ServerRestarting ends a subscription because its server is shutting
	// down: unlike a completion, it tells the client to subscribe again,
	// which reaches another instance.
	ServerRestarting Code = "SERVER_RESTARTING"
)

// Error is a failure a caller can act on.
type Error struct {
	Code    Code
	Message string
	// Field names the offending input field (ent's snake_case name or a
	// GraphQL argument) for BAD_USER_INPUT; empty otherwise.
	Field string
	// Reason is a machine-readable refinement, e.g. PLAN for a refused
	// escalation; empty when the code says it all.
	Reason string
	// Limit and Measured are, for a refusal by a limit, the limit and the
	// value the request reached (at least); zero otherwise.
	Limit, Measured int64
	// RetryAfter is, for RATE_LIMITED, how long until the request would
	// be allowed; zero otherwise.
	RetryAfter time.Duration
	// AvailableAt is, for a refusal that time alone lifts (an escalation
	// TOO_EARLY), when the action becomes allowed; nil otherwise.
	AvailableAt *time.Time
}

func (e *Error) Error() string { return e.Message }

// Invalid reports bad input in one field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: BadUserInput, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrNotFound is returned when an object does not exist or the caller may
// not see it; the two are deliberately indistinguishable.
var ErrNotFound = &Error{Code: NotFound, Message: "not found"}

// ErrUnauthenticated is returned when a request carries no valid token of
// an active contact. It says nothing more, so as not to help a guesser.
var ErrUnauthenticated = &Error{Code: Unauthenticated, Message: "authentication required"}

// ErrTimeout is returned when a request ran out of its time; its SQL was
// interrupted and nothing it wrote was kept.
var ErrTimeout = &Error{Code: Timeout, Message: "the request took too long and was stopped; ask for less, or page through it"}

// ErrCancelled is returned when a request stopped because its client went
// away or the server is shutting down; a client that is still there may
// send it again.
var ErrCancelled = &Error{Code: Cancelled, Message: "the request was cancelled before it finished; send it again"}

// ErrServerRestarting ends a subscription when its server shuts down.
var ErrServerRestarting = &Error{Code: ServerRestarting,
	Message: "the server is restarting: subscribe again, and another instance will carry on"}

// Limited reports a request refused by one of the abuse limits.
func Limited(code Code, reason string, limit, measured int64, format string, args ...any) *Error {
	return &Error{Code: code, Reason: reason, Limit: limit, Measured: measured, Message: fmt.Sprintf(format, args...)}
}

// Forbiddenf reports an action the caller may not take on an object it can see.
func Forbiddenf(format string, args ...any) *Error {
	return &Error{Code: Forbidden, Message: fmt.Sprintf(format, args...)}
}

// Conflictf reports a write based on stale or clashing state.
func Conflictf(format string, args ...any) *Error {
	return &Error{Code: Conflict, Message: fmt.Sprintf(format, args...)}
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Extensions returns what a GraphQL error's extensions carry for e: its
// code, and whichever of field, reason, limit and measured it has.
func (e *Error) Extensions() map[string]any {
	ext := map[string]any{"code": string(e.Code)}
	if e.Field != "" {
		ext["field"] = e.Field
	}
	if e.Reason != "" {
		ext["reason"] = e.Reason
	}
	if e.Limit != 0 || e.Measured != 0 {
		ext["limit"] = e.Limit
		ext["measured"] = e.Measured
	}
	if e.RetryAfter > 0 {
		ext["retryAfterSeconds"] = int64(e.RetryAfter / time.Second)
	}
	if e.AvailableAt != nil {
		ext["availableAt"] = e.AvailableAt.UTC().Format(time.RFC3339Nano) // as the graph writes a Time
	}
	return ext
}
