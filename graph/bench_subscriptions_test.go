package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/caseevent"
	"github.com/partnerdesk/partnerdesk/events"
	"github.com/partnerdesk/partnerdesk/httpapi"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// The live-update fan-out of SPEC §6/§7, measured against a raw websocket
// hub. Run with:
//
//	go test ./graph/ -run '^$' -bench 'Subscriptions' -benchtime 1x -timeout 20m -v
//
// Each sub-benchmark builds its own server and clients, and closes them all
// before the next one starts. The per-event loop publishes a fixed
// fanWarmup+fanEvents events and ignores b.N (setup dominates: use
// -benchtime 1x). With FAN_PROFILE_DIR set, each fan-out sub-benchmark
// writes there a heap profile taken once every subscription is registered
// (.heap), another after the events (.heap-after: diff their alloc_space
// for what the events allocated) and a CPU profile of the event loop only
// (not of the setup). Nothing here asserts a time: the numbers are reported
// with b.ReportMetric, and BenchmarkSubscriptions logs a summary with the
// ratios ours/raw of each side's median over the rounds at the end.
//
// Memory per subscriber is HeapInuse (and, separately, StackInuse) after
// runtime.GC(), before connecting versus after every subscription is
// registered, divided by N: the server's alone, since the clients run in
// a process of their own (bench_fleet_test.go). FAN_SIZES picks the
// subscriber counts (1000,5000,10000 by default), FAN_ROUNDS the rounds
// (3).

const (
	fanQuery   = `subscription($k: ID) { caseEvents(caseID: $k) { id kind } }`
	fanWarmup  = 1  // events published first and not measured
	fanEvents  = 20 // measured events per sub-benchmark (b.N is ignored)
	fanCycles  = 1000
	fanWorkers = 16 // clients connecting at once during setup

	fanEventTimeout = 60 * time.Second // for every subscriber to receive one event
	fanSetupTimeout = 60 * time.Second // for every subscription to register
)

var fanNext = []byte(`"type":"next"`)

// fanRounds is how many times each size runs, ours and raw in turn;
// FAN_ROUNDS picks another count.
var fanRounds = func() int {
	if n, err := strconv.Atoi(os.Getenv("FAN_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 3
}()

// fanSizes are the subscriber counts measured; FAN_SIZES (e.g. "1000")
// picks others.
var fanSizes = func() []int {
	sizes := []int{1000, 5000, 10000}
	if env := os.Getenv("FAN_SIZES"); env != "" {
		sizes = nil
		for _, f := range strings.Split(env, ",") {
			if n, err := strconv.Atoi(f); err == nil {
				sizes = append(sizes, n)
			}
		}
	}
	return sizes
}()

// fanResult is what one fan-out sub-benchmark measured.
type fanResult struct {
	p50, p99             time.Duration
	insert               time.Duration // median time to insert and publish an event
	lastMax              time.Duration // the slowest event's last delivery
	heapPerSub, stackSub float64       // bytes
	goroutinesPerSub     float64
	gcs                  uint32  // collections during the event loop
	allocPerDelivery     float64 // bytes the server allocated per delivery
}

// fanCycleResult is what one cycles sub-benchmark measured.
type fanCycleResult struct {
	before, after, subsAfter int
	unregistered             int // cycles whose subscription never showed up
}

func BenchmarkSubscriptions(b *testing.B) {
	results := map[string][]fanResult{}
	cycles := map[string]fanCycleResult{}
	// Rounds alternate ours and raw, so that a noisy neighbour on the
	// machine weighs on both; the summary takes each side's median.
	for round := range fanRounds {
		for _, n := range fanSizes {
			for _, kind := range []string{"ours", "raw"} {
				name := fmt.Sprintf("%s/%d", kind, n)
				b.Run(fmt.Sprintf("%s/round%d", name, round+1), func(b *testing.B) {
					results[name] = append(results[name], fanOut(b, n, kind == "raw"))
				})
			}
		}
	}
	b.Run("cycles", func(b *testing.B) {
		for _, kind := range []string{"ours", "raw"} {
			b.Run(kind, func(b *testing.B) { cycles[kind] = fanCycle(b, kind == "raw") })
		}
	})

	var sb strings.Builder
	row := func(name string, cols ...string) {
		fmt.Fprintf(&sb, "\n%-10s", name)
		for _, c := range cols {
			fmt.Fprintf(&sb, " %11s", c)
		}
	}
	fmt.Fprintf(&sb, "\nmedians of %d rounds", fanRounds)
	row("", "p50", "p99", "heap/sub", "stack/sub", "gor./sub", "insert", "last-max", "GCs", "alloc/dlv")
	for _, n := range fanSizes {
		med := map[string]fanResult{}
		for _, kind := range []string{"ours", "raw"} {
			rs, ok := results[fmt.Sprintf("%s/%d", kind, n)]
			if !ok || len(rs) < fanRounds {
				continue
			}
			r := fanMedian(rs)
			med[kind] = r
			row(fmt.Sprintf("%s/%d", kind, n), r.p50.Round(time.Microsecond).String(), r.p99.Round(time.Microsecond).String(),
				fmt.Sprintf("%.1fKiB", r.heapPerSub/1024), fmt.Sprintf("%.1fKiB", r.stackSub/1024), fmt.Sprintf("%.1f", r.goroutinesPerSub),
				r.insert.Round(time.Microsecond).String(), r.lastMax.Round(time.Microsecond).String(), fmt.Sprint(r.gcs), fmt.Sprintf("%.0fB", r.allocPerDelivery))
		}
		o, ok1 := med["ours"]
		r, ok2 := med["raw"]
		if ok1 && ok2 {
			x := func(a, b float64) string { return fmt.Sprintf("%.2fx", a/b) }
			row(fmt.Sprintf("ratio/%d", n), x(float64(o.p50), float64(r.p50)), x(float64(o.p99), float64(r.p99)),
				x(o.heapPerSub, r.heapPerSub), x(o.stackSub, r.stackSub), x(o.goroutinesPerSub, r.goroutinesPerSub),
				x(float64(o.insert), float64(r.insert)), x(float64(o.lastMax), float64(r.lastMax)), "", x(o.allocPerDelivery, r.allocPerDelivery))
		}
	}
	for _, kind := range []string{"ours", "raw"} {
		if c, ok := cycles[kind]; ok {
			fmt.Fprintf(&sb, "\ncycles/%s: goroutines before %d, after %d cycles %d (subscriptions still open %d, never registered %d)",
				kind, c.before, fanCycles, c.after, c.subsAfter, c.unregistered)
		}
	}
	b.Log(sb.String())
}

// fanMedian is each measure's median over rounds.
func fanMedian(rs []fanResult) fanResult {
	med := func(f func(fanResult) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	d := func(f func(fanResult) time.Duration) time.Duration {
		return time.Duration(med(func(r fanResult) float64 { return float64(f(r)) }))
	}
	return fanResult{
		p50:              d(func(r fanResult) time.Duration { return r.p50 }),
		p99:              d(func(r fanResult) time.Duration { return r.p99 }),
		insert:           d(func(r fanResult) time.Duration { return r.insert }),
		lastMax:          d(func(r fanResult) time.Duration { return r.lastMax }),
		heapPerSub:       med(func(r fanResult) float64 { return r.heapPerSub }),
		stackSub:         med(func(r fanResult) float64 { return r.stackSub }),
		goroutinesPerSub: med(func(r fanResult) float64 { return r.goroutinesPerSub }),
		gcs:              uint32(med(func(r fanResult) float64 { return float64(r.gcs) })),
		allocPerDelivery: med(func(r fanResult) float64 { return r.allocPerDelivery }),
	}
}

// fanWorld is one partnerdesk with a case that a vendor agent follows.
type fanWorld struct {
	e     *testkit.Env
	acme  *ent.Organization
	kase  *ent.SupportCase
	token string
}

func newFanWorld(b *testing.B) *fanWorld {
	// One contact opens every subscription: its rate bucket would refuse
	// most of them, and this measures the fan-out.
	e := testkit.New(b, testkit.WithConfig(func(c *httpapi.Config) { c.Rate = nil }))
	acme := e.Org(access.Customer, "Acme")
	vendor := e.Org(access.Vendor, "Northwind")
	agent := e.Contact(vendor, "Nora", access.RoleAgent) // vendor staff see every case
	author := e.Contact(acme, "Ada")
	return &fanWorld{e: e, acme: acme, kase: e.Case(acme, author, "Phones reboot"), token: e.Token(agent)}
}

// publish inserts a case event as the product does: the commit hook
// publishes it to the broker.
func (w *fanWorld) publish(b *testing.B) string {
	ev, err := w.e.Client.CaseEvent.Create().SetCaseID(w.kase.ID).SetCustomerID(w.acme.ID).
		SetKind(caseevent.KindUPDATED).SetCreatedAt(w.e.Clock.Now()).Save(w.e.System())
	if err != nil {
		b.Fatalf("publishing: %v", err)
	}
	return ev.ID
}

// fanTarget is where the clients connect, and how many subscriptions the
// server there holds.
type fanTarget struct {
	url        string
	registered func() int
}

func (w *fanWorld) target(b *testing.B, raw bool) fanTarget {
	if raw {
		h := newRawHub(b, w.e)
		return fanTarget{url: "ws" + strings.TrimPrefix(h.srv.URL, "http"), registered: h.count}
	}
	return fanTarget{url: "ws" + strings.TrimPrefix(w.e.Server.URL, "http") + "/graphql", registered: w.e.Broker.Followers}
}

// fanOut connects n subscribers to one case stream and measures how long
// each event takes to reach each of them.
func fanOut(b *testing.B, n int, raw bool) fanResult {
	w := newFanWorld(b)
	t := w.target(b, raw)

	heap0, stack0, g0 := fanMem()
	total := fanWarmup + fanEvents
	fleet := startFleet(b, fanOrders{URL: t.url, Token: w.token, CaseID: w.kase.ID, N: n, Events: total})
	defer func() {
		fleet.stop(b)
		if !fanWait(30*time.Second, func() bool { return t.registered() == 0 }) {
			b.Errorf("%d subscriptions still registered 30s after every client closed", t.registered())
		}
	}()
	fleet.next(b, fanSetupTimeout, "connecting")
	if !fanWait(fanSetupTimeout, func() bool { return t.registered() >= n }) {
		b.Fatalf("only %d of %d subscriptions registered", t.registered(), n)
	}
	heap1, stack1, g1 := fanMem()
	name := strings.ReplaceAll(b.Name(), "/", "_")
	if dir := os.Getenv("FAN_PROFILE_DIR"); dir != "" {
		fanProfile(b, dir+"/"+name+".heap", func(f *os.File) error { return pprof.Lookup("heap").WriteTo(f, 0) })
		f, err := os.Create(dir + "/" + name + ".cpu")
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		defer pprof.StopCPUProfile() // runs before f.Close and before the clients close
	}

	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	gcs, alloc := ms.NumGC, ms.TotalAlloc
	start := make([]int64, total) // wall clock, Unix nanoseconds, as the fleet's
	ids := make([]string, total)
	var inserts []time.Duration // how long the insert (and the publish in its commit hook) took
	for k := range total {
		start[k] = time.Now().UnixNano()
		ids[k] = w.publish(b)
		if k >= fanWarmup {
			inserts = append(inserts, time.Duration(time.Now().UnixNano()-start[k]))
		}
		if rep := fleet.next(b, fanEventTimeout, fmt.Sprintf("waiting for event %d", k)); rep.Event != k {
			b.Fatalf("the fleet reported event %d, want %d", rep.Event, k)
		}
	}
	runtime.ReadMemStats(&ms)
	gcs, alloc = ms.NumGC-gcs, ms.TotalAlloc-alloc
	if dir := os.Getenv("FAN_PROFILE_DIR"); dir != "" { // compare its alloc_space with the .heap one's
		runtime.GC() // a heap profile is as of the last collection
		fanProfile(b, dir+"/"+name+".heap-after", func(f *os.File) error { return pprof.Lookup("heap").WriteTo(f, 0) })
	}
	s := fleet.next(b, fanEventTimeout, "waiting for the results").Results
	if s.Bad > 0 {
		b.Fatalf("%d unexpected messages, e.g. %s", s.Bad, s.LastBad)
	}
	for k := range total {
		if !bytes.Contains(s.Sample[k], []byte(ids[k])) {
			b.Fatalf("event %d: subscriber 0 got %s, want event %s", k, s.Sample[k], ids[k])
		}
		for i := range n {
			if s.Sum[k*n+i] != s.Sum[k*n] {
				b.Fatalf("event %d: subscriber %d got other bytes than subscriber 0", k, i)
			}
		}
	}

	lat := make([]int64, 0, fanEvents*n)
	for k := fanWarmup; k < total; k++ {
		for i := range n {
			lat = append(lat, s.Recv[k*n+i]-start[k])
		}
	}
	// The slowest event's last delivery, and the median over events of it.
	var worst []int64
	for k := fanWarmup; k < total; k++ {
		worst = append(worst, slices.Max(s.Recv[k*n:(k+1)*n])-start[k])
	}
	slices.Sort(worst)
	slices.Sort(lat)
	slices.Sort(inserts)
	r := fanResult{
		insert:           inserts[len(inserts)/2],
		lastMax:          time.Duration(worst[len(worst)-1]),
		gcs:              gcs,
		allocPerDelivery: float64(alloc) / float64(total*n),
		p50:              time.Duration(lat[len(lat)*50/100]),
		p99:              time.Duration(lat[(len(lat)*99+99)/100-1]),
		heapPerSub:       float64(int64(heap1)-int64(heap0)) / float64(n),
		stackSub:         float64(int64(stack1)-int64(stack0)) / float64(n),
		goroutinesPerSub: float64(g1-g0) / float64(n),
	}
	b.ReportMetric(float64(r.p50.Microseconds()), "p50-µs")
	b.ReportMetric(float64(r.p99.Microseconds()), "p99-µs")
	b.ReportMetric(r.heapPerSub/1024, "heap-KiB/sub")
	b.ReportMetric(r.stackSub/1024, "stack-KiB/sub")
	b.ReportMetric(r.goroutinesPerSub, "goroutines/sub")
	b.ReportMetric(float64(r.insert.Microseconds()), "insert-µs")
	b.ReportMetric(float64(time.Duration(worst[len(worst)/2]).Microseconds()), "last-p50-µs")
	b.ReportMetric(float64(r.lastMax.Microseconds()), "last-max-µs")
	b.ReportMetric(float64(gcs), "gcs")
	b.ReportMetric(r.allocPerDelivery, "alloc-B/delivery") // the server's, warm-up included
	return r
}

// fanCycle connects, subscribes and disconnects fanCycles times, one after
// the other, and counts goroutines before and after.
func fanCycle(b *testing.B, raw bool) fanCycleResult {
	w := newFanWorld(b)
	t := w.target(b, raw)
	cycle := func(waitForZero bool) (registered bool) {
		if waitForZero {
			fanWait(time.Second, func() bool { return t.registered() == 0 })
		}
		before := t.registered()
		c, err := fanDial(t.url, w.token, w.kase.ID)
		if err != nil {
			b.Fatalf("dial: %v", err)
		}
		defer fanClose(c)
		return fanWait(2*time.Second, func() bool { return t.registered() > before })
	}
	// Warm up: the first connections start pools and caches that stay.
	for range 10 {
		cycle(true)
	}
	fanWait(5*time.Second, func() bool { return t.registered() == 0 })
	_, _, before := fanMem()

	res := fanCycleResult{before: before}
	lingering := false
	for range fanCycles {
		if !cycle(!lingering) {
			res.unregistered++
		}
		if !lingering && t.registered() > 1 {
			lingering = true // subscriptions are not going away: stop waiting for them
		}
	}
	// Give the server up to five seconds to settle.
	fanWait(5*time.Second, func() bool { return runtime.NumGoroutine() <= before })
	_, _, res.after = fanMem()
	res.subsAfter = t.registered()
	b.ReportMetric(float64(res.before), "goroutines-before")
	b.ReportMetric(float64(res.after), "goroutines-after")
	b.ReportMetric(float64(res.subsAfter), "subscriptions-after")
	return res
}

// fanProfile writes a profile to path.
func fanProfile(b *testing.B, path string, write func(*os.File) error) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := write(f); err != nil {
		b.Fatal(err)
	}
}

// fanWait polls cond until it holds or timeout passes.
func fanWait(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// fanMem collects garbage and returns the heap and stack in use and the
// number of goroutines.
func fanMem() (heap, stack uint64, goroutines int) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse, m.StackInuse, runtime.NumGoroutine()
}

// rawHub is the baseline: a minimal gorilla/websocket server speaking just
// enough graphql-transport-ws (connection_init → connection_ack, one
// subscribe) for the same clients. It is fed from the same broker as our
// server: per event it loads the row once, marshals the message once into
// a gorilla PreparedMessage and hands the same bytes to every connection's
// writer goroutine (the gorilla chat example's pattern: one reader and one
// writer goroutine per connection). It checks no access and assumes every
// client named its operation "1", so one message fits all.
type rawHub struct {
	srv     *httptest.Server
	mu      sync.Mutex // guards subs
	subs    map[*rawConn]struct{}
	dropped atomic.Int64
}

type rawConn struct {
	conn *websocket.Conn
	send chan *websocket.PreparedMessage
}

func newRawHub(b *testing.B, e *testkit.Env) *rawHub {
	h := &rawHub{subs: map[*rawConn]struct{}{}}
	up := websocket.Upgrader{
		Subprotocols: []string{"graphql-transport-ws"},
		CheckOrigin:  func(*http.Request) bool { return true },
	}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		h.serve(conn)
	}))
	stop := e.Broker.Follow(events.AllCases, func(m *events.Message) {
		if m.CaseEventID == "" {
			return
		}
		if ev, err := e.Client.CaseEvent.Get(e.System(), m.CaseEventID); err == nil {
			h.broadcast(ev)
		}
	})
	b.Cleanup(func() {
		stop()
		h.srv.Close()
		if d := h.dropped.Load(); d > 0 {
			b.Errorf("raw hub dropped %d messages to slow connections", d)
		}
	})
	return h
}

// rawNext is a graphql-transport-ws next message, its fields in the order
// gqlgen writes them.
type rawNext struct {
	Payload struct {
		Data struct {
			CaseEvents struct {
				ID   string `json:"id"`
				Kind string `json:"kind"`
			} `json:"caseEvents"`
		} `json:"data"`
	} `json:"payload"`
	ID   string `json:"id"`
	Type string `json:"type"`
}

func (h *rawHub) broadcast(ev *ent.CaseEvent) {
	var m rawNext
	m.ID, m.Type = "1", "next"
	m.Payload.Data.CaseEvents.ID, m.Payload.Data.CaseEvents.Kind = ev.ID, string(ev.Kind)
	body, _ := json.Marshal(m)
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, body)
	if err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.subs {
		select {
		case c.send <- pm:
		default:
			h.dropped.Add(1)
		}
	}
}

func (h *rawHub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

func (h *rawHub) serve(conn *websocket.Conn) {
	defer conn.Close()
	conn.SetReadLimit(64 << 10)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var m struct{ ID, Type string }
	if _, p, err := conn.ReadMessage(); err != nil || json.Unmarshal(p, &m) != nil || m.Type != "connection_init" {
		return
	}
	if conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"connection_ack"}`)) != nil {
		return
	}
	if _, p, err := conn.ReadMessage(); err != nil || json.Unmarshal(p, &m) != nil || m.Type != "subscribe" {
		return
	}
	conn.SetReadDeadline(time.Time{})
	c := &rawConn{conn: conn, send: make(chan *websocket.PreparedMessage, 16)}
	h.mu.Lock()
	h.subs[c] = struct{}{}
	h.mu.Unlock()
	go c.write()
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			break
		}
	}
	h.mu.Lock()
	delete(h.subs, c)
	close(c.send)
	h.mu.Unlock()
}

func (c *rawConn) write() {
	for pm := range c.send {
		c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if err := c.conn.WritePreparedMessage(pm); err != nil {
			c.conn.Close()
			for range c.send {
			}
			return
		}
	}
}
