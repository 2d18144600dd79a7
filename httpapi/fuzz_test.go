package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/auth"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/events"
	"github.com/partnerdesk/partnerdesk/httpapi"
	"github.com/partnerdesk/partnerdesk/limits"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// FuzzHTTP drives the real /graphql handler, in process, with requests the
// fuzzer varies: the method, Content-Type, Accept and Authorization headers
// (each an index into a fixed list of realistic values), whether the
// production default (introspection off) or demo mode (on) serves it, the
// URL query string and the body. Whatever it sends, the server must not
// panic, answer 5xx, answer INTERNAL, leave an error without
// extensions.code, answer something other than GraphQL JSON (or an event
// stream of it), or name Go internals (see fuzzLeaks).
//
// Bodies and query strings may name the world's objects with placeholders
// such as {{case}} (see fuzzWorld.ids), since IDs are random per world.
// Two of the Content-Type choices have the harness frame the request (see
// fuzzFraming), so that the fuzzer can mutate a GraphQL document without
// breaking the JSON around it.
//
// The seed corpus is the schema's operations below (f.Add) and, under
// testdata/fuzz/FuzzHTTP, the hostile shapes of the "Bounded requests"
// issue, one file each. Run the seeds with go test -run FuzzHTTP, and fuzz
// with
//
//	go test -run '^$' -fuzz '^FuzzHTTP$' -fuzztime 60s ./httpapi
//
// One world serves every input of a fuzz process, so an input's answer may
// depend on what earlier inputs changed (a closed case, a new comment).
func FuzzHTTP(f *testing.F) {
	w := newFuzzWorld(f)
	for _, s := range fuzzSeeds() {
		f.Add(s.method, s.contentType, s.accept, s.auth, s.introspectionOff, s.rawQuery, s.body)
	}
	f.Fuzz(func(t *testing.T, method, contentType, accept, auth uint8, introspectionOff bool, rawQuery string, body []byte) {
		w.exchange(t, method, contentType, accept, auth, introspectionOff, rawQuery, body)
	})
}

// The request vocabulary; the fuzzer's bytes index these lists modulo
// their lengths.
var (
	fuzzMethods = []string{
		http.MethodPost, http.MethodGet, http.MethodPut, http.MethodOptions,
		http.MethodHead, http.MethodDelete, http.MethodPatch,
	}
	// fuzzContentTypes are the Content-Type headers, and how the harness
	// frames the request (see fuzzFraming).
	fuzzContentTypes = []struct {
		header  string
		framing fuzzFraming
	}{
		{"application/json", frameRaw},
		{"", frameRaw}, // none
		{"multipart/form-data; boundary=" + fuzzBoundary, frameRaw},
		{"text/plain", frameRaw},
		{"application/x-www-form-urlencoded", frameRaw},
		{"application/json; charset=utf-8", frameRaw},
		{"application/graphql", frameRaw},
		{"multipart/form-data", frameRaw}, // no boundary
		{"application/json", frameDocument},
		{"multipart/form-data; boundary=" + fuzzBoundary, frameUpload},
	}
	fuzzAccepts = []string{
		"", // none
		"application/json",
		"application/graphql-response+json",
		"text/event-stream",
		"*/*",
		"text/event-stream, application/json",
		"text/html",
	}
)

// Indexes into the lists above, for the seeds.
const (
	mPOST uint8 = iota
	mGET
	mPUT
	mOPTIONS
	mHEAD
	mDELETE
	mPATCH
)

const (
	ctJSON uint8 = iota
	ctNone
	ctMultipart
	ctText
	ctForm
	ctJSONCharset
	ctGraphQL
	ctMultipartNoBoundary
	ctDocument
	ctUploadDocument
)

// fuzzFraming is how the fuzzer's body and query string become a request.
// Mutating a document inside JSON mostly breaks the JSON, so that the
// server's document checks would rarely see a mutated document: the
// document framings put the JSON around it.
type fuzzFraming int

const (
	// frameRaw sends the body as it is, and the query string on the URL.
	frameRaw fuzzFraming = iota
	// frameDocument takes the body as a GraphQL document and the query
	// string as its variables (JSON): POST sends them as a JSON body, GET
	// as the query and variables parameters.
	frameDocument
	// frameUpload sends the body as the document of a multipart upload
	// of one file, to variables.file; the query string is its variables,
	// {"case": "{{case}}", "file": null} when it is not JSON.
	frameUpload
)

const (
	acNone uint8 = iota
	acJSON
	acGraphQLResponse
	acSSE
	acAny
	acSSEOrJSON
	acHTML
)

// The credentials a request may present.
const (
	authNone          uint8 = iota
	authHelpDesk            // a partner HELP_DESK contact; the partner has UPDATE on Acme
	authPartnerAdmin        // that partner's ADMIN
	authCustomerAdmin       // Acme's ADMIN
	authVendorAgent         // the vendor's AGENT
	authBadToken            // shaped like a token, unknown
	authExpired             // a real token past its expiry
	authSuspended           // the token of a suspended contact
	authNotBearer           // Basic credentials
	authCount
)

// fuzzBoundary separates the parts of the multipart Content-Type above.
const fuzzBoundary = "fuzz-boundary-7c1e"

// fuzzMaxBody bounds what is sent: over the JSON and upload limits, so that
// both refusals stay reachable, and small enough to stay fast.
const fuzzMaxBody = 256 << 10

// fuzzWorld is the one partnerdesk of a fuzz process and what requests
// need to reach it.
type fuzzWorld struct {
	// handlers[0] runs with introspection off, as in production;
	// handlers[1] with it on, as in demo mode. They share one database.
	handlers [2]http.Handler
	// auth holds each credential's Authorization header ("" sends none).
	auth [authCount]string
	// ids replaces the placeholders of bodies and query strings.
	ids *strings.Replacer
	// cut cancels the request in flight; subscriptions call it once they
	// subscribe, since no event will come while the fuzzer waits.
	cut atomic.Pointer[context.CancelFunc]
	// cutDone records that cut ended a request.
	cutDone atomic.Bool
	// tainted holds the leak patterns an earlier mutation may have stored,
	// and which data may therefore echo (see fuzzExchange.problems).
	tainted map[string]bool
}

// fuzzBroker tells the world when a subscription starts.
type fuzzBroker struct {
	events.Broker
	subscribed func()
}

func (b *fuzzBroker) Follow(key string, deliver func(*events.Message)) func() {
	stop := b.Broker.Follow(key, deliver)
	b.subscribed()
	return stop
}

func (w *fuzzWorld) subscribed() {
	if cancel := w.cut.Load(); cancel != nil {
		w.cutDone.Store(true)
		(*cancel)()
	}
}

// newFuzzWorld builds the world: a vendor, a partner with an UPDATE grant on
// a PREMIUM customer (Acme) and a pending request for more, a second
// customer, contacts of every role, cases, a device, and a token per
// caller.
func newFuzzWorld(f *testing.F) *fuzzWorld {
	f.Helper()
	w := &fuzzWorld{tainted: map[string]bool{}}
	var cfg httpapi.Config
	e := testkit.New(f, testkit.WithConfig(func(c *httpapi.Config) {
		c.Rate, c.SignInFailures = nil, nil // or fuzzing trips them
		c.Broker = &fuzzBroker{Broker: c.Broker, subscribed: w.subscribed}
		cfg = *c
	}))
	production := cfg
	production.Introspection = false
	w.handlers = [2]http.Handler{httpapi.New(production), e.Server.Config.Handler}

	sys := e.System()
	vendor := e.Org(access.Vendor, "Vendorco")
	agent := e.Contact(vendor, "Vera Agent", access.RoleAgent)

	acme := e.Org(access.Customer, "Acme Corp")
	e.Client.Organization.UpdateOne(acme).SetSupportPlan(organization.SupportPlanPREMIUM).SetSites([]string{"acme.webex.com"}).ExecX(sys)
	admin := e.Contact(acme, "Ada Admin", access.RoleAdmin)
	manager := e.Contact(acme, "Max Manager", access.RoleContactManager)
	designated := e.Contact(acme, "Dee Designated", access.RoleDesignated)
	suspended := e.Contact(acme, "Sam Suspended", access.RoleDesignated)

	initech := e.Org(access.Customer, "Initech")
	initechManager := e.Contact(initech, "Ian Manager", access.RoleContactManager)

	partner := e.Org(access.Partner, "Globex Partners")
	partnerAdmin := e.Contact(partner, "Pat Admin", access.RoleAdmin)
	helpDesk := e.Contact(partner, "Hal Helpdesk", access.RoleHelpDesk)
	active := e.Grant(testkit.GrantSpec{Partner: partner, Customer: acme, Level: access.Update, StartsAt: e.Clock.Now().Add(-time.Hour)})
	// A request as requestGrant leaves it: GrantSpec sets startsAt, which
	// the access rules read as approved.
	pending := e.Client.Grant.Create().SetPartnerID(partner.ID).SetCustomerID(acme.ID).SetRequestedByID(partnerAdmin.ID).
		SetGranteeID(helpDesk.ID).SetLevel(access.Create).SetExpiresInDays(30).SetStatus(grant.StatusPENDING).
		SetCreatedAt(e.Clock.Now()).SaveX(sys)

	printer := e.Case(acme, admin, "Printer on fire")
	vpn := e.Case(acme, designated, "VPN drops every hour")
	e.Case(initech, initechManager, "TPS report cover sheets")
	e.Collaborate(printer, helpDesk)
	device := e.Device(acme, "Desk Phone 8865")
	e.Client.Device.UpdateOne(device).SetMACAddress("AA:BB:CC:DD:EE:FF").SetPhoneNumber("+12124567890").SetSipAddress("sip:desk@acme.webex.com").ExecX(sys)

	expiry := e.Clock.Now().Add(-time.Hour)
	expired, _, err := auth.Issue(sys, e.Client, admin.ID, "expired", &expiry)
	if err != nil {
		f.Fatalf("issuing an expired token: %v", err)
	}
	suspendedToken := e.Token(suspended)
	e.Client.Contact.UpdateOne(suspended).SetStatus(contact.StatusSUSPENDED).ExecX(sys)

	w.auth = [authCount]string{
		authNone:          "",
		authHelpDesk:      "Bearer " + e.Token(helpDesk),
		authPartnerAdmin:  "Bearer " + e.Token(partnerAdmin),
		authCustomerAdmin: "Bearer " + e.Token(admin),
		authVendorAgent:   "Bearer " + e.Token(agent),
		authBadToken:      "Bearer pdt_" + strings.Repeat("A", 43),
		authExpired:       "Bearer " + expired,
		authSuspended:     "Bearer " + suspendedToken,
		authNotBearer:     "Basic YWRhOnBhc3N3b3Jk",
	}
	w.ids = strings.NewReplacer(
		"{{vendor}}", vendor.ID,
		"{{customer}}", acme.ID,
		"{{customer2}}", initech.ID,
		"{{partner}}", partner.ID,
		"{{contact}}", designated.ID,
		"{{manager}}", manager.ID,
		"{{manager_email}}", manager.Email,
		"{{helpdesk}}", helpDesk.ID,
		"{{case}}", printer.ID,
		"{{case2}}", vpn.ID,
		"{{device}}", device.ID,
		"{{grant}}", active.ID,
		"{{pending}}", pending.ID,
	)
	return w
}

// exchange sends one request and fails t on any problem with its answer.
func (w *fuzzWorld) exchange(t *testing.T, method, contentType, accept, auth uint8, introspectionOff bool, rawQuery string, body []byte) {
	ct := fuzzContentTypes[int(contentType)%len(fuzzContentTypes)]
	x := fuzzExchange{
		method:           fuzzMethods[int(method)%len(fuzzMethods)],
		contentType:      ct.header,
		framing:          ct.framing,
		accept:           fuzzAccepts[int(accept)%len(fuzzAccepts)],
		auth:             int(auth) % int(authCount),
		introspectionOff: introspectionOff,
	}
	if len(body) > fuzzMaxBody {
		body = body[:fuzzMaxBody]
	}
	rawQuery, body = w.ids.Replace(rawQuery), []byte(w.ids.Replace(string(body)))
	x.rawQuery, x.body = w.frame(x.framing, x.method, rawQuery, body)
	if x.method == http.MethodGet || x.method == http.MethodHead {
		x.body = nil
	}
	if len(x.body) > fuzzMaxBody {
		x.body = x.body[:fuzzMaxBody]
	}
	// What the fuzzer wrote, before framing, is part of what an answer may
	// echo.
	x.requestText = fuzzRequestText(x.rawQuery, x.body) + "\n" + fuzzRequestText(rawQuery, body)

	target := "/graphql"
	if x.rawQuery != "" {
		target += "?" + x.rawQuery
	}
	if _, err := url.ParseRequestURI(target); err != nil {
		t.Skipf("no client sends %q: %v", target, err)
	}
	// Past the server's own bound, the request is cut and reported.
	bound := limits.Defaults.Timeout + 10*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	w.cutDone.Store(false)
	w.cut.Store(&cancel)
	defer w.cut.Store(nil)

	var reqBody io.Reader
	if x.body != nil {
		reqBody = bytes.NewReader(x.body)
	}
	req := httptest.NewRequest(x.method, target, reqBody).WithContext(ctx)
	if x.contentType != "" {
		req.Header.Set("Content-Type", x.contentType)
	}
	if x.accept != "" {
		req.Header.Set("Accept", x.accept)
	}
	if a := w.auth[x.auth]; a != "" {
		req.Header.Set("Authorization", a)
	}

	handler := w.handlers[1]
	if introspectionOff {
		handler = w.handlers[0]
	}
	rec := httptest.NewRecorder()
	start := time.Now()
	func() {
		defer func() {
			if p := recover(); p != nil {
				x.panicked = fmt.Sprintf("%v\n%s", p, debug.Stack())
			}
		}()
		handler.ServeHTTP(rec, req)
	}()
	x.elapsed = time.Since(start)
	x.cut = w.cutDone.Load()
	x.overran = ctx.Err() == context.DeadlineExceeded
	res := rec.Result()
	x.status, x.header, x.response = res.StatusCode, res.Header, rec.Body.Bytes()

	if problems := x.problems(w.tainted); len(problems) > 0 {
		t.Fatalf("%s\n\n%s", strings.Join(problems, "\n"), x)
	}
	// A mutation may have stored what it sent; a later answer may show it.
	if x.status == http.StatusOK && x.method == http.MethodPost && strings.Contains(x.requestText, "mutation") {
		for _, l := range fuzzLeaks {
			if l.re.MatchString(x.requestText) {
				w.tainted[l.name] = true
			}
		}
	}
}

// fuzzQueryString is s as a client puts it on the request line: bytes a
// request line cannot carry are percent-encoded.
func fuzzQueryString(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == '#' || c >= 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// fuzzRuns numbers the documents the harness frames (see frame).
var fuzzRuns atomic.Int64

// frame turns the fuzzer's query string and body into the request's query
// string and body. A framed document ends with a comment that no other
// request has, so that gqlgen's query cache never answers for the parser
// and validator: an input then covers the same code each time it runs,
// which the fuzzer needs in order to keep what it finds.
func (w *fuzzWorld) frame(framing fuzzFraming, method, rawQuery string, body []byte) (string, []byte) {
	if framing == frameRaw {
		return fuzzQueryString(rawQuery), body
	}
	doc := fmt.Sprintf("%s\n# run %d", body, fuzzRuns.Add(1))
	vars := json.RawMessage(rawQuery)
	if !json.Valid(vars) {
		vars = nil
	}
	if framing == frameDocument && (method == http.MethodGet || method == http.MethodHead) {
		q := url.Values{"query": {doc}}
		if rawQuery != "" {
			q.Set("variables", rawQuery)
		}
		return q.Encode(), nil
	}
	p := struct {
		Query     string          `json:"query"`
		Variables json.RawMessage `json:"variables,omitempty"`
	}{doc, vars}
	if framing == frameDocument {
		b, _ := json.Marshal(p)
		return "", b
	}
	if p.Variables == nil {
		p.Variables = json.RawMessage(w.ids.Replace(`{"case":"{{case}}","file":null}`))
	}
	operations, _ := json.Marshal(p)
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.SetBoundary(fuzzBoundary)
	mw.WriteField("operations", string(operations))
	mw.WriteField("map", `{"0":["variables.file"]}`)
	fw, _ := mw.CreateFormFile("0", "notes.txt")
	io.WriteString(fw, "kernel: eth0 link down\n")
	mw.Close()
	return "", b.Bytes()
}

// unicodeEscape is a \u escape of JSON or GraphQL, under any number of
// backslashes (a GraphQL string inside a JSON one has two).
var unicodeEscape = regexp.MustCompile(`\\+u([0-9a-fA-F]{4})`)

// fuzzRequestText is everything the request said, raw and decoded, so that
// an answer echoing it (an unknown field's name, a bad value) is told from
// a leak of the server's internals.
func fuzzRequestText(rawQuery string, body []byte) string {
	var b strings.Builder
	b.WriteString(rawQuery)
	b.WriteByte('\n')
	if q, err := url.ParseQuery(rawQuery); err == nil || len(q) > 0 {
		for _, vs := range q {
			for _, v := range vs {
				b.WriteString(v)
				b.WriteByte('\n')
			}
		}
	}
	b.Write(body)
	text := b.String()
	return text + "\n" + unicodeEscape.ReplaceAllStringFunc(text, func(m string) string {
		n, _ := strconv.ParseUint(m[len(m)-4:], 16, 32)
		return string(rune(n))
	})
}

// fuzzLeaks are what an answer must not say: Go types and errors, SQL,
// stacks and file paths. A pattern the request itself holds may be echoed
// (an unknown field called panic).
var fuzzLeaks = []struct {
	name string
	re   *regexp.Regexp
}{
	{"interface {}", regexp.MustCompile(`interface \{\}`)},
	{"json: cannot", regexp.MustCompile(`json: cannot`)},
	{"*ent.", regexp.MustCompile(`\*ent\.`)},
	{"ent:", regexp.MustCompile(`(^|[^A-Za-z0-9_])ent:`)},
	{"runtime error", regexp.MustCompile(`runtime error`)},
	{"goroutine ", regexp.MustCompile(`goroutine `)},
	{".go:", regexp.MustCompile(`\.go:`)},
	{"sql:", regexp.MustCompile(`sql:`)},
	{"sqlite", regexp.MustCompile(`(?i)sqlite`)},
	{"SELECT ", regexp.MustCompile(`SELECT `)},
	{"graphql.RawParams", regexp.MustCompile(`graphql\.RawParams`)},
	{"panic", regexp.MustCompile(`(?i)panic`)},
	{"entgql", regexp.MustCompile(`entgql`)},
	{"Go value of type", regexp.MustCompile(`Go (value|struct field)`)},
	{"nil pointer", regexp.MustCompile(`nil pointer`)},
	{"%!", regexp.MustCompile(`%!`)},
	{"github.com/", regexp.MustCompile(`github\.com/`)},
	{"context canceled", regexp.MustCompile(`context (canceled|deadline exceeded)`)},
}

// fuzzExchange is one request and its answer.
type fuzzExchange struct {
	method, contentType, accept string
	framing                     fuzzFraming
	auth                        int
	introspectionOff            bool
	rawQuery                    string
	body                        []byte
	// requestText is the request, raw and decoded (fuzzRequestText).
	requestText string

	status   int
	header   http.Header
	response []byte
	panicked string
	elapsed  time.Duration
	// cut: the harness ended a subscription that waited for events.
	cut bool
	// overran: the harness ended a request that outlived the server's
	// time bound.
	overran bool
}

var fuzzAuthNames = [authCount]string{
	"none", "partner HELP_DESK token", "partner ADMIN token", "customer ADMIN token",
	"vendor AGENT token", "unknown token", "expired token", "suspended contact's token", "Basic credentials",
}

func (x fuzzExchange) String() string {
	clip := func(b []byte) string {
		if len(b) > 4<<10 {
			return fmt.Sprintf("%q … (%d bytes)", b[:4<<10], len(b))
		}
		return fmt.Sprintf("%q", b)
	}
	mode := "introspection on (demo)"
	if x.introspectionOff {
		mode = "introspection off (production)"
	}
	framing := [...]string{frameRaw: "as sent", frameDocument: "framed: a document", frameUpload: "framed: an upload"}[x.framing]
	return fmt.Sprintf("request (%s): %s /graphql?%s\n  Content-Type: %q\n  Accept: %q\n  Authorization: %s\n  %s\n  body: %s\n"+
		"response: %d after %v\n  Content-Type: %q\n  body: %s",
		framing, x.method, x.rawQuery, x.contentType, x.accept, fuzzAuthNames[x.auth], mode, clip(x.body),
		x.status, x.elapsed.Round(time.Microsecond), x.header.Get("Content-Type"), clip(x.response))
}

// problems lists what is wrong with the answer; tainted names the leak
// patterns that stored data may hold.
func (x fuzzExchange) problems(tainted map[string]bool) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if x.panicked != "" {
		add("the handler panicked: %s", x.panicked)
		return out
	}
	if x.overran {
		add("the request ran for %v, past the server's time bound (%v)", x.elapsed, limits.Defaults.Timeout)
	}
	if x.status >= 500 {
		add("status %d: a server error", x.status)
	}
	media, _, _ := mime.ParseMediaType(x.header.Get("Content-Type"))
	switch {
	case x.method == http.MethodOptions && len(x.response) == 0 && x.status < 300:
		// A preflight's answer is its headers.
	case media == "text/event-stream":
		out = append(out, x.streamProblems()...)
	default:
		if media != "application/json" && media != "application/graphql-response+json" {
			add("Content-Type %q: neither GraphQL JSON nor an event stream", x.header.Get("Content-Type"))
		}
		out = append(out, x.payloadProblems("the body", x.response)...)
		out = append(out, x.requestErrorProblems(media)...)
	}
	for _, l := range fuzzLeaks {
		if l.re.Match(x.response) && !l.re.MatchString(x.requestText) && !tainted[l.name] {
			add("the answer names internals (%q): %q", l.name, l.re.Find(x.response))
		}
	}
	if x.introspectionOff && bytes.Contains(x.response, []byte("Did you mean")) && !strings.Contains(x.requestText, "Did you mean") {
		add("with introspection off, the answer suggests names from the schema (Did you mean …)")
	}
	return out
}

// streamProblems checks each event of a server-sent event stream; the data
// of each is a GraphQL response.
func (x fuzzExchange) streamProblems() []string {
	var out []string
	text := strings.ReplaceAll(string(x.response), "\r\n", "\n")
	for i, ev := range strings.Split(text, "\n\n") {
		var data []string
		for _, line := range strings.Split(ev, "\n") {
			name, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch name {
			case "": // a comment, or the blank line of the stream's end
			case "data":
				data = append(data, value)
			case "event":
				if value != "next" && value != "complete" {
					out = append(out, fmt.Sprintf("event %d is %q, neither next nor complete", i, value))
				}
			default:
				out = append(out, fmt.Sprintf("event %d has a line %q that is no event field", i, line))
			}
		}
		if len(data) > 0 {
			out = append(out, x.payloadProblems(fmt.Sprintf("event %d", i), []byte(strings.Join(data, "\n")))...)
		}
	}
	return out
}

// payloadProblems checks one GraphQL response: a JSON object with data or
// errors, each error with a code, and none INTERNAL.
func (x fuzzExchange) payloadProblems(where string, raw []byte) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, where+": "+fmt.Sprintf(format, args...)) }
	if x.cut && string(bytes.TrimSpace(raw)) == "null" {
		// A subscription over plain POST answers its first event, if
		// any, once its client goes; the harness went.
		return nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil || top == nil {
		add("not a JSON object")
		return out
	}
	if top["data"] == nil && top["errors"] == nil {
		add("neither data nor errors")
	}
	if raw := top["errors"]; raw != nil {
		var errs []struct {
			Message    *string        `json:"message"`
			Extensions map[string]any `json:"extensions"`
		}
		if err := json.Unmarshal(raw, &errs); err != nil {
			add("errors is not a list of error objects")
			return out
		}
		for i, e := range errs {
			code, _ := e.Extensions["code"].(string)
			switch {
			case e.Message == nil:
				add("error %d has no message", i)
			case code == "":
				add("error %d (%q) has no extensions.code", i, *e.Message)
			case code == "INTERNAL":
				add("error %d (%q) is INTERNAL: a server defect, not an answer to a client", i, *e.Message)
			}
		}
	}
	return out
}

// requestErrorProblems checks the answer to a GraphQL request error (a
// document that does not parse or validate, variables that do not coerce):
// GraphQL over HTTP answers it with 200 under application/json and 400
// under application/graphql-response+json, and without a data entry, since
// the operation never ran.
func (x fuzzExchange) requestErrorProblems(media string) []string {
	var top struct {
		Data   *json.RawMessage `json:"data"`
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if json.Unmarshal(x.response, &top) != nil || len(top.Errors) == 0 {
		return nil
	}
	reason, _ := top.Errors[0].Extensions["reason"].(string)
	if reason != "GRAPHQL_PARSE_FAILED" && reason != "GRAPHQL_VALIDATION_FAILED" {
		return nil
	}
	var out []string
	want := http.StatusOK
	if media == "application/graphql-response+json" {
		want = http.StatusBadRequest
	}
	if x.status != want {
		out = append(out, fmt.Sprintf("a GraphQL request error (%s) as %s has status %d, want %d", reason, media, x.status, want))
	}
	if top.Data != nil || bytes.Contains(x.response, []byte(`"data":null`)) {
		out = append(out, fmt.Sprintf("a GraphQL request error (%s) has a data entry: its operation never ran", reason))
	}
	return out
}

// TestFuzzHTTPChecksFail shows that each check of FuzzHTTP fails the
// answers it is meant to fail, and passes a good one.
func TestFuzzHTTPChecksFail(t *testing.T) {
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	sseHeader := http.Header{"Content-Type": {"text/event-stream"}}
	graphQLHeader := http.Header{"Content-Type": {"application/graphql-response+json"}}
	ok := `{"data":{"viewer":{"contact":{"id":"con_1"}}}}`
	refused := `{"errors":[{"message":"authentication required","extensions":{"code":"UNAUTHENTICATED"}}],"data":null}`
	for _, tc := range []struct {
		name      string
		x         fuzzExchange
		wantFails bool
	}{
		{"a good answer", fuzzExchange{status: 200, header: jsonHeader, response: []byte(ok)}, false},
		{"a coded refusal", fuzzExchange{status: 401, header: jsonHeader, response: []byte(refused)}, false},
		{"a good stream", fuzzExchange{status: 200, header: sseHeader, response: []byte(":\n\nevent: next\ndata: " + ok + "\n\nevent: complete\n\n")}, false},
		{"an echo of the request", fuzzExchange{status: 200, header: jsonHeader, requestText: `{ panic }`,
			response: []byte(`{"errors":[{"message":"Cannot query field \"panic\" on type \"Query\".","extensions":{"code":"BAD_USER_INPUT","reason":"GRAPHQL_VALIDATION_FAILED"}}]}`)}, false},
		{"a request error as graphql-response+json", fuzzExchange{status: 400, header: graphQLHeader,
			response: []byte(`{"errors":[{"message":"Expected Name, found <EOF>","extensions":{"code":"BAD_USER_INPUT","reason":"GRAPHQL_PARSE_FAILED"}}]}`)}, false},
		{"a preflight", fuzzExchange{method: http.MethodOptions, status: 200, header: http.Header{}}, false},

		{"a panic", fuzzExchange{panicked: "boom"}, true},
		{"a 5xx", fuzzExchange{status: 502, header: jsonHeader, response: []byte(refused)}, true},
		{"INTERNAL", fuzzExchange{status: 200, header: jsonHeader, response: []byte(`{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}`)}, true},
		{"no code", fuzzExchange{status: 200, header: jsonHeader, response: []byte(`{"errors":[{"message":"transport not supported"}]}`)}, true},
		{"not JSON", fuzzExchange{status: 400, header: http.Header{"Content-Type": {"text/plain"}}, response: []byte("bad request")}, true},
		{"JSON, not GraphQL", fuzzExchange{status: 200, header: jsonHeader, response: []byte(`{"ok":true}`)}, true},
		{"a Go type", fuzzExchange{status: 400, header: jsonHeader, requestText: "[]",
			response: []byte(`{"errors":[{"message":"json: cannot unmarshal array into Go value of type graphql.RawParams","extensions":{"code":"BAD_USER_INPUT"}}]}`)}, true},
		{"SQL", fuzzExchange{status: 200, header: jsonHeader,
			response: []byte(`{"errors":[{"message":"sqlite: SQL logic error","extensions":{"code":"BAD_USER_INPUT"}}]}`)}, true},
		{"an ent error", fuzzExchange{status: 200, header: jsonHeader,
			response: []byte(`{"errors":[{"message":"ent: supportcase not found","extensions":{"code":"NOT_FOUND"}}]}`)}, true},
		{"INTERNAL in a stream", fuzzExchange{status: 200, header: sseHeader,
			response: []byte(":\n\nevent: next\ndata: {\"errors\":[{\"message\":\"internal error\",\"extensions\":{\"code\":\"INTERNAL\"}}]}\n\nevent: complete\n\n")}, true},
		{"a suggestion with introspection off", fuzzExchange{introspectionOff: true, status: 200, header: jsonHeader,
			response: []byte(`{"errors":[{"message":"Unknown argument \"frist\". Did you mean \"first\"?","extensions":{"code":"BAD_USER_INPUT"}}]}`)}, true},
		{"a request error as application/json with 422", fuzzExchange{status: 422, header: jsonHeader,
			response: []byte(`{"errors":[{"message":"Expected Name, found <EOF>","extensions":{"code":"BAD_USER_INPUT","reason":"GRAPHQL_PARSE_FAILED"}}]}`)}, true},
		{"a request error as graphql-response+json with 200", fuzzExchange{status: 200, header: graphQLHeader,
			response: []byte(`{"errors":[{"message":"Expected Name, found <EOF>","extensions":{"code":"BAD_USER_INPUT","reason":"GRAPHQL_PARSE_FAILED"}}]}`)}, true},
		{"a request error with data null", fuzzExchange{status: 400, header: graphQLHeader,
			response: []byte(`{"errors":[{"message":"Cannot query field \"nope\" on type \"Query\".","extensions":{"code":"BAD_USER_INPUT","reason":"GRAPHQL_VALIDATION_FAILED"}}],"data":null}`)}, true},
	} {
		problems := tc.x.problems(map[string]bool{})
		if got := len(problems) > 0; got != tc.wantFails {
			t.Errorf("%s: problems %q, want failing: %v", tc.name, problems, tc.wantFails)
		}
	}
}

// fuzzSeed is one input of FuzzHTTP.
type fuzzSeed struct {
	method, contentType, accept, auth uint8
	introspectionOff                  bool
	rawQuery                          string
	body                              []byte
}

func (s fuzzSeed) as(auth uint8) fuzzSeed     { s.auth = auth; return s }
func (s fuzzSeed) accepting(a uint8) fuzzSeed { s.accept = a; return s }
func (s fuzzSeed) production() fuzzSeed       { s.introspectionOff = true; return s }
func (s fuzzSeed) with(m uint8) fuzzSeed      { s.method = m; return s }

// seedPOST is a JSON POST of the help-desk contact.
func seedPOST(query string, vars map[string]any) fuzzSeed {
	p := map[string]any{"query": query}
	if vars != nil {
		p["variables"] = vars
	}
	b, _ := json.Marshal(p)
	return fuzzSeed{method: mPOST, contentType: ctJSON, auth: authHelpDesk, body: b}
}

// seedDoc is a POST of the help-desk contact, framed by the harness: the
// body is the document and the query string its variables.
func seedDoc(query string, vars map[string]any) fuzzSeed {
	s := fuzzSeed{method: mPOST, contentType: ctDocument, auth: authHelpDesk, body: []byte(query)}
	if vars != nil {
		b, _ := json.Marshal(vars)
		s.rawQuery = string(b)
	}
	return s
}

// seedGET is a GET of the help-desk contact; placeholders stay readable.
func seedGET(query string, vars map[string]any) fuzzSeed {
	q := url.Values{"query": {query}}
	if vars != nil {
		b, _ := json.Marshal(vars)
		q.Set("variables", string(b))
	}
	raw := strings.NewReplacer("%7B%7B", "{{", "%7D%7D", "}}").Replace(q.Encode())
	return fuzzSeed{method: mGET, contentType: ctNone, auth: authHelpDesk, rawQuery: raw}
}

// seedUpload is a multipart upload of parts, in order: {name, filename,
// content}, a filename making a file part.
func seedUpload(parts ...[3]string) fuzzSeed {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.SetBoundary(fuzzBoundary)
	for _, p := range parts {
		var pw interface{ Write([]byte) (int, error) }
		if p[1] != "" {
			pw, _ = mw.CreateFormFile(p[0], p[1])
		} else {
			pw, _ = mw.CreateFormField(p[0])
		}
		pw.Write([]byte(p[2]))
	}
	mw.Close()
	return fuzzSeed{method: mPOST, contentType: ctMultipart, auth: authHelpDesk, body: body.Bytes()}
}

const (
	seedViewer = `{ viewer { contact { id name email roles organization { name } } organization { id name kind }
  customers(first: 10) { totalCount edges { cursor node { id name supportPlan } } pageInfo { hasNextPage endCursor } }
  grants(first: 5) { edges { node { id level status expiresAt } } } accessTokens(first: 5) { edges { node { id name lastUsedAt } } } } }`
	seedCases = `query Cases($after: Cursor, $where: CaseWhereInput) {
  cases(first: 5, after: $after, orderBy: {field: UPDATED_AT, direction: DESC}, where: $where) {
    totalCount pageInfo { hasNextPage endCursor startCursor }
    edges { cursor node { id number title status severity slaState canEscalate version
      customer { name } createdBy { name } collaborators(first: 5) { edges { node { name } } }
      escalation { allowed reason availableAt } actions { action allowed reason }
      comments(first: 3) { totalCount edges { node { body } } } } } } }`
	seedNode = `query Node($id: ID!) { node(id: $id) { id __typename
  ... on Case { title version events(first: 5) { edges { node { kind } } } }
  ... on Organization { name kind } ... on Contact { name email } ... on Device { model macAddress } ... on Grant { level status } } }`
	seedOrganizations = `{ organizations(first: 10, where: {kind: CUSTOMER}, orderBy: {field: NAME}) { totalCount edges { node {
  id name supportPlan domains sites licenses { product quantity }
  contacts(first: 5) { edges { node { name email roles status lastEmailStatus } } }
  devices(first: 5) { edges { node { model macAddress status } } }
  phoneNumbers(first: 5) { edges { node { number kind } } }
  cases(first: 5, where: {statusIn: [NEW, IN_PROGRESS]}) { totalCount edges { cursor node { title } } }
  supportMetrics { escalated slaBreaches openedLast30Days openBySeverity { severity count } } } } } }`
	seedHelpDesk = `query Search($q: String!, $after: Cursor) { helpDeskSearch(query: $q, first: 10, after: $after) {
  pageInfo { hasNextPage endCursor } edges { cursor node { exact matchedOn level customer { name }
    node { __typename ... on Organization { name } ... on Contact { name email } ... on Device { model } ... on PhoneNumber { number } } } } } }`
	seedSearchCases = `{ searchCases(keyword: "printer", first: 5, where: {severityIn: [S1, S2, S3]}) { totalCount edges { cursor node { number title } } } }`
	seedAccess      = `query Access($c: ID!) { access(customerID: $c) { level source expiresAt grant { id level status } customer { name } } }`
	attachFile      = `mutation Attach($case: ID!, $file: Upload!) { addCaseAttachment(input: {caseID: $case, file: $file}) { attachment { id name size contentType sha256 downloadURL } } }`
)

// fuzzSeeds are the schema's operations, valid and with their usual
// variables, over each transport: most framed by the harness (seedDoc), so
// that the fuzzer mutates documents, and some as clients send them. The
// hostile shapes are in testdata.
func fuzzSeeds() []fuzzSeed {
	comment := `mutation Comment($in: AddCaseCommentInput!) { addCaseComment(input: $in) { comment { id body visibility createdAt } } }`
	cases := map[string]any{"where": map[string]any{
		"statusIn": []string{"NEW", "IN_PROGRESS"}, "severityIn": []string{"S1", "S2", "S3"},
		"keyword": "printer", "createdAtGT": "2020-01-01T00:00:00Z", "customerIDs": []string{"{{customer}}"},
	}}
	return []fuzzSeed{
		// Every credential, as clients send it.
		seedPOST(seedViewer, nil),
		seedPOST(seedViewer, nil).as(authCustomerAdmin).accepting(acGraphQLResponse),
		seedPOST(seedViewer, nil).as(authVendorAgent).production(),
		seedPOST(seedViewer, nil).as(authPartnerAdmin).accepting(acAny),
		seedPOST(seedViewer, nil).as(authNone),
		seedPOST(seedViewer, nil).as(authBadToken),
		seedPOST(seedViewer, nil).as(authExpired),
		seedPOST(seedViewer, nil).as(authSuspended),
		seedPOST(seedViewer, nil).as(authNotBearer),
		seedPOST(seedCases, cases),
		seedPOST(comment, map[string]any{"in": map[string]any{"caseID": "{{case}}", "body": "Tried turning it off and on."}}),

		// Queries.
		seedDoc(seedViewer, nil).as(authVendorAgent),
		seedDoc(seedCases, nil),
		seedDoc(seedCases, cases).as(authCustomerAdmin),
		seedDoc(seedCases, map[string]any{"where": map[string]any{"or": []any{map[string]any{"number": 1}, map[string]any{"titleContainsFold": "vpn"}}, "slaState": "ON_TRACK"}}).as(authCustomerAdmin),
		seedDoc(seedCases, map[string]any{"after": nil, "where": map[string]any{"not": map[string]any{"status": "CLOSED"}}}).as(authVendorAgent),
		seedDoc(`{ cases(last: 2, before: null) { edges { cursor node { id } } } }`, nil),
		seedDoc(seedNode, map[string]any{"id": "{{case}}"}),
		seedDoc(seedNode, map[string]any{"id": "{{customer}}"}).as(authCustomerAdmin),
		seedDoc(seedNode, map[string]any{"id": "{{grant}}"}).as(authPartnerAdmin),
		seedDoc(seedNode, map[string]any{"id": "{{device}}"}).production(),
		seedDoc(`query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }`, map[string]any{
			"ids": []string{"{{case}}", "{{case2}}", "{{customer}}", "{{customer2}}", "{{contact}}", "{{device}}", "{{grant}}", "{{pending}}", "{{vendor}}", "cas_01ARZ3NDEKTSV4RRFFQ69G5FAV", "nope"}}),
		seedDoc(seedOrganizations, nil),
		seedDoc(seedOrganizations, nil).as(authVendorAgent),
		seedDoc(seedHelpDesk, map[string]any{"q": "acme"}),
		seedDoc(seedHelpDesk, map[string]any{"q": "+1 (212) 456-7890"}),
		seedDoc(seedHelpDesk, map[string]any{"q": "aa-bb-cc-dd-ee-ff"}).as(authVendorAgent),
		seedDoc(seedHelpDesk, map[string]any{"q": "{{contact}}"}),
		seedDoc(seedSearchCases, nil),
		seedDoc(seedAccess, map[string]any{"c": "{{customer}}"}),
		seedDoc(seedAccess, map[string]any{"c": "{{customer2}}"}).as(authPartnerAdmin),
		seedDoc(`{ __schema { queryType { name } types { name kind } } __type(name: "Case") { fields { name } } }`, nil),

		// Mutations.
		seedDoc(comment, map[string]any{"in": map[string]any{"caseID": "{{case2}}", "body": "internal note", "visibility": "INTERNAL"}}).as(authVendorAgent),
		seedDoc(`mutation { createAccessToken(input: {name: "laptop", expiresInDays: 30}) { token accessToken { id name expiresAt } } }`, nil).as(authCustomerAdmin),
		seedDoc(`mutation($id: ID!, $v: Int) { updateCase(input: {id: $id, title: "Printer smoking", severity: S2, status: IN_PROGRESS, version: $v}) { case { id version title severity } } }`,
			map[string]any{"id": "{{case}}", "v": 1}),
		seedDoc(`mutation { approveGrant(input: {id: "{{pending}}"}) { grant { id status } } }`, nil).as(authCustomerAdmin),
		seedDoc(`mutation($in: RequestGrantInput!) { requestGrant(input: $in) { grant { id status level expiresInDays } } }`,
			map[string]any{"in": map[string]any{"customerContactEmail": "{{manager_email}}", "level": "CREATE", "expiresInDays": 30, "granteeID": "{{helpdesk}}", "note": "please"}}).as(authPartnerAdmin),
		seedDoc(`mutation { closeCase(input: {id: "{{case2}}", version: 1}) { case { status closedAt reopenableUntil } } }`, nil).as(authCustomerAdmin),
		seedDoc(`mutation { reopenCase(input: {id: "{{case2}}"}) { case { status } } }`, nil).as(authCustomerAdmin),
		seedDoc(`mutation { escalateCase(input: {id: "{{case}}", reason: "Production down"}) { case { escalated escalationReason } } }`, nil).as(authCustomerAdmin),
		seedDoc(`mutation { addCaseCollaborator(input: {caseID: "{{case}}", contactID: "{{contact}}"}) { case { collaborators(first: 5) { edges { node { name } } } } } }`, nil),
		seedDoc(`mutation { shareCase(input: {caseID: "{{case}}", emails: ["ops@acme-corp.example"]}) { case { sharedEmails } } }`, nil),
		seedDoc(`mutation { sendVerificationCode(input: {contactID: "{{contact}}"}) { expiresAt contact { name } } }`, nil),
		seedDoc(`mutation { checkVerificationCode(input: {contactID: "{{contact}}", code: "123456"}) { result attemptsLeft } }`, nil),
		seedDoc(`mutation { registerDevice(input: {organizationID: "{{customer}}", model: "Room Kit", macAddress: "aabb.ccdd.ee00"}) { device { id macAddress } } }`, nil).as(authCustomerAdmin),
		seedDoc(`mutation($in: CreateCaseInput!) { createCase(input: $in) { case { id number severity timezone } } }`,
			map[string]any{"in": map[string]any{"customerID": "{{customer}}", "title": "Phones offline", "severity": "S1", "timezone": "Europe/Warsaw", "language": "pl"}}).as(authCustomerAdmin),
		seedDoc(`mutation { updateContact(input: {id: "{{contact}}", phone: "+48 22 123 45 67", roles: [DESIGNATED]}) { contact { phone roles } } }`, nil).as(authCustomerAdmin),

		// GET: queries only, with variables and an operation name.
		seedGET(`{ viewer { contact { id name } } }`, nil),
		seedGET(seedCases, map[string]any{"where": map[string]any{"severityIn": []string{"S3"}}}).as(authCustomerAdmin),
		seedGET(seedNode, map[string]any{"id": "{{case}}"}).accepting(acGraphQLResponse),
		func() fuzzSeed {
			s := seedGET(`query A { viewer { contact { id } } } query B { access(customerID: "{{customer}}") { level } }`, nil)
			s.rawQuery += "&operationName=B"
			return s
		}(),
		seedDoc(seedHelpDesk, map[string]any{"q": "acme"}).with(mGET),

		// GraphQL request errors, under each media type: 200 as
		// application/json, 400 as application/graphql-response+json.
		seedPOST(`{`, nil),
		seedPOST(`{`, nil).accepting(acGraphQLResponse),
		seedPOST(`{ nope }`, nil).accepting(acAny),
		seedPOST(`{ nope }`, nil).accepting(acGraphQLResponse).production(),
		seedPOST(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": nil}).accepting(acJSON),
		seedPOST(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": nil}).accepting(acGraphQLResponse),
		seedGET(`{ viewer { nope } }`, nil).accepting(acGraphQLResponse),
		{method: mPOST, contentType: ctJSON, accept: acGraphQLResponse, auth: authHelpDesk, body: []byte(`{"qeury": "{ __typename }"}`)},

		// Server-sent events: a query, a mutation, subscriptions.
		seedPOST(seedViewer, nil).accepting(acSSE),
		seedPOST(comment, map[string]any{"in": map[string]any{"caseID": "{{case}}", "body": "over SSE"}}).accepting(acSSE),
		seedDoc(comment, map[string]any{"in": map[string]any{"caseID": "{{case}}", "body": "over SSE"}}).accepting(acSSE),
		seedDoc(`subscription($c: ID) { caseEvents(customerID: $c) { id kind createdAt case { title } changes { field before after } } }`,
			map[string]any{"c": "{{customer}}"}).accepting(acSSE),
		seedDoc(`subscription { caseEvents(caseID: "{{case}}") { id kind } }`, nil).accepting(acSSEOrJSON),
		seedDoc(`subscription { grantEvents { kind daysLeft grant { id level } } }`, nil).accepting(acSSE).as(authPartnerAdmin),

		// Multipart: an upload, as sent and framed.
		seedUpload(
			[3]string{"operations", "", `{"query":` + strconv.Quote(attachFile) + `,"variables":{"case":"{{case}}","file":null}}`},
			[3]string{"map", "", `{"0":["variables.file"]}`},
			[3]string{"0", "logs.txt", "kernel: eth0 link down\n"},
		),
		seedUpload(
			[3]string{"operations", "", `{"query":` + strconv.Quote(attachFile) + `,"variables":{"case":"{{case}}","file":null}}`},
			[3]string{"map", "", `{"0":["variables.file"]}`},
			[3]string{"0", "", "no file name"},
		).as(authCustomerAdmin),
		{method: mPOST, contentType: ctUploadDocument, auth: authHelpDesk, body: []byte(attachFile)},
		{method: mPOST, contentType: ctUploadDocument, auth: authCustomerAdmin, body: []byte(attachFile), rawQuery: `{"case":"{{case2}}","file":null}`},
	}
}
