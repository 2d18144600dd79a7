// Package casesearch is the keyword search of "My Cases" (SPEC §3): an
// SQLite FTS4 index over case numbers, titles, descriptions and public
// comments, kept in sync by triggers and ranked with Okapi BM25.
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
package casesearch

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/mattn/go-sqlite3"

	"github.com/partnerdesk/partnerdesk/store/sqlobjects"
)

// Limits on what a person may type, so one query cannot make SQLite merge
// an unbounded number of doclists.
const (
	MaxTerms = 20
	MaxChars = 200
)

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

// Install creates the search index and the triggers that keep it in sync,
// and indexes the cases that are missing from it. It is idempotent and
// meant to run at every start, after the ent migration and on a writable
// connection; all of it happens in one transaction.
func Install(ctx context.Context, db *sql.DB) error {
	if err := sqlobjects.Install(ctx, db, installSQL); err != nil {
		return fmt.Errorf("casesearch: installing the search index: %w", err)
	}
	return nil
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

// Match turns what a person typed into a MATCH expression that is safe for
// both the standard and the enhanced FTS4 query syntax. Every
// whitespace-separated word becomes a quoted prefix phrase, so FTS
// operators (OR, NOT, NEAR, -, column:, parentheses) are plain text; the
// words must all match. Inside a word, any character that is not a letter,
// digit or mark separates tokens as the unicode61 tokenizer would, so
// "foo-bar" is the phrase "foo bar*". A word that is a number, like "1042"
// or "#1042", is ("1042" OR "1042*"): the exact match counts twice, which
// ranks case 1042 above 10420.
func Match(keyword string) (string, error) {
	if utf8.RuneCountInString(keyword) > MaxChars {
		return "", fmt.Errorf("the search is too long: at most %d characters", MaxChars)
	}
	words := strings.Fields(keyword)
	if len(words) > MaxTerms {
		return "", fmt.Errorf("the search has too many words: at most %d", MaxTerms)
	}
	var terms []string
	for _, w := range words {
		tokens := strings.Fields(strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) {
				return r
			}
			return ' '
		}, w))
		if len(tokens) == 0 {
			continue
		}
		phrase := strings.Join(tokens, " ")
		if len(tokens) == 1 && isDigits(phrase) {
			// OR binds tighter than the implicit AND in the standard
			// syntax; the parentheses make it so in the enhanced one too.
			terms = append(terms, `("`+phrase+`" OR "`+phrase+`*")`)
			continue
		}
		terms = append(terms, `"`+phrase+`*"`)
	}
	if len(terms) == 0 {
		return "", errors.New("the search has no letters or digits to look for")
	}
	return strings.Join(terms, " "), nil
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// Filter restricts an ent query on cases to the cases that match match (an
// expression from Match). It is a plain IN predicate, so it composes with
// other predicates (and Not/Or) like any ent predicate, and it is what a
// count needs: ent's Count applies predicates but not orders.
func Filter(match string) func(*entsql.Selector) {
	return func(s *entsql.Selector) {
		s.Where(entsql.In(s.C("number"), matches(match, "docid")))
	}
}

// OrderByRank orders an ent query on cases by relevance to match, best
// first, then by last update, newest first, and id, so pages are stable.
// It joins the ranked matches, so it also restricts the query to them;
// Filter is then not needed (with both, the index is read twice, about 15%
// slower). A join reads each doclist once; ranking in a correlated subquery
// re-runs the full-text query for every row instead: 22 s rather than 50 ms
// for a term in 22,750 of 200,000 cases.
func OrderByRank(match string) func(*entsql.Selector) {
	return func(s *entsql.Selector) {
		ranked := matches(match, "docid", entsql.As("pd_rank(matchinfo("+Table+", 'pcnalx'))", "score")).As("case_rank")
		s.Join(ranked).On(s.C("number"), ranked.C("docid"))
		s.OrderExpr(entsql.DescExpr(entsql.Expr(ranked.C("score"))))
		s.OrderBy(entsql.Desc(s.C("updated_at")), s.C("id"))
	}
}

// matches selects columns of the index rows that match.
func matches(match string, columns ...string) *entsql.Selector {
	return entsql.Select(columns...).From(entsql.Table(Table)).Where(entsql.P(func(b *entsql.Builder) {
		b.Ident(Table).WriteString(" MATCH ").Arg(match)
	}))
}
