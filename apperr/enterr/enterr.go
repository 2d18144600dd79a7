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

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/ent"
)

// The column a unique constraint failed on, as SQLite and PostgreSQL say
// it; of a key over several columns, the last: the ones before it scope it
// (kind, then name), and an expression's column (lower(name)) counts.
var (
	sqliteUnique   = regexp.MustCompile(`UNIQUE constraint failed: (?:\w+\.\w+, )*\w+\.(\w+)`)
	postgresUnique = regexp.MustCompile(`^Key \((?:[^,()]+, )*(?:\w+\()?(\w+)`)
)

// uniqueColumn names the column whose uniqueness err broke, if it says.
func uniqueColumn(err error) (string, bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if m := postgresUnique.FindStringSubmatch(pgErr.Detail); pgErr.Code == "23505" && m != nil {
			return m[1], true
		}
		return "", false
	}
	if m := sqliteUnique.FindStringSubmatch(err.Error()); m != nil {
		return m[1], true
	}
	return "", false
}

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
		if col, ok := uniqueColumn(cerr); ok {
			return &apperr.Error{Code: apperr.Conflict, Field: col, Message: "the " + strings.ReplaceAll(col, "_", " ") + " given is already taken"}
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
