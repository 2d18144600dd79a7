package graph_test

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// The subscribers of BenchmarkSubscriptions run in a process of their own,
// the fleet: 10,000 of them and the server's 10,000 ends would need more
// file descriptors than one process may open here (the hard limit is
// 20,000, and it cannot be raised without privileges). It also keeps the
// clients' memory out of the server's. The fleet is this test binary run
// again as TestFanClients; it reports on file descriptor 3, as gob-encoded
// fanReports, and closes its connections when its standard input ends.

// fanFleetEnv carries the fleet's orders (a fanOrders in JSON).
const fanFleetEnv = "PARTNERDESK_FAN_FLEET"

type fanOrders struct {
	URL, Token, CaseID string
	N, Events          int
}

// fanReport is one thing the fleet tells: it is ready, an event reached
// every subscriber, its results, or why it failed.
type fanReport struct {
	Ready   bool
	Event   int // -1 unless an event reached every subscriber
	Results *fanRecord
	Failed  string
}

// fanRecord is what the fleet saw, per event and subscriber.
type fanRecord struct {
	Recv    []int64  // [event*n+subscriber]: wall clock, Unix nanoseconds
	Sum     []uint64 // [event*n+subscriber]: hash of the message
	Sample  [][]byte // [event]: subscriber 0's message
	Bad     int64
	LastBad string
}

// fanFleet is the parent's handle on a running fleet.
type fanFleet struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	reports chan fanReport
	stderr  bytes.Buffer
}

// startFleet starts n subscribers of url in a new process.
func startFleet(b *testing.B, o fanOrders) *fanFleet {
	orders, _ := json.Marshal(o)
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	f := &fanFleet{reports: make(chan fanReport, o.Events+4)}
	f.cmd = exec.Command(os.Args[0], "-test.run=^TestFanClients$", "-test.count=1")
	f.cmd.Env = append(os.Environ(), fanFleetEnv+"="+string(orders))
	f.cmd.ExtraFiles = []*os.File{w}
	f.cmd.Stderr = &f.stderr
	if f.stdin, err = f.cmd.StdinPipe(); err != nil {
		b.Fatal(err)
	}
	if err := f.cmd.Start(); err != nil {
		b.Fatalf("starting the fleet: %v", err)
	}
	w.Close()
	go func() {
		defer close(f.reports)
		defer r.Close()
		d := gob.NewDecoder(r)
		for {
			var rep fanReport
			if err := d.Decode(&rep); err != nil {
				return
			}
			f.reports <- rep
		}
	}()
	return f
}

// next waits for the fleet's next report.
func (f *fanFleet) next(b *testing.B, timeout time.Duration, waitingFor string) fanReport {
	select {
	case rep, ok := <-f.reports:
		if !ok {
			b.Fatalf("the fleet ended while %s: %s", waitingFor, f.stderr.String())
		}
		if rep.Failed != "" {
			b.Fatalf("the fleet failed while %s: %s", waitingFor, rep.Failed)
		}
		return rep
	case <-time.After(timeout):
		b.Fatalf("the fleet said nothing within %s while %s", timeout, waitingFor)
	}
	panic("unreachable")
}

// stop tells the fleet to close its connections, and waits for it.
func (f *fanFleet) stop(b *testing.B) {
	f.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- f.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			b.Errorf("the fleet: %v\n%s", err, f.stderr.String())
		}
	case <-time.After(60 * time.Second):
		f.cmd.Process.Kill()
		b.Errorf("the fleet was still running 60s after it was told to stop")
	}
}

// TestFanClients is the fleet of BenchmarkSubscriptions, which runs it;
// run any other way, it skips.
func TestFanClients(t *testing.T) {
	raw := os.Getenv(fanFleetEnv)
	if raw == "" {
		t.Skip("the client fleet of BenchmarkSubscriptions, which runs it in a process of its own")
	}
	var o fanOrders
	if err := json.Unmarshal([]byte(raw), &o); err != nil {
		t.Fatal(err)
	}
	out := os.NewFile(3, "reports")
	enc := gob.NewEncoder(out)
	var encMu sync.Mutex
	report := func(r fanReport) {
		encMu.Lock()
		defer encMu.Unlock()
		enc.Encode(r)
	}
	conns, err := fanConnectAll(o.URL, o.Token, o.CaseID, o.N)
	if err != nil {
		report(fanReport{Failed: err.Error()})
		return
	}
	s := &fanStream{n: o.N, events: o.Events, rec: &fanRecord{Recv: make([]int64, o.Events*o.N),
		Sum: make([]uint64, o.Events*o.N), Sample: make([][]byte, o.Events)},
		got: make([]atomic.Int64, o.Events), report: report}
	var readers sync.WaitGroup
	for i, c := range conns {
		readers.Add(1)
		go s.read(i, c, &readers)
	}
	report(fanReport{Ready: true, Event: -1})
	io.Copy(io.Discard, os.Stdin) // until the benchmark is done with us
	for _, c := range conns {
		fanClose(c)
	}
	done := make(chan struct{})
	go func() { readers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Errorf("client readers still running 30s after closing")
	}
}

// fanStream records, per event and subscriber, when the event arrived.
type fanStream struct {
	n, events int
	rec       *fanRecord
	got       []atomic.Int64
	bad       atomic.Int64
	badMsg    atomic.Pointer[string]
	report    func(fanReport)
	reported  atomic.Int64 // events that reached everyone
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
		at := time.Now().UnixNano()
		if !bytes.Contains(msg, fanNext) || seen >= s.events {
			m := string(msg)
			s.badMsg.Store(&m)
			s.bad.Add(1)
			continue
		}
		k := seen
		seen++
		s.rec.Recv[k*s.n+i] = at
		s.rec.Sum[k*s.n+i] = fanHash(msg)
		if i == 0 {
			s.rec.Sample[k] = msg
		}
		if s.got[k].Add(1) == int64(s.n) {
			s.report(fanReport{Event: k})
			if s.reported.Add(1) == int64(s.events) {
				s.rec.Bad = s.bad.Load()
				if p := s.badMsg.Load(); p != nil {
					s.rec.LastBad = *p
				}
				s.report(fanReport{Event: -1, Results: s.rec})
			}
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
func fanConnectAll(url, token, caseID string, n int) ([]*websocket.Conn, error) {
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
					firstErr = errors.Join(firstErr, fmt.Errorf("connection %d: %w", i, err))
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
		return nil, fmt.Errorf("connecting %d subscribers: %w", n, firstErr)
	}
	return conns, nil
}

// fanClose sends a normal close frame and closes the connection.
func fanClose(c *websocket.Conn) {
	c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.Close()
}
