package testkit

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Subscription is one graphql-transport-ws connection running one
// subscription, read by the test.
type Subscription struct {
	t    testing.TB
	conn *websocket.Conn
	// in receives what a background reader reads: a read deadline would
	// break a gorilla connection for good, so waits time out here instead.
	in   chan WSMessage
	done chan struct{} // closed when the reader stops
	err  error         // why the reader stopped; read after done

	writeMu sync.Mutex // guards writes: the test's and the reader's pongs
}

// WSMessage is a graphql-transport-ws message from the server.
type WSMessage struct {
	Type    string          `json:"type"`
	ID      string          `json:"id"`
	Payload json.RawMessage `json:"payload"`
}

// Errors decodes the errors of a next or error message.
func (m WSMessage) Errors() []Error {
	var p struct{ Errors []Error }
	if err := json.Unmarshal(m.Payload, &p); err == nil && p.Errors != nil {
		return p.Errors
	}
	var list []Error
	json.Unmarshal(m.Payload, &list)
	return list
}

// Dial opens a graphql-transport-ws connection authenticated by token in
// connection_init, and waits for the acknowledgement.
func (e *Env) Dial(t testing.TB, token string) *Subscription {
	t.Helper()
	url := "ws" + strings.TrimPrefix(e.Server.URL, "http") + "/graphql"
	d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: 5 * time.Second}
	conn, res, err := d.Dial(url, http.Header{})
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, res)
	}
	s := &Subscription{t: t, conn: conn, in: make(chan WSMessage, 64), done: make(chan struct{})}
	t.Cleanup(func() { conn.Close() })
	go s.read()
	s.send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}})
	if m := s.Next(5 * time.Second); m.Type != "connection_ack" {
		t.Fatalf("want connection_ack, got %+v", m)
	}
	return s
}

// Subscribe starts an operation with the given ID.
func (s *Subscription) Subscribe(id, query string, vars map[string]any) {
	s.send(map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": query, "variables": vars}})
}

func (s *Subscription) send(v any) {
	s.t.Helper()
	if err := s.write(v); err != nil {
		s.t.Fatalf("write: %v", err)
	}
}

// Next returns the next message other than a ping, failing the test when
// none comes within timeout.
func (s *Subscription) Next(timeout time.Duration) WSMessage {
	s.t.Helper()
	m, err := s.Read(timeout)
	if err != nil {
		s.t.Fatalf("no message within %s: %v", timeout, err)
	}
	return m
}

// Read returns the next message other than a ping, or the error that ended
// the wait: a timeout, or the connection's end with its close code.
func (s *Subscription) Read(timeout time.Duration) (WSMessage, error) {
	select {
	case m := <-s.in:
		return m, nil
	case <-s.done:
		select {
		case m := <-s.in:
			return m, nil
		default:
		}
		return WSMessage{}, s.err
	case <-time.After(timeout):
		return WSMessage{}, errTimeout
	}
}

var errTimeout = errors.New("timed out")

func (s *Subscription) read() {
	defer close(s.done)
	for {
		var m WSMessage
		if err := s.conn.ReadJSON(&m); err != nil {
			s.err = err
			return
		}
		switch m.Type {
		case "ping":
			s.write(map[string]any{"type": "pong"})
		case "pong":
		default:
			s.in <- m
		}
	}
}

func (s *Subscription) write(v any) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.conn.WriteJSON(v)
}

// Close closes the connection.
func (s *Subscription) Close() { s.conn.Close() }
