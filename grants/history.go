package grants

import (
	"context"
	"time"

	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	"github.com/partnerdesk/partnerdesk/ent/hook"
	"github.com/partnerdesk/partnerdesk/events"
	"github.com/partnerdesk/partnerdesk/rowfilter"
)

// History is the hook, on grants, that writes a grant's history: an
// event for each grant a mutation creates or whose status it changes, in
// the mutation's transaction, so that no change commits without its event
// (the expiry warnings, which change no status, are written by their
// claim: WarnExpiring). Publication follows from the events written
// (package events), as for a case's history (cases.History)..
func History(next ent.Mutator) ent.Mutator {
	return hook.GrantFunc(func(ctx context.Context, m *ent.GrantMutation) (ent.Value, error) {
		status, changed := m.Status()
		if !m.Op().Is(ent.OpCreate) && !changed {
			return next.Mutate(ctx, m)
		}
		// The server's own bookkeeping: the grants a mutation changes are
		// read to write their history whoever changes them.
		sys := rowfilter.Privileged(ctx)
		var ids []string
		if !m.Op().Is(ent.OpCreate) {
			var err error
			if ids, err = m.IDs(sys); err != nil {
				return nil, err
			}
		}
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return v, err
		}
		if g, ok := v.(*ent.Grant); ok && m.Op().Is(ent.OpCreate) {
			ids, status = []string{g.ID}, g.Status
		}
		if len(ids) == 0 {
			return v, nil
		}
		rows, err := m.Client().Grant.Query().Where(grant.IDIn(ids...)).All(sys)
		if err != nil {
			return nil, err
		}
		actor := actorOf(m)
		builders := make([]*ent.GrantEventCreate, len(rows))
		for i, g := range rows {
			builders[i] = m.Client().GrantEvent.Create().
				SetGrantID(g.ID).SetCustomerID(g.CustomerID).SetPartnerID(g.PartnerID).
				SetKind(kindOf(status)).SetNillableActorID(actor).SetCreatedAt(changedAt(g))
		}
		if len(builders) == 1 {
			// ent writes a batch with INSERT … RETURNING, a query, which
			// SQLite's store sends to its read pool outside a transaction
			// (a fixture's lone create); one row is an Exec.
			return v, builders[0].Exec(ctx)
		}
		return v, m.Client().GrantEvent.CreateBulk(builders...).Exec(ctx)
	})
}

// actorOf is who makes the change m records: who asks, decides or ends;
// nobody for what time does (an expiry, a lapse).
func actorOf(m *ent.GrantMutation) *string {
	for _, field := range []func() (string, bool){m.EndedByID, m.DecidedByID, m.RequestedByID} {
		if id, ok := field(); ok {
			return &id
		}
	}
	return nil
}

func kindOf(s grant.Status) events.GrantKind {
	return map[grant.Status]events.GrantKind{
		grant.StatusPENDING:    events.GrantRequested,
		grant.StatusACTIVE:     events.GrantApproved,
		grant.StatusREJECTED:   events.GrantRejected,
		grant.StatusREVOKED:    events.GrantRevoked,
		grant.StatusSUPERSEDED: events.GrantSuperseded,
		grant.StatusEXPIRED:    events.GrantExpired,
	}[s]
}

// changedAt is the instant a grant last changed, as the workflow recorded it.
func changedAt(g *ent.Grant) (t time.Time) {
	for _, p := range []*time.Time{g.EndedAt, g.DecidedAt} {
		if p != nil && p.After(t) {
			t = *p
		}
	}
	if t.IsZero() {
		t = g.CreatedAt
	}
	return t
}
