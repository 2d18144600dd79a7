package casesearch

import (
	"strings"

	entsql "entgo.io/ent/dialect/sql"
)

// tsvector is PostgreSQL's index: a table of each case's text with a
// stored tsvector column under a GIN index. The triggers run in the
// transaction of the write, so a case is found as soon as it commits.
//
// The text is tokenised as Match tokenises what is typed (anything but
// letters, digits and marks separates) under the 'simple' configuration
// (lower case, no stemming, no stop words), rather than by PostgreSQL's
// parser, which keeps e-mail addresses and host names whole: SQLite's
// unicode61 tokenizer splits them, and both backends must find the same
// cases. The number, the title, the description and the comments are
// weighted A, B, C and D, in the ratio of the BM25 weights SQLite uses.
type tsvector struct{}

// pgDocument is how a text column becomes tokens.
func pgDocument(column, weight string) string {
	return "setweight(to_tsvector('simple'::regconfig, regexp_replace(coalesce(" + column +
		", ''), '[^[:alnum:]]+', ' ', 'g')), '" + weight + "')"
}

var pgInstallSQL = []string{
	`CREATE TABLE IF NOT EXISTS case_search (
    case_id text PRIMARY KEY,
    number bigint NOT NULL UNIQUE,
    title text NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    comments text NOT NULL DEFAULT '',
    document tsvector GENERATED ALWAYS AS (` +
		pgDocument("number::text", "A") + " || " + pgDocument("title", "B") + " || " +
		pgDocument("description", "C") + " || " + pgDocument("comments", "D") + `) STORED)`,
	`CREATE INDEX IF NOT EXISTS case_search_document ON case_search USING gin (document)`,

	`CREATE OR REPLACE FUNCTION case_search_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO case_search (case_id, number, title, description)
  VALUES (NEW.id, NEW.number, NEW.title, coalesce(NEW.description, ''))
  ON CONFLICT (case_id) DO UPDATE SET number = EXCLUDED.number,
    title = EXCLUDED.title, description = EXCLUDED.description;
  RETURN NULL;
END $$`,
	`DROP TRIGGER IF EXISTS case_search_case ON cases`,
	`CREATE TRIGGER case_search_case AFTER INSERT OR UPDATE OF number, title, description ON cases
FOR EACH ROW EXECUTE FUNCTION case_search_case()`,

	// Comments are append-only, and INTERNAL ones never reach the index.
	`CREATE OR REPLACE FUNCTION case_search_comment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE case_search SET comments = CASE WHEN comments = '' THEN NEW.body ELSE comments || ' ' || NEW.body END
  WHERE case_id = NEW.case_id;
  RETURN NULL;
END $$`,
	`DROP TRIGGER IF EXISTS case_search_comment ON case_comments`,
	`CREATE TRIGGER case_search_comment AFTER INSERT ON case_comments
FOR EACH ROW WHEN (NEW.visibility = 'PUBLIC') EXECUTE FUNCTION case_search_comment()`,

	// The cases written before the index, or while its triggers were
	// missing.
	`INSERT INTO case_search (case_id, number, title, description, comments)
SELECT c.id, c.number, c.title, coalesce(c.description, ''),
  coalesce((SELECT string_agg(m.body, ' ' ORDER BY m.created_at, m.id) FROM case_comments m
    WHERE m.case_id = c.id AND m.visibility = 'PUBLIC'), '')
FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_search s WHERE s.case_id = c.id)`,
}

// TSQuery renders q for to_tsquery: each word a phrase (<->) whose last
// token is a prefix (:*), the words joined by &, and a number (n | n:*),
// so the exact match counts twice. Tokens hold only letters, digits and
// marks, so nothing in them is tsquery syntax.
func (q Query) TSQuery() string {
	terms := make([]string, len(q.words))
	for i, w := range q.words {
		if w.number {
			terms[i] = "(" + w.tokens[0] + " | " + w.tokens[0] + ":*)"
			continue
		}
		terms[i] = strings.Join(w.tokens, " <-> ") + ":*"
	}
	return strings.Join(terms, " & ")
}

// pgWeights are ts_rank_cd's weights for D, C, B and A: the comments, the
// description, the title and the number.
const pgWeights = "'{0.2, 0.2, 0.6, 1.0}'"

func (tsvector) matches(q Query, ranked bool) *entsql.Selector {
	columns := []string{entsql.As("number", "docid")}
	if ranked {
		columns = append(columns, entsql.As("ts_rank_cd("+pgWeights+", document, to_tsquery('simple', '"+q.TSQuery()+"'))", "score"))
	}
	return entsql.Select(columns...).From(entsql.Table("case_search")).Where(entsql.P(func(b *entsql.Builder) {
		b.WriteString("document @@ to_tsquery('simple', ").Arg(q.TSQuery()).WriteString(")")
	}))
}
