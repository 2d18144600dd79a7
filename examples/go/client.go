package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/Khan/genqlient/graphql"
	"github.com/gorilla/websocket"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// graphqlClient is what genqlient's generated queries and mutations take.
type graphqlClient = graphql.Client

// newClient returns a genqlient client that POSTs to endpoint with
// Authorization: Bearer token.
func newClient(endpoint, token string) graphqlClient {
	return graphql.NewClient(endpoint, &http.Client{
		Timeout:   30 * time.Second,
		Transport: bearer{token: token, base: http.DefaultTransport},
	})
}

// bearer adds the caller's token to every request.
type bearer struct {
	token string
	base  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.base.RoundTrip(r)
}

// webSocketURL is the websocket URL of an http or https GraphQL endpoint.
func webSocketURL(endpoint string) string {
	if rest, ok := strings.CutPrefix(endpoint, "https://"); ok {
		return "wss://" + rest
	}
	return "ws://" + strings.TrimPrefix(endpoint, "http://")
}

// The graphql-transport-ws protocol: its subprotocol name, and the one
// operation ID a caseEventStream uses.
const (
	transportWS    = "graphql-transport-ws"
	subscriptionID = "1"
)

// wsMessage is a graphql-transport-ws message.
type wsMessage struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// caseEvent is one event of a CaseEvents subscription, as generated.
type caseEvent = CaseEventsCaseEventsCaseEvent

// caseEventStream follows the CaseEvents subscription on its own
// graphql-transport-ws connection. The connection is gorilla/websocket's;
// the operation, its variables and its results are genqlient's generated
// types. (genqlient's own websocket client, in v0.8.1, reads a
// graphql-transport-ws error message as a result and races with its own
// Close: upstream fixed that after the release.)
type caseEventStream struct {
	ctx  context.Context // the stream lives until it is done
	conn *websocket.Conn
	stop func() bool // stops ctx from closing conn

	writeMu sync.Mutex // guards writes to conn: Next's pongs and Close's
}

// followCaseEvents opens a websocket to url, signs in with token in
// connection_init, and subscribes to CaseEvents of one customer or one
// case (nil for all the caller may see). The stream ends when ctx does.
func followCaseEvents(ctx context.Context, url, token string, customerID, caseID *string) (*caseEventStream, error) {
	dialer := websocket.Dialer{Subprotocols: []string{transportWS}, HandshakeTimeout: 10 * time.Second}
	conn, res, err := dialer.DialContext(ctx, url, nil)
	if err != nil {
		if res != nil {
			err = fmt.Errorf("%w (HTTP %s)", err, res.Status)
		}
		return nil, err
	}
	if conn.Subprotocol() != transportWS {
		conn.Close()
		return nil, fmt.Errorf("the server did not agree to %s", transportWS)
	}
	s := &caseEventStream{ctx: ctx, conn: conn, stop: context.AfterFunc(ctx, func() { conn.Close() })}
	init, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + token})
	if err := s.write(wsMessage{Type: "connection_init", Payload: init}); err != nil {
		s.abort()
		return nil, err
	}
	// The server acknowledges, or closes with 4401 when it refuses the token.
	if m, err := s.read(); err != nil || m.Type != "connection_ack" {
		s.abort()
		if err == nil {
			err = fmt.Errorf("expected connection_ack, got %s", m.Type)
		}
		return nil, fmt.Errorf("signing in: %w", err)
	}
	req, _ := json.Marshal(&graphql.Request{
		OpName:    "CaseEvents",
		Query:     CaseEvents_Operation,
		Variables: &__CaseEventsInput{CustomerID: customerID, CaseID: caseID},
	})
	if err := s.write(wsMessage{Type: "subscribe", ID: subscriptionID, Payload: req}); err != nil {
		s.abort()
		return nil, err
	}
	return s, nil
}

// Next waits for the next event. The stream's end is an error: the GraphQL
// errors that ended it (a gqlerror.List; FORBIDDEN when the caller lost
// access to what it follows), io.EOF when the server completed it, a
// *websocket.CloseError when the server closed the connection (4401 when
// the caller's token was revoked or expired), or the context's error.
func (s *caseEventStream) Next() (*caseEvent, error) {
	m, err := s.read()
	if err != nil {
		if ctxErr := s.ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, err
	}
	switch m.Type {
	case "next":
		var r CaseEventsWsResponse
		if err := json.Unmarshal(m.Payload, &r); err != nil {
			return nil, fmt.Errorf("decoding an event: %w", err)
		}
		if len(r.Errors) > 0 {
			return nil, r.Errors
		}
		if r.Data == nil {
			return nil, errors.New("an event without data")
		}
		return &r.Data.CaseEvents, nil
	case "error":
		var errs gqlerror.List
		if err := json.Unmarshal(m.Payload, &errs); err != nil {
			return nil, fmt.Errorf("decoding the stream's errors: %w", err)
		}
		return nil, errs
	case "complete":
		return nil, io.EOF
	default:
		return nil, fmt.Errorf("unexpected %s message", m.Type)
	}
}

// read returns the next message of the subscription, answering the
// protocol's pings on the way.
func (s *caseEventStream) read() (wsMessage, error) {
	for {
		_, data, err := s.conn.ReadMessage()
		if err != nil {
			return wsMessage{}, err
		}
		var m wsMessage
		if err := json.Unmarshal(data, &m); err != nil {
			return wsMessage{}, fmt.Errorf("decoding a message: %w", err)
		}
		switch m.Type {
		case "ping":
			if err := s.write(wsMessage{Type: "pong"}); err != nil {
				return wsMessage{}, err
			}
		case "pong":
		default:
			return m, nil
		}
	}
}

func (s *caseEventStream) write(m wsMessage) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return s.conn.WriteJSON(m)
}

// Close completes the subscription and closes the connection.
func (s *caseEventStream) Close() error {
	s.write(wsMessage{Type: "complete", ID: subscriptionID}) // best effort: the connection may be gone
	s.conn.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	return s.abort()
}

// abort closes the connection as it is.
func (s *caseEventStream) abort() error {
	s.stop()
	return s.conn.Close()
}
