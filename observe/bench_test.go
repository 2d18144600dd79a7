package observe_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/httpapi"
	"github.com/partnerdesk/partnerdesk/observe"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// BenchmarkObservedRequest sends one query that reads a page of cases to
// the handler, in process, first with nothing observed and then with the
// access log (JSON, discarded), the metrics and tracing on (every span
// sampled, batched to an exporter that drops them). It reports the CPU
// per request, less sensitive than its time to what else the machine
// runs, and x-off, the ratio of the two.
//
//	go test ./observe -run '^$' -bench ObservedRequest -benchtime 3000x
func BenchmarkObservedRequest(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	b.Cleanup(func() { tp.Shutdown(b.Context()) })
	logger, _ := observe.NewLogger(io.Discard, "json", "info")
	servers := []struct {
		name string
		opts []testkit.Option
	}{
		{"off", nil},
		{"on", []testkit.Option{
			testkit.WithConfig(func(c *httpapi.Config) {
				c.Observe = &observe.Observer{Log: logger, Metrics: observe.NewMetrics(), Tracer: tp}
			}),
			testkit.WithDriver(observe.TraceSQL(tp)),
		}},
	}
	body, _ := json.Marshal(map[string]any{"query": `query Cases { viewer { contact { name } } cases(first: 10) { edges { node { id title } } } }`})
	var off float64
	for _, s := range servers {
		e := testkit.New(b, append(s.opts, testkit.WithConfig(func(c *httpapi.Config) { c.Rate = nil }))...)
		acme := e.Org(access.Customer, "Acme")
		admin := e.Contact(acme, "Ada Admin", access.RoleAdmin)
		for range 10 {
			e.Case(acme, admin, "Phones reboot")
		}
		token := e.Token(admin)
		b.Run(s.name, func(b *testing.B) {
			if status := serve(e, token, body); status != http.StatusOK {
				b.Fatalf("status %d", status)
			}
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				serve(e, token, body)
			}
			cpu := float64(cpuTime()-cpu0) / float64(b.N)
			b.ReportMetric(cpu, "cpu-ns/op")
			if s.name == "off" {
				off = cpu
			} else {
				b.ReportMetric(cpu/off, "x-off")
			}
		})
	}
}

// cpuTime is the CPU the process has used, user and system, in ns.
func cpuTime() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// serve sends a request straight to the handler: what it costs is the
// server's alone.
func serve(e *testkit.Env, token string, body []byte) int {
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	e.Server.Config.Handler.ServeHTTP(rec, req)
	return rec.Code
}
