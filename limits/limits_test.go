package limits_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/httpapi"
	"github.com/partnerdesk/partnerdesk/limits"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// world is a running server with a customer, a case and its admin.
type world struct {
	*testkit.Env
	token  string
	caseID string
}

func newWorld(t *testing.T, opts ...testkit.Option) world {
	t.Helper()
	e := testkit.New(t, opts...)
	acme := e.Org(access.Customer, "Acme")
	admin := e.Contact(acme, "Ada Admin", access.RoleAdmin)
	kase := e.Case(acme, admin, "Phones reboot")
	return world{Env: e, token: e.Token(admin), caseID: kase.ID}
}

// nested is a query `levels` connections deep, each asking for first.
func nested(levels, first int) string {
	q := "totalCount"
	for i := 0; i < levels; i++ {
		q = fmt.Sprintf("cases(first: %d) { edges { node { customer { %s } } } }", first, q)
	}
	return "{ " + q + " }"
}

func repeat(s string, n int) string { return strings.Repeat(s, n) }

// fanOut is a fragment that expands to 2^n fields from a document of a few
// hundred bytes.
func fanOut(n int) string {
	var b strings.Builder
	b.WriteString("{ viewer { ...F" + fmt.Sprint(n) + " } } fragment F0 on Viewer { __typename }")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, " fragment F%d on Viewer { ...F%d ...F%d }", i, i-1, i-1)
	}
	return b.String()
}

func ors(n int) string {
	return "{ cases(first: 1, where: {or: [" + strings.TrimSuffix(repeat(`{product: "x"},`, n), ",") + "]}) { totalCount } }"
}

func numbers(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

// TestAttacksAreRefusedBeforeAnySQL sends each attack of the bounded
// requests issue and checks its code, that extensions carry the limit and
// the measured value, that no data comes back, and that the database was
// not asked anything: not even to check the token.
func TestAttacksAreRefusedBeforeAnySQL(t *testing.T) {
	w := newWorld(t)
	for _, tc := range []struct {
		name, query string
		vars        map[string]any
		code        string
		reason      string
	}{
		{name: "nested connections", query: `{ organizations(first: 100) { edges { node { cases(first: 100) { edges { node { customer { cases(first: 100) { totalCount } } } } } } } } }`,
			code: "QUERY_TOO_COMPLEX", reason: "COMPLEXITY"},
		{name: "depth 20 with first 5", query: nested(5, 5), code: "QUERY_TOO_COMPLEX", reason: "DEPTH"},
		{name: "duplicate fields", query: "{ viewer { " + repeat("__typename ", 201) + "} }", code: "TOO_MANY_FIELDS", reason: "SELECTION"},
		{name: "fragment fan-out", query: fanOut(30), code: "TOO_MANY_FIELDS", reason: "SELECTION"},
		{name: "fields in all", query: "{ " + repeat("viewer { contact { "+repeat("id ", 98)+"} } ", 21) + "}", code: "TOO_MANY_FIELDS", reason: "DOCUMENT"},
		{name: "aliases", query: "{ " + aliases(31) + " }", code: "TOO_MANY_ALIASES"},
		{name: "directives", query: "{ viewer { " + repeat("__typename @include(if: true) ", 51) + "} }", code: "TOO_MANY_DIRECTIVES"},
		{name: "bytes", query: "{ viewer { __typename } }" + repeat(" ", 33<<10), code: "QUERY_TOO_LARGE", reason: "BYTES"},
		{name: "tokens", query: "{ viewer { __typename } }" + repeat("\n#", 5001), code: "QUERY_TOO_LARGE", reason: "TOKENS"},
		{name: "or list", query: ors(101), code: "INPUT_TOO_LARGE", reason: "LIST"},
		{name: "numberIn", query: `query($n: [Int!]) { cases(first: 1, where: {numberIn: $n}) { totalCount } }`,
			vars: map[string]any{"n": numbers(101)}, code: "INPUT_TOO_LARGE", reason: "LIST"},
		{name: "nodes", query: `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
			vars: map[string]any{"ids": strings.Split(repeat("cas_x,", 101), ",")[:101]}, code: "INPUT_TOO_LARGE", reason: "LIST"},
		{name: "nested where", query: "{ cases(first: 1, where: " + repeat("{not: ", 12) + `{product: "x"}` + repeat("}", 12) + ") { totalCount } }",
			code: "INPUT_TOO_LARGE", reason: "DEPTH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := w.Statements.Load()
			res := w.Query(w.token, tc.query, tc.vars)
			if n := w.Statements.Load() - before; n != 0 {
				t.Errorf("the refusal issued %d SQL statements", n)
			}
			if len(res.Errors) != 1 || !res.NoData() {
				t.Fatalf("want one error and no data, got %s %+v", res.Data, res.Errors)
			}
			ext := res.Errors[0].Extensions
			if ext["code"] != tc.code || (tc.reason != "" && ext["reason"] != tc.reason) {
				t.Errorf("extensions = %v, want code %s reason %q", ext, tc.code, tc.reason)
			}
			limit, _ := ext["limit"].(float64)
			measured, _ := ext["measured"].(float64)
			if limit <= 0 || measured <= limit {
				t.Errorf("extensions = %v: want the limit and a measured value over it", ext)
			}
		})
	}
}

func aliases(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "a%d: viewer { __typename } ", i)
	}
	return b.String()
}

// TestBadInputIsRefusedBeforeAnySQL: each of these used to answer INTERNAL
// (and the nested cursor, to panic).
func TestBadInputIsRefusedBeforeAnySQL(t *testing.T) {
	w := newWorld(t)
	for _, tc := range []struct {
		name, query string
		field       string
	}{
		{"malformed cursor", `{ cases(first: 1, after: "abc") { totalCount } }`, "after"},
		{"empty cursor", `{ cases(first: 1, after: "") { totalCount } }`, "after"},
		{"number as a cursor", `{ cases(first: 1, after: 1.5) { totalCount } }`, "after"},
		{"nested malformed cursor", `{ organizations(first: 5) { edges { node { cases(after: "!!!", first: 10) { totalCount } } } } }`, "after"},
		{"bad time", `{ cases(first: 1, where: {createdAtGT: "yesterday"}) { totalCount } }`, "where.createdAtGT"},
		{"empty condition", `{ cases(first: 1, where: {not: {}}) { totalCount } }`, "where.not"},
		{"empty condition in a list", `{ cases(first: 1, where: {or: [{product: "x"}, {}]}) { totalCount } }`, "where.or"},
		{"a string for an upload", `mutation($c: ID!) { addCaseAttachment(input: {caseID: $c, file: "abc"}) { attachment { id } } }`, "input.file"},
		{"no page size", `{ cases { totalCount } }`, "first"},
		{"page too large", `{ cases(first: 101) { totalCount } }`, "first"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := w.Statements.Load()
			res := w.Query(w.token, tc.query, map[string]any{"c": w.caseID})
			if n := w.Statements.Load() - before; n != 0 {
				t.Errorf("the refusal issued %d SQL statements", n)
			}
			if len(res.Errors) != 1 || !res.NoData() || res.Code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != tc.field {
				t.Fatalf("want one BAD_USER_INPUT error on %s and no data, got %s %+v", tc.field, res.Data, res.Errors)
			}
		})
	}
	t.Run("an Int where an ID goes", func(t *testing.T) {
		res := w.Query(w.token, `mutation { closeCase(input: {id: 1}) { case { id } } }`, nil)
		if res.Code() != "NOT_FOUND" {
			t.Fatalf("want NOT_FOUND, got %+v", res.Errors)
		}
	})
}

// TestIntrospectionOffSaysNothingOfTheSchema: no __schema, and no "Did you
// mean" for fields, arguments or enum values.
func TestIntrospectionOffSaysNothingOfTheSchema(t *testing.T) {
	w := newWorld(t, testkit.WithConfig(func(c *httpapi.Config) { c.Introspection = false }))
	res := w.Query(w.token, `{ __schema { types { name } } }`, nil)
	if res.Code() != "INTROSPECTION_DISABLED" || !res.NoData() {
		t.Errorf("__schema: %s %+v", res.Data, res.Errors)
	}
	for _, q := range []string{
		`{ viewr { __typename } }`,
		`{ cases(frist: 1) { totalCount } }`,
		`{ cases(first: 1, where: {status: OPN}) { totalCount } }`,
	} {
		res := w.Query(w.token, q, nil)
		if len(res.Errors) == 0 || res.Code() != "BAD_USER_INPUT" {
			t.Fatalf("%s: %+v", q, res.Errors)
		}
		if m := res.Errors[0].Message; strings.Contains(m, "Did you mean") {
			t.Errorf("%s: the error suggests a name: %q", q, m)
		}
	}
	if res := w.Query(w.token, `{ __typename viewer { __typename } }`, nil); len(res.Errors) > 0 {
		t.Errorf("__typename is not introspection: %+v", res.Errors)
	}
}

// TestGraphiQLIntrospectionFitsTheLimits: the docs explorer's own query
// (depth, fields) passes where introspection is on.
func TestGraphiQLIntrospectionFitsTheLimits(t *testing.T) {
	w := newWorld(t)
	res := w.Query(w.token, graphiqlIntrospection, nil)
	if len(res.Errors) > 0 || !bytes.Contains(res.Data, []byte(`"queryType"`)) {
		t.Fatalf("%+v", res.Errors)
	}
}

// TestResponseOverItsLimitIsStopped: the response is replaced by one
// error, not built to the end.
func TestResponseOverItsLimitIsStopped(t *testing.T) {
	w := newWorld(t, testkit.WithConfig(func(c *httpapi.Config) { c.Limits.MaxResponseBytes = 2 << 10 }))
	acme := w.Client.Organization.Query().OnlyX(w.System())
	author := w.Client.Contact.Query().FirstX(w.System())
	for i := range 40 {
		w.Case(acme, author, fmt.Sprintf("Case %d with a title long enough to count", i))
	}
	res := w.Query(w.token, `{ cases(first: 50) { edges { node { id title description } } } }`, nil)
	if len(res.Errors) != 1 || res.Code() != "RESPONSE_TOO_LARGE" || !res.NoData() {
		t.Fatalf("want one RESPONSE_TOO_LARGE error and no data, got %s %+v", res.Data, res.Errors)
	}
	if res := w.Query(w.token, `{ cases(first: 5) { edges { node { id } } } }`, nil); len(res.Errors) > 0 {
		t.Fatalf("a small response: %+v", res.Errors)
	}
}

// cost is the cost report every signed-in response carries.
type cost struct {
	Requested int64 `json:"requestedQueryCost"`
	Actual    int64 `json:"actualQueryCost"`
	Throttle  struct {
		Maximum   float64 `json:"maximumAvailable"`
		Available float64 `json:"currentlyAvailable"`
		Restore   float64 `json:"restoreRate"`
	} `json:"throttleStatus"`
}

func costOf(t *testing.T, res testkit.Response) cost {
	t.Helper()
	raw, ok := res.Extensions["cost"]
	if !ok {
		t.Fatalf("no cost in the extensions: %v", res.Extensions)
	}
	var c cost
	b, _ := json.Marshal(raw)
	json.Unmarshal(b, &c)
	return c
}

// TestRateLimitSpendsEachRequestsCost fills a small bucket on a clock the
// test turns. Every token of a contact draws on the contact's bucket.
func TestRateLimitSpendsEachRequestsCost(t *testing.T) {
	w := newWorld(t, testkit.WithConfig(func(c *httpapi.Config) {
		c.Rate = limits.NewBuckets(limits.Size{Capacity: 6, PerSecond: 1}, c.Clock.Now)
		c.Limits.MaxComplexity = 400
	}))
	admin := w.Client.Contact.Query().OnlyX(w.System())
	second := w.Token(admin)
	// 2 + 2×100 nodes requested: 4 points; 1 case returned, no comments: 2.
	const page = `{ cases(first: 2) { edges { node { comments(first: 100) { totalCount } } } } }`
	for i, tc := range []struct {
		token             string
		query             string
		requested, actual int64
		available         float64
	}{
		{w.token, page, 4, 2, 2},
		{second, `{ viewer { contact { id } } }`, 1, 1, 1},
		{w.token, `{ viewer { contact { id } } }`, 1, 1, 0},
	} {
		res := w.Query(tc.token, tc.query, nil)
		if len(res.Errors) > 0 {
			t.Fatalf("request %d: %+v", i, res.Errors)
		}
		c := costOf(t, res)
		if c.Requested != tc.requested || c.Actual != tc.actual || c.Throttle.Available != tc.available || c.Throttle.Maximum != 6 || c.Throttle.Restore != 1 {
			t.Errorf("request %d: cost %+v, want %d requested, %d actual and %v left of 6", i, c, tc.requested, tc.actual, tc.available)
		}
	}

	res := w.Query(second, `{ viewer { contact { id } } }`, nil)
	if res.Status != http.StatusTooManyRequests || res.Code() != "RATE_LIMITED" || !res.NoData() || res.Header.Get("Retry-After") != "1" {
		t.Fatalf("an empty bucket: status %d, Retry-After %q, %s %+v", res.Status, res.Header.Get("Retry-After"), res.Data, res.Errors)
	}
	if c := costOf(t, res); c.Throttle.Available != 0 || c.Requested != 1 {
		t.Errorf("a refusal reports %+v", c)
	}
	w.Clock.Advance(4 * time.Second)
	if res := w.Query(second, page, nil); len(res.Errors) > 0 {
		t.Fatalf("after the bucket refilled: %+v", res.Errors)
	}
}

// TestFailedSignInsSlowAnAddressDown: once an address has failed its
// allowance, it is refused, without SQL, whatever it sends.
func TestFailedSignInsSlowAnAddressDown(t *testing.T) {
	w := newWorld(t, testkit.WithConfig(func(c *httpapi.Config) {
		c.SignInFailures = limits.NewBuckets(limits.Size{Capacity: 3, PerSecond: 0.1}, c.Clock.Now)
	}))
	const q = `{ viewer { contact { id } } }`
	for range 5 { // a missing token costs nothing, and counts for nothing
		if res := w.Query("", q, nil); res.Status != http.StatusUnauthorized {
			t.Fatalf("no token: status %d", res.Status)
		}
	}
	for i := range 3 {
		if res := w.Query("pdt_guess"+fmt.Sprint(i), q, nil); res.Status != http.StatusUnauthorized || res.Code() != "UNAUTHENTICATED" {
			t.Fatalf("guess %d: status %d %+v", i, res.Status, res.Errors)
		}
	}
	before := w.Statements.Load()
	res := w.Query(w.token, q, nil)
	if res.Status != http.StatusTooManyRequests || res.Code() != "RATE_LIMITED" || res.Header.Get("Retry-After") != "10" {
		t.Fatalf("after 3 failures: status %d, Retry-After %q, %+v", res.Status, res.Header.Get("Retry-After"), res.Errors)
	}
	if n := w.Statements.Load() - before; n != 0 {
		t.Errorf("the refusal issued %d SQL statements", n)
	}
	w.Clock.Advance(10 * time.Second)
	if res := w.Query(w.token, q, nil); res.Status != http.StatusOK || len(res.Errors) > 0 {
		t.Fatalf("after the wait: status %d %+v", res.Status, res.Errors)
	}
}

var graphiqlIntrospection = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`

// TestBulkItemsAreBoundedByTheirOwnList: a bulk mutation's items
// (@maxItems) may be longer than any other list, up to their count; more
// is BAD_USER_INPUT, and any other list in the variables keeps its bound,
// both before any SQL.
func TestBulkItemsAreBoundedByTheirOwnList(t *testing.T) {
	w := newWorld(t)
	items := make([]map[string]any, 1001)
	for i := range items {
		items[i] = map[string]any{"caseID": w.caseID, "body": "any news?"}
	}
	ids := make([]string, 101)
	for i := range ids {
		ids[i] = w.caseID
	}
	for _, tc := range []struct {
		name, query string
		vars        map[string]any
		code, field string
	}{
		{"1,001 items", `mutation($in: BulkAddCaseCommentInput!) { bulkAddCaseComment(input: $in) { job { id } } }`,
			map[string]any{"in": map[string]any{"items": items}}, "BAD_USER_INPUT", "input.items"},
		{"101 IDs", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids}, "INPUT_TOO_LARGE", "ids"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := w.Statements.Load()
			res := w.Query(w.token, tc.query, tc.vars)
			if n := w.Statements.Load() - before; n != 0 {
				t.Errorf("the refusal issued %d SQL statements", n)
			}
			if res.Code() != tc.code || res.Errors[0].Extensions["field"] != tc.field {
				t.Fatalf("want %s on %s, got %+v", tc.code, tc.field, res.Errors)
			}
		})
	}
}
