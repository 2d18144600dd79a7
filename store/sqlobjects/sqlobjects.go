// Package sqlobjects creates the schema objects ent does not manage (the
// directory's full-text index and its triggers, the uniqueness of domains
// and names), each in the SQL of its backend. It imports nothing of
// partnerdesk, so that every package that keeps such objects can use it,
// the ones ent's schema hooks import included.
package sqlobjects

import (
	"context"
	"database/sql"

	"entgo.io/ent/dialect"
)

// Statements create one set of objects, in each backend's SQL.
type Statements struct {
	SQLite, Postgres []string
}

// Install runs the statements of dialect d on db in one transaction. They
// are meant to be idempotent and to run at every start, after the ent
// migration.
func Install(ctx context.Context, d string, db *sql.DB, stmts Statements) error {
	run := stmts.SQLite
	if d == dialect.Postgres {
		run = stmts.Postgres
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, stmt := range run {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return tx.Commit()
}
