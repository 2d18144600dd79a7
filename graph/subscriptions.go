package graph

import (
	"context"
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

// RecheckInterval is how often an open subscription checks that its caller
// still has access, so that an expiry (which no event announces) ends the
// stream within a second. Revocations are noticed at once, by their event.
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

// Operations is a gqlgen operation middleware. It gives each operation a
// viewer deciding as of the operation's start (a websocket lives far longer
// than one operation), and each subscription its stream state.
func (r *Resolver) Operations(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if v := viewer.ForContext(ctx); v != nil {
		ctx = viewer.NewContext(ctx, v.Reloaded(r.Clock.Now()))
	}
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
// response, in place of a placeholder event.
func end[T any](ctx context.Context, out chan<- *T, err error) {
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

// following is what a caseEvents subscription follows.
type following struct {
	customerID, caseID string
	caseCreatedAt      time.Time
	collaborator       bool
}

func (r *Resolver) caseEvents(ctx context.Context, customerID, caseID *string) (<-chan *ent.CaseEvent, error) {
	if r.Broker == nil {
		return nil, apperr.Forbiddenf("this server does not stream events")
	}
	v := viewer.ForContext(ctx)
	var f following
	switch {
	case caseID != nil:
		kase, err := r.Client.SupportCase.Query().
			Where(supportcase.ID(*caseID)).
			WithCollaborators(func(q *ent.ContactQuery) { q.Where(contact.ID(v.ContactID)) }).
			Only(ctx)
		if err != nil {
			return nil, err
		}
		if customerID != nil && *customerID != kase.CustomerID {
			return nil, apperr.ErrNotFound
		}
		f = following{customerID: kase.CustomerID, caseID: kase.ID, caseCreatedAt: kase.CreatedAt, collaborator: len(kase.Edges.Collaborators) > 0}
	case customerID != nil:
		org, err := r.Client.Organization.Get(ctx, *customerID)
		if err != nil {
			return nil, err
		}
		f = following{customerID: org.ID}
		if !f.stillSeen(rulesAt(ctx, v)) {
			return nil, apperr.Forbiddenf("you have no access to this customer's cases")
		}
	}
	msgs, stop := r.Broker.Subscribe()
	out := make(chan *ent.CaseEvent)
	go r.followCases(ctx, v, f, msgs, stop, out)
	return out, nil
}

func (r *Resolver) followCases(ctx context.Context, base *viewer.Viewer, f following, msgs <-chan *events.Message, stop func(), out chan<- *ent.CaseEvent) {
	defer close(out)
	defer stop()
	tick := time.NewTicker(RecheckInterval)
	defer tick.Stop()
	// The caller's access as of the last recheck: renewed every
	// RecheckInterval and at once when its grants change, so that events in
	// between are decided without rebuilding it.
	var now access.Rules
	refresh := func() bool {
		cur := base.At(r.Clock.Now())
		now = rulesAt(ctx, cur)
		viewer.Replace(ctx, cur)
		return f.stillSeen(now)
	}
	refresh()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if !refresh() {
				end(ctx, out, errAccessLost)
				return
			}
		case m, ok := <-msgs:
			if !ok {
				end(ctx, out, errLagging)
				return
			}
			if m.GrantID != "" {
				if m.PartnerID == base.OrgID || m.CustomerID == base.OrgID {
					base = base.Reloaded(r.Clock.Now())
				}
				if !refresh() {
					end(ctx, out, errAccessLost)
					return
				}
				continue
			}
			if (f.caseID != "" && m.CaseID != f.caseID) || (f.customerID != "" && m.CustomerID != f.customerID) {
				continue
			}
			if f.caseID != "" {
				f.collaborator = slices.Contains(m.Collaborators, base.ContactID)
			}
			if !seesEvent(now, base.Caller, m) {
				if !f.stillSeen(now) {
					end(ctx, out, errAccessLost)
					return
				}
				continue
			}
			ev, err := r.sharedEvent(m.CaseEventID)
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

// rulesAt returns how the viewer sees cases at its instant; none when its
// grants cannot be read (the subscription then ends rather than leak).
func rulesAt(ctx context.Context, v *viewer.Viewer) access.Rules {
	reach, err := v.Reach(ctx)
	if err != nil {
		return access.Rules{}
	}
	p, err := v.Partnership(ctx)
	if err != nil {
		return access.Rules{}
	}
	return access.CaseRulesOf(v.Caller, reach, p)
}

// seesEvent applies the row filters' rules to an event in memory: the
// message carries what they need.
func seesEvent(rules access.Rules, c access.Caller, m *events.Message) bool {
	if m.Internal && !c.IsVendorStaff() {
		return false
	}
	rule, ok := rules.ByCustomer[m.CustomerID]
	return rules.All || ok && rule.Sees(m.CaseCreatedAt, slices.Contains(m.Collaborators, c.ContactID))
}

// stillSeen reports whether the caller still has access to what it follows.
func (f following) stillSeen(rules access.Rules) bool {
	if f.customerID == "" {
		return true // following every visible case: there is nothing to lose
	}
	rule, ok := rules.ByCustomer[f.customerID]
	switch {
	case rules.All:
		return true
	case !ok:
		return false
	case f.caseID != "":
		return rule.Sees(f.caseCreatedAt, f.collaborator)
	}
	return true
}

// sharedEvent loads an event once for all the subscribers it reaches; each
// has already decided, in memory, that it may see it.
func (r *Resolver) sharedEvent(id string) (*ent.CaseEvent, error) {
	return r.events.load(id, func() (*ent.CaseEvent, error) {
		return r.Client.CaseEvent.Get(viewer.SystemContext(context.Background()), id)
	})
}

func (r *Resolver) grantEvents(ctx context.Context) (<-chan *model.GrantEvent, error) {
	if r.Broker == nil {
		return nil, apperr.Forbiddenf("this server does not stream events")
	}
	base := viewer.ForContext(ctx)
	msgs, stop := r.Broker.Subscribe()
	out := make(chan *model.GrantEvent)
	go func() {
		defer close(out)
		defer stop()
		for {
			select {
			case <-ctx.Done():
				return
			case m, ok := <-msgs:
				if !ok {
					end(ctx, out, errLagging)
					return
				}
				if m.GrantID == "" || !concerns(base, m) {
					continue
				}
				g, err := r.Client.Grant.Get(viewer.SystemContext(ctx), m.GrantID)
				if err != nil {
					slog.ErrorContext(ctx, "loading a grant", "grant", m.GrantID, "error", err)
					continue
				}
				viewer.Replace(ctx, base.Reloaded(r.Clock.Now()))
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

// concerns reports whether a grant message is about the caller's
// organisation, as the grant row filter would let it see the grant.
func concerns(v *viewer.Viewer, m *events.Message) bool {
	switch v.OrgKind {
	case access.Partner:
		return m.PartnerID == v.OrgID
	case access.Customer:
		return m.CustomerID == v.OrgID && (v.Has(access.RoleContactManager) || v.Has(access.RoleAdmin))
	}
	return false
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
