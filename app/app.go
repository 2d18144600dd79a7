// Package app opens the store with every rule that guards it installed, so
// that the server, the operator commands and the tests run the same stack.
package app

import (
	"context"

	"github.com/partnerdesk/partnerdesk/directory"
	"github.com/partnerdesk/partnerdesk/rowfilter"
	"github.com/partnerdesk/partnerdesk/store"
)

// Open opens the database at path, migrates it, and installs the row filters
// and consistency hooks.
func Open(ctx context.Context, path string, opts store.Options) (*store.DB, error) {
	db, err := store.Open(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	rowfilter.Install(db.Client)
	directory.Install(db.Client)
	return db, nil
}
