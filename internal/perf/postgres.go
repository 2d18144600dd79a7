package perf

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"entgo.io/ent/dialect/sql/schema"
	"entgo.io/ent/schema/field"
	"github.com/jackc/pgx/v5"

	"github.com/partnerdesk/partnerdesk/app"
	"github.com/partnerdesk/partnerdesk/casesearch"
	"github.com/partnerdesk/partnerdesk/directory"
	"github.com/partnerdesk/partnerdesk/ent/migrate"
	"github.com/partnerdesk/partnerdesk/helpdesk"
	"github.com/partnerdesk/partnerdesk/store"
)

// CopyToPostgres copies the world in the SQLite file at path into the
// empty PostgreSQL database at url, so that both backends serve the same
// rows: the schema is migrated as the server migrates it, every ent table
// is copied with COPY, its triggers and foreign keys held off (the rows
// are consistent already), and the search index is then built in one
// pass, as for a database that existed before it.
func CopyToPostgres(ctx context.Context, path, url string) error {
	pg, err := app.Migrate(ctx, url, store.Options{})
	if err != nil {
		return err
	}
	defer pg.Close()
	src, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer src.Close()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SET LOCAL session_replication_role = replica"); err != nil {
		return err
	}
	for _, t := range migrate.Tables {
		cols := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			cols[i] = c.Name
		}
		rows, err := src.QueryContext(ctx, `SELECT "`+strings.Join(cols, `", "`)+`" FROM "`+t.Name+`"`)
		if err != nil {
			return fmt.Errorf("reading %s: %w", t.Name, err)
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{t.Name}, cols, &sqliteRows{rows: rows, n: len(cols), types: columnTypes(t)})
		rows.Close()
		if err != nil {
			return fmt.Errorf("copying %s: %w", t.Name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "DELETE FROM case_search"); err != nil {
		return err
	}
	if err := casesearch.Install(ctx, pg.Dialect, pg.Writer()); err != nil {
		return err
	}
	// The directory's index and its domains, from the rows the triggers
	// did not see.
	if err := helpdesk.Install(ctx, pg.Dialect, pg.Writer()); err != nil {
		return err
	}
	if err := directory.InstallUnique(ctx, pg.Dialect, pg.Writer()); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "VACUUM ANALYZE")
	return err
}

// columnTypes are the ent types of a table's columns, which say how an
// SQLite value becomes PostgreSQL's: a boolean is an integer in SQLite, and
// JSON text comes back as bytes.
func columnTypes(t *schema.Table) []field.Type {
	types := make([]field.Type, len(t.Columns))
	for i, c := range t.Columns {
		types[i] = c.Type
	}
	return types
}

// sqliteRows feeds COPY from an SQLite result set.
type sqliteRows struct {
	rows  *sql.Rows
	n     int
	types []field.Type
}

func (r *sqliteRows) Next() bool { return r.rows.Next() }

func (r *sqliteRows) Values() ([]any, error) {
	vals := make([]any, r.n)
	ptrs := make([]any, r.n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := r.rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	for i, v := range vals {
		switch x := v.(type) {
		case int64:
			if r.types[i] == field.TypeBool {
				vals[i] = x != 0
			}
		case []byte:
			if r.types[i] == field.TypeJSON {
				vals[i] = string(x)
			}
		}
	}
	return vals, nil
}

func (r *sqliteRows) Err() error { return r.rows.Err() }
