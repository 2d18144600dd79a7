package observe_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/httpapi"
	"github.com/partnerdesk/partnerdesk/limits"
	"github.com/partnerdesk/partnerdesk/observe"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// lines decodes the JSON log lines written so far.
func lines(t *testing.T, log *testkit.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(log.String()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("a log line is not JSON: %s", sc.Bytes())
		}
		out = append(out, m)
	}
	return out
}

// world is a server observed by everything the package offers: the
// access log in JSON, metrics scraped over HTTP, spans exported to the
// SDK's in-memory exporter as each ends; and a signed-in customer admin.
type world struct {
	*testkit.Env
	log     *testkit.Buffer
	metrics *observe.Metrics
	scrape  *httptest.Server
	spans   *tracetest.InMemoryExporter
	contact *ent.Contact
	token   string
}

func newWorld(t *testing.T, opts ...testkit.Option) *world {
	t.Helper()
	w := &world{log: &testkit.Buffer{}, metrics: observe.NewMetrics(), spans: tracetest.NewInMemoryExporter()}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(w.spans))
	logger, err := observe.NewLogger(w.log, "json", "info")
	if err != nil {
		t.Fatal(err)
	}
	o := &observe.Observer{Log: logger, Metrics: w.metrics, Tracer: tp}
	opts = append([]testkit.Option{
		testkit.WithConfig(func(c *httpapi.Config) { c.Observe = o }),
		testkit.WithDriver(observe.TraceSQL(tp)),
	}, opts...)
	w.Env = testkit.New(t, opts...)
	w.scrape = httptest.NewServer(w.metrics.Handler())
	t.Cleanup(w.scrape.Close)
	w.contact = w.Contact(w.Org(access.Customer, "Acme"), "Ada Admin", access.RoleAdmin)
	w.token = w.Token(w.contact)
	return w
}

// post sends a GraphQL request with the given headers.
func (w *world) post(t *testing.T, token, query string, header map[string]string) testkit.Response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, w.Server.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return w.Do(req)
}

// metric reads one series from /metrics, as a scraper would; 0 when the
// series is absent. Labels are written in the exposition's order: sorted.
func (w *world) metric(t *testing.T, series string) float64 {
	t.Helper()
	res, err := http.Get(w.scrape.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	return 0
}

const viewerQuery = `query Viewer { viewer { contact { id } } }`

// TestMetricsChangeAsRequestsAreMade: each family of issue 15 moves with
// the requests that should move it.
func TestMetricsChangeAsRequestsAreMade(t *testing.T) {
	w := newWorld(t, testkit.WithConfig(func(c *httpapi.Config) {
		// A small bucket, on the test's clock, which stands still.
		c.Rate = limits.NewBuckets(limits.Size{Capacity: 6, PerSecond: 1}, c.Clock.Now)
		c.Limits.MaxComplexity = 500
	}))
	const (
		ok         = `partnerdesk_graphql_requests_total{code="OK",operation="Viewer",type="query"}`
		anonymous  = `partnerdesk_graphql_requests_total{code="OK",operation="anonymous",type="query"}`
		unauth     = `partnerdesk_graphql_requests_total{code="UNAUTHENTICATED",operation="unknown",type="unknown"}`
		complexity = `partnerdesk_limit_refusals_total{code="QUERY_TOO_COMPLEX",reason="COMPLEXITY"}`
		rate       = `partnerdesk_limit_refusals_total{code="RATE_LIMITED",reason=""}`
		duration   = `partnerdesk_graphql_request_duration_seconds_count{operation="Viewer",type="query"}`
	)
	for _, s := range []string{ok, anonymous, unauth, complexity, rate, duration} {
		if v := w.metric(t, s); v != 0 {
			t.Fatalf("before any request, %s = %v", s, v)
		}
	}

	w.post(t, w.token, viewerQuery, nil)
	w.post(t, w.token, `{ viewer { contact { id } } }`, nil)
	w.post(t, "", viewerQuery, nil)
	tooComplex := `{ organizations(first: 100) { edges { node { cases(first: 100) { edges { node { customer { cases(first: 100) { totalCount } } } } } } } } }`
	if res := w.post(t, w.token, tooComplex, nil); res.Code() != "QUERY_TOO_COMPLEX" {
		t.Fatalf("the complex query answered %+v", res.Errors)
	}
	// Until the bucket is empty.
	answered := 1
	for ; ; answered++ {
		res := w.post(t, w.token, viewerQuery, nil)
		if res.Code() == "RATE_LIMITED" {
			break
		}
		if answered > 6 {
			t.Fatalf("the bucket of 6 points never emptied: %+v", res.Errors)
		}
	}

	for series, want := range map[string]float64{
		ok: float64(answered), anonymous: 1, unauth: 1, complexity: 1, rate: 1, duration: float64(answered + 1),
		`partnerdesk_graphql_requests_total{code="RATE_LIMITED",operation="Viewer",type="query"}`: 1,
		`partnerdesk_graphql_errors_total{code="UNAUTHENTICATED"}`:                                1,
		`partnerdesk_graphql_errors_total{code="QUERY_TOO_COMPLEX"}`:                              1,
		`partnerdesk_graphql_requests_in_flight`:                                                  0,
		`partnerdesk_subscriptions_open{transport="graphql-transport-ws"}`:                        0,
		`partnerdesk_outbox_delivery_failures_total`:                                              0,
	} {
		if got := w.metric(t, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}

	// The database pools, the build, the outbox the mail delivery feeds.
	for name := range w.DB.Pools() {
		if w.metric(t, `go_sql_max_open_connections{db_name="`+name+`"}`) == 0 {
			t.Errorf("the %s pool's stats are missing", name)
		}
	}
	w.metrics.OutboxDepth(func() (int, error) { return 7, nil })
	w.metrics.OutboxFailed()
	if got := w.metric(t, "partnerdesk_outbox_depth"); got != 7 {
		t.Errorf("outbox depth %v, want 7", got)
	}
	if got := w.metric(t, "partnerdesk_outbox_delivery_failures_total"); got != 1 {
		t.Errorf("outbox failures %v, want 1", got)
	}
	if !w.hasFamily(t, "partnerdesk_build_info") {
		t.Error("no partnerdesk_build_info")
	}
}

// TestOperationNamesAreBounded: an unnamed persisted query is told apart
// by its hash, and past MaxOperationNames names, clients' new names are
// counted together, so that they cannot grow the series without end.
func TestOperationNamesAreBounded(t *testing.T) {
	w := newWorld(t, testkit.WithConfig(func(c *httpapi.Config) { c.Rate = nil }))
	const doc = `{ viewer { contact { id } } }`
	sum := sha256.Sum256([]byte(doc))
	hash := hex.EncodeToString(sum[:])
	body, _ := json.Marshal(map[string]any{"query": doc,
		"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}})
	req, _ := http.NewRequest(http.MethodPost, w.Server.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+w.token)
	if res := w.Do(req); len(res.Errors) > 0 {
		t.Fatalf("the persisted query answered %+v", res.Errors)
	}
	persisted := `partnerdesk_graphql_requests_total{code="OK",operation="persisted:` + hash[:16] + `",type="query"}`
	if got := w.metric(t, persisted); got != 1 {
		t.Errorf("%s = %v, want 1", persisted, got)
	}

	// The persisted query took one name already.
	for i := range observe.MaxOperationNames {
		w.post(t, w.token, fmt.Sprintf("query Q%d { viewer { contact { id } } }", i), nil)
	}
	last := fmt.Sprintf(`partnerdesk_graphql_requests_total{code="OK",operation="Q%d",type="query"}`, observe.MaxOperationNames-2)
	if got := w.metric(t, last); got != 1 {
		t.Errorf("%s = %v, want 1", last, got)
	}
	other := `partnerdesk_graphql_requests_total{code="OK",operation="other",type="query"}`
	if got := w.metric(t, other); got != 1 {
		t.Errorf("%s = %v, want 1 (the name past the bound)", other, got)
	}
	w.post(t, w.token, "query Q0 { viewer { contact { id } } }", nil)
	if got := w.metric(t, `partnerdesk_graphql_requests_total{code="OK",operation="Q0",type="query"}`); got != 2 {
		t.Errorf("a name seen before the bound is no longer counted under its name: %v", got)
	}
}

func (w *world) hasFamily(t *testing.T, name string) bool {
	t.Helper()
	families, err := w.metrics.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return true
		}
	}
	return false
}

// TestSubscriptionAndEventMetrics: an open subscription is counted by its
// transport until it ends, and the hub's events are counted as they are
// published and delivered.
func TestSubscriptionAndEventMetrics(t *testing.T) {
	w := newWorld(t)
	const open = `partnerdesk_subscriptions_open{transport="graphql-transport-ws"}`
	sub := w.Dial(t, w.token)
	sub.Subscribe("1", `subscription { caseEvents { id } }`, nil)
	waitFor(t, func() bool { return w.metric(t, open) == 1 }, "the subscription to be counted open")

	res := w.Query(w.token, `mutation($in: CreateCaseInput!) { createCase(input: $in) { case { id } } }`,
		map[string]any{"in": map[string]any{"customerID": w.contact.QueryOrganization().OnlyIDX(w.System()), "title": "Printer on fire", "severity": "S3"}})
	res.Decode(t, &struct{}{})
	if m := sub.Next(5 * time.Second); m.Type != "next" {
		t.Fatalf("want the case's event, got %+v", m)
	}
	if got := w.metric(t, "partnerdesk_events_published_total"); got < 1 {
		t.Errorf("events published %v, want at least 1", got)
	}
	if got := w.metric(t, "partnerdesk_events_delivered_total"); got < 1 {
		t.Errorf("events delivered %v, want at least 1", got)
	}
	if got := w.metric(t, `partnerdesk_graphql_requests_total{code="OK",operation="anonymous",type="subscription"}`); got != 1 {
		t.Errorf("subscriptions answered %v, want 1", got)
	}

	sub.Close()
	waitFor(t, func() bool { return w.metric(t, open) == 0 }, "the closed subscription to be uncounted")

	// Over server-sent events, the subscription is answered (counted) as
	// it starts following, while its request goes on.
	const sse = `partnerdesk_subscriptions_open{transport="sse"}`
	ctx, cancel := context.WithCancel(t.Context())
	body, _ := json.Marshal(map[string]any{"query": `subscription Watch { caseEvents { id } }`})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, w.Server.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+w.token)
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	waitFor(t, func() bool { return w.metric(t, sse) == 1 }, "the event stream to be counted open")
	if got := w.metric(t, "partnerdesk_graphql_requests_in_flight"); got != 1 {
		t.Errorf("requests in flight %v, want the event stream's 1", got)
	}
	if got := w.metric(t, `partnerdesk_graphql_requests_total{code="OK",operation="Watch",type="subscription"}`); got != 1 {
		t.Errorf("the streaming subscription was answered %v times, want 1", got)
	}
	cancel()
	waitFor(t, func() bool { return w.metric(t, sse) == 0 }, "the ended event stream to be uncounted")
	waitFor(t, func() bool { return w.metric(t, "partnerdesk_graphql_requests_in_flight") == 0 }, "the ended stream to leave the requests in flight")
	if got := w.metric(t, `partnerdesk_graphql_requests_total{code="OK",operation="Watch",type="subscription"}`); got != 1 {
		t.Errorf("after its end, the streaming subscription was answered %v times, want 1", got)
	}
}

// waitFor polls cond, which the server makes true on its own goroutines
// with no signal a client could wait on (a subscription follows its
// stream, or the server notices its client left).
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTheAccessLogCarriesTheFields: one line per request, with what an
// operator follows a request by, refused ones included; and one per
// operation a websocket carries.
func TestTheAccessLogCarriesTheFields(t *testing.T) {
	w := newWorld(t)
	w.post(t, w.token, viewerQuery, map[string]string{"X-Request-Id": "gw-4711"})
	w.post(t, "", viewerQuery, map[string]string{"X-Request-Id": "gw-4712"})
	sub := w.Dial(t, w.token)
	sub.Subscribe("q", viewerQuery, nil)
	if m := sub.Next(5 * time.Second); m.Type != "next" {
		t.Fatalf("want the query's answer, got %+v", m)
	}
	// Each line is written before its response is sent.

	byID := map[string]map[string]any{}
	var wsOp map[string]any
	for _, l := range lines(t, w.log) {
		if l["msg"] == "operation" {
			wsOp = l
		} else {
			byID[l["request_id"].(string)] = l
		}
	}
	ok := byID["gw-4711"]
	if ok == nil {
		t.Fatalf("no line for gw-4711 in %s", w.log)
	}
	for k, want := range map[string]any{
		"msg": "request", "method": "POST", "path": "/graphql", "transport": "http", "operation": "Viewer",
		"operation_type": "query", "caller": w.contact.ID, "status": float64(200), "code": "OK",
	} {
		if ok[k] != want {
			t.Errorf("%s = %v, want %v (line %v)", k, ok[k], want, ok)
		}
	}
	for _, k := range []string{"duration_ms", "cost", "bytes", "trace_id"} {
		if v, found := ok[k]; !found || v == float64(0) || v == "" {
			t.Errorf("%s missing from %v", k, ok)
		}
	}
	refused := byID["gw-4712"]
	if refused == nil || refused["status"] != float64(401) || refused["code"] != "UNAUTHENTICATED" || refused["caller"] != nil {
		t.Errorf("the refused request's line is %v", refused)
	}
	if wsOp == nil || wsOp["operation"] != "Viewer" || wsOp["caller"] != w.contact.ID || wsOp["transport"] != "websocket" || wsOp["code"] != "OK" {
		t.Errorf("the websocket operation's line is %v", wsOp)
	}
}

// TestSecretsNeverReachTheLogs: the tokens a request presents, or a
// mutation returns, appear in no log line; an attribute named like a
// secret is redacted whoever logs it.
func TestSecretsNeverReachTheLogs(t *testing.T) {
	w := newWorld(t)
	res := w.post(t, w.token, `mutation { createAccessToken(input: {name: "laptop"}) { token } }`, nil)
	var created struct{ CreateAccessToken struct{ Token string } }
	res.Decode(t, &created)
	w.post(t, created.CreateAccessToken.Token, viewerQuery, nil)
	wrong := "pdt_" + strings.Repeat("x", 43)
	w.post(t, wrong, viewerQuery, nil)

	logger, _ := observe.NewLogger(w.log, "json", "info")
	logger.Info("carelessly", "authorization", "Bearer "+w.token, "smtp_password", "hunter2")

	log := w.log.String()
	for _, secret := range []string{w.token, created.CreateAccessToken.Token, wrong, "hunter2"} {
		if strings.Contains(log, secret) {
			t.Errorf("a secret is in the log:\n%s", log)
		}
	}
	for _, s := range w.spans.GetSpans().Snapshots() {
		for _, a := range s.Attributes() {
			if v := a.Value.Emit(); strings.Contains(v, w.token) || strings.Contains(v, wrong) {
				t.Errorf("span %s carries a token in %s", s.Name(), a.Key)
			}
		}
	}
}

// TestAnInboundRequestIDIsKeptAndEchoed: a valid X-Request-Id is echoed
// and logged; without one, a traceparent's trace ID serves; an invalid one
// is replaced.
func TestAnInboundRequestIDIsKeptAndEchoed(t *testing.T) {
	w := newWorld(t)
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	traceparent := "00-" + traceID + "-00f067aa0ba902b7-01"
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   string
	}{
		{"X-Request-Id", map[string]string{"X-Request-Id": "b3c1e2a0-0d5c-4c43-9d8e-2f1a6f3f0c11"}, "b3c1e2a0-0d5c-4c43-9d8e-2f1a6f3f0c11"},
		{"both", map[string]string{"X-Request-Id": "gw:42", "Traceparent": traceparent}, "gw:42"},
		{"traceparent", map[string]string{"Traceparent": traceparent}, traceID},
		{"invalid", map[string]string{"X-Request-Id": strings.Repeat("x", 129)}, ""},
		{"control character", map[string]string{"X-Request-Id": "a\tlevel=ERROR"}, ""},
		{"zero trace", map[string]string{"Traceparent": "00-" + strings.Repeat("0", 32) + "-00f067aa0ba902b7-01"}, ""},
	} {
		res := w.post(t, w.token, viewerQuery, tc.header)
		got := res.Header.Get("X-Request-Id")
		switch {
		case tc.want == "" && (got == "" || got == tc.header["X-Request-Id"]):
			t.Errorf("%s: X-Request-Id %q, want a fresh one", tc.name, got)
		case tc.want != "" && got != tc.want:
			t.Errorf("%s: X-Request-Id %q, want %q", tc.name, got, tc.want)
		}
		if _, tp := tc.header["Traceparent"]; tp && tc.want != "" && !strings.Contains(res.Header.Get("Traceparent"), traceID) {
			t.Errorf("%s: traceparent %q does not continue trace %s", tc.name, res.Header.Get("Traceparent"), traceID)
		}
	}
	logged := map[string]bool{}
	for _, l := range lines(t, w.log) {
		logged[l["request_id"].(string)] = true
	}
	for _, id := range []string{"b3c1e2a0-0d5c-4c43-9d8e-2f1a6f3f0c11", "gw:42", traceID} {
		if !logged[id] {
			t.Errorf("no log line has request_id %s", id)
		}
	}
}

// TestWithoutATracerTheTraceparentIsEchoed: a server that traces nothing
// still hands the caller's trace context back.
func TestWithoutATracerTheTraceparentIsEchoed(t *testing.T) {
	e := testkit.New(t, testkit.WithConfig(func(c *httpapi.Config) { c.Observe = &observe.Observer{} }))
	token := e.Token(e.Contact(e.Org(access.Customer, "Acme"), "Ada", access.RoleAdmin))
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	body, _ := json.Marshal(map[string]any{"query": viewerQuery})
	req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Traceparent", tp)
	if got := e.Do(req).Header.Get("Traceparent"); got != tp {
		t.Errorf("traceparent %q, want %q echoed", got, tp)
	}
}

// TestATraceHasTheOperationSpan: the request's trace continues the
// caller's, with a span for the operation, one for the root resolver
// under it, and the SQL under that; SQL outside requests is not traced.
func TestATraceHasTheOperationSpan(t *testing.T) {
	w := newWorld(t)
	const traceID = "0af7651916cd43dd8448eb211c80319c"
	w.post(t, w.token, viewerQuery, map[string]string{"Traceparent": "00-" + traceID + "-b7ad6b7169203331-01"})

	byName := map[string]sdktrace.ReadOnlySpan{}
	parent := map[string]string{} // span ID → parent span ID
	for _, s := range w.spans.GetSpans().Snapshots() {
		if s.SpanContext().TraceID().String() != traceID {
			continue
		}
		byName[s.Name()] = s
		parent[s.SpanContext().SpanID().String()] = s.Parent().SpanID().String()
	}
	server, op, resolver := byName["POST /graphql"], byName["query Viewer"], byName["Query.viewer"]
	if server == nil || op == nil || resolver == nil {
		t.Fatalf("want the server, operation and resolver spans in trace %s, got %v", traceID, keys(byName))
	}
	if op.Parent().SpanID() != server.SpanContext().SpanID() {
		t.Error("the operation span is not under the server's")
	}
	if resolver.Parent().SpanID() != op.SpanContext().SpanID() {
		t.Error("the resolver span is not under the operation's")
	}
	attrs := map[string]string{}
	for _, a := range op.Attributes() {
		attrs[string(a.Key)] = a.Value.Emit()
	}
	if attrs["graphql.operation.name"] != "Viewer" || attrs["graphql.operation.type"] != "query" || attrs["graphql.outcome"] != "OK" {
		t.Errorf("operation span attributes %v", attrs)
	}
	under := func(id, ancestor string) bool {
		for ; id != "" && id != "0000000000000000"; id = parent[id] {
			if id == ancestor {
				return true
			}
		}
		return false
	}
	var sqlUnderResolver bool
	for _, s := range w.spans.GetSpans().Snapshots() {
		if !strings.HasPrefix(s.Name(), "sql ") {
			continue
		}
		if under(s.Parent().SpanID().String(), resolver.SpanContext().SpanID().String()) {
			sqlUnderResolver = true
		}
		if !s.Parent().IsValid() {
			t.Errorf("a statement outside any request (the fixtures') started a trace: %s", s.Name())
		}
	}
	if !sqlUnderResolver {
		t.Error("no SQL span under the resolver's")
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestLogFormats: text writes key=value lines, json one object a line,
// and anything else is refused.
func TestLogFormats(t *testing.T) {
	for format, want := range map[string]string{"text": `level=INFO msg=hello n=1`, "json": `{"level":"INFO","msg":"hello","n":1}`} {
		var buf bytes.Buffer
		logger, err := observe.NewLogger(&buf, format, "info")
		if err != nil {
			t.Fatal(err)
		}
		logger.Info("hello", "n", 1)
		logger.Debug("below the level")
		line := buf.String()
		if !strings.Contains(stripTime(line), want) || strings.Count(line, "\n") != 1 {
			t.Errorf("%s: %q, want %q", format, line, want)
		}
	}
	if _, err := observe.NewLogger(io.Discard, "xml", "info"); err == nil {
		t.Error("--log-format xml was taken")
	}
	if _, err := observe.NewLogger(io.Discard, "json", "loud"); err == nil {
		t.Error("--log-level loud was taken")
	}
}

// stripTime drops slog's time attribute, the only one a test cannot fix.
func stripTime(line string) string {
	if i := strings.Index(line, `"time":`); i >= 0 {
		j := strings.Index(line[i:], ",")
		return line[:i] + line[i+j+1:]
	}
	if strings.HasPrefix(line, "time=") {
		_, rest, _ := strings.Cut(line, " ")
		return rest
	}
	return line
}
