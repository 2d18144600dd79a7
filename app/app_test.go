package app_test

import (
	"context"
	"sync"
	"testing"

	"github.com/partnerdesk/partnerdesk/app"
	"github.com/partnerdesk/partnerdesk/events"
	"github.com/partnerdesk/partnerdesk/internal/pgtest"
	"github.com/partnerdesk/partnerdesk/store"
)

// TestInstancesStartingTogetherMigrateOnce starts four instances at once
// on one empty PostgreSQL database: each must come up, however their
// migrations interleave, and the schema must be whole.
func TestInstancesStartingTogetherMigrateOnce(t *testing.T) {
	pgtest.Only(t, "instances sharing a database")
	url := pgtest.URL(t)
	var wg sync.WaitGroup
	dbs := make([]*store.DB, 4)
	errs := make([]error, len(dbs))
	for i := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dbs[i], errs[i] = app.Open(context.Background(), url, store.Options{}, &events.Hub{})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	var triggers int
	if err := dbs[0].Writer().QueryRow(`SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'case_search_%'`).Scan(&triggers); err != nil {
		t.Fatal(err)
	}
	if triggers != 2 {
		t.Fatalf("%d search triggers, want 2", triggers)
	}
}
