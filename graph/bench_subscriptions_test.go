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
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/caseevent"
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
// ratios ours/raw at the end.
//
// Memory per subscriber is HeapInuse (and, separately, StackInuse) after
// runtime.GC(), before connecting versus after every subscription is
// registered, divided by N. Server and clients run in this one process, so
// it is server + client; both sides use the same lean client, so its share
// is the same in both columns (and dilutes the ratio towards 1).

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

// fanResult is what one fan-out sub-benchmark measured.
type fanResult struct {
	p50, p99             time.Duration
	insert               time.Duration // median time to insert and publish an event
	lastMax              time.Duration // the slowest event's last delivery
	heapPerSub, stackSub float64       // bytes
	goroutinesPerSub     float64
	gcs                  uint32  // collections during the event loop
	allocPerDelivery     float64 // bytes allocated (server + client) per delivery
}

// fanCycleResult is what one cycles sub-benchmark measured.
type fanCycleResult struct {
	before, after, subsAfter int
	unregistered             int // cycles whose subscription never showed up
}

func BenchmarkSubscriptions(b *testing.B) {
	results := map[string]fanResult{}
	cycles := map[string]fanCycleResult{}
	for _, n := range []int{1000, 5000} {
		for _, kind := range []string{"ours", "raw"} {
			name := fmt.Sprintf("%s/%d", kind, n)
			b.Run(name, func(b *testing.B) { results[name] = fanOut(b, n, kind == "raw") })
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
	row("", "p50", "p99", "heap/sub", "stack/sub", "gor./sub", "insert", "last-max", "GCs", "alloc/dlv")
	for _, n := range []int{1000, 5000} {
		for _, kind := range []string{"ours", "raw"} {
			r, ok := results[fmt.Sprintf("%s/%d", kind, n)]
			if !ok {
				continue
			}
			row(fmt.Sprintf("%s/%d", kind, n), r.p50.Round(time.Microsecond).String(), r.p99.Round(time.Microsecond).String(),
				fmt.Sprintf("%.1fKiB", r.heapPerSub/1024), fmt.Sprintf("%.1fKiB", r.stackSub/1024), fmt.Sprintf("%.1f", r.goroutinesPerSub),
				r.insert.Round(time.Microsecond).String(), r.lastMax.Round(time.Microsecond).String(), fmt.Sprint(r.gcs), fmt.Sprintf("%.0fB", r.allocPerDelivery))
		}
		o, ok1 := results[fmt.Sprintf("ours/%d", n)]
		r, ok2 := results[fmt.Sprintf("raw/%d", n)]
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

// fanWorld is one partnerdesk with a case that a vendor agent follows.
type fanWorld struct {
	e     *testkit.Env
	acme  *ent.Organization
	kase  *ent.SupportCase
	token string
}

func newFanWorld(b *testing.B) *fanWorld {
	e := testkit.New(b)
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
	return fanTarget{url: "ws" + strings.TrimPrefix(w.e.Server.URL, "http") + "/graphql", registered: w.e.Broker.Subscribers}
}

// fanOut connects n subscribers to one case stream and measures how long
// each event takes to reach each of them.
func fanOut(b *testing.B, n int, raw bool) fanResult {
	w := newFanWorld(b)
	t := w.target(b, raw)

	heap0, stack0, g0 := fanMem()
	conns := fanConnectAll(b, t.url, w.token, w.kase.ID, n)
	total := fanWarmup + fanEvents
	s := &fanStream{n: n, events: total, base: time.Now(),
		recv: make([]int64, total*n), sum: make([]uint64, total*n), sample: make([][]byte, total),
		got: make([]atomic.Int64, total), done: make([]chan struct{}, total)}
	for k := range s.done {
		s.done[k] = make(chan struct{})
	}
	var readers sync.WaitGroup
	for i, c := range conns {
		readers.Add(1)
		go s.read(i, c, &readers)
	}
	defer fanCloseAll(b, conns, &readers, t)

	if !fanWait(fanSetupTimeout, func() bool { return t.registered() >= n }) {
		b.Fatalf("only %d of %d subscriptions registered; bad messages %d (%s)", t.registered(), n, s.bad.Load(), s.lastBad())
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
	start := make([]int64, total)
	var inserts []time.Duration // how long the insert (and the publish in its commit hook) took
	for k := range total {
		start[k] = int64(time.Since(s.base))
		id := w.publish(b)
		if k >= fanWarmup {
			inserts = append(inserts, time.Since(s.base)-time.Duration(start[k]))
		}
		select {
		case <-s.done[k]:
		case <-time.After(fanEventTimeout):
			b.Fatalf("event %d reached %d of %d subscribers within %s; bad messages %d (%s)",
				k, s.got[k].Load(), n, fanEventTimeout, s.bad.Load(), s.lastBad())
		}
		if !bytes.Contains(s.sample[k], []byte(id)) {
			b.Fatalf("event %d: subscriber 0 got %s, want event %s", k, s.sample[k], id)
		}
		for i := range n {
			if s.sum[k*n+i] != s.sum[k*n] {
				b.Fatalf("event %d: subscriber %d got other bytes than subscriber 0", k, i)
			}
		}
	}
	runtime.ReadMemStats(&ms)
	gcs, alloc = ms.NumGC-gcs, ms.TotalAlloc-alloc
	if dir := os.Getenv("FAN_PROFILE_DIR"); dir != "" { // compare its alloc_space with the .heap one's
		runtime.GC() // a heap profile is as of the last collection
		fanProfile(b, dir+"/"+name+".heap-after", func(f *os.File) error { return pprof.Lookup("heap").WriteTo(f, 0) })
	}
	if bad := s.bad.Load(); bad > 0 {
		b.Fatalf("%d unexpected messages, e.g. %s", bad, s.lastBad())
	}

	lat := make([]int64, 0, fanEvents*n)
	for k := fanWarmup; k < total; k++ {
		for i := range n {
			lat = append(lat, s.recv[k*n+i]-start[k])
		}
	}
	// The slowest event's last delivery, and the median over events of it.
	var worst []int64
	for k := fanWarmup; k < total; k++ {
		worst = append(worst, slices.Max(s.recv[k*n:(k+1)*n])-start[k])
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
	b.ReportMetric(r.allocPerDelivery, "alloc-B/delivery") // server + client, warm-up included
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

// fanStream records, per event and subscriber, when the event arrived.
type fanStream struct {
	n, events int
	base      time.Time
	recv      []int64  // [event*n+subscriber]: nanoseconds since base
	sum       []uint64 // [event*n+subscriber]: hash of the message
	sample    [][]byte // [event]: subscriber 0's message
	got       []atomic.Int64
	done      []chan struct{} // closed when every subscriber got the event
	bad       atomic.Int64
	badMsg    atomic.Pointer[string]
}

func (s *fanStream) lastBad() string {
	if p := s.badMsg.Load(); p != nil {
		return *p
	}
	return ""
}

// read is the one goroutine of a lean client: it reads until the
// connection ends, noting when each event arrives.
func (s *fanStream) read(i int, c *websocket.Conn, wg *sync.WaitGroup) {
	defer wg.Done()
	seen := 0
	for {
		_, msg, err := c.ReadMessage()
		if err != nil {
			return
		}
		at := int64(time.Since(s.base))
		if !bytes.Contains(msg, fanNext) || seen >= s.events {
			m := string(msg)
			s.badMsg.Store(&m)
			s.bad.Add(1)
			continue
		}
		k := seen
		seen++
		s.recv[k*s.n+i] = at
		s.sum[k*s.n+i] = fanHash(msg)
		if i == 0 {
			s.sample[k] = msg
		}
		if s.got[k].Add(1) == int64(s.n) {
			close(s.done[k])
		}
	}
}

func fanHash(p []byte) uint64 { // FNV-1a
	h := uint64(14695981039346656037)
	for _, c := range p {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// The lean client: the same for our server and the raw hub.
var fanDialer = websocket.Dialer{
	Subprotocols:     []string{"graphql-transport-ws"},
	HandshakeTimeout: 10 * time.Second,
	ReadBufferSize:   1024,
	WriteBufferSize:  1024,
	WriteBufferPool:  &sync.Pool{},
}

// fanDial connects, authenticates in connection_init, waits for the
// acknowledgement and subscribes to the case's events as operation "1".
func fanDial(url, token, caseID string) (*websocket.Conn, error) {
	c, _, err := fanDialer.Dial(url, nil)
	if err != nil {
		return nil, err
	}
	initMsg, _ := json.Marshal(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}})
	sub, _ := json.Marshal(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": fanQuery, "variables": map[string]any{"k": caseID}}})
	deadline := time.Now().Add(10 * time.Second)
	c.SetWriteDeadline(deadline)
	c.SetReadDeadline(deadline) // cleared below: an expired one would break the connection
	if err := c.WriteMessage(websocket.TextMessage, initMsg); err != nil {
		c.Close()
		return nil, err
	}
	_, msg, err := c.ReadMessage()
	if err != nil || !bytes.Contains(msg, []byte(`"connection_ack"`)) {
		c.Close()
		return nil, fmt.Errorf("want connection_ack, got %s (%v)", msg, err)
	}
	if err := c.WriteMessage(websocket.TextMessage, sub); err != nil {
		c.Close()
		return nil, err
	}
	c.SetReadDeadline(time.Time{})
	c.SetWriteDeadline(time.Time{})
	return c, nil
}

// fanConnectAll opens n subscribed connections, fanWorkers at a time.
func fanConnectAll(b *testing.B, url, token, caseID string, n int) []*websocket.Conn {
	conns := make([]*websocket.Conn, n)
	var next atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range fanWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				mu.Lock()
				failed := firstErr != nil
				mu.Unlock()
				if i >= n || failed {
					return
				}
				c, err := fanDial(url, token, caseID)
				if err != nil {
					mu.Lock()
					firstErr = fmt.Errorf("connection %d: %w", i, err)
					mu.Unlock()
					return
				}
				conns[i] = c
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
		b.Fatalf("connecting %d subscribers: %v", n, firstErr)
	}
	return conns
}

// fanClose sends a normal close frame and closes the connection.
func fanClose(c *websocket.Conn) {
	c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.Close()
}

// fanCloseAll closes every connection and waits (bounded) for the readers
// to stop and the server to drop every subscription.
func fanCloseAll(b *testing.B, conns []*websocket.Conn, readers *sync.WaitGroup, t fanTarget) {
	for _, c := range conns {
		fanClose(c)
	}
	done := make(chan struct{})
	go func() { readers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		b.Errorf("client readers still running 30s after closing")
	}
	if !fanWait(30*time.Second, func() bool { return t.registered() == 0 }) {
		b.Errorf("%d subscriptions still registered 30s after every client closed", t.registered())
	}
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
	msgs, stop := e.Broker.Subscribe()
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for m := range msgs {
			if m.CaseEventID == "" {
				continue
			}
			ev, err := e.Client.CaseEvent.Get(e.System(), m.CaseEventID)
			if err != nil {
				continue
			}
			h.broadcast(ev)
		}
	}()
	b.Cleanup(func() {
		stop()
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
			b.Errorf("raw hub publisher still running")
		}
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
