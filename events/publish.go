package events

import (
	"context"
	"log/slog"
	"time"

	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	"github.com/partnerdesk/partnerdesk/ent/hook"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// Install publishes, through b, every case event and every grant change
// written through client, once the transaction that wrote it commits:
// nothing is published for a change that was rolled back.
func Install(client *ent.Client, b Broker) {
	client.CaseEvent.Use(hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.CaseEventFunc(func(ctx context.Context, m *ent.CaseEventMutation) (ent.Value, error) {
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return v, err
			}
			ev := v.(*ent.CaseEvent)
			kase, err := m.Client().SupportCase.Query().
				Where(supportcase.ID(ev.CaseID)).
				WithCollaborators(func(q *ent.ContactQuery) { q.Select("id") }).
				Only(viewer.SystemContext(ctx))
			if err != nil {
				return nil, err
			}
			msg := Message{CaseEventID: ev.ID, CaseID: ev.CaseID, CustomerID: ev.CustomerID, At: ev.CreatedAt,
				CaseCreatedAt: kase.CreatedAt, Internal: ev.Visibility == "INTERNAL"}
			for _, c := range kase.Edges.Collaborators {
				msg.Collaborators = append(msg.Collaborators, c.ID)
			}
			afterCommit(ctx, m, b, msg)
			return v, nil
		})
	}, ent.OpCreate))

	client.Grant.Use(func(next ent.Mutator) ent.Mutator {
		return hook.GrantFunc(func(ctx context.Context, m *ent.GrantMutation) (ent.Value, error) {
			status, changed := m.Status()
			if !m.Op().Is(ent.OpCreate) && !changed {
				return next.Mutate(ctx, m)
			}
			var ids []string
			if !m.Op().Is(ent.OpCreate) {
				var err error
				if ids, err = m.IDs(viewer.SystemContext(ctx)); err != nil {
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
			rows, err := m.Client().Grant.Query().Where(grant.IDIn(ids...)).All(viewer.SystemContext(ctx))
			if err != nil {
				return nil, err
			}
			for _, g := range rows {
				afterCommit(ctx, m, b, Message{GrantID: g.ID, GrantKind: kindOf(status), CustomerID: g.CustomerID, PartnerID: g.PartnerID, At: now(g)})
			}
			return v, nil
		})
	})
}

func kindOf(s grant.Status) GrantKind {
	return map[grant.Status]GrantKind{
		grant.StatusPENDING:    GrantRequested,
		grant.StatusACTIVE:     GrantApproved,
		grant.StatusREJECTED:   GrantRejected,
		grant.StatusREVOKED:    GrantRevoked,
		grant.StatusSUPERSEDED: GrantSuperseded,
		grant.StatusEXPIRED:    GrantExpired,
	}[s]
}

// now is the instant a grant last changed, as the workflow recorded it.
func now(g *ent.Grant) (t time.Time) {
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

// afterCommit publishes msg when the transaction that made mutation m
// commits, or at once when m ran outside a transaction.
func afterCommit(ctx context.Context, m interface{ Tx() (*ent.Tx, error) }, b Broker, msg Message) {
	publish := func() {
		if err := b.Publish(context.WithoutCancel(ctx), msg); err != nil {
			slog.ErrorContext(ctx, "publishing an event", "error", err)
		}
	}
	tx, err := m.Tx()
	if err != nil {
		publish()
		return
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			if err := next.Commit(ctx, tx); err != nil {
				return err
			}
			publish()
			return nil
		})
	})
}
