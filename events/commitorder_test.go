package events_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/caseevent"
	"github.com/partnerdesk/partnerdesk/events"
	"github.com/partnerdesk/partnerdesk/internal/pgtest"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// TestNumbersAreTakenInCommitOrder: on PostgreSQL, where transactions
// write at once, a transaction that writes an event after another one
// did waits for it to end before it takes its number: it cannot commit
// first with a later number, which a reader that had passed it would
// never see again. (SQLite has one writer at a time.)
func TestNumbersAreTakenInCommitOrder(t *testing.T) {
	pgtest.Only(t, "concurrent writers")
	e := testkit.New(t)
	ctx := e.System()
	acme := e.Org(access.Customer, "Acme")
	kase := e.Case(acme, e.Contact(acme, "Ada"), "Calls drop")
	write := func(c *ent.Client) (*ent.CaseEvent, error) {
		return c.CaseEvent.Create().SetCaseID(kase.ID).SetCustomerID(acme.ID).SetKind(caseevent.KindUPDATED).
			SetCreatedAt(e.Clock.Now()).Save(ctx)
	}
	first, err := e.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Rollback() // a no-op once committed; the pool waits for it
	a, err := write(first.Client())
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		ev  *ent.CaseEvent
		err error
	}
	second := make(chan result, 1)
	go func() {
		tx, err := e.Client.Tx(context.Background())
		if err != nil {
			second <- result{err: err}
			return
		}
		ev, err := write(tx.Client())
		if err == nil {
			err = tx.Commit()
		} else {
			tx.Rollback()
		}
		second <- result{ev, err}
	}()
	// The second transaction waits for the counter's row; readers see
	// neither event.
	for deadline := time.Now().Add(10 * time.Second); ; runtime.Gosched() {
		var waiting int
		if err := e.DB.Writer().QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE event_sequence%'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting == 1 {
			break
		}
		select {
		case r := <-second:
			t.Fatalf("the second transaction took number %v while the first held the counter (%v)", r.ev, r.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the second transaction never waited for the counter")
		}
	}
	if seen := events.CaseEvents(e.Client, events.CaseFilter{}, events.From{}).AllX(ctx); len(seen) != 0 {
		t.Fatalf("a reader sees %d events before either commits", len(seen))
	}
	if err := first.Commit(); err != nil {
		t.Fatal(err)
	}
	b := <-second
	if b.err != nil {
		t.Fatal(b.err)
	}
	if b.ev.Seq != a.Seq+1 {
		t.Errorf("the second transaction took %d, the first %d", b.ev.Seq, a.Seq)
	}
}
