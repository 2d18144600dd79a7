package webhooks_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/httpapi"
	"github.com/partnerdesk/partnerdesk/limits"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// unlimited lifts the rate limit, which a benchmark's loop would hit.
var unlimited = testkit.WithConfig(func(c *httpapi.Config) {
	c.Rate = limits.NewBuckets(limits.Size{Capacity: 1 << 30, PerSecond: 1 << 30}, time.Now)
})

// BenchmarkDeliveries sends deliveries to a local receiver, 100 events per
// round (logged with the timer stopped), and reports deliveries/s next to
// a floor: the same number of bare POSTs of a like body to the same
// receiver, one after the other, run side by side, so that the ratio
// means more than this machine's noise. The receiver answers at once, or
// after 20 ms as one across a network would: the worker sends Parallel
// deliveries at once, the floor one at a time.
//
//	go test ./webhooks -run '^$' -bench Deliveries -benchtime 20x
func BenchmarkDeliveries(b *testing.B) {
	for _, delay := range []time.Duration{0, 20 * time.Millisecond} {
		b.Run("receiver="+delay.String(), func(b *testing.B) {
			w := newBenchWorld(b)
			r := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
				io.Copy(io.Discard, req.Body)
				time.Sleep(delay) // the receiver's own time, not the test's
			}))
			b.Cleanup(r.Close)
			w.create(b, r.URL, "CASE_COMMENTED")
			wk := w.worker()
			const perRound = 100
			var sent, floor time.Duration
			body := bytes.Repeat([]byte("x"), 400)
			rounds := 0
			for b.Loop() {
				b.StopTimer()
				for range perRound {
					w.comment(b)
				}
				if _, err := wk.Fanout(context.Background()); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				n, err := wk.Deliver(context.Background())
				sent += time.Since(start)
				if err != nil || n != perRound {
					b.Fatalf("delivered %d of %d: %v", n, perRound, err)
				}
				start = time.Now()
				for range perRound {
					res, err := http.Post(r.URL, "application/json", bytes.NewReader(body))
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
				floor += time.Since(start)
				rounds++
			}
			b.ReportMetric(float64(rounds*perRound)/sent.Seconds(), "deliveries/s")
			b.ReportMetric(float64(rounds*perRound)/floor.Seconds(), "bare-posts/s")
			b.ReportMetric(sent.Seconds()/floor.Seconds(), "x-floor")
		})
	}
}

// BenchmarkWritePath times addCaseComment over HTTP on two deployments side
// by side, one with no webhook and one with 100 registered on the
// commented customer, alternating request by request; it reports each
// one's mean and their ratio (≈ 1: the write publishes its event and
// never reads the webhooks). With worker=running, the second deployment's
// worker runs meanwhile, woken by each comment to log and send 100
// deliveries to a local receiver: the write then shares the database
// with it.
//
//	go test ./webhooks -run '^$' -bench WritePath -benchtime 300x
func BenchmarkWritePath(b *testing.B) {
	for _, running := range []bool{false, true} {
		name := "worker=idle"
		if running {
			name = "worker=running"
		}
		b.Run(name, func(b *testing.B) {
			bare, hooked := newBenchWorld(b), newBenchWorld(b)
			r := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) { io.Copy(io.Discard, req.Body) }))
			b.Cleanup(r.Close)
			for range 100 {
				hooked.create(b, r.URL, "CASE_COMMENTED")
			}
			if running {
				ctx, stop := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() { defer close(done); hooked.worker().Run(ctx, time.Second, hooked.Broker) }()
				b.Cleanup(func() { stop(); <-done })
			}
			bare.comment(b) // warm both sessions
			hooked.comment(b)
			var without, with time.Duration
			n := 0
			for b.Loop() {
				start := time.Now()
				bare.comment(b)
				without += time.Since(start)
				start = time.Now()
				hooked.comment(b)
				with += time.Since(start)
				n++
			}
			b.ReportMetric(float64(without.Microseconds())/float64(n), "µs/comment-0-endpoints")
			b.ReportMetric(float64(with.Microseconds())/float64(n), "µs/comment-100-endpoints")
			b.ReportMetric(with.Seconds()/without.Seconds(), "ratio")
		})
	}
}

func newBenchWorld(b *testing.B) *world {
	return newWorld(b, allowLoopback, unlimited)
}
