package httpapi_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/auth"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/httpapi"
	"github.com/partnerdesk/partnerdesk/limits"
	"github.com/partnerdesk/partnerdesk/testkit"
)

const viewerQuery = `{ viewer { contact { id } } }`

// caller is a running server and one signed-in customer admin.
type caller struct {
	*testkit.Env
	contact *ent.Contact
	token   string
}

func newCaller(t *testing.T) caller {
	t.Helper()
	e := testkit.New(t)
	c := e.Contact(e.Org(access.Customer, "Acme"), "Ada Admin", access.RoleAdmin)
	return caller{Env: e, contact: c, token: e.Token(c)}
}

// request builds a request to the server with the caller's token.
func (c caller) request(t *testing.T, method, path string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, c.Server.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// send performs req and returns the response with its body read.
func send(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading the body of %s %s: %v", req.Method, req.URL.Path, err)
	}
	return res, raw
}

// viewerID returns the contact ID a viewerQuery response answers.
func viewerID(t *testing.T, res testkit.Response) string {
	t.Helper()
	var got struct {
		Viewer struct{ Contact struct{ ID string } }
	}
	res.Decode(t, &got)
	return got.Viewer.Contact.ID
}

// tokenRow is one of the caller's access tokens.
type tokenRow struct {
	ID        string
	RevokedAt *string
}

// tokens lists the caller's access tokens.
func (c caller) tokens(t *testing.T) []tokenRow {
	t.Helper()
	var got struct {
		Viewer struct {
			AccessTokens struct {
				Edges []struct{ Node tokenRow }
			}
		}
	}
	c.Query(c.token, `{ viewer { accessTokens(first: 100) { edges { node { id revokedAt } } } } }`, nil).Decode(t, &got)
	var rows []tokenRow
	for _, e := range got.Viewer.AccessTokens.Edges {
		rows = append(rows, e.Node)
	}
	return rows
}

func TestPostJSONNegotiatesContentType(t *testing.T) {
	c := newCaller(t)

	res := c.Query(c.token, viewerQuery, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("status = %d, want 200", res.Status)
	}
	if id := viewerID(t, res); id != c.contact.ID {
		t.Errorf("viewer.contact.id = %q, want %q", id, c.contact.ID)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("default Content-Type = %q, want application/json", ct)
	}

	body, _ := json.Marshal(map[string]any{"query": viewerQuery})
	req := c.request(t, http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Accept", "application/graphql-response+json")
	res = c.Do(req)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/graphql-response+json") {
		t.Errorf("Content-Type with Accept: application/graphql-response+json = %q", ct)
	}
	if id := viewerID(t, res); id != c.contact.ID {
		t.Errorf("viewer.contact.id = %q, want %q", id, c.contact.ID)
	}
}

func TestGetRunsQueries(t *testing.T) {
	c := newCaller(t)
	res := c.Do(c.request(t, http.MethodGet, "/graphql?query="+url.QueryEscape(viewerQuery), nil))
	if res.Status != http.StatusOK {
		t.Fatalf("status = %d, want 200", res.Status)
	}
	if id := viewerID(t, res); id != c.contact.ID {
		t.Errorf("viewer.contact.id = %q, want %q", id, c.contact.ID)
	}
}

// getRevoke tries to revoke a real token of the caller over GET.
func getRevoke(t *testing.T, c caller) (testkit.Response, *ent.AccessToken) {
	t.Helper()
	_, victim, err := auth.Issue(c.System(), c.Client, c.contact.ID, "victim", nil)
	if err != nil {
		t.Fatal(err)
	}
	q := fmt.Sprintf(`mutation { revokeAccessToken(input: {id: %q}) { accessToken { id revokedAt } } }`, victim.ID)
	return c.Do(c.request(t, http.MethodGet, "/graphql?query="+url.QueryEscape(q), nil)), victim
}

func TestGetRefusesMutationsAndRunsNothing(t *testing.T) {
	c := newCaller(t)
	res, victim := getRevoke(t, c)
	if res.Status < 400 || res.Status >= 500 {
		t.Errorf("status = %d, want a 4xx refusal", res.Status)
	}
	if len(res.Errors) == 0 || !res.NoData() {
		t.Errorf("want errors and no data, got data %s errors %+v", res.Data, res.Errors)
	}
	for _, tok := range c.tokens(t) {
		if tok.ID == victim.ID && tok.RevokedAt != nil {
			t.Errorf("the mutation sent over GET revoked the token at %s", *tok.RevokedAt)
		}
	}
}

func TestGetMutationIsMethodNotAllowed(t *testing.T) {
	c := newCaller(t)
	res, _ := getRevoke(t, c)
	if res.Status != http.StatusMethodNotAllowed {
		t.Errorf("status = %d, want 405", res.Status)
	}
}

func TestBatchingAndMalformedJSONAreRefused(t *testing.T) {
	c := newCaller(t)
	before := len(c.tokens(t))
	create := `mutation { createAccessToken(input: {name: "batched"}) { token } }`

	for name, body := range map[string]string{
		"batch":     fmt.Sprintf(`[{"query": %q}, {"query": %q}]`, create, create),
		"malformed": fmt.Sprintf(`{"query": %q`, create),
		"not json":  `query=` + url.QueryEscape(create),
	} {
		t.Run(name, func(t *testing.T) {
			res := c.Do(c.request(t, http.MethodPost, "/graphql", strings.NewReader(body)))
			if res.Status < 400 || res.Status >= 500 {
				t.Errorf("status = %d, want 4xx", res.Status)
			}
			if name != "batch" && res.Status != http.StatusBadRequest {
				t.Errorf("status = %d, want 400", res.Status)
			}
			if len(res.Errors) == 0 || !res.NoData() {
				t.Errorf("want errors and no data, got data %s errors %+v", res.Data, res.Errors)
			}
		})
	}
	if after := len(c.tokens(t)); after != before {
		t.Errorf("refused requests created tokens: %d before, %d after", before, after)
	}
}

func TestMalformedBodiesGetAClearError(t *testing.T) {
	c := newCaller(t)
	for _, body := range []string{
		`[{"query": "{ viewer { id } }"}]`,
		`{"query": `,
		`{"query": 5}`,
		`{"Query": 5}`, // gqlgen's decoder matches names in any case
		`{"query": "{ viewer { __typename } }", "VARIABLES": "x"}`,
		`{"query": "{ viewer { __typename } }"} {}`,
	} {
		res, raw := send(t, c.request(t, http.MethodPost, "/graphql", strings.NewReader(body)))
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(raw), `"code":"BAD_USER_INPUT"`) {
			t.Errorf("%s: status %d, %s; want 400 BAD_USER_INPUT", body, res.StatusCode, raw)
		}
		for _, leak := range []string{"Go struct", "json:", "interface {}", "RawParams"} {
			if strings.Contains(string(raw), leak) {
				t.Errorf("%s: the answer names %q: %s", body, leak, raw)
			}
		}
	}
}

// TestSubscriptionsNeedAStream: over a plain POST or GET a subscription
// would hold the request open until an event came.
func TestSubscriptionsNeedAStream(t *testing.T) {
	c := newCaller(t)
	b, _ := json.Marshal(map[string]any{"query": `subscription { grantEvents { kind } }`})
	res := c.Do(c.request(t, http.MethodPost, "/graphql", bytes.NewReader(b)))
	if len(res.Errors) != 1 || res.Errors[0].Extensions["reason"] != "SUBSCRIPTION_NEEDS_A_STREAM" || !res.NoData() {
		t.Fatalf("want one refusal: %s %+v", res.Data, res.Errors)
	}
}

// paddedBody is a viewer query whose JSON encoding is about n bytes.
func paddedBody(n int) []byte {
	body, _ := json.Marshal(map[string]any{
		"query":     viewerQuery,
		"variables": map[string]any{"pad": strings.Repeat("a", n)},
	})
	return body
}

// onlyReader hides the concrete type so the request has no Content-Length.
type onlyReader struct{ io.Reader }

func TestBodyLimit(t *testing.T) {
	c := newCaller(t)
	const mib = httpapi.DefaultMaxBodyBytes

	t.Run("under the limit", func(t *testing.T) {
		res := c.Do(c.request(t, http.MethodPost, "/graphql", bytes.NewReader(paddedBody(mib-1024))))
		if res.Status != http.StatusOK || viewerID(t, res) != c.contact.ID {
			t.Errorf("status = %d, errors %+v", res.Status, res.Errors)
		}
	})
	t.Run("content-length", func(t *testing.T) {
		req := c.request(t, http.MethodPost, "/graphql", bytes.NewReader(paddedBody(mib+mib/10)))
		if req.ContentLength <= mib {
			t.Fatalf("test request has Content-Length %d", req.ContentLength)
		}
		res := c.Do(req)
		if res.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("status = %d, want 413", res.Status)
		}
		if len(res.Errors) != 1 || !res.NoData() {
			t.Errorf("want one error and no data, got data %s errors %+v", res.Data, res.Errors)
		}
	})
	t.Run("chunked", func(t *testing.T) {
		req := c.request(t, http.MethodPost, "/graphql", onlyReader{bytes.NewReader(paddedBody(mib + mib/10))})
		req.ContentLength = -1
		res := c.Do(req)
		if res.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("status = %d, want 413", res.Status)
		}
		if len(res.Errors) != 1 || !res.NoData() {
			t.Errorf("want one error and no data, got data %s errors %+v", res.Data, res.Errors)
		}
	})
}

func TestUnauthenticatedRequestsAreRefused(t *testing.T) {
	c := newCaller(t)
	body, _ := json.Marshal(map[string]any{"query": viewerQuery})

	for name, prepare := range map[string]func(*http.Request){
		"no header":  func(r *http.Request) { r.Header.Del("Authorization") },
		"basic":      func(r *http.Request) { r.SetBasicAuth(c.contact.Email, c.token) },
		"bad bearer": func(r *http.Request) { r.Header.Set("Authorization", "Bearer pd_not-a-token") },
		"cookie only": func(r *http.Request) {
			r.Header.Del("Authorization")
			for _, name := range []string{"token", "Authorization", "session", "access_token"} {
				r.AddCookie(&http.Cookie{Name: name, Value: c.token})
			}
			r.AddCookie(&http.Cookie{Name: "auth", Value: url.QueryEscape("Bearer " + c.token)})
		},
	} {
		t.Run(name, func(t *testing.T) {
			req := c.request(t, http.MethodPost, "/graphql", bytes.NewReader(body))
			prepare(req)
			res := c.Do(req)
			if res.Status != http.StatusUnauthorized {
				t.Errorf("status = %d, want 401", res.Status)
			}
			if len(res.Errors) != 1 || res.Code() != "UNAUTHENTICATED" || !res.NoData() {
				t.Errorf("want a single UNAUTHENTICATED error and no data, got data %s errors %+v", res.Data, res.Errors)
			}
		})
	}
}

func TestHealthAndReadiness(t *testing.T) {
	c := newCaller(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		res, body := send(t, c.request(t, http.MethodGet, path, nil))
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d %s, want 200", path, res.StatusCode, body)
		}
	}
}

func TestReadinessFailsWithoutTheDatabase(t *testing.T) {
	e := testkit.New(t) // its cleanup closes the database a second time, which must not panic
	get := func(path string) int {
		res, _ := send(t, mustRequest(t, http.MethodGet, e.Server.URL+path))
		return res.StatusCode
	}
	if s := get("/readyz"); s != http.StatusOK {
		t.Fatalf("/readyz with the database up = %d, want 200", s)
	}
	e.DB.Close()
	if s := get("/readyz"); s != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the database closed = %d, want 503", s)
	}
	if s := get("/healthz"); s != http.StatusOK {
		t.Errorf("/healthz with the database closed = %d, want 200 (liveness does not depend on it)", s)
	}
}

func mustRequest(t *testing.T, method, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestGraphiQLAndUnknownPaths(t *testing.T) {
	e := testkit.New(t)
	res, body := send(t, mustRequest(t, http.MethodGet, e.Server.URL+"/"))
	if res.StatusCode != http.StatusOK {
		t.Errorf("GET / = %d, want 200", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET / Content-Type = %q, want text/html", ct)
	}
	if !strings.Contains(strings.ToLower(string(body)), "graphiql") {
		t.Errorf("GET / does not look like GraphiQL:\n%.300s", body)
	}
	checkPageHeaders(t, "/", res)

	// Everything the page loads comes from this server, so that it works
	// offline and its policy can forbid every other source.
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(string(body), -1)
	if len(refs) < 4 {
		t.Fatalf("the page loads %d files, want GraphiQL, React, ReactDOM and ours", len(refs))
	}
	for _, ref := range refs {
		if strings.HasPrefix(ref[1], "data:") {
			continue // the empty icon, which spares a request for /favicon.ico
		}
		u, err := url.Parse(ref[1])
		if err != nil || u.IsAbs() || strings.HasPrefix(ref[1], "//") {
			t.Errorf("the page loads %q from elsewhere", ref[1])
			continue
		}
		res, body := send(t, mustRequest(t, http.MethodGet, e.Server.URL+"/"+ref[1]))
		if res.StatusCode != http.StatusOK || len(body) == 0 {
			t.Errorf("GET /%s = %d with %d bytes, want the embedded file", ref[1], res.StatusCode, len(body))
		}
		checkPageHeaders(t, ref[1], res)
	}

	for _, path := range []string{"/nope", "/graphql/extra", "/index.html", "/graphiql/", "/graphiql/nope.js"} {
		if res, _ := send(t, mustRequest(t, http.MethodGet, e.Server.URL+path)); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, res.StatusCode)
		}
	}
}

// checkPageHeaders checks that a response of GraphiQL's cannot be framed
// and lets the page load nothing from another site.
func checkPageHeaders(t *testing.T, path string, res *http.Response) {
	t.Helper()
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: Content-Security-Policy %q lacks %q", path, csp, want)
		}
	}
	if xfo := res.Header.Get("X-Frame-Options"); xfo != "DENY" {
		t.Errorf("%s: X-Frame-Options = %q, want DENY", path, xfo)
	}
}

// TestEveryResponseCarriesAFreshRequestID: a request without a valid ID
// of its own gets a fresh one (observe's tests cover the valid ones).
func TestEveryResponseCarriesAFreshRequestID(t *testing.T) {
	c := newCaller(t)
	seen := map[string]string{}
	const invalid = "client chosen; level=ERROR"
	check := func(label string, req *http.Request) {
		t.Helper()
		req.Header.Set("X-Request-Id", invalid)
		res, _ := send(t, req)
		id := res.Header.Get("X-Request-Id")
		switch {
		case id == "":
			t.Errorf("%s: no X-Request-Id", label)
		case id == invalid:
			t.Errorf("%s: the client's invalid X-Request-Id was kept", label)
		case seen[id] != "":
			t.Errorf("%s: X-Request-Id %s repeats the one of %s", label, id, seen[id])
		}
		seen[id] = label
	}
	body := func() io.Reader {
		b, _ := json.Marshal(map[string]any{"query": viewerQuery})
		return bytes.NewReader(b)
	}

	check("query", c.request(t, http.MethodPost, "/graphql", body()))
	check("second query", c.request(t, http.MethodPost, "/graphql", body()))
	unauth := c.request(t, http.MethodPost, "/graphql", body())
	unauth.Header.Del("Authorization")
	check("unauthenticated", unauth)
	check("healthz", c.request(t, http.MethodGet, "/healthz", nil))
	check("graphiql", c.request(t, http.MethodGet, "/", nil))
	check("not found", c.request(t, http.MethodGet, "/nope", nil))
}

func preflight(t *testing.T, serverURL, origin string) *http.Response {
	t.Helper()
	return preflightWith(t, serverURL, origin, "authorization,content-type")
}

// preflightWith asks whether origin may POST with headers, listed sorted
// as browsers list them.
func preflightWith(t *testing.T, serverURL, origin, headers string) *http.Response {
	t.Helper()
	list := strings.Split(headers, ",")
	slices.Sort(list)
	req := mustRequest(t, http.MethodOptions, serverURL+"/graphql")
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", http.MethodPost)
	req.Header.Set("Access-Control-Request-Headers", strings.Join(list, ","))
	res, _ := send(t, req)
	return res
}

// TestCORSAllowsConfiguredHeaders: by default a browser may send trace
// context and Apollo Client's headers; the list, and credentials, are the
// operator's to change.
func TestCORSAllowsConfiguredHeaders(t *testing.T) {
	const portal = "https://portal.example"
	e := testkit.New(t)
	serve := func(cfg httpapi.Config) string {
		cfg.DB, cfg.Clock, cfg.CORSOrigins = e.DB, e.Clock, []string{portal}
		srv := httptest.NewServer(httpapi.New(cfg))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	allowed := func(res *http.Response) bool {
		return res.StatusCode < 300 && res.Header.Get("Access-Control-Allow-Origin") == portal
	}

	byDefault := serve(httpapi.Config{})
	for _, h := range []string{"traceparent", "tracestate", "apollographql-client-name", "apollographql-client-version", "x-request-id"} {
		if res := preflightWith(t, byDefault, portal, "authorization,content-type,"+h); !allowed(res) {
			t.Errorf("by default, a preflight asking for %s = %d, Access-Control-Allow-Headers %q", h, res.StatusCode, res.Header.Get("Access-Control-Allow-Headers"))
		}
	}
	if res := preflightWith(t, byDefault, portal, "x-tenant"); allowed(res) {
		t.Error("by default, a header nobody configured is allowed")
	}

	custom := serve(httpapi.Config{CORSHeaders: []string{"Authorization", "Content-Type", "X-Tenant"}, CORSCredentials: true})
	res := preflightWith(t, custom, portal, "authorization,x-tenant")
	if !allowed(res) || res.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("configured X-Tenant and credentials: %d, Allow-Headers %q, Allow-Credentials %q",
			res.StatusCode, res.Header.Get("Access-Control-Allow-Headers"), res.Header.Get("Access-Control-Allow-Credentials"))
	}
	if res := preflightWith(t, custom, portal, "traceparent"); allowed(res) {
		t.Error("traceparent is allowed though the configured list leaves it out")
	}
}

func TestCORSAllowsOnlyConfiguredOrigins(t *testing.T) {
	e := testkit.New(t)
	srv := httptest.NewServer(httpapi.New(httpapi.Config{
		DB: e.DB, Clock: e.Clock, CORSOrigins: []string{"https://portal.example"},
	}))
	t.Cleanup(srv.Close)

	res := preflight(t, srv.URL, "https://portal.example")
	if res.StatusCode >= 300 {
		t.Errorf("preflight from the portal = %d, want 2xx", res.StatusCode)
	}
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != "https://portal.example" {
		t.Errorf("Access-Control-Allow-Origin = %q, want the portal", got)
	}
	if got := strings.ToLower(res.Header.Get("Access-Control-Allow-Headers")); !strings.Contains(got, "authorization") {
		t.Errorf("Access-Control-Allow-Headers = %q, want Authorization allowed", got)
	}
	if got := res.Header.Get("Access-Control-Allow-Credentials"); got == "true" {
		t.Errorf("credentials are allowed, yet the API never reads cookies")
	}

	res = preflight(t, srv.URL, "https://evil.example")
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("preflight from evil.example got Access-Control-Allow-Origin %q", got)
	}

	// An actual request from the portal can read the request ID.
	c := caller{Env: e}
	c.contact = e.Contact(e.Org(access.Customer, "Acme"), "Ada", access.RoleAdmin)
	c.token = e.Token(c.contact)
	b, _ := json.Marshal(map[string]any{"query": viewerQuery})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Origin", "https://portal.example")
	res, _ = send(t, req)
	if res.StatusCode != http.StatusOK || res.Header.Get("Access-Control-Allow-Origin") != "https://portal.example" {
		t.Errorf("POST from the portal = %d, Access-Control-Allow-Origin %q", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
	}
	if got := strings.ToLower(res.Header.Get("Access-Control-Expose-Headers")); !strings.Contains(got, "x-request-id") {
		t.Errorf("Access-Control-Expose-Headers = %q, want X-Request-Id", got)
	}
}

func TestCORSWithoutOriginsAllowsNone(t *testing.T) {
	e := testkit.New(t) // the harness configures no origins
	res := preflight(t, e.Server.URL, "https://evil.example")
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("with no origins configured, evil.example got Access-Control-Allow-Origin %q", got)
	}
}

// wsProtocol is one of the two websocket subprotocols.
type wsProtocol struct {
	name      string
	subscribe string // the client's message starting an operation
	next      string // the server's message carrying a result
}

var wsProtocols = []wsProtocol{
	{name: "graphql-transport-ws", subscribe: "subscribe", next: "next"},
	{name: "graphql-ws", subscribe: "start", next: "data"},
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func wsURL(serverURL string) string { return "ws" + strings.TrimPrefix(serverURL, "http") + "/graphql" }

// dial opens a websocket with p's subprotocol; header may carry a token.
func dial(t *testing.T, serverURL string, p wsProtocol, header http.Header) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{p.name}, HandshakeTimeout: 5 * time.Second}
	conn, res, err := d.Dial(wsURL(serverURL), header)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		t.Fatalf("dialing with %s: %v (status %d)", p.name, err, status)
	}
	t.Cleanup(func() { conn.Close() })
	if conn.Subprotocol() != p.name {
		t.Fatalf("negotiated subprotocol %q, want %q", conn.Subprotocol(), p.name)
	}
	return conn
}

func write(t *testing.T, conn *websocket.Conn, m any) {
	t.Helper()
	conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := conn.WriteJSON(m); err != nil {
		t.Fatalf("writing %+v: %v", m, err)
	}
}

// read returns the next message other than a keep-alive, or the error that
// ended the connection.
func read(conn *websocket.Conn) (wsMessage, error) {
	for {
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		var m wsMessage
		_, raw, err := conn.ReadMessage()
		if err != nil {
			return m, err
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			return m, fmt.Errorf("undecodable message %s: %w", raw, err)
		}
		if m.Type != "ka" && m.Type != "ping" && m.Type != "pong" {
			return m, nil
		}
	}
}

func mustRead(t *testing.T, conn *websocket.Conn, want string) wsMessage {
	t.Helper()
	m, err := read(conn)
	if err != nil {
		t.Fatalf("waiting for %q: %v", want, err)
	}
	if m.Type != want {
		t.Fatalf("got %s %s, want %q", m.Type, m.Payload, want)
	}
	return m
}

// runViewerQuery sends init with payload, expects an ack and runs
// viewerQuery, returning the contact ID it answers.
func runViewerQuery(t *testing.T, conn *websocket.Conn, p wsProtocol, payload map[string]any) string {
	t.Helper()
	write(t, conn, map[string]any{"type": "connection_init", "payload": payload})
	mustRead(t, conn, "connection_ack")
	write(t, conn, map[string]any{"id": "1", "type": p.subscribe, "payload": map[string]any{"query": viewerQuery}})
	m := mustRead(t, conn, p.next)
	var res struct {
		Data struct {
			Viewer struct{ Contact struct{ ID string } }
		}
		Errors []testkit.Error
	}
	if err := json.Unmarshal(m.Payload, &res); err != nil || len(res.Errors) > 0 || m.ID != "1" {
		t.Fatalf("%s message %s (id %q): %v", p.next, m.Payload, m.ID, err)
	}
	if done := mustRead(t, conn, "complete"); done.ID != "1" {
		t.Errorf("complete for id %q, want 1", done.ID)
	}
	return res.Data.Viewer.Contact.ID
}

func TestWebsocketAuthenticatesInConnectionInit(t *testing.T) {
	c := newCaller(t)
	for _, p := range wsProtocols {
		t.Run(p.name, func(t *testing.T) {
			conn := dial(t, c.Server.URL, p, nil)
			if id := runViewerQuery(t, conn, p, map[string]any{"Authorization": "Bearer " + c.token}); id != c.contact.ID {
				t.Errorf("viewer.contact.id = %q, want %q", id, c.contact.ID)
			}
		})
	}
}

func TestWebsocketAuthenticatesWithUpgradeHeader(t *testing.T) {
	c := newCaller(t)
	for _, p := range wsProtocols {
		t.Run(p.name, func(t *testing.T) {
			conn := dial(t, c.Server.URL, p, http.Header{"Authorization": {"Bearer " + c.token}})
			if id := runViewerQuery(t, conn, p, nil); id != c.contact.ID {
				t.Errorf("viewer.contact.id = %q, want %q", id, c.contact.ID)
			}
		})
	}
}

// TestWebsocketBadUpgradeHeaderIsRefused: the upgrade goes through and the
// connection_init is refused with 4401, which graphql-ws clients do not
// retry; an HTTP 401 before the upgrade would look to them like a network
// failure (1006), which they do.
func TestWebsocketBadUpgradeHeaderIsRefused(t *testing.T) {
	c := newCaller(t)
	for _, p := range wsProtocols {
		t.Run(p.name, func(t *testing.T) {
			conn := dial(t, c.Server.URL, p, http.Header{"Authorization": {"Bearer pdt_not-a-token"}})
			write(t, conn, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + c.token}})
			for {
				m, err := read(conn)
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					if ce.Code != 4401 {
						t.Errorf("closed with %d, want 4401", ce.Code)
					}
					return
				}
				if err != nil || m.Type == "connection_ack" {
					t.Fatalf("got %+v, %v; want a close with 4401", m, err)
				}
			}
		})
	}
}

// refusedInit sends a connection_init with a bad token and reads until the
// connection ends, returning what came before and the closing error.
func refusedInit(t *testing.T, serverURL string, p wsProtocol) ([]wsMessage, error) {
	t.Helper()
	conn := dial(t, serverURL, p, nil)
	write(t, conn, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer pd_not-a-token"}})
	var got []wsMessage
	for range 10 {
		m, err := read(conn)
		if err != nil {
			return got, err
		}
		got = append(got, m)
	}
	t.Fatalf("the connection stayed open after a refused init: %+v", got)
	return nil, nil
}

func TestWebsocketRefusesABadTokenInInit(t *testing.T) {
	c := newCaller(t)
	for _, p := range wsProtocols {
		t.Run(p.name, func(t *testing.T) {
			got, err := refusedInit(t, c.Server.URL, p)
			for _, m := range got {
				if m.Type == "connection_ack" {
					t.Errorf("a bad token was acknowledged")
				}
				if strings.Contains(strings.ToLower(string(m.Payload)), "sql") {
					t.Errorf("the refusal leaks internals: %s", m.Payload)
				}
			}
			var ce *websocket.CloseError
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("the server neither acked nor closed: %v", err)
			}
			if errors.As(err, &ce) {
				t.Logf("%s: messages %+v, closed with %d %q", p.name, got, ce.Code, ce.Text)
			} else {
				t.Logf("%s: messages %+v, ended with %v", p.name, got, err)
			}
		})
	}
}

func TestWebsocketRefusedInitClosesWith4401(t *testing.T) {
	c := newCaller(t)
	for _, p := range wsProtocols {
		t.Run(p.name, func(t *testing.T) {
			_, err := refusedInit(t, c.Server.URL, p)
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != 4401 {
				t.Errorf("connection ended with %v, want close code 4401", err)
			}
		})
	}
}

func TestServerSentEvents(t *testing.T) {
	c := newCaller(t)
	b, _ := json.Marshal(map[string]any{"query": viewerQuery})
	req := c.request(t, http.MethodPost, "/graphql", bytes.NewReader(b))
	req.Header.Set("Accept", "text/event-stream")
	client := &http.Client{Timeout: 10 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Errorf("Content-Type = %q, want text/event-stream", ct)
	}

	var events []string // "event: data" pairs
	var event string
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event:"):
			event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			events = append(events, event+" "+strings.TrimSpace(strings.TrimPrefix(line, "data:")))
		case line == "" && event == "complete":
			events = append(events, "complete")
		}
		if line == "" {
			event = ""
		}
		if len(events) > 0 && events[len(events)-1] == "complete" {
			break
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading the stream: %v (events so far %q)", err, events)
	}
	if len(events) < 2 || events[len(events)-1] != "complete" {
		t.Fatalf("events = %q, want a result then complete", events)
	}
	kind, data, _ := strings.Cut(events[0], " ")
	if kind != "next" {
		t.Errorf("first event %q, want next", kind)
	}
	var got struct {
		Data struct {
			Viewer struct{ Contact struct{ ID string } }
		}
	}
	if err := json.Unmarshal([]byte(data), &got); err != nil || got.Data.Viewer.Contact.ID != c.contact.ID {
		t.Errorf("event data %s (%v), want contact %s", data, err, c.contact.ID)
	}
}

// timeoutServer serves e with a request timeout of d.
func timeoutServer(t *testing.T, e *testkit.Env, d time.Duration) string {
	t.Helper()
	srv := httptest.NewServer(httpapi.New(httpapi.Config{DB: e.DB, Clock: e.Clock, Limits: limits.Config{Timeout: d}}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// timedQuery reads from the database (organization, accessTokens), so an
// expired context matters; it returns the status and raw body.
func timedQuery(t *testing.T, serverURL, token string) (int, []byte) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"query": `{ viewer { contact { id } organization { id name } accessTokens(first: 5) { edges { node { id name } } } } }`})
	req, _ := http.NewRequest(http.MethodPost, serverURL+"/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, raw := send(t, req)
	return res.StatusCode, raw
}

// TestRequestTimeoutIsCodedAndLeaksNothing sweeps short timeouts so that
// some expire while resolvers run SQL; a timed-out request answers one
// TIMEOUT error and no data, and says nothing about SQL, files or stacks.
func TestRequestTimeoutIsCodedAndLeaksNothing(t *testing.T) {
	e := testkit.New(t)
	token := e.Token(e.Contact(e.Org(access.Customer, "Acme"), "Ada", access.RoleAdmin))

	timeouts, answers := 0, 0
	// Up from a microsecond until the query first makes it in time, which
	// takes longer over a connection to PostgreSQL than in-process SQLite.
	for d := time.Microsecond; d < 500*time.Millisecond && answers == 0; d = d * 5 / 4 {
		status, raw := timedQuery(t, timeoutServer(t, e, d), token)
		var out struct {
			Data   json.RawMessage
			Errors []testkit.Error
		}
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("timeout %v: status %d, body is not JSON: %s", d, status, raw)
		}
		switch {
		case len(out.Errors) == 0:
			answers++
		case len(out.Errors) == 1 && out.Errors[0].Extensions["code"] == "TIMEOUT" && string(out.Data) == "null":
			timeouts++
		default:
			t.Errorf("timeout %v: want data or a single TIMEOUT error and no data: %s", d, raw)
		}
		lower := strings.ToLower(string(raw))
		for _, leak := range []string{"select", "from ", "sqlite", ".go", "/work/", "goroutine", "context deadline", "sql:"} {
			if strings.Contains(lower, leak) {
				t.Errorf("timeout %v: the response leaks %q: %s", d, leak, raw)
			}
		}
	}
	if timeouts == 0 || answers == 0 {
		t.Fatalf("%d timeouts and %d answers: the sweep should see both", timeouts, answers)
	}
}

func TestExpiredRequestTimeoutAnswersAnError(t *testing.T) {
	e := testkit.New(t)
	token := e.Token(e.Contact(e.Org(access.Customer, "Acme"), "Ada", access.RoleAdmin))
	status, raw := timedQuery(t, timeoutServer(t, e, time.Nanosecond), token)
	var out struct{ Errors []testkit.Error }
	if err := json.Unmarshal(raw, &out); err != nil || len(out.Errors) != 1 {
		t.Fatalf("status %d, body %s: want one GraphQL error", status, raw)
	}
	if code, _ := out.Errors[0].Extensions["code"].(string); code != "TIMEOUT" {
		t.Errorf("extensions.code = %q, want TIMEOUT", code)
	}
}
