package casesearch

import (
	"encoding/binary"
	"math"
	"strings"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/mattn/go-sqlite3"
)

// fts4 is SQLite's index.
//
// FTS4 is used rather than FTS5 because go-sqlite3 compiles FTS3/FTS4 in
// by default, so a plain `go build` works without build tags.
//
// The index row of a case has docid = the case's number. The number is an
// INTEGER UNIQUE column that never changes, so it is a stable join key; the
// implicit rowid of cases (a table with a TEXT primary key) is not: the ent
// (Atlas) SQLite migration rebuilds a table by copying its columns without
// the rowid, and VACUUM may renumber it too.
//
// No trigger refers to a table other than its own and this package's, so
// such a rebuild still works: SQLite refuses to rename the rebuilt table
// into place while some trigger names a table that is missing at that
// moment. A trigger on case_comments therefore finds a case's docid in
// case_search_docids, not in cases.
type fts4 struct{}

// Table is the FTS4 table's name; its hidden column of the same name is the
// left-hand side of MATCH.
const Table = "case_search"

// installSQL creates the index and its triggers, then indexes the cases
// that are missing from it. The triggers are dropped and re-created on every
// start: their bodies then follow this code, and a migration that rebuilt
// cases (dropping its triggers) is repaired. The tables are only created
// once; changing their columns needs code that drops and rebuilds them.
var installSQL = []string{
	`CREATE VIRTUAL TABLE IF NOT EXISTS case_search USING fts4(
    case_id, number, title, description, comments,
    notindexed=case_id, tokenize=unicode61)`,
	`CREATE TABLE IF NOT EXISTS case_search_docids (
    case_id TEXT NOT NULL PRIMARY KEY, docid INTEGER NOT NULL) WITHOUT ROWID`,

	// A new case has no comments yet. OR REPLACE: never fail a case's
	// creation over a stale index row.
	`DROP TRIGGER IF EXISTS case_search_case_insert`,
	`CREATE TRIGGER case_search_case_insert AFTER INSERT ON cases BEGIN
  INSERT OR REPLACE INTO case_search(docid, case_id, number, title, description, comments)
  VALUES (new.number, new.id, new.number, new.title, new.description, '');
  INSERT OR REPLACE INTO case_search_docids(case_id, docid) VALUES (new.id, new.number);
END`,

	// A changed title or description (or number, which moves the docid).
	// The WHEN clause skips updates that rewrite the same text.
	`DROP TRIGGER IF EXISTS case_search_case_update`,
	`CREATE TRIGGER case_search_case_update AFTER UPDATE OF number, title, description ON cases
WHEN old.number IS NOT new.number OR old.title IS NOT new.title OR old.description IS NOT new.description
BEGIN
  UPDATE case_search SET docid = new.number, number = new.number,
    title = new.title, description = new.description
  WHERE docid = old.number;
  UPDATE case_search_docids SET docid = new.number WHERE case_id = new.id;
END`,

	// A new public comment is appended to its case's comment text.
	// Comments are append-only, so there is no update or delete trigger,
	// and INTERNAL ones never reach the index.
	`DROP TRIGGER IF EXISTS case_search_comment_insert`,
	`CREATE TRIGGER case_search_comment_insert AFTER INSERT ON case_comments
WHEN new.visibility = 'PUBLIC'
BEGIN
  UPDATE case_search SET comments = coalesce(comments || ' ', '') || new.body
  WHERE docid = (SELECT docid FROM case_search_docids WHERE case_id = new.case_id);
END`,

	// Backfill the cases of a database that existed before this package
	// (or that were written while the triggers were missing).
	`INSERT OR REPLACE INTO case_search(docid, case_id, number, title, description, comments)
SELECT c.number, c.id, c.number, c.title, c.description,
  (SELECT group_concat(m.body, ' ') FROM case_comments m
   WHERE m.case_id = c.id AND m.visibility = 'PUBLIC')
FROM cases c WHERE c.id NOT IN (SELECT case_id FROM case_search_docids)`,
	`INSERT INTO case_search_docids(case_id, docid)
SELECT id, number FROM cases WHERE id NOT IN (SELECT case_id FROM case_search_docids)`,
}

// Register makes pd_rank(matchinfo) available on a connection. Call it from
// the ConnectHook of the sqlite3.SQLiteDriver that opens the database, so
// every pooled connection has it.
func Register(conn *sqlite3.SQLiteConn) error {
	return conn.RegisterFunc("pd_rank", Rank, true)
}

// weights are the BM25 column weights, in the table's column order:
// case_id (not indexed), number, title, description, comments. A hit on
// the number or the title says more about a case than one in the text.
var weights = [...]float64{0, 5, 3, 1, 1}

// BM25 parameters: the usual defaults.
const (
	k1 = 1.2
	b  = 0.75
)

// Rank scores one row with Okapi BM25 from the FTS4 matchinfo(case_search,
// 'pcnalx') blob: higher is better. Malformed input scores 0 rather than
// failing the query.
func Rank(matchinfo []byte) float64 {
	u := func(i int) uint32 { return binary.NativeEndian.Uint32(matchinfo[4*i:]) }
	if len(matchinfo) < 12 || len(matchinfo)%4 != 0 {
		return 0
	}
	p, c, n := int(u(0)), int(u(1)), float64(u(2))
	if p > 1<<16 || c > 1<<8 || len(matchinfo)/4 != 3+2*c+3*p*c {
		return 0
	}
	// After p, c and n come the average lengths (a), this row's lengths
	// (l) and, per phrase and column, three hit counts (x).
	a, l, x := 3, 3+c, 3+2*c
	score := 0.0
	for j := 0; j < c && j < len(weights); j++ {
		if weights[j] == 0 {
			continue
		}
		norm := 1.0
		if avg := u(a + j); avg > 0 {
			norm = 1 - b + b*float64(u(l+j))/float64(avg)
		}
		for i := 0; i < p; i++ {
			hits := x + 3*(i*c+j)
			// Hits in this row, and rows with at least one hit.
			tf, df := float64(u(hits)), float64(u(hits+2))
			if tf == 0 {
				continue
			}
			// The "+1" form of IDF never goes negative for common terms.
			idf := math.Log(1 + (n-df+0.5)/(df+0.5))
			score += weights[j] * idf * tf * (k1 + 1) / (tf + k1*norm)
		}
	}
	return score
}

// FTS4 renders q as a MATCH expression that is safe for both the standard
// and the enhanced FTS4 query syntax: each word a quoted prefix phrase, and
// a number ("1042" OR "1042*"), so the exact match counts twice.
func (q Query) FTS4() string {
	terms := make([]string, len(q.words))
	for i, w := range q.words {
		phrase := strings.Join(w.tokens, " ")
		if w.number {
			// OR binds tighter than the implicit AND in the standard
			// syntax; the parentheses make it so in the enhanced one too.
			terms[i] = `("` + phrase + `" OR "` + phrase + `*")`
			continue
		}
		terms[i] = `"` + phrase + `*"`
	}
	return strings.Join(terms, " ")
}

func (fts4) matches(q Query, ranked bool) *entsql.Selector {
	columns := []string{"docid"}
	if ranked {
		columns = append(columns, entsql.As("pd_rank(matchinfo("+Table+", 'pcnalx'))", "score"))
	}
	return entsql.Select(columns...).From(entsql.Table(Table)).Where(entsql.P(func(b *entsql.Builder) {
		b.Ident(Table).WriteString(" MATCH ").Arg(q.FTS4())
	}))
}
