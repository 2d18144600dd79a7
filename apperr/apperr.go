// Package apperr defines the errors the domain returns to callers, each with
// one of the fixed codes of SPEC §6. The GraphQL error presenter turns them
// into extensions.code; anything else is an internal error.
package apperr

import (
	"errors"
	"fmt"
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
	QueryTooComplex      Code = "QUERY_TOO_COMPLEX"
	RateLimited          Code = "RATE_LIMITED"
	Internal             Code = "INTERNAL"
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
var ErrTimeout = &Error{Code: Internal, Reason: "TIMEOUT", Message: "the request took too long"}

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
