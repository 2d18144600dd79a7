package events_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/partnerdesk/partnerdesk/events"
	"github.com/partnerdesk/partnerdesk/internal/pgtest"
)

// relayed returns n hubs relayed through one PostgreSQL database, as n
// instances' would be.
func relayed(t testing.TB, n int) ([]*events.Hub, *pgxpool.Pool) {
	t.Helper()
	pgtest.Only(t, "the relay")
	url := pgtest.URL(t)
	var hubs []*events.Hub
	var last *pgxpool.Pool
	for range n {
		pool, err := pgxpool.New(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		ctx, stop := context.WithCancel(context.Background())
		h := &events.Hub{}
		if err := events.RelayPostgres(ctx, pool, h); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { stop(); pool.Close() })
		hubs, last = append(hubs, h), pool
	}
	return hubs, last
}

// TestTheRelayCarriesMessagesToEveryInstance: a message published on one
// hub reaches the followers of both, once each, with what it carries.
func TestTheRelayCarriesMessagesToEveryInstance(t *testing.T) {
	hubs, _ := relayed(t, 2)
	var rs [2]recorder
	for i, h := range hubs {
		defer h.Follow(events.CustomerKey("acme"), rs[i].deliver)()
	}
	sent := caseEvent("cev_1", "cas_1", "acme")
	sent.At = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if err := hubs[0].Publish(context.Background(), sent); err != nil {
		t.Fatal(err)
	}
	for i := range rs {
		eventually(t, fmt.Sprintf("instance %d receives it", i), func() bool { return len(rs[i].messages()) == 1 })
		if got := rs[i].messages()[0]; got.CaseEventID != "cev_1" || got.CaseID != "cas_1" || !got.At.Equal(sent.At) {
			t.Fatalf("instance %d received %+v", i, got)
		}
	}
}

// TestADroppedListenerReconnectsAndSaysEventsMayBeLost: when the listening
// connection is killed, the followers stay, are told they may have missed
// messages, and receive what is published after the reconnect.
func TestADroppedListenerReconnectsAndSaysEventsMayBeLost(t *testing.T) {
	hubs, pool := relayed(t, 1)
	var r recorder
	defer hubs[0].Follow(events.AllCases, r.deliver)()
	if _, err := pool.Exec(context.Background(),
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query ILIKE 'listen%' AND pid <> pg_backend_pid()"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the followers are told", func() bool {
		return slices.ContainsFunc(r.messages(), func(m *events.Message) bool { return m.Lost })
	})
	eventually(t, "a message after the reconnect arrives", func() bool {
		hubs[0].Publish(context.Background(), caseEvent("cev_2", "cas_1", "acme"))
		return slices.ContainsFunc(r.messages(), func(m *events.Message) bool { return m.CaseEventID == "cev_2" })
	})
}

// BenchmarkEventLatency: from Publish to a follower's delivery, through
// the in-process hub and relayed by PostgreSQL from another instance's
// hub, side by side. It reports p50 and p99 of each, and their ratios.
func BenchmarkEventLatency(b *testing.B) {
	hubs, _ := relayed(b, 2)
	local := &events.Hub{}
	measure := func(from, to *events.Hub) []time.Duration {
		arrived := make(chan struct{}, 1)
		defer to.Follow(events.AllCases, func(m *events.Message) {
			if !m.Tick {
				arrived <- struct{}{}
			}
		})()
		lat := make([]time.Duration, 0, b.N)
		for i := range b.N {
			start := time.Now()
			from.Publish(context.Background(), caseEvent(fmt.Sprint("cev_", i), "cas_1", "acme"))
			<-arrived
			lat = append(lat, time.Since(start))
		}
		slices.Sort(lat)
		return lat
	}
	b.ResetTimer()
	in := measure(local, local)
	across := measure(hubs[0], hubs[1])
	q := func(l []time.Duration, p float64) float64 {
		return float64(l[int(p*float64(len(l)-1))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(q(in, .5), "in-process-p50-µs")
	b.ReportMetric(q(in, .99), "in-process-p99-µs")
	b.ReportMetric(q(across, .5), "across-p50-µs")
	b.ReportMetric(q(across, .99), "across-p99-µs")
}
