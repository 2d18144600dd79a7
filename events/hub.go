package events

import (
	"context"
	"sync"
)

// Broker carries messages from publishers to subscribers. The in-process
// Hub is the default; an implementation over PostgreSQL LISTEN/NOTIFY would
// publish with NOTIFY and feed each instance's local subscribers from
// LISTEN, so that several server instances share events: Message holds only
// identifiers, small enough for a NOTIFY payload.
type Broker interface {
	// Publish delivers m to every subscriber; it never blocks on a slow one.
	Publish(ctx context.Context, m Message) error
	// Subscribe returns a channel of every message published from now on,
	// and a function that ends the subscription and closes the channel.
	// Subscribers share each message and must not change it.
	Subscribe() (<-chan *Message, func())
}

// SubscriberBuffer is how many messages a subscriber may fall behind
// before it is cut off: a stuck client must not hold up publishers or
// grow without bound.
const SubscriberBuffer = 64

// Hub is the in-process Broker. The zero value is ready to use.
type Hub struct {
	mu   sync.RWMutex // guards subs
	subs map[chan *Message]struct{}
}

var _ Broker = (*Hub)(nil)

// Publish delivers m to every subscriber. A subscriber whose buffer is full
// is dropped (its channel closed), and its stream ends.
func (h *Hub) Publish(_ context.Context, m Message) error {
	shared := &m // one copy for every subscriber
	h.mu.RLock()
	var lagging []chan *Message
	for ch := range h.subs {
		select {
		case ch <- shared:
		default:
			lagging = append(lagging, ch)
		}
	}
	h.mu.RUnlock()
	for _, ch := range lagging {
		h.remove(ch)
	}
	return nil
}

// Subscribe implements Broker.
func (h *Hub) Subscribe() (<-chan *Message, func()) {
	ch := make(chan *Message, SubscriberBuffer)
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[chan *Message]struct{}{}
	}
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() { h.remove(ch) }
}

// Subscribers reports how many subscriptions are open.
func (h *Hub) Subscribers() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.subs)
}

func (h *Hub) remove(ch chan *Message) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[ch]; ok {
		delete(h.subs, ch)
		close(ch)
	}
}
