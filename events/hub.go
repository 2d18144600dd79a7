package events

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Broker carries messages from publishers to followers. The Hub is the one
// implementation: in process alone, or relayed through PostgreSQL
// LISTEN/NOTIFY (postgres.go) so that several server instances share
// events; Message holds only identifiers, small enough for a NOTIFY
// payload.
type Broker interface {
	// Publish hands m over for delivery and returns at once: a writer's
	// commit does the same work whatever the number of followers.
	Publish(ctx context.Context, m Message) error
	// Follow calls deliver with every message published from now on that
	// belongs to the stream key names (see Message.Keys), every message
	// that concerns all streams, and a tick every second. One goroutine
	// per key delivers, in order, to each of the key's followers in turn:
	// deliver must not block, and its followers share each message (its
	// Memo included) and must not change it. stop ends the following; it
	// may be called from deliver.
	Follow(key string, deliver func(*Message)) (stop func())
}

// The stream keys a follower may follow.
const (
	// AllCases carries every case event.
	AllCases = "cases"
	// Sessions carries only what concerns every stream: grant changes,
	// sign-outs and ticks.
	Sessions = "sessions"
)

// CaseKey names the stream of one case's events.
func CaseKey(id string) string { return "case:" + id }

// CustomerKey names the stream of the events on one customer's cases.
func CustomerKey(id string) string { return "customer:" + id }

// BulkJobKey names the stream of one bulk job's progress.
func BulkJobKey(id string) string { return "bulk:" + id }

// Keys lists the streams m belongs to; nil for a message every stream
// receives. A grant change or a sign-out may change the access of any
// follower, whatever it follows, so it goes everywhere.
func (m *Message) Keys() []string {
	if m.BulkJobID != "" {
		return []string{BulkJobKey(m.BulkJobID)}
	}
	if m.CaseEventID == "" {
		return nil
	}
	return []string{CaseKey(m.CaseID), CustomerKey(m.CustomerID), AllCases}
}

// Backlog is how many messages a stream may fall behind before its
// followers are told they lost some (Message.Lost) instead: a stream that
// cannot keep up must neither hold up writers nor grow without bound.
const Backlog = 4096

// Hub is the in-process Broker. The zero value is ready to use. Its
// goroutines run only while something follows: one that routes what is
// published, and one per followed key.
type Hub struct {
	// Tick is how often every follower receives a tick; a second when zero.
	Tick time.Duration

	mu        sync.Mutex // guards everything below, and every stream
	inbox     []*Message
	wake      chan struct{} // wakes the router
	streams   map[string]*stream
	followers int
	routing   bool
	// relay, when set, carries what is published to the hubs of every
	// instance, this one's included, which receive it with receive.
	relay func(context.Context, Message) error

	published, delivered, dropped atomic.Uint64
}

// Stats counts what a hub has carried since it was made.
type Stats struct {
	// Published counts the messages handed to Publish.
	Published uint64
	// Delivered counts the messages handed to a follower, ticks aside:
	// one message delivered to three followers counts three.
	Delivered uint64
	// Dropped counts the messages a stream discarded because it fell
	// Backlog behind; its followers were told (Message.Lost).
	Dropped uint64
}

// Stats reports the hub's counts, for metrics.
func (h *Hub) Stats() Stats {
	return Stats{Published: h.published.Load(), Delivered: h.delivered.Load(), Dropped: h.dropped.Load()}
}

var _ Broker = (*Hub)(nil)

// stream is one followed key: its followers and what waits for them.
type stream struct {
	followers map[*follower]struct{}
	list      []*follower // a snapshot of followers; nil when stale
	queue     []*Message
	wake      chan struct{}
}

type follower struct {
	deliver func(*Message)
	stopped atomic.Bool
}

// Publish implements Broker.
func (h *Hub) Publish(ctx context.Context, m Message) error {
	h.published.Add(1)
	h.mu.Lock()
	relay := h.relay
	h.mu.Unlock()
	if relay != nil {
		return relay(ctx, m)
	}
	h.receive(m)
	return nil
}

// receive hands m to this hub's followers.
func (h *Hub) receive(m Message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.followers == 0 {
		return // no one to tell
	}
	m.memo = &memo{}
	h.inbox = append(h.inbox, &m)
	signal(h.wake)
}

// Follow implements Broker.
func (h *Hub) Follow(key string, deliver func(*Message)) (stop func()) {
	f := &follower{deliver: deliver}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.streams == nil {
		h.streams = map[string]*stream{}
		h.wake = make(chan struct{}, 1)
	}
	s := h.streams[key]
	if s == nil {
		s = &stream{followers: map[*follower]struct{}{}, wake: make(chan struct{}, 1)}
		h.streams[key] = s
		go h.dispatch(key, s)
	}
	s.followers[f] = struct{}{}
	s.list = nil
	h.followers++
	if !h.routing {
		h.routing = true
		go h.route()
	}
	var once sync.Once
	return func() { once.Do(func() { h.unfollow(key, s, f) }) }
}

func (h *Hub) unfollow(key string, s *stream, f *follower) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f.stopped.Store(true)
	delete(s.followers, f)
	s.list = nil
	h.followers--
	if len(s.followers) == 0 {
		delete(h.streams, key)
		signal(s.wake) // its dispatcher sees it is gone, and returns
	}
	signal(h.wake)
}

// Followers reports how many followers the hub has.
func (h *Hub) Followers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.followers
}

// route hands each published message, and each tick, to the streams it
// belongs to, until no one follows.
func (h *Hub) route() {
	every := h.Tick
	if every == 0 {
		every = time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		var ticked *Message
		select {
		case <-h.wake:
		case t := <-tick.C:
			ticked = &Message{Tick: true, At: t, memo: &memo{}}
		}
		h.mu.Lock()
		if h.followers == 0 {
			h.routing = false
			h.inbox = nil
			h.mu.Unlock()
			return
		}
		in := h.inbox
		h.inbox = nil
		if ticked != nil {
			in = append(in, ticked)
		}
		for _, m := range in {
			if keys := m.Keys(); keys != nil {
				for _, k := range keys {
					if s := h.streams[k]; s != nil {
						h.dropped.Add(s.push(m))
					}
				}
				continue
			}
			for _, s := range h.streams {
				h.dropped.Add(s.push(m))
			}
		}
		h.mu.Unlock()
	}
}

// push queues m for the stream's followers, and returns how many messages
// it dropped to do so; Hub.mu is held.
func (s *stream) push(m *Message) (dropped uint64) {
	switch {
	case len(s.queue) >= Backlog:
		dropped = uint64(len(s.queue)) + 1
		s.queue = append(s.queue[:0], &Message{Lost: true, At: m.At, memo: &memo{}})
	case len(s.queue) == 0 || !s.queue[0].Lost:
		s.queue = append(s.queue, m)
	default:
		dropped = 1 // its followers already know they lost some
	}
	signal(s.wake)
	return dropped
}

// dispatch delivers the stream's messages to its followers, one message to
// all of them before the next, until it has none.
func (h *Hub) dispatch(key string, s *stream) {
	for range s.wake {
		h.mu.Lock()
		if h.streams[key] != s {
			h.mu.Unlock()
			return
		}
		queue := s.queue
		s.queue = nil
		if s.list == nil {
			s.list = make([]*follower, 0, len(s.followers))
			for f := range s.followers {
				s.list = append(s.list, f)
			}
		}
		list := s.list
		h.mu.Unlock()
		for _, m := range queue {
			for _, f := range list {
				if !f.stopped.Load() {
					f.deliver(m)
					if !m.Tick {
						h.delivered.Add(1)
					}
				}
			}
		}
	}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// memo holds what followers derived from one message.
type memo struct {
	mu      sync.Mutex // guards entries
	entries map[any]*memoEntry
}

type memoEntry struct {
	mu   sync.Mutex // held while the first caller computes
	done atomic.Bool
	v    any
}

// Memo returns what compute derives from m, computing it once for all of
// m's followers: an event is loaded, decided and rendered once per
// distinct need, however many follow it. key must be comparable, and
// should be of a type of the caller's own. Every follower looks up every
// message, so a lookup that finds its value allocates nothing: keep keys
// that are not of a zero-size type already boxed.
func (m *Message) Memo(key any, compute func() any) any {
	if m.memo == nil { // a message that no hub carried
		return compute()
	}
	m.memo.mu.Lock()
	e := m.memo.entries[key]
	if e == nil {
		if m.memo.entries == nil {
			m.memo.entries = map[any]*memoEntry{}
		}
		e = &memoEntry{}
		e.mu.Lock()
		m.memo.entries[key] = e
		m.memo.mu.Unlock()
		defer e.mu.Unlock()
		e.v = compute()
		e.done.Store(true)
		return e.v
	}
	m.memo.mu.Unlock()
	if !e.done.Load() {
		e.mu.Lock() // wait for the first caller
		defer e.mu.Unlock()
	}
	return e.v
}
