package limits_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/httpapi"
	"github.com/partnerdesk/partnerdesk/limits"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// BenchmarkAttacks sends each attack of the bounded-requests issue to the
// real handler, in process, and reports the server's CPU per request and
// the bytes it allocated until the refusal, beside the same figures for a
// plain `{ viewer { contact { name } } }`, measured first in the same run
// (x-plain-cpu is the ratio; the goal is at most 2).
//
//	go test ./limits -run '^$' -bench Attacks -benchtime 2000x
func BenchmarkAttacks(b *testing.B) {
	open := testkit.New(b, testkit.WithConfig(func(c *httpapi.Config) { c.Rate, c.SignInFailures = nil, nil }))
	// A second server whose buckets are empty, for the two rate limits.
	var spent *limits.Buckets
	tight := testkit.New(b, testkit.WithConfig(func(c *httpapi.Config) {
		spent = limits.NewBuckets(limits.Size{Capacity: int(limits.Points(limits.Defaults.MaxComplexity))}, time.Now)
		c.Rate = spent
		c.SignInFailures = limits.NewBuckets(limits.Size{Capacity: 1}, time.Now)
	}))
	tokenOf := func(e *testkit.Env) string {
		acme := e.Org(access.Customer, "Acme")
		admin := e.Contact(acme, "Ada Admin", access.RoleAdmin)
		e.Case(acme, admin, "Phones reboot")
		return e.Token(admin)
	}
	token, tightToken := tokenOf(open), tokenOf(tight)
	tightContact := tight.Client.Contact.Query().OnlyX(tight.System())
	spent.Spend(tightContact.ID, int64(limits.Points(limits.Defaults.MaxComplexity)))
	post(tight, "pdt_guess", jsonBody(`{ viewer { __typename } }`, nil)) // spends the address's one failure

	type attack struct {
		name  string
		env   *testkit.Env
		token string
		body  []byte
		want  int // status
	}
	plain := attack{"plain viewer query", open, token, jsonBody(`{ viewer { contact { name } } }`, nil), 200}
	attacks := []attack{
		plain,
		{"nested connections (229 B)", open, token, jsonBody(`{ organizations(first: 100) { edges { node { cases(first: 100) { edges { node { customer { cases(first: 100) { totalCount } } } } } } } } }`, nil), 200},
		{"depth 20, first 5", open, token, jsonBody(nested(5, 5), nil), 200},
		{"10,000 duplicate fields (50 KB)", open, token, jsonBody("{ viewer { contact { "+repeat("name ", 10000)+"} } }", nil), 200},
		{"4,900 duplicate fields (15 KB)", open, token, jsonBody("{ viewer { contact { "+repeat("id ", 4900)+"} } }", nil), 200},
		{"fragment fan-out F30 (1.2 KB)", open, token, jsonBody(fanOut(30), nil), 200},
		{"10,000 aliases", open, token, jsonBody("{ "+aliases(10000)+" }", nil), 413},
		{"1,000 aliases", open, token, jsonBody("{ "+aliases(1000)+" }", nil), 200},
		{"1,000 directives", open, token, jsonBody("{ viewer { "+repeat("__typename @include(if: true) ", 1000)+"} }", nil), 200},
		{"or list of 1,000", open, token, jsonBody(ors(1000), nil), 200},
		{"numberIn of 40,000", open, token, jsonBody(`query($n: [Int!]) { cases(first: 1, where: {numberIn: $n}) { totalCount } }`, map[string]any{"n": numbers(40000)}), 413},
		{"numberIn of 10,000", open, token, jsonBody(`query($n: [Int!]) { cases(first: 1, where: {numberIn: $n}) { totalCount } }`, map[string]any{"n": numbers(10000)}), 200},
		{"malformed nested cursor", open, token, jsonBody(`{ organizations(first: 5) { edges { node { cases(after: "!!!", first: 10) { totalCount } } } } }`, nil), 200},
		{"JSON array (batch)", open, token, []byte(`[` + string(jsonBody(`{ viewer { __typename } }`, nil)) + `]`), 400},
		{"1 MiB body", open, token, bytes.Repeat([]byte(" "), 1<<20), 413},
		{"guessed token", tight, "pdt_guess", jsonBody(`{ viewer { __typename } }`, nil), 429},
		{"rate-limited caller", tight, tightToken, jsonBody(`{ viewer { __typename } }`, nil), 429},
	}
	var plainCPU float64
	for i, a := range attacks {
		b.Run(a.name, func(b *testing.B) {
			if status, body := post(a.env, a.token, a.body); status != a.want || (i > 0 && !bytes.Contains(body, []byte(`"code"`))) {
				b.Fatalf("status %d, want %d: %.300s", status, a.want, body)
			}
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				post(a.env, a.token, a.body)
			}
			cpu := float64(cpuTime()-cpu0) / float64(b.N)
			b.ReportMetric(cpu, "cpu-ns/op")
			if i == 0 {
				plainCPU = cpu
			} else if plainCPU > 0 {
				b.ReportMetric(cpu/plainCPU, "x-plain-cpu")
			}
		})
	}
}

func jsonBody(query string, vars map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return b
}

// post sends a request straight to the handler: what it costs is the
// server's alone.
func post(e *testkit.Env, token string, body []byte) (int, []byte) {
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.RemoteAddr = "192.0.2.1:1234"
	rec := httptest.NewRecorder()
	e.Server.Config.Handler.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// cpuTime is the CPU the process has used, user and system, in ns.
func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
