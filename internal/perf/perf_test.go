package perf_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/partnerdesk/partnerdesk/app"
	"github.com/partnerdesk/partnerdesk/clock"
	"github.com/partnerdesk/partnerdesk/events"
	"github.com/partnerdesk/partnerdesk/httpapi"
	"github.com/partnerdesk/partnerdesk/internal/perf"
	"github.com/partnerdesk/partnerdesk/store"
)

// server is the real partnerdesk handler over a world's file, counting
// the SQL statements it sends.
type server struct {
	db         *store.DB
	handler    http.Handler
	statements atomic.Int64
}

// openServer starts the server as production does, with the rate limits
// off so that answers carry no cost extension.
func openServer(tb testing.TB, path string, clk clock.Clock) *server {
	tb.Helper()
	s := &server{}
	hub := &events.Hub{}
	db, err := app.Open(context.Background(), path, store.Options{
		Wrap: func(d dialect.Driver) dialect.Driver { return &countingDriver{Driver: d, n: &s.statements} },
	}, hub)
	if err != nil {
		tb.Fatalf("opening the server's database: %v", err)
	}
	s.db = db
	s.handler = httpapi.New(httpapi.Config{DB: db, Clock: clk, Broker: hub})
	tb.Cleanup(func() { db.Close() })
	return s
}

func openFloor(tb testing.TB, path string, clk clock.Clock) *perf.Floor {
	tb.Helper()
	f, err := perf.OpenFloor(context.Background(), path, clk)
	if err != nil {
		tb.Fatalf("opening the floor: %v", err)
	}
	tb.Cleanup(func() { f.Close() })
	return f
}

// countingDriver counts every statement, inside transactions too (as
// testkit's does).
type countingDriver struct {
	dialect.Driver
	n *atomic.Int64
}

func (d *countingDriver) Exec(ctx context.Context, q string, args, v any) error {
	d.n.Add(1)
	return d.Driver.Exec(ctx, q, args, v)
}

func (d *countingDriver) Query(ctx context.Context, q string, args, v any) error {
	d.n.Add(1)
	return d.Driver.Query(ctx, q, args, v)
}

func (d *countingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &countingTx{Tx: tx, n: d.n}, nil
}

type countingTx struct {
	dialect.Tx
	n *atomic.Int64
}

func (t *countingTx) Exec(ctx context.Context, q string, args, v any) error {
	t.n.Add(1)
	return t.Tx.Exec(ctx, q, args, v)
}

func (t *countingTx) Query(ctx context.Context, q string, args, v any) error {
	t.n.Add(1)
	return t.Tx.Query(ctx, q, args, v)
}

// caller is who sends a request.
type caller struct {
	name  string
	token func(w *perf.World) string
}

var callers = []caller{
	{"partner", func(w *perf.World) string { return w.PartnerToken }},
	{"vendor", func(w *perf.World) string { return w.VendorToken }},
}

// post sends body to h in process and returns the answer.
func post(h http.Handler, path, token string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// graphqlPath and floorPath are where each side takes a request.
func graphqlPath(perf.Request) string { return "/graphql" }

func floorPath(r perf.Request) string { return "/floor/" + r.Name }

// answered reports whether a body holds data and no error. A string that
// contains "errors" in quotes is escaped, so it cannot be mistaken for one.
func answered(body []byte) bool {
	return bytes.HasPrefix(body, []byte(`{"data":{`)) && !bytes.Contains(body, []byte(`"errors"`))
}

// query is the body of a document other than the six.
func query(w *perf.World, q string, vars map[string]any) []byte {
	return perf.Request{Query: q, Vars: func(*perf.World) map[string]any { return vars }}.Body(w)
}

// TestTheFloorAnswersLikeTheServer runs every request as both callers
// against the server and the floor over one tiny world, and requires the
// same bytes: reads byte for byte, before and after the writes; the
// comment with its new ID masked, and the rows it wrote compared column by
// column.
func TestTheFloorAnswersLikeTheServer(t *testing.T) {
	ctx := context.Background()
	w, err := perf.Open(ctx, perf.Tiny, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("tiny world in %v: %v", w.BuildTime.Round(time.Millisecond), w.Counts)
	// One instant for both: SLA states and "the last 30 days" depend on it.
	clk := clock.NewManual(w.BuiltAt.Add(time.Minute))
	srv := openServer(t, w.Path, clk)
	floor := openFloor(t, w.Path, clk)

	t.Run("world", func(t *testing.T) { checkWorld(t, w, srv.handler) })

	reads := func(t *testing.T) {
		for _, c := range callers {
			for _, r := range perf.Requests {
				if r.Writes {
					continue
				}
				body := r.Body(w)
				want := post(srv.handler, graphqlPath(r), c.token(w), body)
				got := post(floor, floorPath(r), c.token(w), body)
				if want.Code != http.StatusOK || !answered(want.Body.Bytes()) {
					t.Fatalf("%s as %s: the server answered %d: %s", r.Name, c.name, want.Code, want.Body)
				}
				if !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
					t.Errorf("%s as %s: the floor differs from the server\nserver: %s\nfloor:  %s",
						r.Name, c.name, want.Body, got.Body)
				}
			}
		}
	}
	t.Run("reads", reads)

	t.Run("comment", func(t *testing.T) {
		r, _ := perf.RequestNamed("R4-comment")
		newID := regexp.MustCompile(`cmt_[0-9A-Z]{26}`)
		for _, c := range callers {
			body := r.Body(w)
			want := post(srv.handler, graphqlPath(r), c.token(w), body)
			got := post(floor, floorPath(r), c.token(w), body)
			if want.Code != http.StatusOK || !answered(want.Body.Bytes()) {
				t.Fatalf("as %s: the server answered %d: %s", c.name, want.Code, want.Body)
			}
			serverID, floorID := newID.FindString(want.Body.String()), newID.FindString(got.Body.String())
			if serverID == "" || floorID == "" {
				t.Fatalf("as %s: no new comment ID\nserver: %s\nfloor:  %s", c.name, want.Body, got.Body)
			}
			if masked := strings.ReplaceAll(got.Body.String(), floorID, serverID); masked != want.Body.String() {
				t.Errorf("as %s: the floor differs from the server\nserver: %s\nfloor:  %s", c.name, want.Body, got.Body)
			}
			serverRows, floorRows := written(t, srv.db.Writer(), serverID), written(t, srv.db.Writer(), floorID)
			if serverRows != floorRows {
				t.Errorf("as %s: the floor wrote other rows than the server\nserver: %s\nfloor:  %s", c.name, serverRows, floorRows)
			}
		}
	})

	t.Run("reads after the writes", reads)
}

// written describes the rows a comment left behind, with its own IDs
// masked: the comment, its event, the audit entry and the case it bumped.
func written(t *testing.T, db *sql.DB, commentID string) string {
	t.Helper()
	var out []string
	read := func(what, q string) {
		rows, err := db.Query(q, commentID)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		n := 0
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var fields []string
			for i, c := range cols {
				v := fmt.Sprint(vals[i])
				if b, ok := vals[i].([]byte); ok {
					v = string(b)
				}
				fields = append(fields, c+"="+strings.ReplaceAll(v, commentID, "<comment>"))
			}
			out = append(out, what+"{"+strings.Join(fields, " ")+"}")
			n++
		}
		if n != 1 {
			t.Errorf("%s: %d rows, want 1", what, n)
		}
	}
	read("comment", `SELECT created_at, customer_id, body, visibility, author_id, case_id FROM case_comments WHERE id = ?`)
	read("event", `SELECT created_at, customer_id, kind, changes, visibility, actor_id, comment_id, case_id FROM case_events WHERE comment_id = ?`)
	read("audit", `SELECT created_at, level, operation, object_type, object_id, changed_fields, request_id <> '', actor_id,
		actor_organization_id, customer_id, grant_id FROM audit_entries WHERE object_id = ?`)
	read("case", `SELECT c.updated_at = m.created_at, c.first_responded_at IS NOT NULL FROM cases c JOIN case_comments m ON m.case_id = c.id WHERE m.id = ?`)
	return strings.Join(out, "\n")
}

// checkWorld checks the shapes the benchmark relies on, through the
// server: the partner does not see the case filed between its eras, sees
// the case it collaborates on at CC, and the help desk's lookups find what
// they are meant to.
func checkWorld(t *testing.T, w *perf.World, h http.Handler) {
	for key, min := range map[string]int{"cases": w.Size.Cases, "keyword": w.Size.Cases / 50, "case_comments": w.Size.Comments * 3 / 4,
		"case_events": w.Size.Events * 3 / 4, "contacts": w.Size.Contacts, "devices": w.Size.Devices} {
		if w.Counts[key] < min {
			t.Errorf("%d %s, want at least %d", w.Counts[key], key, min)
		}
	}
	node := `query($id: ID!) { node(id: $id) { id } }`
	for _, c := range []struct {
		id      string
		visible bool
	}{{w.HiddenCaseID, false}, {w.CollaborationCaseID, true}, {w.CaseID, true}} {
		res := post(h, "/graphql", w.PartnerToken, query(w, node, map[string]any{"id": c.id}))
		if seen := strings.Contains(res.Body.String(), c.id); seen != c.visible {
			t.Errorf("the partner sees case %s: %v, want %v: %s", c.id, seen, c.visible, res.Body)
		}
		res = post(h, "/graphql", w.VendorToken, query(w, node, map[string]any{"id": c.id}))
		if !strings.Contains(res.Body.String(), c.id) {
			t.Errorf("the vendor does not see case %s: %s", c.id, res.Body)
		}
	}
	r, _ := perf.RequestNamed("R6-name")
	for _, c := range []struct {
		token string
		hits  int
	}{{w.PartnerToken, 3}, {w.VendorToken, 7}} {
		res := post(h, "/graphql", c.token, r.Body(w))
		if n := strings.Count(res.Body.String(), `"matchedOn"`); n != c.hits {
			t.Errorf("the name search finds %d, want %d: %s", n, c.hits, res.Body)
		}
	}
	for _, name := range []string{"R6-email", "R6-MAC"} {
		r, _ := perf.RequestNamed(name)
		res := post(h, "/graphql", w.PartnerToken, r.Body(w))
		if n := strings.Count(res.Body.String(), `"exact":true`); n != 1 {
			t.Errorf("%s finds %d exact hits, want 1: %s", name, n, res.Body)
		}
	}
}

// side is one of the two handlers a request is measured on.
type side struct {
	name       string
	handler    http.Handler
	path       func(perf.Request) string
	statements func() int64
}

// measurement is what one sub-benchmark measured, per request.
type measurement struct {
	cpu, p50, p99 time.Duration
	statements    float64
	allocs        float64
}

// result is a row of the closing table.
type result struct {
	size, caller, request string
	server, floor         measurement
}

// results collects the rows as the sub-benchmarks finish; the last run of
// each (the one with b.N iterations) is the one kept.
type results struct {
	mu   sync.Mutex
	rows map[string]*result
	keys []string
}

func (rs *results) row(size, caller, request string) *result {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	k := size + "/" + caller + "/" + request
	if rs.rows == nil {
		rs.rows = map[string]*result{}
	}
	if r, ok := rs.rows[k]; ok {
		return r
	}
	r := &result{size: size, caller: caller, request: request}
	rs.rows[k] = r
	rs.keys = append(rs.keys, k)
	return r
}

// BenchmarkReads measures the six requests of issue 11 (the help-desk
// search in three forms) at 20,000 and 200,000 cases, as a partner and as a
// vendor agent, on the real server and on the hand-written floor over the
// same file, side by side: floor first, then server, each in process
// (httptest, no network). Each reports its CPU per request (getrusage of
// the process, user and system, so SQLite's work counts), p50 and p99
// latency, SQL statements and allocations per request; the server also
// reports its CPU as a multiple of the floor's measured just before
// (x-floor-cpu). A table of every pair and the load average close the run.
// R4 writes: each of its windows starts from a merged full-text index
// (settleSearchIndex), and keep -benchtime at or under 200x for it.
//
// The worlds are cached under os.TempDir() (building the large one takes
// about a minute) and copied for each run. Run it with
//
//	go test ./internal/perf -run '^$' -bench Reads -benchtime 200x -timeout 60m
//
// or one size with -bench 'Reads/Small'.
func BenchmarkReads(b *testing.B) {
	ctx := context.Background()
	startLoad := loadAverage()
	var rs results
	var worlds []string
	for _, size := range []perf.Size{perf.Small, perf.Large} {
		b.Run(size.Name, func(b *testing.B) {
			w, err := perf.Open(ctx, size, b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			cached := ""
			if w.FromCache {
				cached = " (a cached copy)"
			}
			worlds = append(worlds, fmt.Sprintf("%s world%s, built in %v: %v", size.Name, cached, w.BuildTime.Round(100*time.Millisecond), w.Counts))
			srv := openServer(b, w.Path, clock.System)
			floor := openFloor(b, w.Path, clock.System)
			sides := []side{
				{"floor", floor, floorPath, floor.Statements},
				{"server", srv.handler, graphqlPath, srv.statements.Load},
			}
			for _, c := range callers {
				b.Run(c.name, func(b *testing.B) {
					for _, r := range perf.Requests {
						b.Run(r.Name, func(b *testing.B) {
							row := rs.row(size.Name, c.name, r.Name)
							for _, s := range sides {
								b.Run(s.name, func(b *testing.B) {
									if r.Writes {
										settleSearchIndex(b, srv.db.Writer())
									}
									m := measure(b, s, r.Body(w), c.token(w), s.path(r))
									if s.name == "floor" {
										row.floor = m
										return
									}
									row.server = m
									if row.floor.cpu > 0 {
										b.ReportMetric(float64(m.cpu)/float64(row.floor.cpu), "x-floor-cpu")
									}
								})
							}
						})
					}
				})
			}
		})
	}
	summary = strings.Join(worlds, "\n") + "\n" + table(&rs, startLoad, loadAverage())
	b.Logf("\n%s", summary)
}

// summary is BenchmarkReads' closing table, printed once the benchmarks
// are done (a benchmark's log shows only with -v).
var summary string

func TestMain(m *testing.M) {
	code := m.Run()
	if summary != "" {
		fmt.Print("\n" + summary)
	}
	os.Exit(code)
}

// settleSearchIndex merges the full-text index into one segment before a
// window of writes. Each comment adds a segment to the FTS4 index, and
// every so many the writer that adds one merges a level of them inline:
// past about 240 comments on the large world that merge rewrites the whole
// index, a stall of half a second or more that would fall on whichever
// side happened to write then. After a merge into one segment, 200 writes
// (-benchtime 200x) stay clear of it on both sides.
func settleSearchIndex(b *testing.B, db *sql.DB) {
	if _, err := db.Exec(`INSERT INTO case_search(case_search) VALUES ('optimize')`); err != nil {
		b.Fatal(err)
	}
}

// measure sends the request b.N times and reports what it cost.
func measure(b *testing.B, s side, body []byte, token, path string) measurement {
	// Start from a collected heap, so that one side does not pay for the
	// other's garbage.
	runtime.GC()
	lat := make([]time.Duration, 0, b.N)
	statements := s.statements()
	var before, after syscall.Rusage
	b.ReportAllocs()
	var mem0, mem1 runtime.MemStats
	runtime.ReadMemStats(&mem0)
	b.ResetTimer()
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &before); err != nil {
		b.Fatal(err)
	}
	for range b.N {
		start := time.Now()
		rec := post(s.handler, path, token, body)
		lat = append(lat, time.Since(start))
		if rec.Code != http.StatusOK || !answered(rec.Body.Bytes()) {
			b.Fatalf("%s answered %d: %s", s.name, rec.Code, rec.Body)
		}
	}
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &after); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	runtime.ReadMemStats(&mem1)
	slices.Sort(lat)
	n := float64(b.N)
	m := measurement{
		cpu:        (cpuTime(after) - cpuTime(before)) / time.Duration(b.N),
		p50:        lat[len(lat)/2],
		p99:        lat[min(len(lat)-1, len(lat)*99/100)],
		statements: float64(s.statements()-statements) / n,
		allocs:     float64(mem1.Mallocs-mem0.Mallocs) / n,
	}
	b.ReportMetric(float64(m.cpu)/1e6, "cpu-ms/op")
	b.ReportMetric(float64(m.p50)/1e6, "p50-ms")
	b.ReportMetric(float64(m.p99)/1e6, "p99-ms")
	b.ReportMetric(m.statements, "sql/op")
	return m
}

func cpuTime(ru syscall.Rusage) time.Duration {
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAverage is the first three fields of /proc/loadavg, or "unknown".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// table renders the results: per request and caller, each size's server
// and floor CPU, their ratio and their statements.
func table(rs *results, startLoad, endLoad string) string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	keys := slices.Clone(rs.keys)
	order := map[string]int{}
	for i, r := range perf.Requests {
		order[r.Name] = i
	}
	sort.SliceStable(keys, func(i, j int) bool {
		a, b := rs.rows[keys[i]], rs.rows[keys[j]]
		if a.request != b.request {
			return order[a.request] < order[b.request]
		}
		if a.caller != b.caller {
			return a.caller > b.caller // partner first
		}
		return false // sizes in the order they ran
	})
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/1e6) }
	var sb strings.Builder
	fmt.Fprintf(&sb, "load average: %s at the start, %s at the end; %d CPUs, GOMAXPROCS %d\n",
		startLoad, endLoad, runtime.NumCPU(), runtime.GOMAXPROCS(0))
	fmt.Fprintf(&sb, "| request | caller | size | server CPU ms | floor CPU ms | ratio | server p50/p99 ms | floor p50/p99 ms | statements server/floor | allocs server/floor |\n")
	fmt.Fprintf(&sb, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, k := range keys {
		r := rs.rows[k]
		ratio := "-"
		if r.floor.cpu > 0 {
			ratio = fmt.Sprintf("%.1f×", float64(r.server.cpu)/float64(r.floor.cpu))
		}
		fmt.Fprintf(&sb, "| %s | %s | %s | %s | %s | %s | %s / %s | %s / %s | %.0f / %.0f | %.0f / %.0f |\n",
			r.request, r.caller, r.size, ms(r.server.cpu), ms(r.floor.cpu), ratio,
			ms(r.server.p50), ms(r.server.p99), ms(r.floor.p50), ms(r.floor.p99),
			r.server.statements, r.floor.statements, r.server.allocs, r.floor.allocs)
	}
	return sb.String()
}
