package helpdesk

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/partnerdesk/partnerdesk/casesearch"
	"github.com/partnerdesk/partnerdesk/store/sqlobjects"
)

// The directory index lets help-desk search find organisations and
// contacts by the start of any word of their name, and organisations by
// the start of any label of a domain or site ("acme", "acme.web"), with an
// SQLite FTS4 index rather than a scan of every name (casesearch says why
// FTS4). Triggers on organizations and contacts keep it in sync.
//
// An object's index row is found through directory_search_ids (its ID to
// its docid): the implicit rowids of organizations and contacts are no
// stable key, and no trigger refers to a table other than its own and
// this file's, so that a migration that rebuilds a table still works.
var sqliteIndexSQL = slices.Concat([]string{
	`CREATE VIRTUAL TABLE IF NOT EXISTS directory_search USING fts4(
    id, name, domains, sites, notindexed=id, tokenize=unicode61)`,
	`CREATE TABLE IF NOT EXISTS directory_search_ids (
    id TEXT NOT NULL PRIMARY KEY, docid INTEGER NOT NULL) WITHOUT ROWID`,

	`DROP TRIGGER IF EXISTS directory_search_organization_insert`,
	`CREATE TRIGGER directory_search_organization_insert AFTER INSERT ON organizations BEGIN
  INSERT INTO directory_search(id, name, domains, sites) VALUES (new.id, new.name,
    (SELECT group_concat(value, ' ') FROM json_each(new.domains)), (SELECT group_concat(value, ' ') FROM json_each(new.sites)));
  INSERT OR REPLACE INTO directory_search_ids(id, docid) VALUES (new.id, last_insert_rowid());
END`,
	`DROP TRIGGER IF EXISTS directory_search_organization_update`,
	`CREATE TRIGGER directory_search_organization_update AFTER UPDATE OF name, domains, sites ON organizations BEGIN
  UPDATE directory_search SET name = new.name,
    domains = (SELECT group_concat(value, ' ') FROM json_each(new.domains)),
    sites = (SELECT group_concat(value, ' ') FROM json_each(new.sites))
  WHERE docid = (SELECT docid FROM directory_search_ids WHERE id = new.id);
END`,
	`DROP TRIGGER IF EXISTS directory_search_contact_insert`,
	`CREATE TRIGGER directory_search_contact_insert AFTER INSERT ON contacts BEGIN
  INSERT INTO directory_search(id, name) VALUES (new.id, new.name);
  INSERT OR REPLACE INTO directory_search_ids(id, docid) VALUES (new.id, last_insert_rowid());
END`,
	`DROP TRIGGER IF EXISTS directory_search_contact_update`,
	`CREATE TRIGGER directory_search_contact_update AFTER UPDATE OF name ON contacts BEGIN
  UPDATE directory_search SET name = new.name
  WHERE docid = (SELECT docid FROM directory_search_ids WHERE id = new.id);
END`,

	// Index what was written while the triggers were missing: the rows,
	// then their docids, which are all above those already kept.
	`INSERT INTO directory_search(id, name, domains, sites)
SELECT o.id, o.name, (SELECT group_concat(value, ' ') FROM json_each(o.domains)), (SELECT group_concat(value, ' ') FROM json_each(o.sites))
FROM organizations o WHERE o.id NOT IN (SELECT id FROM directory_search_ids)`,
	`INSERT INTO directory_search(id, name)
SELECT c.id, c.name FROM contacts c WHERE c.id NOT IN (SELECT id FROM directory_search_ids)`,
	`INSERT INTO directory_search_ids(id, docid)
SELECT id, docid FROM directory_search WHERE docid > (SELECT coalesce(max(docid), 0) FROM directory_search_ids)`,
}, forget("organizations"), forget("contacts"))

// forget drops an object's index row when the object goes.
func forget(table string) []string {
	return []string{
		`DROP TRIGGER IF EXISTS directory_search_` + table + `_delete`,
		`CREATE TRIGGER directory_search_` + table + `_delete AFTER DELETE ON ` + table + ` BEGIN
  DELETE FROM directory_search WHERE docid = (SELECT docid FROM directory_search_ids WHERE id = old.id);
  DELETE FROM directory_search_ids WHERE id = old.id;
END`,
	}
}

// pgIndexSQL is the same index on PostgreSQL: a table of each object's
// text with a stored tsvector per column under GIN indexes, tokenised as
// casesearch tokenises (anything but letters, digits and marks separates),
// kept by triggers in the transaction of the write.
var pgIndexSQL = []string{
	`CREATE TABLE IF NOT EXISTS directory_search (
    id text PRIMARY KEY, name text NOT NULL DEFAULT '', domains text NOT NULL DEFAULT '', sites text NOT NULL DEFAULT '',
    name_doc tsvector GENERATED ALWAYS AS (` + pgDocument("name") + `) STORED,
    domains_doc tsvector GENERATED ALWAYS AS (` + pgDocument("domains") + `) STORED,
    sites_doc tsvector GENERATED ALWAYS AS (` + pgDocument("sites") + `) STORED)`,
	`CREATE INDEX IF NOT EXISTS directory_search_name ON directory_search USING gin (name_doc)`,
	`CREATE INDEX IF NOT EXISTS directory_search_domains ON directory_search USING gin (domains_doc)`,
	`CREATE INDEX IF NOT EXISTS directory_search_sites ON directory_search USING gin (sites_doc)`,
	`CREATE OR REPLACE FUNCTION directory_search_organization() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO directory_search (id, name, domains, sites)
  VALUES (NEW.id, NEW.name, ` + pgList("NEW.domains") + `, ` + pgList("NEW.sites") + `)
  ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, domains = EXCLUDED.domains, sites = EXCLUDED.sites;
  RETURN NULL;
END $$`,
	`DROP TRIGGER IF EXISTS directory_search_organization ON organizations`,
	`CREATE TRIGGER directory_search_organization AFTER INSERT OR UPDATE OF name, domains, sites ON organizations
FOR EACH ROW EXECUTE FUNCTION directory_search_organization()`,
	`CREATE OR REPLACE FUNCTION directory_search_contact() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO directory_search (id, name) VALUES (NEW.id, NEW.name)
  ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name;
  RETURN NULL;
END $$`,
	`DROP TRIGGER IF EXISTS directory_search_contact ON contacts`,
	`CREATE TRIGGER directory_search_contact AFTER INSERT OR UPDATE OF name ON contacts
FOR EACH ROW EXECUTE FUNCTION directory_search_contact()`,
	`CREATE OR REPLACE FUNCTION directory_search_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM directory_search WHERE id = OLD.id;
  RETURN NULL;
END $$`,
	`DROP TRIGGER IF EXISTS directory_search_forget ON organizations`,
	`CREATE TRIGGER directory_search_forget AFTER DELETE ON organizations FOR EACH ROW EXECUTE FUNCTION directory_search_forget()`,
	`DROP TRIGGER IF EXISTS directory_search_forget ON contacts`,
	`CREATE TRIGGER directory_search_forget AFTER DELETE ON contacts FOR EACH ROW EXECUTE FUNCTION directory_search_forget()`,
	// What was written before the index, or while its triggers were missing.
	`INSERT INTO directory_search (id, name, domains, sites)
SELECT o.id, o.name, ` + pgList("o.domains") + `, ` + pgList("o.sites") + ` FROM organizations o
WHERE NOT EXISTS (SELECT 1 FROM directory_search s WHERE s.id = o.id)`,
	`INSERT INTO directory_search (id, name)
SELECT c.id, c.name FROM contacts c WHERE NOT EXISTS (SELECT 1 FROM directory_search s WHERE s.id = c.id)`,
}

// pgDocument is how a text column becomes tokens, as casesearch makes them.
func pgDocument(column string) string {
	return "to_tsvector('simple'::regconfig, regexp_replace(" + column + ", '[^[:alnum:]]+', ' ', 'g'))"
}

// pgList joins a JSON list of strings with spaces.
func pgList(column string) string {
	return "coalesce((SELECT string_agg(value, ' ') FROM jsonb_array_elements_text(" + column + "::jsonb)), '')"
}

// Install creates the directory index and the triggers that keep it in
// sync, and indexes what is missing from it. It is idempotent and runs at
// every start, after the ent migration, on a writable connection.
func Install(ctx context.Context, d string, db *sql.DB) error {
	if err := sqlobjects.Install(ctx, d, db, sqlobjects.Statements{SQLite: sqliteIndexSQL, Postgres: pgIndexSQL}); err != nil {
		return fmt.Errorf("helpdesk: installing the directory index: %w", err)
	}
	return nil
}

// indexed restricts a query on organizations or contacts to the rows whose
// column (name, domains or sites) matches q, through the index.
func indexed(column string, q casesearch.Query) func(*entsql.Selector) {
	return func(s *entsql.Selector) {
		match := entsql.P(func(b *entsql.Builder) { b.Ident(column).WriteString(" MATCH ").Arg(q.FTS4()) })
		if s.Dialect() == dialect.Postgres {
			match = entsql.P(func(b *entsql.Builder) {
				b.Ident(column + "_doc").WriteString(" @@ to_tsquery('simple', ").Arg(q.TSQuery()).WriteString(")")
			})
		}
		s.Where(entsql.In(s.C("id"), entsql.Select("id").From(entsql.Table("directory_search")).Where(match)))
	}
}
