package directory

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/partnerdesk/partnerdesk/store/sqlobjects"
)

// A verified domain belongs to one organisation, and an organisation's
// name is its own among those of its kind, whatever the case. The database
// holds both, so that no two writers can race past a check: one row per
// verified domain in organization_domains, kept by triggers, and a unique
// index over kind and name without case (ASCII case on SQLite, whose
// NOCASE folds no more). (ent can state neither: a JSON
// list is one column, and its indexes have no collation.) A clash fails
// the write with a constraint error, which enterr reports as CONFLICT on
// the column; the domain column is named after the organisation's field,
// so that the field is the one the client sent.
var sqliteUniqueSQL = []string{
	`CREATE TABLE IF NOT EXISTS organization_domains (
    domains TEXT NOT NULL PRIMARY KEY, organization_id TEXT NOT NULL) WITHOUT ROWID`,
	`CREATE INDEX IF NOT EXISTS organization_domains_organization_id ON organization_domains (organization_id)`,
	// Re-created at every start: a migration that rebuilt organizations
	// dropped them, and their bodies follow this code.
	`DROP TRIGGER IF EXISTS organization_domains_insert`,
	`CREATE TRIGGER organization_domains_insert AFTER INSERT ON organizations BEGIN
  INSERT INTO organization_domains (domains, organization_id) SELECT value, new.id FROM json_each(new.domains);
END`,
	`DROP TRIGGER IF EXISTS organization_domains_update`,
	`CREATE TRIGGER organization_domains_update AFTER UPDATE OF domains ON organizations BEGIN
  DELETE FROM organization_domains WHERE organization_id = old.id;
  INSERT INTO organization_domains (domains, organization_id) SELECT value, new.id FROM json_each(new.domains);
END`,
	`DROP TRIGGER IF EXISTS organization_domains_delete`,
	`CREATE TRIGGER organization_domains_delete AFTER DELETE ON organizations BEGIN
  DELETE FROM organization_domains WHERE organization_id = old.id;
END`,
	// The organisations written while the triggers were missing.
	`INSERT INTO organization_domains (domains, organization_id)
SELECT d.value, o.id FROM organizations o, json_each(o.domains) d
WHERE o.id NOT IN (SELECT organization_id FROM organization_domains)`,
	`CREATE UNIQUE INDEX IF NOT EXISTS organizations_kind_name_nocase ON organizations (kind, name COLLATE NOCASE)`,
}

// pgUniqueSQL is the same on PostgreSQL.
var pgUniqueSQL = []string{
	`CREATE TABLE IF NOT EXISTS organization_domains (domains text PRIMARY KEY, organization_id text NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS organization_domains_organization_id ON organization_domains (organization_id)`,
	`CREATE OR REPLACE FUNCTION organization_domains_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM organization_domains WHERE organization_id = OLD.id;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO organization_domains (domains, organization_id)
    SELECT value, NEW.id FROM jsonb_array_elements_text(NEW.domains::jsonb);
  END IF;
  RETURN NULL;
END $$`,
	`DROP TRIGGER IF EXISTS organization_domains_sync ON organizations`,
	`CREATE TRIGGER organization_domains_sync AFTER INSERT OR UPDATE OF domains OR DELETE ON organizations
FOR EACH ROW EXECUTE FUNCTION organization_domains_sync()`,
	`INSERT INTO organization_domains (domains, organization_id)
SELECT d.value, o.id FROM organizations o, jsonb_array_elements_text(o.domains::jsonb) d
WHERE NOT EXISTS (SELECT 1 FROM organization_domains x WHERE x.organization_id = o.id)`,
	`CREATE UNIQUE INDEX IF NOT EXISTS organizations_kind_name_nocase ON organizations (kind, lower(name))`,
}

// InstallUnique creates what holds domains and names unique, and fills it
// from the organisations already there. It is idempotent and runs at every
// start, after the ent migration, on a writable connection. A database
// that already holds a clash does not open: which organisation keeps the
// domain or the name is for its operator to decide.
func InstallUnique(ctx context.Context, d string, db *sql.DB) error {
	if err := sqlobjects.Install(ctx, d, db, sqlobjects.Statements{SQLite: sqliteUniqueSQL, Postgres: pgUniqueSQL}); err != nil {
		return fmt.Errorf("directory: holding domains and names unique (do two organisations share a verified domain, or a name within their kind? rename one): %w", err)
	}
	return nil
}
