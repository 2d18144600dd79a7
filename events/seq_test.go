package events_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/app"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/caseevent"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	"github.com/partnerdesk/partnerdesk/store"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// seqs returns the numbers of every event of both histories, in order.
func seqs(t *testing.T, e *testkit.Env) []int64 {
	t.Helper()
	ctx := e.System()
	var all []int64
	for _, ev := range e.Client.CaseEvent.Query().AllX(ctx) {
		all = append(all, ev.Seq)
	}
	for _, ev := range e.Client.GrantEvent.Query().AllX(ctx) {
		all = append(all, ev.Seq)
	}
	slices.Sort(all)
	return all
}

// gapless fails unless got is 1, 2, … len(got).
func gapless(t *testing.T, what string, got []int64) {
	t.Helper()
	for i, n := range got {
		if n != int64(i+1) {
			t.Fatalf("%s: the events are numbered %v, want 1 to %d once each", what, got, len(got))
		}
	}
}

// TestOneCounterNumbersBothHistories: case and grant events take their
// numbers from one counter, in the transaction that writes them: a
// transaction that writes several takes a block (and the next
// transaction continues after it), one rolled back leaves no gap.
func TestOneCounterNumbersBothHistories(t *testing.T) {
	e := testkit.New(t)
	ctx := e.System()
	acme, contoso := e.Org(access.Customer, "Acme"), e.Org(access.Partner, "Contoso")
	ada := e.Contact(acme, "Ada")
	kase := e.Case(acme, ada, "Calls drop")
	for range 3 { // one APPROVED event each, each its own transaction
		e.Grant(testkit.GrantSpec{Partner: contoso, Customer: acme, Level: access.Look, Days: 1})
	}
	caseEvent := func(c *ent.Client) error {
		return c.CaseEvent.Create().SetCaseID(kase.ID).SetCustomerID(acme.ID).SetKind(caseevent.KindUPDATED).
			SetCreatedAt(e.Clock.Now()).Exec(ctx)
	}
	if err := caseEvent(e.Client); err != nil {
		t.Fatal(err)
	}
	gapless(t, "lone writes", seqs(t, e))

	// One transaction: three EXPIRED events and a case event.
	tx, err := e.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() // a no-op once committed
	if n := tx.Grant.Update().Where(grant.CustomerID(acme.ID)).SetStatus(grant.StatusEXPIRED).SaveX(ctx); n != 3 {
		t.Fatalf("expired %d grants", n)
	}
	if err := caseEvent(tx.Client()); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := caseEvent(e.Client); err != nil {
		t.Fatalf("the event after a block: %v", err)
	}
	gapless(t, "a block", seqs(t, e))

	tx, err = e.Client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := caseEvent(tx.Client()); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := caseEvent(e.Client); err != nil {
		t.Fatal(err)
	}
	gapless(t, "after a rollback", seqs(t, e))
}

// TestEventsOlderThanTheCounterAreNumberedAtMigration: the case events of
// a database written before the counter get their numbers at the next
// start, after those already taken, in the order they happened; the next
// event continues after them.
func TestEventsOlderThanTheCounterAreNumberedAtMigration(t *testing.T) {
	e := testkit.New(t)
	ctx := e.System()
	acme := e.Org(access.Customer, "Acme")
	ada := e.Contact(acme, "Ada")
	kase := e.Case(acme, ada, "Calls drop")
	e.Grant(testkit.GrantSpec{Partner: e.Org(access.Partner, "Contoso"), Customer: acme, Level: access.Look}) // seq 1
	var older []string                                                                                        // seq 2, 3, 4, then forgotten
	for i := range 3 {
		ev := e.Client.CaseEvent.Create().SetCaseID(kase.ID).SetCustomerID(acme.ID).SetKind(caseevent.KindUPDATED).
			SetCreatedAt(e.Clock.Now().Add(-time.Duration(i) * time.Hour)).SaveX(ctx)
		older = append(older, ev.ID)
	}
	if _, err := e.DB.Writer().ExecContext(context.Background(), "UPDATE case_events SET seq = NULL"); err != nil {
		t.Fatal(err)
	}
	db, err := app.Migrate(context.Background(), e.Addr, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	// Created 0, 1 and 2 hours ago: numbered oldest first, after every
	// number the counter handed out.
	for i, want := range []int64{7, 6, 5} {
		if got := e.Client.CaseEvent.GetX(ctx, older[i]).Seq; got != want {
			t.Errorf("event %d hours old has seq %d, want %d", i, got, want)
		}
	}
	next := e.Client.CaseEvent.Create().SetCaseID(kase.ID).SetCustomerID(acme.ID).SetKind(caseevent.KindUPDATED).
		SetCreatedAt(e.Clock.Now()).SaveX(ctx)
	if next.Seq != 8 {
		t.Errorf("the next event has seq %d, want 8", next.Seq)
	}
}
