package graph

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
	"github.com/partnerdesk/partnerdesk/events"
	"github.com/partnerdesk/partnerdesk/limits"
	"github.com/partnerdesk/partnerdesk/streams"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// A subscription decides each message as its stream's dispatcher hands it
// over (package streams): in memory, from the message and the session of
// the moment. What it may see is rendered once per access class.

var errAccessLost = apperr.Forbiddenf("access to what this subscription follows has ended")

// keeper keeps an open stream's session current: moved along the clock at
// every tick, read again when a message says its grants or its sign-in
// changed.
type keeper struct {
	r     *Resolver
	s     *access.Session
	class access.Class
	// decision is the class's decisionKey, boxed once: every subscriber
	// looks it up at every event.
	decision any
}

func (r *Resolver) keeper(ctx context.Context) *keeper {
	k := &keeper{r: r, s: viewer.ForContext(ctx)}
	k.classify()
	return k
}

func (k *keeper) classify() {
	k.class = k.s.Class()
	k.decision = decisionKey{k.class}
}

// refreshed is a session read again, once for every stream of its token.
type refreshed struct {
	s   *access.Session
	err error
}

type refreshKey struct{ token string }

// update brings the session to m: a tick moves it to now (an expired token
// ends the stream), a message about the caller's grants or sign-in reads
// it again. It reports whether its decisions may have changed.
func (k *keeper) update(m *events.Message) (changed bool, err error) {
	switch {
	case m.Tick:
		now := k.r.Clock.Now()
		if !k.s.TokenLive(now) {
			return false, apperr.ErrUnauthenticated
		}
		changed = !k.s.Steady(now)
		k.s = k.s.At(now)
	case m.SignedOut == k.s.ContactID ||
		m.GrantID != "" && (m.PartnerID == k.s.OrgID || m.CustomerID == k.s.OrgID):
		r := m.Memo(refreshKey{k.s.TokenID}, func() any {
			s, err := k.r.Sessions.Refresh(context.Background(), k.s)
			return refreshed{s, err}
		}).(refreshed)
		if r.err != nil {
			return false, r.err
		}
		k.s, changed = r.s, true
	}
	if changed {
		k.classify()
	}
	return changed, nil
}

// seen is what the keeper's caller sees: v, with its session.
func seen[T any](k *keeper, v T) streams.Seen[T] {
	return streams.Seen[T]{Value: v, Session: k.s, Class: k.class}
}

// eventRows is what the policy reads of a case event's message: the
// event, and its case with the case's collaborators, read once for every
// subscriber whose rule asks (vendor staff never do).
type eventRows struct {
	r *Resolver
	m *events.Message
}

func (l eventRows) event() access.Row {
	vis := "PUBLIC"
	if l.m.Internal {
		vis = "INTERNAL"
	}
	return access.Values{"id": l.m.CaseEventID, "case_id": l.m.CaseID, "customer_id": l.m.CustomerID, "visibility": vis}
}

type caseKey struct{}

// kase is the event's case, read once per message.
func (l eventRows) kase() loaded[*ent.SupportCase] {
	return l.m.Memo(caseKey{}, func() any {
		c, err := events.Case(context.Background(), l.r.Client, l.m)
		if err != nil {
			slog.Error("reading an event's case", "case", l.m.CaseID, "error", err)
		}
		return loaded[*ent.SupportCase]{c, err}
	}).(loaded[*ent.SupportCase])
}

// collaborators of the event's case; none when it could not be read.
func (l eventRows) collaborators() []string {
	var ids []string
	if c := l.kase().row; c != nil {
		for _, co := range c.Edges.Collaborators {
			ids = append(ids, co.ID)
		}
	}
	return ids
}

func (l eventRows) Get(e access.Entity, id string) (access.Row, bool) {
	if e != access.Cases || id != l.m.CaseID {
		return nil, false
	}
	return eventCase{l}, true
}

func (eventRows) Referencing(access.Entity, string, string) []access.Row { return nil }

func (l eventRows) Collaborates(caseID, contactID string) bool {
	return caseID == l.m.CaseID && slices.Contains(l.collaborators(), contactID)
}

func (eventRows) CasesOf(string) []access.Row { return nil }

// eventCase is the event's case as a row: its creation time, which only
// an era check asks for, is read when asked. A case that cannot be read
// was created at no time in any era.
type eventCase struct{ l eventRows }

func (c eventCase) Value(col string) string {
	switch col {
	case "id":
		return c.l.m.CaseID
	case "customer_id":
		return c.l.m.CustomerID
	}
	return ""
}

func (c eventCase) Time(col string) time.Time {
	if k := c.l.kase().row; col == "created_at" && k != nil {
		return k.CreatedAt
	}
	return time.Time{}
}

// following is what a caseEvents subscription follows: every case the
// caller may see, one customer's, or one case.
type following struct {
	customerID string
	kase       access.Row // nil unless one case
	// collaborators of the followed case, as the last event said.
	collaborators []string
}

func (f *following) Get(e access.Entity, id string) (access.Row, bool) {
	if e == access.Cases && f.kase != nil && id == f.kase.Value("id") {
		return f.kase, true
	}
	return nil, false
}

func (*following) Referencing(access.Entity, string, string) []access.Row { return nil }

func (f *following) Collaborates(caseID, contactID string) bool {
	return f.kase != nil && caseID == f.kase.Value("id") && slices.Contains(f.collaborators, contactID)
}

func (*following) CasesOf(string) []access.Row { return nil }

// stillSeen reports whether s may still follow what f follows: the case,
// or some case of the customer.
func (f *following) stillSeen(s *access.Session) bool {
	switch {
	case f.kase != nil:
		return s.Allows(access.Cases, f.kase, f)
	case f.customerID != "":
		return s.Level(f.customerID) != ""
	}
	return true // following every visible case: there is nothing to lose
}

// key is the broker's stream of what f follows.
func (f *following) key() string {
	switch {
	case f.kase != nil:
		return events.CaseKey(f.kase.Value("id"))
	case f.customerID != "":
		return events.CustomerKey(f.customerID)
	}
	return events.AllCases
}

// decisionKey shares, between the subscribers of one class, whether they
// may see a case event.
type decisionKey struct{ class access.Class }

func (r *Resolver) caseEvents(ctx context.Context, customerID, caseID, after *string) (<-chan *ent.CaseEvent, error) {
	from, err := r.start(after)
	if err != nil {
		return nil, err
	}
	k := r.keeper(ctx)
	f := &following{}
	switch {
	case caseID != nil:
		kase, err := r.Client.SupportCase.Query().
			Where(supportcase.ID(*caseID)).
			WithCollaborators(func(q *ent.ContactQuery) { q.Select(contact.FieldID) }).
			Only(ctx)
		if err != nil {
			return nil, err
		}
		if customerID != nil && *customerID != kase.CustomerID {
			return nil, apperr.ErrNotFound
		}
		f.customerID = kase.CustomerID
		f.kase = access.Values{"id": kase.ID, "customer_id": kase.CustomerID, "created_at": kase.CreatedAt}
		for _, c := range kase.Edges.Collaborators {
			f.collaborators = append(f.collaborators, c.ID)
		}
	case customerID != nil:
		org, err := r.Client.Organization.Get(ctx, *customerID)
		if err != nil {
			return nil, err
		}
		f.customerID = org.ID
		if !f.stillSeen(k.s) {
			return nil, apperr.Forbiddenf("you have no access to this customer's cases")
		}
	}
	decide := func(m *events.Message) (none streams.Seen[*ent.CaseEvent], _ error) {
		changed, err := k.update(m)
		if err != nil {
			return none, err
		}
		if changed && !f.stillSeen(k.s) {
			return none, errAccessLost
		}
		if m.CaseEventID == "" {
			return none, nil
		}
		rows := eventRows{r, m}
		if !m.Memo(k.decision, func() any { return k.s.Allows(access.CaseEvents, rows.event(), rows) }).(bool) {
			if f.kase != nil { // a CC who is no longer a collaborator?
				f.collaborators = rows.collaborators()
				if !f.stillSeen(k.s) {
					return none, errAccessLost
				}
			}
			return none, nil
		}
		ev, err := r.sharedEvent(m)
		if err != nil {
			slog.Error("loading a case event", "event", m.CaseEventID, "error", err)
			return none, nil
		}
		return seen(k, ev), nil
	}
	if after == nil {
		return streams.Follow(ctx, f.key(), decide)
	}
	filter := events.CaseFilter{CustomerID: f.customerID}
	if f.kase != nil {
		filter.CaseID = f.kase.Value("id")
	}
	return streams.FollowAfter(ctx, f.key(), decide, func(emit func(streams.Seen[*ent.CaseEvent]) bool) (int64, error) {
		// As the caller now: the replay runs after the resolver returns.
		rctx := viewer.NewContext(context.Background(), k.s)
		return replay(from, func(from events.From) ([]*ent.CaseEvent, error) {
			return events.CaseEvents(r.Client, filter, from).Limit(limits.MaxPageSize).All(rctx)
		}, func(ev *ent.CaseEvent) bool { return emit(seen(k, ev)) })
	})
}

type loaded[T any] struct {
	row T
	err error
}

type eventKey struct{}

// sharedEvent loads an event once for all the subscribers it reaches; each
// has already decided, in memory, that it may see it.
func (r *Resolver) sharedEvent(m *events.Message) (*ent.CaseEvent, error) {
	l := m.Memo(eventKey{}, func() any {
		ev, err := events.CaseEvent(context.Background(), r.Client, m)
		return loaded[*ent.CaseEvent]{ev, err}
	}).(loaded[*ent.CaseEvent])
	return l.row, l.err
}

type grantEventKey struct{}

func (r *Resolver) grantEvents(ctx context.Context, after *string) (<-chan *ent.GrantEvent, error) {
	from, err := r.start(after)
	if err != nil {
		return nil, err
	}
	k := r.keeper(ctx)
	decide := func(m *events.Message) (none streams.Seen[*ent.GrantEvent], _ error) {
		if _, err := k.update(m); err != nil {
			return none, err
		}
		// Who may read the grant, vendor staff included, hears of it.
		if m.GrantEventID == "" || !k.s.Allows(access.GrantEvents, access.Values{"partner_id": m.PartnerID, "customer_id": m.CustomerID}, nil) {
			return none, nil
		}
		l := m.Memo(grantEventKey{}, func() any {
			ev, err := events.GrantEvent(context.Background(), r.Client, m)
			return loaded[*ent.GrantEvent]{ev, err}
		}).(loaded[*ent.GrantEvent])
		if l.err != nil {
			slog.Error("loading a grant event", "event", m.GrantEventID, "error", l.err)
			return none, nil
		}
		return seen(k, l.row), nil
	}
	if after == nil {
		return streams.Follow(ctx, events.Sessions, decide)
	}
	return streams.FollowAfter(ctx, events.Sessions, decide, func(emit func(streams.Seen[*ent.GrantEvent]) bool) (int64, error) {
		rctx := viewer.NewContext(context.Background(), k.s)
		return replay(from, func(from events.From) ([]*ent.GrantEvent, error) {
			return events.GrantEvents(r.Client, from).WithGrant().Limit(limits.MaxPageSize).All(rctx)
		}, func(ev *ent.GrantEvent) bool { return emit(seen(k, ev)) })
	})
}
