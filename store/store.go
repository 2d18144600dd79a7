// Package store opens the database behind the ent client: an embedded
// SQLite file (the default, which needs nothing installed) or a PostgreSQL
// server that several instances share. Both serve the same ent schema;
// what differs between them is chosen once, here, from the address.
package store

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/schema"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/partnerdesk/partnerdesk/ent"
	_ "github.com/partnerdesk/partnerdesk/ent/runtime" // schema defaults, validators and hooks
)

// Options tune the database; the zero value is a sensible default.
type Options struct {
	// Driver is the database/sql driver name for SQLite; "sqlite3" when
	// empty. A driver registered with a ConnectHook adds SQL functions to
	// every connection, the read pool's included.
	Driver string
	// ReadConns is the size of SQLite's read pool; 4 when zero.
	ReadConns int
	// PoolSize is the most connections PostgreSQL's pool opens; 10 when
	// zero.
	PoolSize int
	// StatementTimeout stops any one PostgreSQL statement that runs longer
	// (statement_timeout); none when zero. The request timeout cancels
	// statements too; this bounds what runs outside requests.
	StatementTimeout time.Duration
	// Wrap, when set, wraps the driver before the client uses it, e.g. to
	// count statements in tests.
	Wrap func(dialect.Driver) dialect.Driver
}

// DB is an open database: the ent client and what it runs on.
type DB struct {
	Client *ent.Client
	// Dialect is dialect.SQLite or dialect.Postgres.
	Dialect string
	writer  *stdsql.DB
	// reader is SQLite's read pool; nil for PostgreSQL, whose one pool
	// reads and writes.
	reader  *stdsql.DB
	closers []func() error
	// Pool is PostgreSQL's connection pool, for what database/sql cannot
	// do (LISTEN); nil for SQLite.
	Pool *pgxpool.Pool
	// lock serialises migrations across processes: PostgreSQL's advisory
	// lock; nil for SQLite, whose write lock already does.
	lock func(context.Context) (unlock func(), err error)
}

// IsPostgres reports whether addr names a PostgreSQL database rather than
// an SQLite file.
func IsPostgres(addr string) bool {
	return strings.HasPrefix(addr, "postgres://") || strings.HasPrefix(addr, "postgresql://")
}

// Open opens the database at addr: a postgres:// URL, or an SQLite file
// path (created if needed). Migrate it before use.
func Open(ctx context.Context, addr string, opts Options) (*DB, error) {
	if IsPostgres(addr) {
		return openPostgres(ctx, addr, opts)
	}
	return openSQLite(ctx, addr, opts)
}

// Migrate brings the schema up to this version, then runs after (the
// objects ent does not manage, such as the search index) under the same
// lock, so that instances starting together migrate once. Migration only
// adds tables, columns and indexes: an existing database keeps its data,
// and an instance of the previous version keeps working on it.
func (db *DB) Migrate(ctx context.Context, after func(context.Context) error) error {
	if db.lock != nil {
		unlock, err := db.lock(ctx)
		if err != nil {
			return fmt.Errorf("waiting for the migration lock: %w", err)
		}
		defer unlock()
	}
	if err := db.Client.Schema.Create(ctx, schema.WithDropColumn(false), schema.WithDropIndex(false), schema.WithHooks(joinIndexes)); err != nil {
		return fmt.Errorf("migrating the schema: %w", err)
	}
	if after != nil {
		return after(ctx)
	}
	return nil
}

// joinIndexes adds the indexes of join tables, which ent's schema cannot
// state: the read policy finds the cases a contact collaborates on, and
// the cases of a partner's eras.
func joinIndexes(next schema.Creator) schema.Creator {
	extra := map[string][]string{
		"support_case_collaborators": {"contact_id", "support_case_id"},
		"support_case_era_partners":  {"organization_id", "support_case_id"},
	}
	return schema.CreateFunc(func(ctx context.Context, tables ...*schema.Table) error {
		for _, t := range tables {
			cols, ok := extra[t.Name]
			name := t.Name + "_" + strings.Join(cols, "_")
			if ok && !slices.ContainsFunc(t.Indexes, func(i *schema.Index) bool { return i.Name == name }) {
				t.AddIndex(name, false, cols)
			}
		}
		return next.Create(ctx, tables...)
	})
}

// Writer returns the pool that writes, for schema objects ent does not
// manage (the full-text index and its triggers).
func (db *DB) Writer() *stdsql.DB { return db.writer }

// Pools returns the connection pools by role, for their statistics:
// SQLite's "writer" and "reader", or PostgreSQL's one "postgres".
func (db *DB) Pools() map[string]*stdsql.DB {
	if db.reader == nil {
		return map[string]*stdsql.DB{"postgres": db.writer}
	}
	return map[string]*stdsql.DB{"writer": db.writer, "reader": db.reader}
}

// Ping reports whether the database answers, for readiness checks.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.writer.PingContext(ctx); err != nil || db.reader == nil {
		return err
	}
	return db.reader.PingContext(ctx)
}

// OnClose runs f when the database closes, before its pools close.
func (db *DB) OnClose(f func()) {
	db.closers = append([]func() error{func() error { f(); return nil }}, db.closers...)
}

// Close closes the client and its pools.
func (db *DB) Close() error {
	err := db.Client.Close()
	for _, c := range db.closers {
		if cerr := c(); err == nil {
			err = cerr
		}
	}
	return err
}
