// Package app opens the store with every rule that guards it installed, so
// that the server, the operator commands and the tests run the same stack.
package app

import (
	"context"
	"database/sql"

	"github.com/mattn/go-sqlite3"

	"github.com/partnerdesk/partnerdesk/bulk"
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

// Open opens the database at addr (a postgres:// URL or an SQLite file),
// migrates it, keeps its full-text index in sync, and installs the
// consistency hooks (the row filters come with the schema). Changes are
// published to broker after they commit; nil publishes nothing (the
// operator commands).
func Open(ctx context.Context, addr string, opts store.Options, broker events.Broker) (*store.DB, error) {
	db, err := Migrate(ctx, addr, opts)
	if err != nil {
		return nil, err
	}
	directory.Install(db.Client)
	if broker == nil {
		return db, nil
	}
	events.Install(db.Client, broker)
	bulk.Install(db.Client, broker)
	// On PostgreSQL, the instances sharing the database share their events.
	if hub, ok := broker.(*events.Hub); ok && db.Pool != nil {
		listen, stop := context.WithCancel(context.Background())
		if err := events.RelayPostgres(listen, db.Pool, hub); err != nil {
			stop()
			db.Close()
			return nil, err
		}
		db.OnClose(stop)
	}
	return db, nil
}

// Migrate opens the database at addr and brings it, and what ent does not
// manage (the search indexes, the uniqueness of domains and names, the
// counter of the event order), up to this version, once however many
// instances start together.
func Migrate(ctx context.Context, addr string, opts store.Options) (*store.DB, error) {
	opts.Driver = driver
	db, err := store.Open(ctx, addr, opts)
	if err != nil {
		return nil, err
	}
	err = db.Migrate(ctx, func(ctx context.Context) error {
		if err := casesearch.Install(ctx, db.Dialect, db.Writer()); err != nil {
			return err
		}
		if err := helpdesk.Install(ctx, db.Dialect, db.Writer()); err != nil {
			return err
		}
		if err := directory.InstallUnique(ctx, db.Dialect, db.Writer()); err != nil {
			return err
		}
		if err := events.InstallSequence(ctx, db.Dialect, db.Writer()); err != nil {
			return err
		}
		return stampOlderDatabase(ctx, db)
	})
	if err != nil {
		db.Close()
		return nil, err
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
