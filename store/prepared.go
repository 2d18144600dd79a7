package store

import (
	"context"
	stdsql "database/sql"
	"strings"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"
)

// preparedReads keeps the read pool's statements prepared. The read
// policy makes a caller's queries long (a predicate per rule, a
// placeholder per customer it reaches), and SQLite would compile each one
// again at every request; their text is the same from one request of a
// caller to the next, so the compiled statement is kept by text.
type preparedReads struct {
	db *stdsql.DB

	mu    sync.Mutex // guards stmts' get-or-prepare
	stmts *lru.Cache[string, *stdsql.Stmt]
}

// preparedStatements is how many statements the read pool keeps compiled;
// the least recently used is closed beyond it.
const preparedStatements = 512

func newPreparedReads(db *stdsql.DB) *preparedReads {
	stmts, _ := lru.NewWithEvict(preparedStatements, func(_ string, st *stdsql.Stmt) { st.Close() })
	return &preparedReads{db: db, stmts: stmts}
}

func (p *preparedReads) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	st, err := p.stmt(ctx, countRows(query))
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// ExecContext runs what is not a read (the pool is read-only: it fails).
func (p *preparedReads) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	return p.db.ExecContext(ctx, query, args...)
}

// countRows turns ent's count of a table's ids into a count of its rows:
// the id is the primary key, never NULL, so they are the same number, but
// SQLite counts rows through the narrowest index and ids through the
// primary key's, which with text ids is the widest.
func countRows(query string) string {
	rest, ok := strings.CutPrefix(query, "SELECT COUNT(`")
	if !ok {
		return query
	}
	table, rest, ok := strings.Cut(rest, "`.`id`) FROM `")
	if !ok || !strings.HasPrefix(rest, table+"`") {
		return query
	}
	return "SELECT COUNT(*) FROM `" + rest
}

func (p *preparedReads) stmt(ctx context.Context, query string) (*stdsql.Stmt, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.stmts.Get(query); ok {
		return st, nil
	}
	st, err := p.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	p.stmts.Add(query, st)
	return st, nil
}
