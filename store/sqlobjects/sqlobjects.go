// Package sqlobjects creates the schema objects ent does not manage (the
// full-text indexes and their triggers, indexes with collations). It
// imports nothing of partnerdesk, so that every package that keeps such
// objects can use it, the ones ent's schema hooks import included.
package sqlobjects

import (
	"context"
	"database/sql"
)

// Install runs stmts on db in one transaction. The statements are meant
// to be idempotent and to run at every start, after the ent migration.
func Install(ctx context.Context, db *sql.DB, stmts []string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, stmt := range stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return tx.Commit()
}
