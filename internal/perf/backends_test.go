package perf_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/clock"
	"github.com/partnerdesk/partnerdesk/internal/perf"
	"github.com/partnerdesk/partnerdesk/internal/pgtest"
)

// BenchmarkBackends measures the six requests of BenchmarkReads on the
// real server over SQLite and over PostgreSQL, side by side, on the same
// world: the cached SQLite world is copied into a database of the tests'
// PostgreSQL cluster. Each reports p50 and p99 latency and statements;
// the PostgreSQL side also its p50 as a multiple of SQLite's just before
// (x-sqlite-p50). CPU is not compared: PostgreSQL's work runs in its own
// processes. Run it with
//
//	go test ./internal/perf -run '^$' -bench Backends -benchtime 200x -timeout 60m
func BenchmarkBackends(b *testing.B) {
	ctx := context.Background()
	startLoad := loadAverage()
	var copies []string
	rows := map[string]string{} // the last run of each request: b.N's
	var keys []string
	for _, size := range []perf.Size{perf.Small, perf.Large} {
		b.Run(size.Name, func(b *testing.B) {
			w, err := perf.Open(ctx, size, b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			url := pgtest.URL(b)
			start := time.Now()
			if err := perf.CopyToPostgres(ctx, w.Path, url); err != nil {
				b.Fatal(err)
			}
			copies = append(copies, fmt.Sprintf("%s world copied into PostgreSQL in %v: %v", size.Name, time.Since(start).Round(100*time.Millisecond), w.Counts))
			lite, pg := openServer(b, w.Path, clock.System), openServer(b, url, clock.System)
			sides := []side{
				{"sqlite", lite.handler, graphqlPath, lite.statements.Load},
				{"postgres", pg.handler, graphqlPath, pg.statements.Load},
			}
			for _, c := range callers {
				b.Run(c.name, func(b *testing.B) {
					for _, r := range perf.Requests {
						b.Run(r.Name, func(b *testing.B) {
							var base measurement
							for _, s := range sides {
								b.Run(s.name, func(b *testing.B) {
									if r.Writes && s.name == "sqlite" {
										settleSearchIndex(b, lite.db.Writer())
									}
									m := measure(b, s, r.Body(w), c.token(w), s.path(r))
									if s.name == "sqlite" {
										base = m
										return
									}
									if base.p50 > 0 {
										ratio := float64(m.p50) / float64(base.p50)
										b.ReportMetric(ratio, "x-sqlite-p50")
										k := size.Name + "/" + c.name + "/" + r.Name
										if _, ok := rows[k]; !ok {
											keys = append(keys, k)
										}
										rows[k] = fmt.Sprintf("| %s | %s | %s | %.2f / %.2f ms | %.2f / %.2f ms | %.1f× | %.0f / %.0f |",
											size.Name, c.name, r.Name, ms(base.p50), ms(base.p99), ms(m.p50), ms(m.p99), ratio, base.statements, m.statements)
									}
								})
							}
						})
					}
				})
			}
		})
	}
	lines := copies
	lines = append(lines, "| size | caller | request | SQLite p50 / p99 | PostgreSQL p50 / p99 | p50 ratio | statements |", "|---|---|---|---|---|---|---|")
	for _, k := range keys {
		lines = append(lines, rows[k])
	}
	summary = strings.Join(lines, "\n") + "\nload average " + startLoad + " at the start, " + loadAverage() + " at the end\n"
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }
