package limits_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/partnerdesk/partnerdesk/ent/supportcase"
	"github.com/partnerdesk/partnerdesk/httpapi"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// slowDriver makes every statement reading cases first run a query
// that never ends by itself, so that only the request's deadline can stop
// it: SQLite must be interrupted.
type slowDriver struct {
	dialect.Driver
	armed atomic.Bool
	// interrupted receives how each slow statement ended: nil when the
	// request's context stopped it.
	interrupted chan error
}

const forever = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c`

// readsCases reports whether q reads the cases table, quoted as SQLite or
// PostgreSQL quotes it.
func readsCases(q string) bool {
	return strings.Contains(q, "FROM `cases`") || strings.Contains(q, `FROM "cases"`)
}

func (d *slowDriver) Query(ctx context.Context, q string, args, v any) error {
	if d.armed.Load() && readsCases(q) {
		if err := d.stall(ctx); err != nil {
			return err
		}
	}
	return d.Driver.Query(ctx, q, args, v)
}

func (d *slowDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &slowTx{Tx: tx, d: d}, nil
}

type slowTx struct {
	dialect.Tx
	d *slowDriver
}

func (t *slowTx) Query(ctx context.Context, q string, args, v any) error {
	if t.d.armed.Load() && readsCases(q) {
		if err := t.d.stall(ctx); err != nil {
			return err
		}
	}
	return t.Tx.Query(ctx, q, args, v)
}

// stall runs the endless query until ctx interrupts it. A guard of its own
// keeps a broken deadline from hanging the test, and is reported as such.
func (d *slowDriver) stall(ctx context.Context) error {
	guarded, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var rows entsql.Rows
	err := d.Driver.Query(guarded, forever, []any{}, &rows)
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
	}
	switch {
	case err == nil:
		err = errors.New("the endless query ended")
	case ctx.Err() != nil:
		d.interrupted <- nil
		return ctx.Err()
	}
	d.interrupted <- err
	return err
}

// TestTimeoutStopsEveryTransport runs a query and a mutation whose SQL
// would never end over each transport, under a short deadline: each
// answers one TIMEOUT error, the SQL is interrupted, and the mutation
// leaves nothing behind.
func TestTimeoutStopsEveryTransport(t *testing.T) {
	slow := &slowDriver{interrupted: make(chan error, 16)}
	w := newWorld(t,
		testkit.WithDriver(func(d dialect.Driver) dialect.Driver { slow.Driver = d; return slow }),
		testkit.WithConfig(func(c *httpapi.Config) { c.Limits.Timeout = 300 * time.Millisecond }))
	const query = `{ cases(first: 1) { totalCount } }`
	mutation := `mutation { closeCase(input: {id: "` + w.caseID + `"}) { case { status } } }`

	post := func(q string, accept string) []byte {
		body, _ := json.Marshal(map[string]any{"query": q})
		req, _ := http.NewRequest(http.MethodPost, w.Server.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+w.token)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		return send(t, req)
	}
	get := func(q string) []byte {
		req, _ := http.NewRequest(http.MethodGet, w.Server.URL+"/graphql?query="+url.QueryEscape(q), nil)
		req.Header.Set("Authorization", "Bearer "+w.token)
		return send(t, req)
	}
	upload := func(q string) []byte {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		ops, _ := json.Marshal(map[string]any{"query": q, "variables": map[string]any{"f": nil}})
		mw.WriteField("operations", string(ops))
		mw.WriteField("map", `{"0": ["variables.f"]}`)
		part, _ := mw.CreateFormFile("0", "log.txt")
		part.Write([]byte("a log line\n"))
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, w.Server.URL+"/graphql", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+w.token)
		return send(t, req)
	}
	websocketOp := func(q string) []byte {
		s := w.Dial(t, w.token)
		defer s.Close()
		s.Subscribe("1", q, nil)
		m := s.Next(10 * time.Second)
		return m.Payload
	}
	attach := `mutation($f: Upload!) { addCaseAttachment(input: {caseID: "` + w.caseID + `", file: $f}) { attachment { id } } }`

	for name, run := range map[string]func() []byte{
		"POST query":         func() []byte { return post(query, "") },
		"POST mutation":      func() []byte { return post(mutation, "") },
		"GET query":          func() []byte { return get(query) },
		"SSE query":          func() []byte { return sseData(t, post(query, "text/event-stream")) },
		"SSE mutation":       func() []byte { return sseData(t, post(mutation, "text/event-stream")) },
		"multipart mutation": func() []byte { return upload(attach) },
		"websocket query":    func() []byte { return websocketOp(query) },
		"websocket mutation": func() []byte { return websocketOp(mutation) },
	} {
		t.Run(name, func(t *testing.T) {
			slow.armed.Store(true)
			raw := run()
			slow.armed.Store(false)
			var res struct {
				Data   json.RawMessage
				Errors []testkit.Error
			}
			if err := json.Unmarshal(raw, &res); err != nil {
				t.Fatalf("%s: %v", raw, err)
			}
			if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != "TIMEOUT" || (len(res.Data) > 0 && string(res.Data) != "null") {
				t.Fatalf("want one TIMEOUT error and no data: %s", raw)
			}
			select {
			case err := <-slow.interrupted:
				if err != nil {
					t.Fatalf("the endless SQL was not stopped by the deadline: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the endless SQL never ended")
			}
		})
	}
	kase := w.Client.SupportCase.GetX(w.System(), w.caseID)
	if kase.Status != supportcase.StatusNEW {
		t.Errorf("a timed-out closeCase left the case %s", kase.Status)
	}
	if n := w.Client.Attachment.Query().CountX(w.System()); n != 0 {
		t.Errorf("a timed-out upload left %d attachments", n)
	}
	if n := w.Client.AuditEntry.Query().CountX(w.System()); n != 0 {
		t.Errorf("timed-out mutations left %d audit entries", n)
	}
}

func send(t *testing.T, req *http.Request) []byte {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	return b.Bytes()
}

// sseData returns the data of the one "next" event of a server-sent event
// stream, failing when there is not exactly one.
func sseData(t *testing.T, stream []byte) []byte {
	t.Helper()
	var events [][]byte
	sc := bufio.NewScanner(bytes.NewReader(stream))
	event := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && event == "next":
			events = append(events, []byte(strings.TrimPrefix(line, "data: ")))
		}
	}
	if len(events) != 1 {
		t.Fatalf("%d next events in %s", len(events), stream)
	}
	return events[0]
}

// TestMutationOverSSECommitsOnceAndAnswersOnce: a mutation sent with
// Accept: text/event-stream used to panic after its commit, answering its
// data and then a stray INTERNAL error, so that a client retrying wrote
// twice.
func TestMutationOverSSECommitsOnceAndAnswersOnce(t *testing.T) {
	w := newWorld(t)
	body := `{"query":"mutation { createAccessToken(input: {name: \"sse\"}) { accessToken { name } } }"}`
	req, _ := http.NewRequest(http.MethodPost, w.Server.URL+"/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+w.token)
	stream := send(t, req)
	if !bytes.Contains(sseData(t, stream), []byte(`"name":"sse"`)) || bytes.Contains(stream, []byte("INTERNAL")) || !bytes.Contains(stream, []byte("event: complete")) {
		t.Fatalf("stream: %s", stream)
	}
	if n := w.Client.AccessToken.Query().CountX(w.System()); n != 2 {
		t.Errorf("%d tokens, want the world's and the new one", n)
	}
}
