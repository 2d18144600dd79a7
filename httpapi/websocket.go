package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// maxWebsocketMessage bounds one message a websocket client sends.
var maxWebsocketMessage int64 = 64 << 10

// closeCodes closes a websocket whose client broke the protocol with the
// code graphql-transport-ws gives that case, where gqlgen closes them all
// with 1002. Clients such as graphql-ws act on the code: 4401 and 4429 stop
// them, 4408 makes them retry later, while a 1002 sends them reconnecting
// in a loop.
type closeCodes struct {
	transport.WebsocketImplementation
}

func (c closeCodes) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	conn, err := c.WebsocketImplementation.Accept(w, r, o)
	if err != nil {
		return nil, err
	}
	pc := &protocolConn{WebsocketConn: conn}
	if h, ok := r.Context().Value(connKey{}).(*connHolder); ok {
		h.conn.Store(pc)
	}
	return pc, nil
}

// connHolder lets the session reach the connection it signed in on: a
// caller whose sign-in ends mid-stream (suspended, its token revoked or
// expired) is signed out of the whole connection, closed with 4401, so
// that its client stops instead of retrying with the same token.
type connHolder struct{ conn atomic.Pointer[protocolConn] }

type connKey struct{}

func (h *connHolder) signOut() {
	if c := h.conn.Load(); c != nil {
		c.WebsocketConn.WriteClose(closeUnauthorized, "Unauthorized")
		c.Close()
	}
}

// protocolConn follows the connection's protocol state, which tells which
// rule a protocol error (1002) broke.
type protocolConn struct {
	transport.WebsocketConn

	mu sync.Mutex // guards acked and last
	// acked: the server acknowledged connection_init.
	acked bool
	// last is the type of the last message the client sent; "" before
	// any, and "?" for one that is not a message at all.
	last string
}

func (c *protocolConn) NextReader() (int, io.Reader, error) {
	kind, r, err := c.WebsocketConn.NextReader()
	if err != nil {
		return kind, r, err
	}
	msg, err := io.ReadAll(r)
	if err != nil {
		return kind, nil, err
	}
	var m struct{ Type string }
	t := "?"
	if json.Unmarshal(msg, &m) == nil && m.Type != "" {
		t = m.Type
	}
	c.mu.Lock()
	c.last = t
	c.mu.Unlock()
	return kind, bytes.NewReader(msg), nil
}

func (c *protocolConn) WriteJSON(v any) error {
	c.mu.Lock()
	acked := c.acked
	c.mu.Unlock()
	if !acked {
		// Until the acknowledgement, look at what is sent: few messages.
		var m struct{ Type string }
		if b, err := json.Marshal(v); err == nil && json.Unmarshal(b, &m) == nil && m.Type == "connection_ack" {
			c.mu.Lock()
			c.acked = true
			c.mu.Unlock()
		}
	}
	return c.WebsocketConn.WriteJSON(v)
}

// The close codes of graphql-transport-ws for the errors gqlgen reports
// as 1002.
const (
	closeBadMessage   = 4400
	closeUnauthorized = 4401
	closeInitTimeout  = 4408
	closeTooManyInits = 4429
)

func (c *protocolConn) WriteClose(code int, msg string) error {
	c.mu.Lock()
	acked, last := c.acked, c.last
	c.mu.Unlock()
	switch {
	case code == transport.WebsocketCloseNormalClosure && last == "?":
		// gqlgen ends a connection whose client sent something not a
		// message as if all were well.
		code, msg = closeBadMessage, "Invalid message"
	case code == transport.WebsocketCloseProtocolError:
		switch {
		case !acked && last == "":
			code, msg = closeInitTimeout, "Connection initialisation timeout"
		case !acked && last != "?":
			code, msg = closeUnauthorized, "Unauthorized"
		case acked && last == "connection_init":
			code, msg = closeTooManyInits, "Too many initialisation requests"
		default:
			code, msg = closeBadMessage, "Invalid message"
		}
	}
	return c.WebsocketConn.WriteClose(code, msg)
}

// SetReadLimit and SetReadDeadline pass gqlgen's optional controls through.
func (c *protocolConn) SetReadLimit(n int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(n)
	}
}

func (c *protocolConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}
