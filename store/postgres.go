package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/partnerdesk/partnerdesk/ent"
)

// openPostgres opens a pgx pool on the database at url; ent talks to it
// through pgx's database/sql adapter. Every instance of a deployment opens
// its own pool on the one database.
func openPostgres(ctx context.Context, url string, opts Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("the PostgreSQL address: %w", err)
	}
	cfg.MaxConns = 10
	if opts.PoolSize > 0 {
		cfg.MaxConns = int32(opts.PoolSize)
	}
	if opts.StatementTimeout > 0 {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(opts.StatementTimeout.Milliseconds(), 10)
	}
	// Times are stored and compared in UTC whatever the server's zone.
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	sqldb := stdlib.OpenDBFromPool(pool)
	// database/sql keeps to the pool's size too, so that its statistics
	// (and its waits) say what the pool allows.
	sqldb.SetMaxOpenConns(int(cfg.MaxConns))
	var drv dialect.Driver = entsql.OpenDB(dialect.Postgres, sqldb)
	if opts.Wrap != nil {
		drv = opts.Wrap(drv)
	}
	return &DB{
		Client:  ent.NewClient(ent.Driver(drv)),
		Dialect: dialect.Postgres,
		writer:  sqldb,
		closers: []func() error{func() error { pool.Close(); return nil }},
		lock:    advisoryLock(pool),
		Pool:    pool,
	}, nil
}

// migrationLock is the advisory lock key that instances migrating the one
// database take in turn.
var migrationLock = func() int64 {
	h := fnv.New64a()
	h.Write([]byte("partnerdesk schema migration"))
	return int64(h.Sum64())
}()

// advisoryLock holds PostgreSQL's session advisory lock on one pooled
// connection for as long as the migration runs; a second instance waits in
// pg_advisory_lock, then finds the schema current and changes nothing.
func advisoryLock(pool *pgxpool.Pool) func(context.Context) (func(), error) {
	return func(ctx context.Context) (func(), error) {
		conn, err := pool.Acquire(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
			conn.Release()
			return nil, err
		}
		return func() {
			// A failed unlock ends the session, which releases the lock.
			if _, err := conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", migrationLock); err != nil {
				conn.Conn().Close(context.Background())
			}
			conn.Release()
		}, nil
	}
}
