package observe

import (
	"database/sql"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/events"
)

// namespace prefixes every metric of the server's own.
const namespace = "partnerdesk"

// MaxOperationNames bounds the operation names metrics tell apart; later
// names are counted as "other". Clients choose names, and each name is a
// time series to every scraper.
const MaxOperationNames = 200

// Metrics are the server's Prometheus metrics, on a registry of their own.
type Metrics struct {
	reg *prometheus.Registry

	requests        *prometheus.CounterVec
	duration        *prometheus.HistogramVec
	inFlight        prometheus.Gauge
	errors          *prometheus.CounterVec
	refusals        *prometheus.CounterVec
	outboxFailures  prometheus.Counter
	outboxDepthOnce sync.Once

	mu    sync.Mutex // guards names
	names map[string]bool
}

// NewMetrics returns the metrics of one server, with the Go runtime's,
// the process's and the build's.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "graphql_requests_total",
			Help: "GraphQL operations answered, by operation type, operation name (\"anonymous\" when unnamed, \"other\" past the first " +
				"200 names) and outcome code (the first error's extensions.code, or OK).",
		}, []string{"type", "operation", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "graphql_request_duration_seconds",
			Help:    "Time to answer a GraphQL operation, by operation type and name; a subscription's ends once it follows its stream.",
			Buckets: []float64{.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"type", "operation"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "graphql_requests_in_flight",
			Help: "GraphQL requests over HTTP being answered now (server-sent event streams included).",
		}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "graphql_errors_total",
			Help: "Errors in GraphQL responses, by extensions.code.",
		}, []string{"code"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "limit_refusals_total",
			Help: "Operations refused by a limit (complexity, document size, rate), by code and reason.",
		}, []string{"code", "reason"}),
		outboxFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "outbox_delivery_failures_total",
			Help: "Attempts to send an outbox message that failed.",
		}),
		names: map[string]bool{},
	}
	m.reg.MustRegister(m.requests, m.duration, m.inFlight, m.errors, m.refusals, m.outboxFailures,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
		buildInfo())
	return m
}

// buildInfo is partnerdesk_build_info: 1, labelled with the version and
// VCS revision the binary was built from.
func buildInfo() prometheus.Collector {
	version, revision, goVersion := "unknown", "unknown", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		version, goVersion = bi.Main.Version, bi.GoVersion
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help:        "The version and revision of the running binary, always 1.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": goVersion},
	})
	g.Set(1)
	return g
}

// Handler serves the metrics in Prometheus's exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is where the metrics are registered, for collectors of other
// packages.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Sources are the parts of a server whose state metrics read at each
// scrape. A nil field exports nothing for its part.
type Sources struct {
	// Pools are the database's connection pools, by role.
	Pools map[string]*sql.DB
	// Events reports what the event hub has carried.
	Events func() events.Stats
	// Subscriptions reports the open subscriptions by transport.
	Subscriptions func() map[string]int
}

// Watch exports the state of a server's parts. A Metrics watches one
// server: a second call panics, as its metrics would collide.
func (m *Metrics) Watch(s Sources) {
	for role, db := range s.Pools {
		m.reg.MustRegister(collectors.NewDBStatsCollector(db, role))
	}
	if s.Events != nil {
		for name, help := range map[string]string{
			"published": "Change events published to the event hub.",
			"delivered": "Change events handed to subscribers; one event to three subscribers counts three.",
			"dropped":   "Change events dropped because a stream fell too far behind; its subscribers were told.",
		} {
			m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
				Namespace: namespace, Name: "events_" + name + "_total", Help: help,
			}, eventCount(s.Events, name)))
		}
	}
	if s.Subscriptions != nil {
		m.reg.MustRegister(&subscriptionGauge{open: s.Subscriptions, desc: prometheus.NewDesc(
			prometheus.BuildFQName(namespace, "", "subscriptions_open"),
			"Subscriptions following their stream, by transport.", []string{"transport"}, nil)})
	}
}

func eventCount(stats func() events.Stats, name string) func() float64 {
	return func() float64 {
		s := stats()
		switch name {
		case "published":
			return float64(s.Published)
		case "delivered":
			return float64(s.Delivered)
		}
		return float64(s.Dropped)
	}
}

// subscriptionGauge reads the open subscriptions once per scrape, for
// every transport.
type subscriptionGauge struct {
	open func() map[string]int
	desc *prometheus.Desc
}

func (g *subscriptionGauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *subscriptionGauge) Collect(ch chan<- prometheus.Metric) {
	open := g.open()
	// Every transport is exported, at 0 too, so that a dashboard's series
	// do not vanish.
	for _, t := range []string{"graphql-transport-ws", "graphql-ws", "sse"} {
		if _, ok := open[t]; !ok {
			open[t] = 0
		}
	}
	for t, n := range open {
		ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(n), t)
	}
}

// OutboxDepth makes depth the source of partnerdesk_outbox_depth, the
// mail messages waiting to be sent; it is called at each scrape. The mail
// delivery registers it, once.
func (m *Metrics) OutboxDepth(depth func() (int, error)) {
	m.outboxDepthOnce.Do(func() {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: namespace, Name: "outbox_depth", Help: "Mail messages in the outbox waiting to be sent.",
		}, func() float64 {
			n, err := depth()
			if err != nil {
				slog.Error("reading the outbox depth", "error", err)
				return math.NaN()
			}
			return float64(n)
		}))
	})
}

// OutboxFailed counts an attempt to send an outbox message that failed;
// nil Metrics count nothing, so the mail delivery may call it always.
func (m *Metrics) OutboxFailed() {
	if m != nil {
		m.outboxFailures.Inc()
	}
}

// refusalCodes are the codes of the limits' refusals.
var refusalCodes = map[string]bool{
	string(apperr.QueryTooComplex): true, string(apperr.QueryTooLarge): true, string(apperr.TooManyFields): true,
	string(apperr.TooManyAliases): true, string(apperr.TooManyDirectives): true, string(apperr.InputTooLarge): true,
	string(apperr.PayloadTooLarge): true, string(apperr.RateLimited): true, string(apperr.IntrospectionDisabled): true,
}

// observe counts a finished record; rec.mu is held.
func (m *Metrics) observe(rec *record, elapsed time.Duration) {
	typ, name := "unknown", "unknown"
	if rec.operation {
		typ, name = rec.opType, m.operationName(rec)
	}
	m.requests.WithLabelValues(typ, name, rec.outcome()).Inc()
	m.duration.WithLabelValues(typ, name).Observe(elapsed.Seconds())
	for _, c := range rec.codes {
		m.errors.WithLabelValues(c.code).Inc()
		if refusalCodes[c.code] {
			m.refusals.WithLabelValues(c.code, c.reason).Inc()
		}
	}
}

// operationName is the label of a record's operation: its name, or its
// persisted query's hash, or "anonymous"; "other" for a name past the
// first MaxOperationNames.
func (m *Metrics) operationName(rec *record) string {
	name := rec.opName
	switch {
	case name != "":
	case rec.persistedHash != "":
		name = "persisted:" + rec.persistedHash[:min(len(rec.persistedHash), 16)]
	default:
		return "anonymous"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.names[name] {
		if len(m.names) >= MaxOperationNames {
			return "other"
		}
		m.names[name] = true
	}
	return name
}
