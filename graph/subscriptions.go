package graph

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
	"github.com/partnerdesk/partnerdesk/events"
	"github.com/partnerdesk/partnerdesk/graph/model"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// RecheckInterval is how often an open subscription moves its session to
// the present, so that an expiry (of a grant or of the token, which no
// event announces) ends the stream within a second. Revocations and
// suspensions are noticed at once, by their events.
const RecheckInterval = time.Second

var errAccessLost = apperr.Forbiddenf("access to what this subscription follows has ended")

// stream is the state of one subscription operation: whether it is ending
// with an error. gqlgen delivers only values on a subscription's channel;
// Responses turns the ending into the error response it sends last.
type stream struct {
	mu  sync.Mutex // guards err
	err error
}

type streamKey struct{}

// Operations is a gqlgen operation middleware that gives each operation
// its memo of support plans, and each subscription its stream state.
func (r *Resolver) Operations(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	ctx = context.WithValue(ctx, plansKey{}, &plans{})
	if op := graphql.GetOperationContext(ctx).Operation; op != nil && op.Operation == ast.Subscription {
		ctx = context.WithValue(ctx, streamKey{}, &stream{})
	}
	return next(ctx)
}

// Responses is a gqlgen response middleware that sends a subscription's
// ending error in place of the placeholder event that carried it.
func Responses(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	res := next(ctx)
	if st, ok := ctx.Value(streamKey{}).(*stream); ok && res != nil {
		st.mu.Lock()
		err := st.err
		st.err = nil
		st.mu.Unlock()
		if err != nil {
			return &graphql.Response{Errors: gqlerror.List{PresentError(ctx, err)}}
		}
	}
	return res
}

// end records err as the subscription's ending error; when the resolver
// then closes its channel, the websocket transports send it as the
// operation's error message instead of complete. Other transports (SSE)
// keep no such record: for them the error is sent as the stream's last
// response, in place of a placeholder event. A caller whose sign-in ended
// is signed out of the whole connection (a websocket closes with 4401).
func end[T any](ctx context.Context, out chan<- *T, err error) {
	defer func() {
		if errors.Is(err, apperr.ErrUnauthenticated) {
			viewer.SignOut(ctx)
		}
	}()
	if addSubscriptionError(ctx, PresentError(ctx, err)) {
		return
	}
	st, ok := ctx.Value(streamKey{}).(*stream)
	if !ok {
		return
	}
	st.mu.Lock()
	st.err = err
	st.mu.Unlock()
	select {
	case out <- nil:
	case <-ctx.Done():
	}
}

// addSubscriptionError reports whether the transport took the error: only
// websocket contexts carry the record gqlgen's AddSubscriptionError writes
// to, and it has no way to ask.
func addSubscriptionError(ctx context.Context, err *gqlerror.Error) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	transport.AddSubscriptionError(ctx, err)
	return true
}

// keeper keeps an open stream's session current: moved to the present at
// every tick, read again when a message says its grants or its sign-in
// changed. Each event is then decided with the session of the moment.
type keeper struct {
	r *Resolver
	s *access.Session
}

// tick moves the session to now; a token that expired ends the stream.
func (k *keeper) tick(ctx context.Context) error {
	now := k.r.Clock.Now()
	if !k.s.TokenLive(now) {
		return apperr.ErrUnauthenticated
	}
	k.s = k.s.At(now)
	viewer.Replace(ctx, k.s)
	return nil
}

// message reads the session again when m concerns the caller's grants or
// its sign-in, and reports whether it did.
func (k *keeper) message(ctx context.Context, m *events.Message) (bool, error) {
	concerns := m.SignedOut == k.s.ContactID ||
		m.GrantID != "" && (m.PartnerID == k.s.OrgID || m.CustomerID == k.s.OrgID)
	if !concerns {
		return false, nil
	}
	s, err := k.r.Sessions.Refresh(ctx, k.s)
	if err != nil {
		return true, err
	}
	k.s = s
	viewer.Replace(ctx, s)
	return true, nil
}

// eventRows is what a case event's message tells of the rows the policy
// reads: the event and its case, with the case's collaborators.
type eventRows struct{ m *events.Message }

func (l eventRows) event() access.Row {
	vis := "PUBLIC"
	if l.m.Internal {
		vis = "INTERNAL"
	}
	return access.Values{"id": l.m.CaseEventID, "case_id": l.m.CaseID, "customer_id": l.m.CustomerID, "visibility": vis}
}

func (l eventRows) Get(e access.Entity, id string) (access.Row, bool) {
	if e != access.Cases || id != l.m.CaseID {
		return nil, false
	}
	return access.Values{"id": l.m.CaseID, "customer_id": l.m.CustomerID, "created_at": l.m.CaseCreatedAt}, true
}

func (eventRows) Referencing(access.Entity, string, string) []access.Row { return nil }

func (l eventRows) Collaborates(caseID, contactID string) bool {
	return caseID == l.m.CaseID && slices.Contains(l.m.Collaborators, contactID)
}

func (eventRows) CasesOf(string) []access.Row { return nil }

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

func (r *Resolver) caseEvents(ctx context.Context, customerID, caseID *string) (<-chan *ent.CaseEvent, error) {
	if r.Broker == nil {
		return nil, apperr.Forbiddenf("this server does not stream events")
	}
	s := viewer.ForContext(ctx)
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
		if !f.stillSeen(s) {
			return nil, apperr.Forbiddenf("you have no access to this customer's cases")
		}
	}
	msgs, stop := r.Broker.Subscribe()
	out := make(chan *ent.CaseEvent)
	go r.followCases(ctx, &keeper{r: r, s: s}, f, msgs, stop, out)
	return out, nil
}

func (r *Resolver) followCases(ctx context.Context, k *keeper, f *following, msgs <-chan *events.Message, stop func(), out chan<- *ent.CaseEvent) {
	defer close(out)
	defer stop()
	tick := time.NewTicker(RecheckInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := k.tick(ctx); err != nil {
				end(ctx, out, err)
				return
			}
			if !f.stillSeen(k.s) {
				end(ctx, out, errAccessLost)
				return
			}
		case m, ok := <-msgs:
			if !ok {
				end(ctx, out, errLagging)
				return
			}
			if changed, err := k.message(ctx, m); err != nil {
				end(ctx, out, err)
				return
			} else if changed && !f.stillSeen(k.s) {
				end(ctx, out, errAccessLost)
				return
			}
			if m.CaseEventID == "" || (f.kase != nil && m.CaseID != f.kase.Value("id")) ||
				(f.customerID != "" && m.CustomerID != f.customerID) {
				continue
			}
			if f.kase != nil {
				f.collaborators = m.Collaborators
			}
			rows := eventRows{m}
			if !k.s.Allows(access.CaseEvents, rows.event(), rows) {
				if !f.stillSeen(k.s) {
					end(ctx, out, errAccessLost)
					return
				}
				continue
			}
			ev, err := r.sharedEvent(m)
			if err != nil {
				slog.ErrorContext(ctx, "loading a case event", "event", m.CaseEventID, "error", err)
				continue
			}
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}
}

var errLagging = &apperr.Error{Code: apperr.Internal, Reason: "LAGGING", Message: "the subscription fell too far behind and was closed; subscribe again"}

// sharedEvent loads an event once for all the subscribers it reaches; each
// has already decided, in memory, that it may see it.
func (r *Resolver) sharedEvent(m *events.Message) (*ent.CaseEvent, error) {
	return r.events.load(m.CaseEventID, func() (*ent.CaseEvent, error) {
		return events.CaseEvent(context.Background(), r.Client, m)
	})
}

func (r *Resolver) grantEvents(ctx context.Context) (<-chan *model.GrantEvent, error) {
	if r.Broker == nil {
		return nil, apperr.Forbiddenf("this server does not stream events")
	}
	k := &keeper{r: r, s: viewer.ForContext(ctx)}
	msgs, stop := r.Broker.Subscribe()
	out := make(chan *model.GrantEvent)
	go func() {
		defer close(out)
		defer stop()
		tick := time.NewTicker(RecheckInterval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if err := k.tick(ctx); err != nil {
					end(ctx, out, err)
					return
				}
			case m, ok := <-msgs:
				if !ok {
					end(ctx, out, errLagging)
					return
				}
				if _, err := k.message(ctx, m); err != nil {
					end(ctx, out, err)
					return
				}
				// Who may read the grant, vendor staff included, hears of it.
				if m.GrantID == "" || !k.s.Allows(access.Grants, access.Values{"partner_id": m.PartnerID, "customer_id": m.CustomerID}, nil) {
					continue
				}
				g, err := events.Grant(ctx, r.Client, m)
				if err != nil {
					slog.ErrorContext(ctx, "loading a grant", "grant", m.GrantID, "error", err)
					continue
				}
				ev := &model.GrantEvent{Kind: m.GrantKind, Grant: g, At: m.At}
				if days := m.DaysLeft; days > 0 {
					ev.DaysLeft = &days
				}
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

// eventCache shares the rows of recent events between subscribers. It keeps
// the last few hundred: an event is delivered within moments of its commit.
type eventCache struct {
	mu    sync.Mutex // guards order and rows
	order []string
	rows  map[string]*cachedEvent
}

type cachedEvent struct {
	once sync.Once
	ev   *ent.CaseEvent
	err  error
}

const eventCacheSize = 512

func (c *eventCache) load(id string, fetch func() (*ent.CaseEvent, error)) (*ent.CaseEvent, error) {
	c.mu.Lock()
	if c.rows == nil {
		c.rows = map[string]*cachedEvent{}
	}
	e, ok := c.rows[id]
	if !ok {
		e = &cachedEvent{}
		c.rows[id] = e
		c.order = append(c.order, id)
		if len(c.order) > eventCacheSize {
			delete(c.rows, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.mu.Unlock()
	e.once.Do(func() { e.ev, e.err = fetch() })
	return e.ev, e.err
}
