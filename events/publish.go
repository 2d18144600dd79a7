package events

import (
	"context"
	"log/slog"

	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/accesstoken"
	"github.com/partnerdesk/partnerdesk/ent/hook"
	"github.com/partnerdesk/partnerdesk/rowfilter"
)

// Install publishes, through b, every case event and grant event written
// through client, once the transaction that wrote it commits: nothing is
// published for a change that was rolled back.
func Install(client *ent.Client, b Broker) {
	client.CaseEvent.Use(hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.CaseEventFunc(func(ctx context.Context, m *ent.CaseEventMutation) (ent.Value, error) {
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return v, err
			}
			ev := v.(*ent.CaseEvent)
			AfterCommit(ctx, m, b, Message{CaseEventID: ev.ID, CaseID: ev.CaseID, CustomerID: ev.CustomerID, Seq: ev.Seq, At: ev.CreatedAt,
				Internal: ev.Visibility == "INTERNAL"})
			return v, nil
		})
	}, ent.OpCreate))

	client.GrantEvent.Use(hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.GrantEventFunc(func(ctx context.Context, m *ent.GrantEventMutation) (ent.Value, error) {
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return v, err
			}
			ev := v.(*ent.GrantEvent)
			msg := Message{GrantEventID: ev.ID, GrantID: ev.GrantID, GrantKind: ev.Kind, CustomerID: ev.CustomerID, PartnerID: ev.PartnerID,
				Seq: ev.Seq, At: ev.CreatedAt}
			if ev.DaysLeft != nil {
				msg.DaysLeft = *ev.DaysLeft
			}
			AfterCommit(ctx, m, b, msg)
			return v, nil
		})
	}, ent.OpCreate))
	signOuts(client, b)
}

// signOuts publishes, for every contact whose status changes and every
// token revoked, that the contact's open streams must check their session.
func signOuts(client *ent.Client, b Broker) {
	client.Contact.Use(hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.ContactFunc(func(ctx context.Context, m *ent.ContactMutation) (ent.Value, error) {
			if _, changed := m.Status(); !changed {
				return next.Mutate(ctx, m)
			}
			return publishFor(ctx, m, b, next, func(ids []string) []string { return ids })
		})
	}, ent.OpUpdate|ent.OpUpdateOne))
	client.AccessToken.Use(hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.AccessTokenFunc(func(ctx context.Context, m *ent.AccessTokenMutation) (ent.Value, error) {
			if _, revoked := m.RevokedAt(); !revoked {
				return next.Mutate(ctx, m)
			}
			return publishFor(ctx, m, b, next, func(ids []string) []string {
				owners, err := m.Client().AccessToken.Query().Where(accesstoken.IDIn(ids...)).
					Select(accesstoken.FieldContactID).Strings(rowfilter.Privileged(ctx))
				if err != nil {
					slog.ErrorContext(ctx, "finding whose tokens were revoked", "error", err)
				}
				return owners
			})
		})
	}, ent.OpUpdate|ent.OpUpdateOne))
}

// publishFor runs mutation m, then publishes a sign-out for each contact
// contacts names among the rows m changed, once its transaction commits.
func publishFor[M interface {
	ent.Mutation
	IDs(context.Context) ([]string, error)
	Tx() (*ent.Tx, error)
}](ctx context.Context, m M, b Broker, next ent.Mutator, contacts func([]string) []string) (ent.Value, error) {
	ids, err := m.IDs(rowfilter.Privileged(ctx))
	if err != nil {
		return nil, err
	}
	v, err := next.Mutate(ctx, m)
	if err != nil {
		return v, err
	}
	for _, c := range contacts(ids) {
		AfterCommit(ctx, m, b, Message{SignedOut: c})
	}
	return v, nil
}

// AfterCommit publishes msg when the transaction that made mutation m
// commits, or at once when m ran outside a transaction.
func AfterCommit(ctx context.Context, m interface{ Tx() (*ent.Tx, error) }, b Broker, msg Message) {
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
