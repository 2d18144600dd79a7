// Package enterr translates ent's errors into apperr's, so that every
// caller (the graph, the operator commands) reports a missing row, a bad
// value or a taken name in the same words.
package enterr

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/ent"
)

// uniqueColumn finds the column of a clash; of an index over several
// columns, the last: the ones before it scope it (kind, then name).
var uniqueColumn = regexp.MustCompile(`UNIQUE constraint failed: (?:\w+\.\w+, )*\w+\.(\w+)`)

// Convert returns the *apperr.Error that err stands for, or err itself when
// it is none of the errors a caller can act on. Field names stay in ent's
// snake_case; presenters spell them for their audience.
func Convert(err error) error {
	if _, ok := apperr.As(err); ok || err == nil {
		return err
	}
	var verr *ent.ValidationError
	var cerr *ent.ConstraintError
	switch {
	case ent.IsNotFound(err):
		return apperr.ErrNotFound
	case errors.As(err, &verr):
		return &apperr.Error{Code: apperr.BadUserInput, Field: verr.Name, Message: validationMessage(verr)}
	case errors.As(err, &cerr):
		if m := uniqueColumn.FindStringSubmatch(cerr.Error()); m != nil {
			return &apperr.Error{Code: apperr.Conflict, Field: m[1], Message: "the " + strings.ReplaceAll(m[1], "_", " ") + " given is already taken"}
		}
		return apperr.Conflictf("the change conflicts with existing data")
	case errors.Is(err, context.DeadlineExceeded):
		return apperr.ErrTimeout
	case errors.Is(err, context.Canceled):
		return apperr.ErrCancelled
	}
	return err
}

// validationMessage keeps what a validator said about the value and drops
// ent's wrapping, which names Go types.
func validationMessage(verr *ent.ValidationError) string {
	wrapped := errors.Unwrap(verr)
	if inner := errors.Unwrap(wrapped); inner != nil {
		return inner.Error()
	}
	if wrapped != nil && strings.Contains(wrapped.Error(), "missing required") {
		return fmt.Sprintf("%s is required", verr.Name)
	}
	return fmt.Sprintf("%s is not valid", verr.Name)
}
