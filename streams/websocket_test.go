package streams_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/caseevent"
	"github.com/partnerdesk/partnerdesk/httpapi"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// world is a server, a case, and a vendor agent who may follow it.
type world struct {
	*testkit.Env
	kase  *ent.SupportCase
	token string
}

func newWorld(t *testing.T, opts ...testkit.Option) *world {
	e := testkit.New(t, opts...)
	acme := e.Org(access.Customer, "Acme")
	agent := e.Contact(e.Org(access.Vendor, "Northwind"), "Nora", access.RoleAgent)
	return &world{Env: e, kase: e.Case(acme, e.Contact(acme, "Ada"), "Phones reboot"), token: e.Token(agent)}
}

// publish writes a case event, which its commit hook publishes.
func (w *world) publish(t *testing.T) string {
	ev, err := w.Client.CaseEvent.Create().SetCaseID(w.kase.ID).SetCustomerID(w.kase.CustomerID).
		SetKind(caseevent.KindUPDATED).SetCreatedAt(w.Clock.Now()).Save(w.System())
	if err != nil {
		t.Fatal(err)
	}
	return ev.ID
}

const follow = `subscription($k: ID) { caseEvents(caseID: $k) { id kind } }`

type msg struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// conn is a client speaking one subprotocol.
type conn struct {
	t *testing.T
	c *websocket.Conn
}

func dial(t *testing.T, url, protocol string) *conn {
	t.Helper()
	c, _, err := (&websocket.Dialer{Subprotocols: []string{protocol}}).Dial("ws"+strings.TrimPrefix(url, "http")+"/graphql", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &conn{t: t, c: c}
}

func (c *conn) send(m any) {
	c.t.Helper()
	if err := c.c.WriteJSON(m); err != nil {
		c.t.Fatal(err)
	}
}

// read returns the next message, or the error that ended the connection
// (a timeout after d).
func (c *conn) read(d time.Duration) (msg, error) {
	c.c.SetReadDeadline(time.Now().Add(d))
	var m msg
	_, raw, err := c.c.ReadMessage()
	if err == nil {
		err = json.Unmarshal(raw, &m)
	}
	return m, err
}

func (c *conn) expect(kind string) msg {
	c.t.Helper()
	m, err := c.read(5 * time.Second)
	if err != nil || m.Type != kind {
		c.t.Fatalf("want %s, got %+v (%v)", kind, m, err)
	}
	return m
}

// silent expects nothing for a while. A read timeout breaks a gorilla
// connection for good, so it is the last thing a test does with it.
func (c *conn) silent() {
	c.t.Helper()
	if m, err := c.read(300 * time.Millisecond); err == nil {
		c.t.Fatalf("unexpected %+v", m)
	}
}

// closedWith reads until the connection closes, and returns the code; no
// result may come before.
func (c *conn) closedWith() int {
	c.t.Helper()
	for {
		m, err := c.read(5 * time.Second)
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		if err != nil {
			c.t.Fatalf("ended without a close frame: %v", err)
		}
		if m.Type == "next" || m.Type == "data" {
			c.t.Fatalf("a result before the close: %+v", m)
		}
	}
}

func (w *world) signIn(c *conn) {
	c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + w.token}})
	c.expect("connection_ack")
}

// followOne subscribes to the case as operation "a" with the protocol's
// start message, and expects an event published then as its result
// message.
func (w *world) followOne(c *conn, start, result string) {
	c.t.Helper()
	c.send(map[string]any{"id": "a", "type": start, "payload": map[string]any{"query": follow, "variables": map[string]any{"k": w.kase.ID}}})
	settle()
	id := w.publish(c.t)
	if m := c.expect(result); m.ID != "a" || !strings.Contains(string(m.Payload), id) {
		c.t.Fatalf("got %+v, want event %s for a", m, id)
	}
}

// settle lets subscriptions reach the broker: the protocol acknowledges
// no subscribe.
func settle() { time.Sleep(100 * time.Millisecond) }

func TestGraphQLTransportWSFollowsAndStops(t *testing.T) {
	w := newWorld(t)
	c := dial(t, w.Server.URL, "graphql-transport-ws")
	w.signIn(c)
	c.send(map[string]any{"type": "ping", "payload": map[string]any{"n": 1}})
	if p := c.expect("pong"); string(p.Payload) != `{"n":1}` {
		t.Errorf("pong payload %s, want the ping's", p.Payload)
	}
	w.followOne(c, "subscribe", "next")
	c.send(map[string]any{"id": "a", "type": "complete"})
	settle()
	w.publish(t)
	c.silent()
	if n := w.Broker.Followers(); n != 0 {
		t.Errorf("%d followers after the client completed its only subscription", n)
	}
}

func TestASubscriptionIDInUseClosesWith4409(t *testing.T) {
	w := newWorld(t)
	c := dial(t, w.Server.URL, "graphql-transport-ws")
	w.signIn(c)
	sub := map[string]any{"id": "a", "type": "subscribe", "payload": map[string]any{"query": follow, "variables": map[string]any{"k": w.kase.ID}}}
	c.send(sub)
	c.send(sub)
	if code := c.closedWith(); code != 4409 {
		t.Fatalf("closed with %d, want 4409", code)
	}
}

func TestLegacyGraphQLWSFollowsAndStops(t *testing.T) {
	w := newWorld(t)
	c := dial(t, w.Server.URL, "graphql-ws")
	w.signIn(c)
	c.expect("ka") // right after the acknowledgement
	w.followOne(c, "start", "data")
	c.send(map[string]any{"id": "a", "type": "stop"})
	settle()
	w.publish(t)
	c.send(map[string]any{"type": "connection_terminate"})
	if code := c.closedWith(); code != websocket.CloseNormalClosure {
		t.Fatalf("closed with %d after connection_terminate, want 1000 (and no event after stop)", code)
	}
}

// TestShutdownClosesWebsocketsWith1001: a shutting-down server tells its
// websocket clients it is going away, so that they reconnect elsewhere.
func TestShutdownClosesWebsocketsWith1001(t *testing.T) {
	w := newWorld(t)
	closing, shutDown := context.WithCancel(context.Background())
	defer shutDown()
	srv := httptest.NewServer(httpapi.New(httpapi.Config{DB: w.DB, Clock: w.Clock, Broker: w.Broker, Streams: closing}))
	defer srv.Close()
	c := dial(t, srv.URL, "graphql-transport-ws")
	w.signIn(c)
	c.send(map[string]any{"id": "a", "type": "subscribe", "payload": map[string]any{"query": follow, "variables": map[string]any{"k": w.kase.ID}}})
	settle()
	shutDown()
	if code := c.closedWith(); code != websocket.CloseGoingAway {
		t.Fatalf("closed with %d, want 1001", code)
	}
	deadline := time.Now().Add(5 * time.Second)
	for w.Broker.Followers() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := w.Broker.Followers(); n != 0 {
		t.Errorf("%d followers after the shutdown", n)
	}
}

// TestAnInvalidOperationIsAnErrorMessage: graphql-transport-ws answers an
// operation that does not validate with an error message, which ends it,
// not with a result and complete.
func TestAnInvalidOperationIsAnErrorMessage(t *testing.T) {
	w := newWorld(t)
	c := dial(t, w.Server.URL, "graphql-transport-ws")
	w.signIn(c)
	c.send(map[string]any{"id": "a", "type": "subscribe", "payload": map[string]any{"query": `subscription { caseEvents { nope } }`}})
	if m := c.expect("error"); m.ID != "a" || !strings.Contains(string(m.Payload), "GRAPHQL_VALIDATION_FAILED") {
		t.Fatalf("got %+v, want a validation error for a", m)
	}
}
