// Package streams serves subscriptions: the websocket subprotocols
// (graphql-transport-ws and the legacy graphql-ws) and server-sent events,
// and the fan-out that delivers each event to every subscriber.
//
// A subscription resolver does not return a channel it feeds from a
// goroutine of its own: it calls Follow, which makes the subscription a
// follower of one of the broker's streams. The stream's one dispatcher
// then asks each subscriber, in turn, what it may see of a message (its
// decide function, in memory, with its session of the moment). gqlgen
// renders the event once per (operation, variables, access class) through
// the operation's one renderer, seeing with the session of a subscriber
// of that class, and the bytes, framed once per protocol and subscription
// ID, are queued on every member's connection. A subscriber therefore
// costs its connection's reader and writer, and neither a goroutine nor
// an executor of its own.
package streams

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/events"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// Fan is the fan-out of one server's subscriptions: the broker they
// follow, and the renderer of each operation they run.
type Fan struct {
	// Broker carries committed changes; nil turns subscriptions off.
	Broker events.Broker

	mu        sync.Mutex // guards renderers and open
	renderers map[string]*renderer
	// open counts the subscriptions following a stream, by transport.
	open map[string]int
}

// Open returns how many subscriptions follow a stream, by transport
// ("graphql-transport-ws", "graphql-ws" or "sse"), for metrics.
func (f *Fan) Open() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.open))
	for t, n := range f.open {
		out[t] = n
	}
	return out
}

// renderer renders an operation's events for all its subscriptions: the
// executor state of the first of them, kept while any remains.
type renderer struct {
	ctx    context.Context // not cancelled when that first one leaves
	render graphql.ResponseHandler
	push   func(any)
	refs   int
}

// Seen is what a subscriber may see of a message: the value to render,
// and the session it sees it with (nil: it sees nothing of it) and that
// session's access class (access.Session.Class), by which subscribers of
// one operation share renders.
type Seen[T any] struct {
	Value   T
	Session *access.Session
	Class   access.Class
	// Last ends the subscription, without an error, once Value is sent:
	// what it follows is over.
	Last bool
}

// Decide is a subscription's judgement of each message; an error ends the
// subscription with it.
type Decide[T any] func(m *events.Message) (Seen[T], error)

// ErrNoStream refuses a subscription that reached a resolver without a
// stream to carry it (only this package's transports bring one).
var ErrNoStream = &apperr.Error{Code: apperr.BadUserInput, Reason: "SUBSCRIPTION_NEEDS_A_STREAM",
	Message: "a subscription needs a websocket, or server-sent events (Accept: text/event-stream)"}

// errNoBroker refuses every subscription of a server that streams nothing.
var errNoBroker = apperr.Forbiddenf("this server does not stream events")

// errLagging ends a subscription whose stream fell so far behind that
// events were dropped: going on would hide the gap.
var errLagging = &apperr.Error{Code: apperr.Internal, Reason: "LAGGING",
	Message: "the subscription fell too far behind and was closed; subscribe again, with after set to the cursor of the last event received, to resume"}

// Follow makes the subscription being resolved in ctx a follower of the
// broker's stream key, deciding each message with decide. It returns the
// channel gqlgen renders from; only this package writes to it.
func Follow[T any](ctx context.Context, key string, decide Decide[T]) (<-chan T, error) {
	s, ok := ctx.Value(subscriptionKey{}).(*subscription)
	switch {
	case !ok:
		return nil, ErrNoStream
	case s.fan.Broker == nil:
		return nil, errNoBroker
	}
	ch := make(chan T, 1)
	s.key = key
	s.push = func(v any) { ch <- v.(T) }
	s.decide = func(m *events.Message) (any, *access.Session, access.Class, bool, error) {
		seen, err := decide(m)
		return seen.Value, seen.Session, seen.Class, seen.Last, err
	}
	return ch, nil
}

// Replay sends, with emit and in order, the stored events a resuming
// subscriber missed, and returns the seq of the last it read; emit
// reports false when the subscription has ended.
type Replay[T any] func(emit func(Seen[T]) bool) (last int64, err error)

// private numbers the operations of resuming subscriptions: each renders
// with a renderer of its own, which its replay uses apart from the
// stream's dispatcher.
var private atomic.Int64

// FollowAfter is Follow for a subscriber that resumes: it follows the
// broker's stream first, holding back what the broker delivers, then
// sends what replay reads, then what was held back and what comes next,
// less what the replay sent already: no event is missed or sent twice.
func FollowAfter[T any](ctx context.Context, key string, decide Decide[T], replay Replay[T]) (<-chan T, error) {
	ch, err := Follow(ctx, key, decide)
	if err != nil {
		return nil, err
	}
	s := ctx.Value(subscriptionKey{}).(*subscription)
	s.op += fmt.Sprintf("\x00replay %d", private.Add(1))
	s.replaying = true
	s.replay = func(emit func(any, *access.Session, access.Class) bool) (int64, error) {
		return replay(func(seen Seen[T]) bool { return emit(seen.Value, seen.Session, seen.Class) })
	}
	return ch, nil
}

// sink is where a subscription's messages go: one ID on a websocket, or
// one server-sent events response.
type sink interface {
	// next queues a rendered result, framed once for every subscription
	// of the group through m's memo; false when the client is too far
	// behind to take it.
	next(m *events.Message, group any, payload []byte) bool
	// wait queues a rendered result of a replay, waiting for the client
	// to make room; false when the client is gone or stopped is closed.
	wait(payload []byte, stopped <-chan struct{}) bool
	// end sends err as the subscription's last message, or, with no err,
	// completes it. signedOut says the caller's sign-in ended: a
	// websocket then closes with 4401.
	end(err *gqlerror.Error, signedOut bool)
}

// subscription is one subscribe operation, from its transport's point of
// view and its resolver's.
type subscription struct {
	fan     *Fan
	sink    sink
	present func(error) *gqlerror.Error
	// op identifies the operation with its variables: subscriptions of one
	// op and one class render alike.
	op string
	// transport names what carries it, for Fan.Open.
	transport string

	// Set by Follow, as the resolver runs.
	key    string
	decide func(*events.Message) (any, *access.Session, access.Class, bool, error)
	push   func(any)
	// replay, set by FollowAfter, sends the stored events the client
	// missed, and returns the seq of the last it read.
	replay func(emit func(v any, s *access.Session, c access.Class) bool) (int64, error)

	// While replaying, the broker's messages wait in held (hmu guards
	// both), to be delivered after the replay, by its goroutine.
	hmu       sync.Mutex
	replaying bool
	held      []*events.Message
	// replayed is the seq of the last event the replay read: an event the
	// broker delivers late (published after its commit, which the replay
	// saw) is not sent again.
	replayed int64

	// Set by start.
	renderer *renderer
	// group is the groupKey of the last class seen, boxed once, so that
	// finding the group's render allocates nothing.
	class access.Class
	group any

	mu    sync.Mutex // guards ended and unfollow, and orders next before end
	ended bool
	// stopped is closed when the subscription ends: a replay waiting for
	// its client gives up.
	stopped chan struct{}
	// unfollow stops the following; nil before start.
	unfollow func()
}

type subscriptionKey struct{}

// newSubscription prepares rc's subscription, to go to sink.
func (f *Fan) newSubscription(rc *graphql.OperationContext, s sink, transport string, present graphql.ErrorPresenterFunc) *subscription {
	vars, _ := json.Marshal(rc.Variables) // what gqlgen decoded from JSON encodes again
	sum := sha256.Sum256([]byte(rc.RawQuery + "\x00" + rc.OperationName + "\x00" + string(vars)))
	// Errors are presented without the operation's context, which a
	// subscription does not keep.
	p := func(err error) *gqlerror.Error { return present(context.Background(), err) }
	return &subscription{fan: f, sink: s, present: p, op: string(sum[:]), transport: transport, stopped: make(chan struct{})}
}

// Following reports whether the subscription dispatched in ctx follows a
// stream: it was not refused.
func Following(ctx context.Context) bool {
	s, ok := ctx.Value(subscriptionKey{}).(*subscription)
	return ok && s.decide != nil
}

// dispatch runs the operation in ctx. It reports false when the resolver
// did not follow a stream (it refused): responses then holds that one
// answer.
func (s *subscription) dispatch(ctx context.Context, exec graphql.GraphExecutor, rc *graphql.OperationContext) (responses graphql.ResponseHandler, opCtx context.Context, following bool) {
	responses, opCtx = exec.DispatchOperation(context.WithValue(ctx, subscriptionKey{}, s), rc)
	return responses, opCtx, s.decide != nil
}

// start begins the following once the operation is dispatched: from now
// on the stream's dispatcher may render through it. The first
// subscription of an operation lends it its executor state; the others
// drop theirs.
func (s *subscription) start(opCtx context.Context, responses graphql.ResponseHandler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	s.renderer = s.fan.attach(s.op, s.transport, func() *renderer {
		return &renderer{ctx: context.WithoutCancel(opCtx), render: responses, push: s.push}
	})
	s.push = nil
	s.unfollow = s.fan.Broker.Follow(s.key, s.deliver)
	if s.replay != nil {
		go s.runReplay()
	}
}

func (f *Fan) attach(op, transport string, first func() *renderer) *renderer {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.open == nil {
		f.open = map[string]int{}
	}
	f.open[transport]++
	r := f.renderers[op]
	if r == nil {
		if f.renderers == nil {
			f.renderers = map[string]*renderer{}
		}
		r = first()
		f.renderers[op] = r
	}
	r.refs++
	return r
}

func (f *Fan) detach(op, transport string, r *renderer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.open[transport]--
	if r.refs--; r.refs == 0 && f.renderers[op] == r {
		delete(f.renderers, op)
	}
}

// groupKey names the subscriptions that render an event alike: those of
// one operation (its renderer) and one class.
type groupKey struct {
	op    *renderer
	class access.Class
}

type rendered struct {
	payload []byte
	err     error
}

// deliver is the subscription's part of the stream's dispatch of m.
func (s *subscription) deliver(m *events.Message) {
	s.hmu.Lock()
	if s.replaying {
		s.held = append(s.held, m)
		lagging := len(s.held) > events.Backlog
		s.hmu.Unlock()
		if lagging {
			s.fail(errLagging)
		}
		return
	}
	s.hmu.Unlock()
	s.deliverNow(m)
}

func (s *subscription) deliverNow(m *events.Message) {
	if m.Lost {
		s.fail(errLagging)
		return
	}
	if m.Seq != 0 && m.Seq <= s.replayed {
		return
	}
	v, session, class, last, err := s.decide(m)
	if err != nil {
		s.fail(err)
		return
	}
	if session != nil {
		s.send(m, v, session, class, false, last)
	}
}

// send renders v for the subscription and queues it: at once, or, for a
// replay (wait), once the client has room; a last result then completes
// the subscription. It reports whether the subscription goes on.
func (s *subscription) send(m *events.Message, v any, session *access.Session, class access.Class, wait, last bool) bool {
	if s.group == nil || class != s.class {
		s.class, s.group = class, groupKey{s.renderer, class}
	}
	r := m.Memo(s.group, func() any { return s.renderer.once(session, v) }).(rendered)
	if r.err != nil {
		slog.Error("rendering an event", "error", r.err)
		return true
	}
	if wait {
		// Not under s.mu, which ending the subscription takes.
		return s.sink.wait(r.payload, s.stopped)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.ended:
		return false
	case !s.sink.next(m, s.group, r.payload):
		s.failLocked(errLagging)
		return false
	case last:
		s.stop()
		s.sink.end(nil, false)
		return false
	}
	return true
}

// runReplay sends what the client missed, then what the broker delivered
// meanwhile, and hands the delivery back to the stream's dispatcher; what
// the replay read (a seq at most its last) is never sent again.
func (s *subscription) runReplay() {
	last, err := s.replay(func(v any, session *access.Session, class access.Class) bool {
		return s.send(&events.Message{}, v, session, class, true, false)
	})
	if err != nil {
		s.fail(err)
		return
	}
	s.replayed = last
	for {
		s.hmu.Lock()
		held := s.held
		s.held = nil
		if len(held) == 0 {
			s.replaying = false
			s.hmu.Unlock()
			return
		}
		s.hmu.Unlock()
		for _, m := range held {
			s.deliverNow(m)
		}
	}
}

// once renders v as the operation's response, seeing with session. Only
// the dispatcher of the operation's stream calls it, so renders never
// overlap.
func (r *renderer) once(session *access.Session, v any) rendered {
	viewer.Replace(r.ctx, session)
	r.push(v)
	res := r.render(r.ctx)
	if res == nil {
		return rendered{err: errors.New("the operation rendered nothing")}
	}
	b, err := json.Marshal(res)
	return rendered{payload: b, err: err}
}

// fail ends the subscription with err, or the whole connection when err
// says the caller's sign-in ended.
func (s *subscription) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLocked(err)
}

func (s *subscription) failLocked(err error) {
	if s.ended {
		return
	}
	s.stop()
	s.sink.end(s.present(err), errors.Is(err, apperr.ErrUnauthenticated))
}

// close ends the subscription quietly: its client stopped it, or left.
func (s *subscription) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stop()
}

// stop ends the following; s.mu is held.
func (s *subscription) stop() {
	if s.ended {
		return
	}
	s.ended = true
	close(s.stopped)
	if s.unfollow != nil {
		s.unfollow()
		s.fan.detach(s.op, s.transport, s.renderer)
	}
}
