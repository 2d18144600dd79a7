package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// wsClient is one subscription over a websocket subprotocol, read by a
// goroutine of its own.
type wsClient struct {
	conn *websocket.Conn
	in   chan wsMessage
	err  chan error // the reader's end: the close, with its code
}

type wsMessage struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

// subscribeWS connects with protocol, signs in with token and starts
// query as subscription "s1".
func subscribeWS(t *testing.T, addr, protocol, token, query string) *wsClient {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{protocol}, HandshakeTimeout: 5 * time.Second}
	conn, _, err := d.Dial("ws://"+addr+"/graphql", nil)
	if err != nil {
		t.Fatalf("%s: %v", protocol, err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &wsClient{conn: conn, in: make(chan wsMessage, 16), err: make(chan error, 1)}
	go func() {
		for {
			var m wsMessage
			if err := conn.ReadJSON(&m); err != nil {
				c.err <- err
				return
			}
			switch m.Type {
			case "ping":
				conn.WriteJSON(map[string]string{"type": "pong"})
			case "pong", "ka":
			default:
				c.in <- m
			}
		}
	}()
	conn.WriteJSON(map[string]any{"type": "connection_init", "payload": map[string]string{"Authorization": "Bearer " + token}})
	if m := c.next(t); m.Type != "connection_ack" {
		t.Fatalf("%s: want connection_ack, got %+v", protocol, m)
	}
	start := map[string]string{"graphql-transport-ws": "subscribe", "graphql-ws": "start"}[protocol]
	conn.WriteJSON(map[string]any{"id": "s1", "type": start, "payload": map[string]any{"query": query}})
	return c
}

func (c *wsClient) next(t *testing.T) wsMessage {
	t.Helper()
	select {
	case m := <-c.in:
		return m
	case err := <-c.err:
		c.err <- err // for closed
		select {
		case m := <-c.in: // read before the end
			return m
		default:
		}
		t.Fatalf("the connection ended: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no message within 10s")
	}
	return wsMessage{}
}

// closed waits for the connection's end and returns its close code.
func (c *wsClient) closed(t *testing.T) int {
	t.Helper()
	select {
	case m := <-c.in:
		t.Fatalf("want the close, got %+v", m)
	case err := <-c.err:
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("the connection ended without a close message: %v", err)
		}
		return ce.Code
	case <-time.After(10 * time.Second):
		t.Fatal("the connection did not close within 10s")
	}
	return 0
}

// quiet fails the test if the client has received anything yet.
func (c *wsClient) quiet(t *testing.T, label string) {
	t.Helper()
	select {
	case m := <-c.in:
		t.Errorf("%s received %+v during the drain period", label, m)
	case err := <-c.err:
		t.Errorf("%s ended during the drain period: %v", label, err)
	default:
	}
}

// sseClient is one subscription over server-sent events: its events, as
// "event: data" lines, and the end of the stream.
type sseClient struct {
	events chan string
}

func subscribeSSE(t *testing.T, addr, token, query string) *sseClient {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": query})
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	c := &sseClient{events: make(chan string, 16)}
	go func() {
		defer close(c.events)
		sc := bufio.NewScanner(res.Body)
		var event string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				c.events <- event + " " + strings.TrimPrefix(line, "data: ")
			case line == "" && event == "complete":
				c.events <- "complete"
			}
		}
	}()
	return c
}

func (c *sseClient) next(t *testing.T) (string, bool) {
	t.Helper()
	select {
	case e, ok := <-c.events:
		return e, ok
	case <-time.After(10 * time.Second):
		t.Fatal("no server-sent event within 10s")
	}
	return "", false
}

// post sends a GraphQL operation as token's contact, and decodes its data
// into v.
func post(t *testing.T, addr, token, query string, vars map[string]any, v any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	res := postBody(t, addr, token, strings.NewReader(string(body)))
	decodeData(t, res, v)
}

func postBody(t *testing.T, addr, token string, body io.Reader) *http.Response {
	t.Helper()
	res, err := sendBody(addr, token, body)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func sendBody(addr, token string, body io.Reader) (*http.Response, error) {
	return http.DefaultClient.Do(graphQLRequest(addr, token, body))
}

func graphQLRequest(addr, token string, body io.Reader) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/graphql", body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}

func decodeData(t *testing.T, res *http.Response, v any) {
	t.Helper()
	defer res.Body.Close()
	var got struct {
		Data   json.RawMessage
		Errors []any
	}
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil || len(got.Errors) > 0 || res.StatusCode != http.StatusOK {
		t.Fatalf("status %d, errors %v (%v)", res.StatusCode, got.Errors, err)
	}
	if err := json.Unmarshal(got.Data, v); err != nil {
		t.Fatal(err)
	}
}

func readyz(addr string) (int, error) {
	res, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

// restarting reports whether a GraphQL result or error list says
// SERVER_RESTARTING.
func restarting(raw string) bool {
	return strings.Contains(raw, `"code":"SERVER_RESTARTING"`)
}

// TestShutdownDrainsInOrder stops a running server the way SIGTERM does,
// with a subscriber on every transport and a request in flight: /readyz
// turns 503 while the server still serves; then the listener closes, the
// websockets close with 1001 (a legacy client told SERVER_RESTARTING
// first), the event stream ends with SERVER_RESTARTING and no complete,
// and the request in flight still gets its answer.
func TestShutdownDrainsInOrder(t *testing.T) {
	draining := make(chan struct{})
	periodOver := make(chan time.Time)
	drainPeriodOver = func(time.Duration) <-chan time.Time {
		close(draining)
		return periodOver
	}
	t.Cleanup(func() { drainPeriodOver = time.After })

	addr := freeAddr(t)
	tokens, sigterm := startDemo(t, addr, "--addr", addr, "--drain-period", "1h")
	token := tokens["nora.lindqvist@northwind.example"]

	const events = `subscription { caseEvents { kind } }`
	ws := subscribeWS(t, addr, "graphql-transport-ws", token, events)
	legacy := subscribeWS(t, addr, "graphql-ws", token, events)
	sse := subscribeSSE(t, addr, token, events)
	var cases struct {
		Cases struct{ Nodes []struct{ ID string } }
	}
	post(t, addr, token, `{ cases(first: 1) { nodes { id } } }`, nil, &cases)
	// A comment shows on every stream: each subscription is running.
	comment := func(body string) {
		var v any
		post(t, addr, token, `mutation($in: AddCaseCommentInput!) { addCaseComment(input: $in) { comment { id } } }`,
			map[string]any{"in": map[string]any{"caseID": cases.Cases.Nodes[0].ID, "body": body}}, &v)
	}
	comment("before the restart")
	for label, c := range map[string]*wsClient{"graphql-transport-ws": ws, "graphql-ws": legacy} {
		if m := c.next(t); m.Type != map[string]string{"graphql-transport-ws": "next", "graphql-ws": "data"}[label] || !strings.Contains(string(m.Payload), "COMMENTED") {
			t.Fatalf("%s: want the comment's event, got %+v", label, m)
		}
	}
	if e, _ := sse.next(t); !strings.HasPrefix(e, "next ") || !strings.Contains(e, "COMMENTED") {
		t.Fatalf("server-sent events: want the comment's event, got %q", e)
	}
	// A request in flight: its body is still on its way when SIGTERM comes.
	// It has a connection of its own (one idle between two requests would
	// be closed, as idle ones are), and a length, so that the server reads
	// it to its end and has nothing left unread to reset the connection.
	const head, tail = `{"query": "{ viewer { contact { email } } }", `, `"variables": {}}`
	body, sendRest := io.Pipe()
	inFlight := make(chan *http.Response, 1)
	inFlightErr := make(chan error, 1)
	own := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	go func() {
		req := graphQLRequest(addr, token, body)
		req.ContentLength = int64(len(head + tail))
		res, err := own.Do(req)
		inFlight <- res
		inFlightErr <- err
	}()
	fmt.Fprint(sendRest, head)

	// SIGTERM; stop returns once the server has ended.
	stopped := make(chan error, 1)
	go func() { stopped <- sigterm() }()
	<-draining
	if status, err := readyz(addr); status != http.StatusServiceUnavailable {
		t.Fatalf("/readyz while draining = %d, %v; want 503", status, err)
	}
	// Still serving, streams included.
	var viewer struct {
		Viewer struct{ Contact struct{ Email string } }
	}
	post(t, addr, token, `{ viewer { contact { email } } }`, nil, &viewer)
	if viewer.Viewer.Contact.Email != "nora.lindqvist@northwind.example" {
		t.Fatalf("a query while draining answered %+v", viewer)
	}
	ws.quiet(t, "graphql-transport-ws")
	legacy.quiet(t, "graphql-ws")

	close(periodOver)
	if code := ws.closed(t); code != websocket.CloseGoingAway {
		t.Errorf("graphql-transport-ws closed with %d, want 1001", code)
	}
	// The listener closed before the streams were ended.
	if _, err := readyz(addr); err == nil {
		t.Error("the server still accepts connections once the streams are ended")
	}
	if m := legacy.next(t); m.Type != "error" || m.ID != "s1" || !restarting(string(m.Payload)) {
		t.Errorf("graphql-ws: want an error SERVER_RESTARTING for s1, got %+v", m)
	}
	if code := legacy.closed(t); code != websocket.CloseGoingAway {
		t.Errorf("graphql-ws closed with %d, want 1001", code)
	}
	if e, _ := sse.next(t); !strings.HasPrefix(e, "next ") || !restarting(e) {
		t.Errorf("server-sent events: want a next with SERVER_RESTARTING, got %q", e)
	}
	if e, open := sse.next(t); open {
		t.Errorf("server-sent events: want the end of the stream, got %q", e)
	}

	fmt.Fprint(sendRest, tail)
	sendRest.Close()
	viewer.Viewer.Contact.Email = ""
	res := <-inFlight
	if err := <-inFlightErr; err != nil {
		t.Fatalf("the request in flight: %v", err)
	}
	decodeData(t, res, &viewer)
	if viewer.Viewer.Contact.Email != "nora.lindqvist@northwind.example" {
		t.Errorf("the request in flight answered %+v", viewer)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}
