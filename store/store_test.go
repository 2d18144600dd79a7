package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/rowfilter"
	"github.com/partnerdesk/partnerdesk/store"
)

func open(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), path, store.Options{})
	if err == nil {
		err = db.Migrate(context.Background(), nil)
	}
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return db
}

func pragma(t *testing.T, db *store.DB, name string) string {
	t.Helper()
	rows, err := db.Client.QueryContext(context.Background(), "PRAGMA "+name)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var v string
	for rows.Next() {
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

func TestTheStoreIsDurableAndKeepsDataAcrossRestarts(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "data", "partnerdesk.db")
	db := open(t, path)
	for name, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "2", "busy_timeout": "10000"} {
		if got := pragma(t, db, name); got != want {
			t.Errorf("PRAGMA %s = %s, want %s", name, got, want)
		}
	}
	org, err := db.Client.Organization.Create().SetKind(access.Vendor).SetName("Northwind").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A contact in an organisation that does not exist breaks a foreign key.
	if err := db.Client.Contact.Create().SetOrganizationID("org_missing").SetName("x").SetEmail("x@y.example").Exec(ctx); err == nil {
		t.Error("foreign keys are not enforced")
	}
	db.Close()

	db = open(t, path) // migrating again must keep the rows
	defer db.Close()
	if got, err := db.Client.Organization.Get(rowfilter.Privileged(ctx), org.ID); err != nil || got.Name != "Northwind" {
		t.Fatalf("after reopening: %v, %v", got, err)
	}
	// Every client carries the read policy: one opened on the store
	// alone, with no caller, reads nothing.
	if n, err := db.Client.Organization.Query().Count(ctx); err != nil || n != 0 {
		t.Fatalf("a read with no caller saw %d organisations (%v)", n, err)
	}
}

func TestReadsCannotWrite(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "partnerdesk.db"))
	defer db.Close()
	// Outside a transaction, statements that return rows run on the
	// read-only pool: a write smuggled into one is refused there.
	rows, err := db.Client.QueryContext(context.Background(), "INSERT INTO organizations (id, kind, name, domains, sites, licenses, share_case_history_with_partners, created_at) VALUES ('org_x', 'VENDOR', 'x', '[]', '[]', '[]', 0, '2026-01-01') RETURNING id")
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
	}
	if err == nil {
		t.Fatal("a write ran on the read pool")
	}
}
