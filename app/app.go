// Package app opens the store with every rule that guards it installed, so
// that the server, the operator commands and the tests run the same stack.
package app

import (
	"context"
	"database/sql"

	"github.com/mattn/go-sqlite3"

	"github.com/partnerdesk/partnerdesk/casesearch"
	"github.com/partnerdesk/partnerdesk/directory"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
	"github.com/partnerdesk/partnerdesk/events"
	"github.com/partnerdesk/partnerdesk/grants"
	"github.com/partnerdesk/partnerdesk/helpdesk"
	"github.com/partnerdesk/partnerdesk/rowfilter"
	"github.com/partnerdesk/partnerdesk/store"
)

// driver is SQLite with the case-search ranking function on every
// connection.
const driver = "sqlite3_partnerdesk"

func init() {
	sql.Register(driver, &sqlite3.SQLiteDriver{ConnectHook: casesearch.Register})
}

// Open opens the database at path, migrates it, keeps its full-text
// indexes in sync (cases; the directory's names and domains), holds
// domains and organisation names unique, and installs the consistency
// hooks (the row filters come with the schema). Changes are published to
// broker after they commit; nil publishes nothing (the operator commands).
func Open(ctx context.Context, path string, opts store.Options, broker events.Broker) (*store.DB, error) {
	opts.Driver = driver
	db, err := store.Open(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	if err := casesearch.Install(ctx, db.Writer()); err != nil {
		db.Close()
		return nil, err
	}
	if err := helpdesk.Install(ctx, db.Writer()); err != nil {
		db.Close()
		return nil, err
	}
	if err := directory.InstallUnique(ctx, db.Writer()); err != nil {
		db.Close()
		return nil, err
	}
	if err := stampOlderDatabase(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	directory.Install(db.Client)
	if broker != nil {
		events.Install(db.Client, broker)
	}
	return db, nil
}

// stampOlderDatabase stamps the partner eras of a database written before
// cases carried them (grants/eras.go): approved grants, but no stamp.
func stampOlderDatabase(ctx context.Context, db *store.DB) error {
	ctx = rowfilter.Privileged(ctx)
	stamped, err := db.Client.SupportCase.Query().Where(supportcase.HasEraPartners()).Exist(ctx)
	if err != nil || stamped {
		return err
	}
	approved, err := db.Client.Grant.Query().Where(grant.StartsAtNotNil()).Exist(ctx)
	if err != nil || !approved {
		return err
	}
	return grants.StampAll(ctx, db.Client)
}
