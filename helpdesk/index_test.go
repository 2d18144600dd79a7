package helpdesk_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/app"
	"github.com/partnerdesk/partnerdesk/rowfilter"
	"github.com/partnerdesk/partnerdesk/store"
)

// TestIndexCatchesUpOnStart: what was written while the directory index's
// triggers were missing (a database older than the index) is indexed at
// the next start, and the triggers are back for what follows.
func TestIndexCatchesUpOnStart(t *testing.T) {
	ctx := rowfilter.Privileged(context.Background())
	path := filepath.Join(t.TempDir(), "partnerdesk.db")
	db, err := app.Open(ctx, path, store.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, trigger := range []string{"directory_search_organization_insert", "directory_search_contact_insert"} {
		if _, err := db.Writer().Exec("DROP TRIGGER " + trigger); err != nil {
			t.Fatal(err)
		}
	}
	org := db.Client.Organization.Create().SetKind(access.Customer).SetName("Kowalski Logistics").SetDomains([]string{"kowalski.example"}).SaveX(ctx)
	old := db.Client.Contact.Create().SetOrganizationID(org.ID).SetName("Anna Nowak").SetEmail("anna@kowalski.example").SaveX(ctx)
	db.Close()

	if db, err = app.Open(ctx, path, store.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	later := db.Client.Contact.Create().SetOrganizationID(org.ID).SetName("Piotr Nowak").SetEmail("piotr@kowalski.example").SaveX(ctx)
	for match, want := range map[string][]string{
		`name MATCH 'nowak'`:        {old.ID, later.ID},
		`name MATCH 'kowalski'`:     {org.ID},
		`domains MATCH 'kowalski*'`: {org.ID},
	} {
		rows, err := db.Writer().Query(`SELECT s.id FROM directory_search s JOIN directory_search_ids i ON i.docid = s.docid WHERE s.` + match + ` ORDER BY s.docid`)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var id string
			rows.Scan(&id)
			got = append(got, id)
		}
		rows.Close()
		if len(got) != len(want) || got[0] != want[0] || got[len(got)-1] != want[len(want)-1] {
			t.Errorf("%s: %v, want %v", match, got, want)
		}
	}
}
