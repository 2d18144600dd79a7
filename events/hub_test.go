package events_test

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/events"
)

// recorder is a follower that keeps what it receives, ticks aside.
type recorder struct {
	mu   sync.Mutex
	got  []*events.Message
	tick atomic.Int64
}

func (r *recorder) deliver(m *events.Message) {
	if m.Tick {
		r.tick.Add(1)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, m)
}

func (r *recorder) messages() []*events.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*events.Message(nil), r.got...)
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func caseEvent(id, caseID, customerID string) events.Message {
	return events.Message{CaseEventID: id, CaseID: caseID, CustomerID: customerID}
}

// TestStreamsGetTheirOwnMessagesAndEveryonesSessionNews: a case event
// reaches the case's, the customer's and the all-cases streams and no
// other; a grant change or a sign-out reaches every stream, since it may
// change any follower's access.
func TestStreamsGetTheirOwnMessagesAndEveryonesSessionNews(t *testing.T) {
	h := &events.Hub{}
	streams := map[string]*recorder{}
	for _, key := range []string{events.CaseKey("c1"), events.CaseKey("c2"), events.CustomerKey("acme"), events.AllCases, events.Sessions} {
		r := &recorder{}
		streams[key] = r
		defer h.Follow(key, r.deliver)()
	}
	h.Publish(context.Background(), caseEvent("e1", "c1", "acme"))
	h.Publish(context.Background(), events.Message{GrantID: "g1", PartnerID: "contoso", CustomerID: "acme"})
	h.Publish(context.Background(), events.Message{SignedOut: "ada"})
	want := map[string][]string{
		events.CaseKey("c1"):       {"e1", "g1", "ada"},
		events.CaseKey("c2"):       {"g1", "ada"},
		events.CustomerKey("acme"): {"e1", "g1", "ada"},
		events.AllCases:            {"e1", "g1", "ada"},
		events.Sessions:            {"g1", "ada"},
	}
	for key, r := range streams {
		eventually(t, key, func() bool { return len(r.messages()) >= len(want[key]) })
		time.Sleep(20 * time.Millisecond) // nothing more comes
		got := r.messages()
		if len(got) != len(want[key]) {
			t.Fatalf("%s received %d messages, want %v", key, len(got), want[key])
		}
		for i, m := range got {
			if name := m.CaseEventID + m.GrantID + m.SignedOut; name != want[key][i] {
				t.Errorf("%s message %d is %q, want %q", key, i, name, want[key][i])
			}
		}
	}
}

// TestPublishDoesNotWaitForFollowers: a follower stuck in its delivery
// holds up neither the publisher nor the followers of other streams.
func TestPublishDoesNotWaitForFollowers(t *testing.T) {
	h := &events.Hub{}
	stuck := make(chan struct{})
	defer close(stuck)
	defer h.Follow(events.CaseKey("c1"), func(*events.Message) { <-stuck })()
	other := &recorder{}
	defer h.Follow(events.CaseKey("c2"), other.deliver)()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 100 {
			h.Publish(context.Background(), caseEvent("e", "c1", "acme"))
		}
		h.Publish(context.Background(), caseEvent("e2", "c2", "acme"))
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish waited for a stuck follower")
	}
	eventually(t, "the other stream's event", func() bool { return len(other.messages()) == 1 })
}

// TestMemoComputesOncePerMessage: every follower of a message, whatever
// its stream, shares what one of them computed.
func TestMemoComputesOncePerMessage(t *testing.T) {
	h := &events.Hub{}
	var computed, delivered atomic.Int64
	type key struct{}
	follow := func(m *events.Message) {
		if m.Tick {
			return
		}
		if v := m.Memo(key{}, func() any { computed.Add(1); return "rendered" }); v != "rendered" {
			t.Errorf("memo returned %v", v)
		}
		delivered.Add(1)
	}
	for _, k := range []string{events.CaseKey("c1"), events.CustomerKey("acme"), events.AllCases} {
		for range 50 {
			defer h.Follow(k, follow)()
		}
	}
	h.Publish(context.Background(), caseEvent("e1", "c1", "acme"))
	eventually(t, "every delivery", func() bool { return delivered.Load() == 150 })
	if n := computed.Load(); n != 1 {
		t.Fatalf("computed %d times for 150 followers, want once", n)
	}
}

// TestAStreamTooFarBehindIsToldItLostMessages: past the backlog, the
// stream's followers receive one Lost message instead of what they missed,
// and the hub counts what it dropped.
func TestAStreamTooFarBehindIsToldItLostMessages(t *testing.T) {
	h := &events.Hub{Tick: time.Hour} // no tick joins the count
	release := make(chan struct{})
	var mu sync.Mutex
	var got []*events.Message
	first := true
	defer h.Follow(events.CaseKey("c1"), func(m *events.Message) {
		if m.Tick {
			return
		}
		if first {
			first = false
			<-release // stuck while the rest piles up
		}
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	})()
	h.Publish(context.Background(), caseEvent("e0", "c1", "acme"))
	time.Sleep(20 * time.Millisecond)
	for range events.Backlog + 10 {
		h.Publish(context.Background(), caseEvent("e", "c1", "acme"))
	}
	time.Sleep(50 * time.Millisecond) // the router hands them all over
	close(release)
	eventually(t, "the lost message", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) >= 2
	})
	time.Sleep(20 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || !got[1].Lost {
		t.Fatalf("after the stuck one, got %d messages (last lost: %v), want just one Lost", len(got), got[len(got)-1].Lost)
	}
	want := events.Stats{Published: events.Backlog + 11, Delivered: 2, Dropped: events.Backlog + 10}
	if st := h.Stats(); st != want {
		t.Fatalf("stats %+v, want %+v", st, want)
	}
}

// TestFollowersTickAndStopFromInside: each follower gets a tick every
// interval, may stop itself while delivering, and once no one follows the
// hub's goroutines are gone.
func TestFollowersTickAndStopFromInside(t *testing.T) {
	before := runtime.NumGoroutine()
	h := &events.Hub{Tick: 10 * time.Millisecond}
	r := &recorder{}
	stopR := h.Follow(events.AllCases, r.deliver)
	var stopSelf atomic.Pointer[func()]
	var after atomic.Int64
	set := make(chan struct{})
	stop := h.Follow(events.CaseKey("c1"), func(m *events.Message) {
		<-set
		after.Add(1)
		(*stopSelf.Load())()
	})
	stopSelf.Store(&stop)
	close(set)
	eventually(t, "ticks", func() bool { return r.tick.Load() >= 3 })
	if n := after.Load(); n != 1 {
		t.Errorf("a follower that stopped itself received %d messages, want 1", n)
	}
	if n := h.Followers(); n != 1 {
		t.Errorf("%d followers, want 1", n)
	}
	stopR()
	stopR() // twice is harmless
	eventually(t, "the hub's goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}
