// Package store opens the embedded SQLite database behind the ent client.
//
// SQLite allows one writer at a time. Rather than let many pooled
// connections race for the write lock and fail with SQLITE_BUSY, writes and
// transactions go through a single writer connection (which Go's pool
// queues), while reads run in parallel on a small pool of read-only
// connections that WAL mode lets see the last committed state.
package store

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	_ "github.com/mattn/go-sqlite3" // the embedded store

	"github.com/partnerdesk/partnerdesk/ent"
	_ "github.com/partnerdesk/partnerdesk/ent/runtime" // schema defaults, validators and hooks
)

// Options tune the database; the zero value is a sensible default.
type Options struct {
	// Driver is the database/sql driver name; "sqlite3" when empty. A
	// driver registered with a ConnectHook adds SQL functions to every
	// connection, the read pool's included.
	Driver string
	// ReadConns is the size of the read pool; 4 when zero.
	ReadConns int
	// Wrap, when set, wraps the driver before the client uses it, e.g. to
	// count statements in tests.
	Wrap func(dialect.Driver) dialect.Driver
}

// DB is an open database: the ent client and what it runs on.
type DB struct {
	Client *ent.Client
	writer *stdsql.DB
	reader *stdsql.DB
}

// Open opens (creating if needed) the SQLite database file at path and
// migrates its schema. Migration only adds tables, columns and indexes, so
// an existing database keeps its data.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("creating the database directory: %w", err)
	}
	// FULL synchronous commits survive a power cut as well as a killed
	// process: an acknowledged write is never lost.
	common := url.Values{
		"_journal_mode": {"WAL"},
		"_foreign_keys": {"on"},
		"_busy_timeout": {"10000"},
		"_synchronous":  {"FULL"},
	}
	writerDSN := dsn(path, common, "_txlock", "immediate")
	driver := opts.Driver
	if driver == "" {
		driver = "sqlite3"
	}
	writer, err := stdsql.Open(driver, writerDSN)
	if err != nil {
		return nil, err
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	// Touch the file now so that WAL mode is on before readers open it.
	if err := writer.PingContext(ctx); err != nil {
		writer.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	reader, err := stdsql.Open(driver, dsn(path, common, "_query_only", "true"))
	if err != nil {
		writer.Close()
		return nil, err
	}
	n := opts.ReadConns
	if n <= 0 {
		n = 4
	}
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)

	var drv dialect.Driver = &splitDriver{
		Driver: entsql.OpenDB(dialect.SQLite, writer),
		reads:  entsql.NewDriver(dialect.SQLite, entsql.Conn{ExecQuerier: newPreparedReads(reader)}),
	}
	if opts.Wrap != nil {
		drv = opts.Wrap(drv)
	}
	db := &DB{Client: ent.NewClient(ent.Driver(drv)), writer: writer, reader: reader}
	if err := db.Client.Schema.Create(ctx, schema.WithDropColumn(false), schema.WithDropIndex(false), schema.WithHooks(joinIndexes)); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrating the schema: %w", err)
	}
	return db, nil
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

func dsn(path string, common url.Values, key, value string) string {
	q := url.Values{}
	for k, v := range common {
		q[k] = v
	}
	q.Set(key, value)
	return "file:" + path + "?" + q.Encode()
}

// Writer returns the writer connection pool, for schema objects ent does
// not manage (the full-text index and its triggers).
func (db *DB) Writer() *stdsql.DB { return db.writer }

// Pools returns the connection pools by role, "writer" and "reader", for
// their statistics.
func (db *DB) Pools() map[string]*stdsql.DB {
	return map[string]*stdsql.DB{"writer": db.writer, "reader": db.reader}
}

// Ping reports whether the database answers, for readiness checks.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.writer.PingContext(ctx); err != nil {
		return err
	}
	return db.reader.PingContext(ctx)
}

// Close closes the client and both pools.
func (db *DB) Close() error {
	err := db.Client.Close()
	if rerr := db.reader.Close(); err == nil {
		err = rerr
	}
	return err
}

// splitDriver sends reads outside transactions to the read pool and
// everything else (writes, transactions) to the single writer.
type splitDriver struct {
	*entsql.Driver // the writer
	reads          *entsql.Driver
}

var _ dialect.Driver = (*splitDriver)(nil)

func (d *splitDriver) Query(ctx context.Context, query string, args, v any) error {
	return d.reads.Query(ctx, query, args, v)
}

// QueryContext serves raw reads (ent's execquery API) from the read pool
// too; the embedded writer's method would take them otherwise.
func (d *splitDriver) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	return d.reads.QueryContext(ctx, query, args...)
}

// BeginTx lets ent.Client.BeginTx reach the writer; the embedded driver's
// own method would be hidden behind the interface otherwise.
func (d *splitDriver) BeginTx(ctx context.Context, opts *stdsql.TxOptions) (dialect.Tx, error) {
	return d.Driver.BeginTx(ctx, opts)
}
