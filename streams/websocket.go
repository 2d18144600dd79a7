package streams

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/gorilla/websocket"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/events"
)

// Websocket is the gqlgen transport of GraphQL over websockets.
type Websocket struct {
	Fan *Fan
	// Init signs a connection in with its connection_init payload; the
	// context it returns is that of every operation on the connection.
	Init func(ctx context.Context, payload transport.InitPayload) (context.Context, error)
	// InitTimeout is how long a client may take to send connection_init.
	InitTimeout time.Duration
	// KeepAlive is how often the server pings; a client that answers
	// nothing for two of them is gone.
	KeepAlive time.Duration
	// ReadLimit bounds one message from the client.
	ReadLimit int64
	// Present renders errors as the executor does.
	Present graphql.ErrorPresenterFunc
	// Closing ends when the server shuts down: every websocket then
	// closes with 1001 (going away). Nil never ends.
	Closing context.Context
}

var _ graphql.Transport = Websocket{}

// Supports implements graphql.Transport.
func (Websocket) Supports(r *http.Request) bool { return websocket.IsWebSocketUpgrade(r) }

// A connection's writer borrows a buffer only while it writes.
var writeBuffers sync.Pool

// outbox is how many messages a connection may fall behind before it is
// closed: a client that does not read must not hold up the stream, or
// grow without bound.
const outbox = 64

// writeWait bounds one write to a client.
const writeWait = 10 * time.Second

// Do implements graphql.Transport. It upgrades the connection and
// returns: the connection's own reader and writer serve it from then on,
// and the request, its handler's stack and its buffers are let go.
func (t Websocket) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	up := websocket.Upgrader{
		Subprotocols: []string{transportWS.name, legacyWS.name},
		// Websockets authenticate through connection_init or a header,
		// never cookies, so a foreign page cannot ride a user's session:
		// any origin may connect.
		CheckOrigin: func(*http.Request) bool { return true },
		// Clients send little; a connection borrows a buffer to write.
		ReadBufferSize:  1 << 10,
		WriteBufferPool: &writeBuffers,
	}
	if t.InitTimeout == 0 {
		t.InitTimeout = 10 * time.Second
	}
	if t.KeepAlive == 0 {
		t.KeepAlive = 15 * time.Second
	}
	if t.ReadLimit == 0 {
		t.ReadLimit = 64 << 10
	}
	conn, err := up.Upgrade(hijacker(w), r, nil)
	if err != nil {
		return // the upgrader answered
	}
	proto := protocols[conn.Subprotocol()]
	c := &wsConn{t: t, conn: conn, proto: proto, ctx: context.WithoutCancel(r.Context()),
		op:  operation{fan: t.Fan, exec: exec, present: t.Present, transport: proto.name},
		out: make(chan *websocket.PreparedMessage, outbox), gone: make(chan struct{}), ops: map[string]*wsOp{}}
	go c.write()
	go c.serve()
}

// serve reads the connection until it ends: the client leaves or breaks
// the protocol, or the server shuts down.
func (c *wsConn) serve() {
	defer c.end()
	if c.t.Closing != nil {
		defer context.AfterFunc(c.t.Closing, c.goAway)()
	}
	c.read()
}

// goAway closes the connection as the server shuts down, with 1001 (going
// away), which graphql-ws clients answer by connecting again, to another
// instance. A legacy client is told first, per subscription, that the
// server is restarting: it would take a bare close as the end of them.
func (c *wsConn) goAway() {
	if !c.proto.resubscribes {
		c.mu.Lock()
		ctx, subs := c.ctx, map[string]*wsOp{}
		for id, o := range c.ops {
			if o.sub != nil {
				subs[id] = o
			}
		}
		c.mu.Unlock()
		errs, _ := json.Marshal(gqlerror.List{c.t.Present(ctx, apperr.ErrServerRestarting)})
		for id, o := range subs {
			if c.forget(id, o) {
				o.sub.close()
				c.send(encode(c.proto.err, id, errs))
			}
		}
	}
	c.closeWith(websocket.CloseGoingAway, "Server shutting down")
}

// hijacker finds, under the wrappers of middleware, the response writer
// that can hand the connection over.
func hijacker(w http.ResponseWriter) http.ResponseWriter {
	for {
		if _, ok := w.(http.Hijacker); ok {
			return w
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return w
		}
		w = u.Unwrap()
	}
}

// wsConn is one websocket: one goroutine reads, another writes.
type wsConn struct {
	t     Websocket
	conn  *websocket.Conn
	proto *protocol
	op    operation
	// ctx is the request's (its values, not its end) until
	// connection_init, then the signed-in one.
	ctx context.Context

	// out holds what the writer is to send; a nil asks it to send
	// closing and end.
	out       chan *websocket.PreparedMessage
	gone      chan struct{} // closed when the reader has stopped
	closeOnce sync.Once
	closing   []byte

	mu    sync.Mutex // guards ops and acked
	ops   map[string]*wsOp
	acked bool
}

// wsOp is one running operation, by the ID its client gave it.
type wsOp struct {
	cancel context.CancelFunc
	sub    *subscription // nil for a query or mutation
}

func (c *wsConn) read() {
	c.conn.SetReadLimit(c.t.ReadLimit)
	c.conn.SetReadDeadline(time.Now().Add(c.t.InitTimeout))
	alive := func() { c.conn.SetReadDeadline(time.Now().Add(2 * c.t.KeepAlive)) }
	c.conn.SetPongHandler(func(string) error {
		if c.signedIn() {
			alive()
		}
		return nil
	})
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			var timeout net.Error
			if errors.As(err, &timeout) && timeout.Timeout() && !c.signedIn() {
				c.closeWith(closeInitTimeout, "Connection initialisation timeout")
			}
			return
		}
		var m message
		if json.Unmarshal(data, &m) != nil || m.Type == "" {
			c.closeWith(closeBadMessage, "Invalid message")
			return
		}
		if !c.handle(m) {
			return
		}
		if c.signedIn() {
			alive()
		}
	}
}

// handle acts on one message from the client; false ends the connection.
func (c *wsConn) handle(m message) bool {
	p := c.proto
	switch m.Type {
	case p.init:
		if c.signedIn() {
			c.closeWith(closeTooManyInits, "Too many initialisation requests")
			return false
		}
		return c.signIn(m.Payload)
	case p.subscribe:
		if !c.signedIn() {
			c.closeWith(closeUnauthorized, "Unauthorized")
			return false
		}
		return c.subscribe(m.ID, m.Payload)
	case p.stop:
		c.stop(m.ID)
	case p.ping:
		c.send(encode(p.pong, "", m.Payload))
	case p.pong:
	case p.terminate:
		c.closeWith(websocket.CloseNormalClosure, "Terminated")
		return false
	default:
		c.closeWith(closeBadMessage, "Invalid message")
		return false
	}
	return true
}

func (c *wsConn) signedIn() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.acked
}

func (c *wsConn) signIn(raw json.RawMessage) bool {
	var payload transport.InitPayload
	if len(raw) > 0 && string(raw) != "null" && json.Unmarshal(raw, &payload) != nil {
		c.closeWith(closeBadMessage, "Invalid message")
		return false
	}
	ctx, err := c.t.Init(c.ctx, payload)
	if err != nil {
		code, reason := closeUnauthorized, "Unauthorized"
		if _, ok := apperr.As(err); !ok {
			slog.ErrorContext(c.ctx, "signing a websocket in", "error", err)
			code, reason = websocket.CloseInternalServerErr, "Internal error"
		}
		if p := c.proto.connectionError; p != "" {
			e, _ := json.Marshal(c.t.Present(c.ctx, err))
			c.send(encode(p, "", e))
		}
		c.closeWith(code, reason)
		return false
	}
	c.mu.Lock()
	c.ctx, c.acked = ctx, true
	c.mu.Unlock()
	c.send(encode(c.proto.ack, "", nil))
	if ka := c.proto.keepAlive; ka != "" {
		c.send(encode(ka, "", nil))
	}
	return true
}

// subscribe starts an operation on its own goroutine, which a
// subscription's leaves once it follows its stream.
func (c *wsConn) subscribe(id string, payload json.RawMessage) bool {
	c.mu.Lock()
	_, taken := c.ops[id]
	if id == "" || taken {
		c.mu.Unlock()
		if id == "" {
			c.closeWith(closeBadMessage, "Invalid message")
		} else {
			c.closeWith(closeDuplicateID, "Subscriber for "+id+" already exists")
		}
		return false
	}
	ctx, cancel := context.WithCancel(c.ctx)
	o := &wsOp{cancel: cancel}
	c.ops[id] = o
	c.mu.Unlock()
	go func() {
		out := c.op.start(ctx, payload, &wsSink{c: c, id: id})
		if out.sub == nil {
			if c.forget(id, o) {
				c.answer(id, out)
			}
			return
		}
		c.mu.Lock()
		if c.ops[id] == o {
			o.sub = out.sub
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		out.sub.close() // stopped, or ended, while it started
	}()
	return true
}

// answer sends a one-shot outcome, and completes the operation.
func (c *wsConn) answer(id string, out outcome) {
	if out.refused {
		errs, _ := json.Marshal(out.answer.Errors)
		c.send(encode(c.proto.err, id, errs))
		return
	}
	if out.answer != nil {
		b, _ := json.Marshal(out.answer)
		c.send(encode(c.proto.next, id, b))
	}
	c.send(encode(c.proto.complete, id, nil))
}

// forget removes operation id if it is still o, and reports whether it
// was.
func (c *wsConn) forget(id string, o *wsOp) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ops[id] != o {
		return false
	}
	delete(c.ops, id)
	o.cancel()
	return true
}

// stop ends operation id at its client's request.
func (c *wsConn) stop(id string) {
	c.mu.Lock()
	o := c.ops[id]
	c.mu.Unlock()
	if o == nil || !c.forget(id, o) {
		return
	}
	if o.sub != nil {
		o.sub.close()
	}
}

// end stops every operation once the reader has stopped; the writer
// sends what is queued, and closes the connection.
func (c *wsConn) end() {
	close(c.gone)
	c.mu.Lock()
	ops := c.ops
	c.ops = nil
	c.mu.Unlock()
	for _, o := range ops {
		o.cancel()
		if o.sub != nil {
			o.sub.close()
		}
	}
}

// send queues data; false when the connection is closing, or too far
// behind (it is then closed).
func (c *wsConn) send(data []byte) bool {
	pm, _ := websocket.NewPreparedMessage(websocket.TextMessage, data)
	return c.queue(pm)
}

func (c *wsConn) queue(pm *websocket.PreparedMessage) bool {
	select {
	case <-c.gone:
		return false
	default:
	}
	select {
	case c.out <- pm:
		return true
	default:
		// Closing takes a write, and the writer is stuck on this client:
		// do it apart from whoever is delivering.
		go c.closeWith(websocket.CloseTryAgainLater, "Client too slow")
		return false
	}
}

// closeWith ends the connection with code, after what is already queued;
// or at once when the queue is full.
func (c *wsConn) closeWith(code int, reason string) {
	c.closeOnce.Do(func() {
		msg := websocket.FormatCloseMessage(code, reason)
		c.closing = msg
		select {
		case c.out <- nil:
		default:
			c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
			c.conn.Close()
		}
	})
}

// write sends what is queued, and pings, until the connection ends.
func (c *wsConn) write() {
	defer c.conn.Close()
	ping := pings.next(c.t.KeepAlive)
	for {
		select {
		case pm := <-c.out:
			if !c.writeOne(pm) {
				return
			}
		case <-ping:
			ping = pings.next(c.t.KeepAlive)
			err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait))
			if ka := c.proto.keepAlive; ka != "" && err == nil && c.signedIn() {
				c.conn.SetWriteDeadline(time.Now().Add(writeWait))
				err = c.conn.WriteMessage(websocket.TextMessage, encode(ka, "", nil))
			}
			if err != nil {
				return
			}
		case <-c.gone:
			for {
				select {
				case pm := <-c.out:
					if !c.writeOne(pm) {
						return
					}
				default:
					return
				}
			}
		}
	}
}

// writeOne writes pm, or the close when pm is nil; false when the
// connection is done.
func (c *wsConn) writeOne(pm *websocket.PreparedMessage) bool {
	c.conn.SetWriteDeadline(time.Now().Add(writeWait))
	if pm == nil {
		c.conn.WriteMessage(websocket.CloseMessage, c.closing)
		return false
	}
	return c.conn.WritePreparedMessage(pm) == nil
}

// pings is every connection's clock: one timer, whose channel closes at
// each interval, instead of a ticker per connection.
var pings pingClock

type pingClock struct {
	mu sync.Mutex // guards by
	by map[time.Duration]chan struct{}
}

// next returns a channel that closes within one interval.
func (p *pingClock) next(every time.Duration) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ch, ok := p.by[every]; ok {
		return ch
	}
	if p.by == nil {
		p.by = map[time.Duration]chan struct{}{}
	}
	ch := make(chan struct{})
	p.by[every] = ch
	time.AfterFunc(every, func() {
		p.mu.Lock()
		delete(p.by, every)
		p.mu.Unlock()
		close(ch)
	})
	return ch
}

// wsSink is one subscription on a websocket.
type wsSink struct {
	c  *wsConn
	id string
	// group and frame are the last group rendered for, and the key of its
	// framing for this protocol and ID, boxed once.
	group, frame any
}

// frameKey names one framing of a group's render: the same bytes go to
// every subscription of the group with the same protocol and ID.
type frameKey struct {
	group any
	proto *protocol
	id    string
}

func (k *wsSink) next(m *events.Message, group any, payload []byte) bool {
	if group != k.group {
		k.group, k.frame = group, frameKey{group, k.c.proto, k.id}
	}
	pm := m.Memo(k.frame, func() any {
		pm, _ := websocket.NewPreparedMessage(websocket.TextMessage, encode(k.c.proto.next, k.id, payload))
		return pm
	}).(*websocket.PreparedMessage)
	return k.c.queue(pm)
}

func (k *wsSink) wait(payload []byte, stopped <-chan struct{}) bool {
	pm, _ := websocket.NewPreparedMessage(websocket.TextMessage, encode(k.c.proto.next, k.id, payload))
	select {
	case k.c.out <- pm:
		return true
	case <-k.c.gone:
	case <-stopped:
	}
	return false
}

func (k *wsSink) end(err *gqlerror.Error, signedOut bool) {
	if signedOut {
		// Closing takes a write: do it apart from whoever is delivering.
		go k.c.closeWith(closeUnauthorized, "Unauthorized")
		return
	}
	if o := k.c.current(k.id); o != nil && k.c.forget(k.id, o) {
		if err == nil {
			k.c.send(encode(k.c.proto.complete, k.id, nil))
			return
		}
		errs, _ := json.Marshal(gqlerror.List{err})
		k.c.send(encode(k.c.proto.err, k.id, errs))
	}
}

func (c *wsConn) current(id string) *wsOp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ops[id]
}
