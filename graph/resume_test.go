package graph_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/events"
	"github.com/partnerdesk/partnerdesk/grants"
	"github.com/partnerdesk/partnerdesk/testkit"
)

type streamed struct {
	ID, Kind, Cursor string
	Comment          *struct{ Body string }
}

// nextCaseEvent reads the next case event of s.
func nextCaseEvent(t *testing.T, s *testkit.Subscription) streamed {
	t.Helper()
	m := s.Next(5 * time.Second)
	if m.Type != "next" {
		t.Fatalf("want an event, got %s %s", m.Type, m.Payload)
	}
	var got struct{ CaseEvents streamed }
	testkit.Response{Data: mustData(t, m)}.Decode(t, &got)
	return got.CaseEvents
}

// refused expects the subscription to be refused with an error of code:
// its one result.
func refused(t *testing.T, s *testkit.Subscription, code string) {
	t.Helper()
	m := s.Next(5 * time.Second)
	if errs := m.Errors(); len(errs) != 1 || errs[0].Extensions["code"] != code {
		t.Fatalf("want a %s error, got %s %s", code, m.Type, m.Payload)
	}
	if m := s.Next(5 * time.Second); m.Type != "complete" {
		t.Fatalf("want the end, got %s %s", m.Type, m.Payload)
	}
}

const resumeCaseEvents = `subscription($after: String) { caseEvents(after: $after) { id kind cursor comment { body } } }`

func (w *twoPartners) comment(t *testing.T, token, caseID, body, visibility string) {
	t.Helper()
	in := map[string]any{"caseID": caseID, "body": body}
	if visibility != "" {
		in["visibility"] = visibility
	}
	w.Query(token, `mutation($in: AddCaseCommentInput!) { addCaseComment(input: $in) { comment { id } } }`,
		map[string]any{"in": in}).Decode(t, &struct{}{})
}

// subscribed subscribes to every case event as token and, once the
// broker carries it, sees a comment by Acme's member live: the
// subscription, and the event.
func (w *twoPartners) subscribed(t *testing.T, token string) (*testkit.Subscription, streamed) {
	t.Helper()
	s := w.Dial(t, token)
	s.Subscribe("1", resumeCaseEvents, nil)
	following(t, w.Broker, 1)
	w.comment(t, w.tokens[w.acmeMember], w.kase.ID, "seen live", "")
	for {
		// On PostgreSQL, the relay may bring the world's own events late.
		if seen := nextCaseEvent(t, s); seen.Comment != nil && seen.Comment.Body == "seen live" {
			return s, seen
		}
	}
}

// TestAResumedStreamSeesEachMissedEventOnceInOrder: a graphql-ws client
// sees an event, disconnects, and while it is away events are written:
// some it may see, some not (another customer's, an INTERNAL comment). It
// subscribes again after the event it saw: it receives each event it may
// see exactly once, in order, then the next live one.
func TestAResumedStreamSeesEachMissedEventOnceInOrder(t *testing.T) {
	w := newTwoPartners(t)
	beta := w.Org(access.Customer, "Beta")
	betaMember := w.Contact(beta, "Bea Member")
	betaCase := w.Case(beta, betaMember, "Printer jams")
	contoso := w.tokens[w.contosoAdmin]

	s, seen := w.subscribed(t, contoso)
	s.Close()

	w.comment(t, w.tokens[w.acmeMember], w.kase.ID, "missed 1", "")
	w.comment(t, w.Token(betaMember), betaCase.ID, "not Contoso's customer", "")
	w.comment(t, w.tokens[w.agent], w.kase.ID, "internal", "INTERNAL")
	w.comment(t, w.tokens[w.engineer], w.kase.ID, "missed 2", "")

	s = w.Dial(t, contoso)
	s.Subscribe("1", resumeCaseEvents, map[string]any{"after": seen.Cursor})
	ev1, ev2 := nextCaseEvent(t, s), nextCaseEvent(t, s)
	bodies := []string{ev1.Comment.Body, ev2.Comment.Body}
	if bodies[0] != "missed 1" || bodies[1] != "missed 2" {
		t.Fatalf("replayed %q, want the two missed comments the caller may see, in order", bodies)
	}
	// The broker may carry an event the replay read after it: published
	// late (after its commit), or relayed late by another instance.
	last := w.Client.CaseEvent.GetX(w.System(), ev2.ID)
	if err := w.Broker.Publish(context.Background(), events.Message{CaseEventID: last.ID, CaseID: last.CaseID,
		CustomerID: last.CustomerID, Seq: last.Seq, At: last.CreatedAt}); err != nil {
		t.Fatal(err)
	}
	w.comment(t, w.tokens[w.acmeMember], w.kase.ID, "live again", "")
	if ev := nextCaseEvent(t, s); ev.Comment == nil || ev.Comment.Body != "live again" {
		t.Fatalf("after the replay: %+v", ev)
	}
	silent(t, s, 300*time.Millisecond)
}

// TestAReplayDecidesAccessNow: a grant revoked while the client was away
// takes its customer's events out of the replay, and a stream of that
// customer ends as a live one does.
func TestAReplayDecidesAccessNow(t *testing.T) {
	w := newTwoPartners(t)
	contoso := w.tokens[w.contosoAdmin]
	s, seen := w.subscribed(t, contoso)
	s.Close()

	w.comment(t, w.tokens[w.acmeMember], w.kase.ID, "before the revocation", "")
	w.Query(w.tokens[w.acmeManager], `mutation($id: ID!) { revokeGrant(input: {id: $id}) { grant { id } } }`,
		map[string]any{"id": w.contosoGrant.ID}).Decode(t, &struct{}{})

	s = w.Dial(t, contoso)
	s.Subscribe("1", resumeCaseEvents, map[string]any{"after": seen.Cursor})
	silent(t, s, 500*time.Millisecond)
	s.Subscribe("2", `subscription($c: ID!, $after: String) { caseEvents(customerID: $c, after: $after) { id } }`,
		map[string]any{"c": w.acme.ID, "after": seen.Cursor})
	refused(t, s, "FORBIDDEN")
}

// TestCursorsExpireAndMalformedOnesAreRefused: a cursor older than the
// retention window is refused with CURSOR_EXPIRED, by the streams and
// the feeds alike; one that is no cursor is bad input.
func TestCursorsExpireAndMalformedOnesAreRefused(t *testing.T) {
	w := newTwoPartners(t)
	contoso := w.tokens[w.contosoAdmin]
	var feed struct {
		CaseEventFeed struct{ Edges []struct{ Cursor string } }
	}
	w.Query(contoso, `{ caseEventFeed(first: 1) { edges { cursor } } }`, nil).Decode(t, &feed)
	cursor := feed.CaseEventFeed.Edges[0].Cursor

	s := w.Dial(t, contoso)
	s.Subscribe("1", resumeCaseEvents, map[string]any{"after": "bm90IGEgY3Vyc29y"})
	refused(t, s, "BAD_USER_INPUT")
	if res := w.Query(contoso, `query($a: String) { caseEventFeed(first: 1, after: $a) { edges { cursor } } }`, map[string]any{"a": "x"}); res.Code() != "BAD_USER_INPUT" {
		t.Errorf("the feed took a malformed cursor: %s %s", res.Data, res.Code())
	}

	w.Clock.Advance(events.DefaultRetention + time.Minute)
	s.Subscribe("2", resumeCaseEvents, map[string]any{"after": cursor})
	refused(t, s, "CURSOR_EXPIRED")
	if res := w.Query(contoso, `query($a: String) { grantEventFeed(first: 1, after: $a) { edges { cursor } } }`, map[string]any{"a": cursor}); res.Code() != "CURSOR_EXPIRED" {
		t.Errorf("the feed took an expired cursor: %s %s", res.Data, res.Code())
	}
}

// TestTheFeedPagesWithTheStreamsCursors: caseEventFeed pages through what
// the caller may see in the history's order, its edge cursors are the
// events' cursors, and a cursor a stream gave works as its after.
func TestTheFeedPagesWithTheStreamsCursors(t *testing.T) {
	w := newTwoPartners(t)
	contoso := w.tokens[w.contosoAdmin]
	_, fromStream := w.subscribed(t, contoso)
	w.comment(t, w.tokens[w.agent], w.kase.ID, "internal", "INTERNAL")
	w.comment(t, w.tokens[w.acmeMember], w.kase.ID, "two", "")
	w.comment(t, w.tokens[w.acmeMember], w.kase.ID, "three", "")

	const feed = `query($a: String) { caseEventFeed(first: 2, after: $a) {
		edges { cursor node { id cursor comment { body } } } nodes { id } pageInfo { hasNextPage endCursor } totalCount } }`
	type page struct {
		CaseEventFeed struct {
			Edges []struct {
				Cursor string
				Node   streamed
			}
			Nodes    []struct{ ID string }
			PageInfo struct {
				HasNextPage bool
				EndCursor   *string
			}
			TotalCount int
		}
	}
	var p page
	w.Query(contoso, feed, map[string]any{"a": fromStream.Cursor}).Decode(t, &p)
	f := p.CaseEventFeed
	if len(f.Edges) != 2 || f.Edges[0].Node.Comment.Body != "two" || f.Edges[1].Node.Comment.Body != "three" || f.PageInfo.HasNextPage || f.TotalCount != 2 {
		t.Fatalf("after the stream's cursor: %+v", f)
	}
	for i, e := range f.Edges {
		if e.Cursor != e.Node.Cursor || f.Nodes[i].ID != e.Node.ID {
			t.Errorf("edge %d: cursor %q, the event's %q", i, e.Cursor, e.Node.Cursor)
		}
	}

	// From the start, two at a time: every event Contoso may see, as one
	// page of them all has them, ending with one, two and three.
	var whole struct {
		CaseEventFeed struct{ Nodes []struct{ ID string } }
	}
	w.Query(contoso, `{ caseEventFeed(first: 100) { nodes { id } } }`, nil).Decode(t, &whole)
	var want, all []string
	for _, n := range whole.CaseEventFeed.Nodes {
		want = append(want, n.ID)
	}
	var after any
	for range len(want) {
		var p page
		w.Query(contoso, feed, map[string]any{"a": after}).Decode(t, &p)
		for _, e := range p.CaseEventFeed.Edges {
			all = append(all, e.Node.ID)
		}
		if !p.CaseEventFeed.PageInfo.HasNextPage {
			break
		}
		after = *p.CaseEventFeed.PageInfo.EndCursor
	}
	tail := []string{fromStream.ID, f.Edges[0].Node.ID, f.Edges[1].Node.ID}
	if !slices.Equal(all, want) || len(want) < 3 || !slices.Equal(want[len(want)-3:], tail) {
		t.Fatalf("paged %v, want %v ending with %v", all, want, tail)
	}
}

// TestAResumedGrantStreamReplaysDecisionsAndWarnings: grantEvents after a
// cursor (here one of grantEventFeed's) replays what happened to the
// caller's grants meanwhile: a request, its approval, and the expiry
// warning with its days left.
func TestAResumedGrantStreamReplaysDecisionsAndWarnings(t *testing.T) {
	w := newGrantWorld(t)
	w.Grant(testkit.GrantSpec{Partner: w.partner, Customer: w.Org(access.Customer, "Beta"), Level: access.CC})
	var feed struct {
		GrantEventFeed struct{ PageInfo struct{ EndCursor string } }
	}
	w.Query(w.adminT, `{ grantEventFeed(first: 100) { pageInfo { endCursor } } }`, nil).Decode(t, &feed)

	id := w.request(t, map[string]any{"level": "LOOK", "expiresInDays": 14})
	w.Query(w.managerT, `mutation($id: ID!) { approveGrant(input: {id: $id}) { grant { id } } }`, map[string]any{"id": id}).Decode(t, &struct{}{})
	g := w.Client.Grant.GetX(w.System(), id)
	if err := grants.Tick(w.System(), w.Client, g.ExpiresAt.Add(-5*24*time.Hour+time.Hour)); err != nil {
		t.Fatal(err)
	}

	s := w.Dial(t, w.adminT)
	s.Subscribe("1", `subscription($after: String) { grantEvents(after: $after) { kind daysLeft grant { id } } }`,
		map[string]any{"after": feed.GrantEventFeed.PageInfo.EndCursor})
	var got []string
	for range 3 {
		var ev struct {
			GrantEvents struct {
				Kind     string
				DaysLeft *int
				Grant    struct{ ID string }
			}
		}
		testkit.Response{Data: mustData(t, s.Next(5*time.Second))}.Decode(t, &ev)
		if ev.GrantEvents.Grant.ID != id {
			t.Fatalf("replayed %+v, of another grant", ev)
		}
		kind := ev.GrantEvents.Kind
		if ev.GrantEvents.DaysLeft != nil {
			kind += fmt.Sprintf(" %d", *ev.GrantEvents.DaysLeft)
		}
		got = append(got, kind)
	}
	if want := []string{"REQUESTED", "APPROVED", "EXPIRING 5"}; !slices.Equal(got, want) {
		t.Fatalf("replayed %q, want %q", got, want)
	}
	silent(t, s, 300*time.Millisecond)
}
