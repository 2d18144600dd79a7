package txn_test

import (
	"context"
	"errors"
	"testing"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/testkit"
	"github.com/partnerdesk/partnerdesk/txn"
)

// TestRunKeepsOnlyWhatCommits: a dry run, like a failed one, leaves
// nothing behind, and what it returns still reads its edges, from what is
// committed.
func TestRunKeepsOnlyWhatCommits(t *testing.T) {
	e := testkit.New(t)
	ctx := e.System()
	create := func(ctx context.Context, tx *ent.Client) (*ent.Organization, error) {
		return tx.Organization.Create().SetKind(access.Partner).SetName("Fabrikam").SetDomains([]string{"fabrikam.example"}).Save(ctx)
	}
	orgs := func() int { return e.Client.Organization.Query().CountX(ctx) }
	before := orgs()

	org, err := txn.Run(ctx, e.Client, true, create)
	if err != nil || org.Name != "Fabrikam" {
		t.Fatalf("dry run: %v, %v", org, err)
	}
	if n := orgs(); n != before {
		t.Fatalf("a dry run kept its row: %d organisations, then %d", before, n)
	}
	if n, err := org.QueryContacts().Count(ctx); err != nil || n != 0 {
		t.Fatalf("reading a dry run's result after the rollback: %d, %v", n, err)
	}

	refused := apperr.Forbiddenf("no")
	if _, err := txn.Run(ctx, e.Client, false, func(ctx context.Context, tx *ent.Client) (*ent.Organization, error) {
		if _, err := create(ctx, tx); err != nil {
			return nil, err
		}
		return nil, refused
	}); !errors.Is(err, refused) || orgs() != before {
		t.Fatalf("a failed run: %v, %d organisations", err, orgs())
	}

	if _, err := txn.Run(ctx, e.Client, false, create); err != nil || orgs() != before+1 {
		t.Fatalf("a real run: %v, %d organisations", err, orgs())
	}
}

// TestDecide: what the caller could have foreseen is a refusal; a defect
// or a stopped operation stays an error.
func TestDecide(t *testing.T) {
	ctx := context.Background()
	if d, err := txn.Decide(ctx, nil); err != nil || !d.Allowed {
		t.Fatalf("no error: %+v, %v", d, err)
	}
	if d, err := txn.Decide(ctx, apperr.Invalid("expires_in_days", "1 to 730")); err != nil || d.Allowed || d.Code != apperr.BadUserInput || d.Field != "expiresInDays" {
		t.Fatalf("bad input: %+v, %v", d, err)
	}
	if d, err := txn.Decide(ctx, &ent.NotFoundError{}); err != nil || d.Code != apperr.NotFound {
		t.Fatalf("a missing row: %+v, %v", d, err)
	}
	defect := errors.New("disk on fire")
	if _, err := txn.Decide(ctx, defect); err != defect {
		t.Fatalf("a defect: %v", err)
	}
	stopped, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := txn.Decide(stopped, apperr.Forbiddenf("no")); err == nil {
		t.Fatal("a cancelled operation was decided")
	}
}
