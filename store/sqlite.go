package store

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/mattn/go-sqlite3" // the embedded store

	"github.com/partnerdesk/partnerdesk/ent"
	_ "github.com/partnerdesk/partnerdesk/ent/runtime" // schema defaults, validators and hooks
)

// openSQLite opens the SQLite file at path, creating it if needed.
//
// SQLite allows one writer at a time. Rather than let many pooled
// connections race for the write lock and fail with SQLITE_BUSY, writes and
// transactions go through a single writer connection (which Go's pool
// queues), while reads run in parallel on a small pool of read-only
// connections that WAL mode lets see the last committed state.
func openSQLite(ctx context.Context, path string, opts Options) (*DB, error) {
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
	return &DB{
		Client:  ent.NewClient(ent.Driver(drv)),
		Dialect: dialect.SQLite,
		writer:  writer,
		reader:  reader,
		closers: []func() error{reader.Close},
	}, nil
}

func dsn(path string, common url.Values, key, value string) string {
	q := url.Values{}
	for k, v := range common {
		q[k] = v
	}
	q.Set(key, value)
	return "file:" + path + "?" + q.Encode()
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
