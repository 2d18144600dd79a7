package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/caseevent"
	"github.com/partnerdesk/partnerdesk/httpapi"
	"github.com/partnerdesk/partnerdesk/rowfilter"
	"github.com/partnerdesk/partnerdesk/testkit"
)

const caseEventsSub = `subscription($c: ID, $k: ID) { caseEvents(customerID: $c, caseID: $k) { id kind caseID: case { id } } }`

type event struct {
	CaseEvents struct {
		ID, Kind string
		CaseID   struct{ ID string }
	}
}

func nextEvent(t *testing.T, s *testkit.Subscription) event {
	t.Helper()
	m := s.Next(5 * time.Second)
	if m.Type != "next" || len(m.Errors()) > 0 {
		t.Fatalf("want an event, got %s %s", m.Type, m.Payload)
	}
	var p struct{ Data event }
	testkit.Response{Data: mustData(t, m)}.Decode(t, &p.Data)
	return p.Data
}

func mustData(t *testing.T, m testkit.WSMessage) []byte {
	t.Helper()
	var p struct{ Data jsonRaw }
	if err := jsonUnmarshal(m.Payload, &p); err != nil {
		t.Fatal(err)
	}
	return p.Data
}

func silent(t *testing.T, s *testkit.Subscription, d time.Duration) {
	t.Helper()
	if m, err := s.Read(d); err == nil {
		t.Fatalf("unexpected message %s %s", m.Type, m.Payload)
	}
}

// endsForbidden expects the operation to end with a FORBIDDEN error (the
// protocol's error message, which ends it) within about a second.
func endsForbidden(t *testing.T, s *testkit.Subscription) {
	t.Helper()
	m := s.Next(2500 * time.Millisecond)
	if errs := m.Errors(); m.Type != "error" || len(errs) != 1 || errs[0].Extensions["code"] != "FORBIDDEN" {
		t.Fatalf("want a FORBIDDEN error, got %s %s", m.Type, m.Payload)
	}
}

func TestCaseEventsFollowAccess(t *testing.T) {
	w := newCaseWorld(t) // Contoso holds CREATE on Acme
	c := w.create(t, w.member, w.acme, "S3")
	partner := w.Dial(t, w.tokens[w.partner])
	partner.Subscribe("1", caseEventsSub, map[string]any{"c": w.acme.ID})
	vendor := w.Dial(t, w.tokens[w.agent])
	vendor.Subscribe("1", caseEventsSub, map[string]any{"k": c.ID})
	time.Sleep(100 * time.Millisecond) // let both subscriptions reach the broker

	comment := `mutation($in: AddCaseCommentInput!) { addCaseComment(input: $in) { comment { id } } }`
	w.do(w.member, comment, map[string]any{"in": map[string]any{"caseID": c.ID, "body": "still broken"}}).Decode(t, &struct{}{})
	for name, s := range map[string]*testkit.Subscription{"partner": partner, "vendor": vendor} {
		if ev := nextEvent(t, s); ev.CaseEvents.Kind != "COMMENTED" || ev.CaseEvents.CaseID.ID != c.ID {
			t.Fatalf("%s received %+v", name, ev)
		}
	}
	w.do(w.agent, comment, map[string]any{"in": map[string]any{"caseID": c.ID, "body": "internal note", "visibility": "INTERNAL"}}).Decode(t, &struct{}{})
	if ev := nextEvent(t, vendor); ev.CaseEvents.Kind != "COMMENTED" {
		t.Fatalf("vendor: %+v", ev)
	}
	silent(t, partner, 300*time.Millisecond) // INTERNAL: vendor only

	// Another customer's case never reaches the partner.
	w.create(t, w.globexAdmin, w.globex, "S1")
	silent(t, partner, 300*time.Millisecond)

	// Revoking the grant ends the partner's stream at once.
	g := w.Client.Grant.Query().OnlyX(w.System())
	w.do(w.admin, `mutation($id: ID!) { revokeGrant(input: {id: $id}) { grant { id } } }`, map[string]any{"id": g.ID}).Decode(t, &struct{}{})
	endsForbidden(t, partner)
}

func TestCaseEventsEndWhenTheGrantExpires(t *testing.T) {
	w := newCaseWorld(t)
	g := w.Client.Grant.Query().OnlyX(w.System())
	partner := w.Dial(t, w.tokens[w.partner])
	partner.Subscribe("1", caseEventsSub, map[string]any{"c": w.acme.ID})
	time.Sleep(100 * time.Millisecond)
	w.Clock.Set(g.ExpiresAt.Add(-time.Second))
	silent(t, partner, 1500*time.Millisecond)
	w.Clock.Set(*g.ExpiresAt) // no event announces it: the recheck does
	endsForbidden(t, partner)
}

func TestCCCollaboratorsReceiveOnlyTheirCases(t *testing.T) {
	w := newCaseWorld(t)
	initech := w.Org(access.Partner, "Initech")
	cc := w.Contact(initech, "Cleo CC")
	w.Grant(testkit.GrantSpec{Partner: initech, Customer: w.acme, Level: access.CC, StartsAt: w.Clock.Now().Add(-time.Hour)})
	mine, other := w.create(t, w.member, w.acme, "S3"), w.create(t, w.member, w.acme, "S3")
	w.Collaborate(w.Client.SupportCase.GetX(w.System(), mine.ID), cc)
	s := w.Dial(t, w.Token(cc))
	s.Subscribe("1", caseEventsSub, nil)
	time.Sleep(100 * time.Millisecond)
	comment := `mutation($in: AddCaseCommentInput!) { addCaseComment(input: $in) { comment { id } } }`
	w.do(w.member, comment, map[string]any{"in": map[string]any{"caseID": other.ID, "body": "not yours"}}).Decode(t, &struct{}{})
	w.do(w.member, comment, map[string]any{"in": map[string]any{"caseID": mine.ID, "body": "yours"}}).Decode(t, &struct{}{})
	if ev := nextEvent(t, s); ev.CaseEvents.CaseID.ID != mine.ID {
		t.Fatalf("the CC collaborator received %+v", ev)
	}
	silent(t, s, 300*time.Millisecond)
}

func TestNothingIsPublishedForARolledBackChange(t *testing.T) {
	w := newCaseWorld(t)
	c := w.create(t, w.member, w.acme, "S3")
	s := w.Dial(t, w.tokens[w.agent])
	s.Subscribe("1", caseEventsSub, map[string]any{"k": c.ID})
	time.Sleep(100 * time.Millisecond)
	write := func(commit bool) {
		ctx := rowfilter.Privileged(context.Background())
		tx, err := w.Client.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ctx = ent.NewTxContext(ctx, tx)
		tx.CaseEvent.Create().SetCaseID(c.ID).SetCustomerID(w.acme.ID).SetKind(caseevent.KindUPDATED).SetCreatedAt(w.Clock.Now()).ExecX(ctx)
		if commit {
			tx.Commit()
		} else {
			tx.Rollback()
		}
	}
	write(false)
	silent(t, s, 300*time.Millisecond)
	write(true)
	if ev := nextEvent(t, s); ev.CaseEvents.Kind != "UPDATED" {
		t.Fatalf("after commit: %+v", ev)
	}
}

func TestGrantEventsReachBothSides(t *testing.T) {
	w := newGrantWorld(t)
	sub := `subscription { grantEvents { kind grant { id level } } }`
	partner, manager := w.Dial(t, w.adminT), w.Dial(t, w.managerT)
	partner.Subscribe("1", sub, nil)
	manager.Subscribe("1", sub, nil)
	stranger := w.Dial(t, w.Token(w.Contact(w.Org(access.Partner, "Other"), "Ola", access.RoleAdmin)))
	stranger.Subscribe("1", sub, nil)
	time.Sleep(100 * time.Millisecond)
	id := w.request(t, map[string]any{"level": "LOOK", "expiresInDays": 30})
	w.Query(w.managerT, `mutation($id: ID!) { approveGrant(input: {id: $id}) { grant { id } } }`, map[string]any{"id": id}).Decode(t, &struct{}{})
	for name, s := range map[string]*testkit.Subscription{"partner": partner, "manager": manager} {
		for _, want := range []string{"REQUESTED", "APPROVED"} {
			var got struct {
				GrantEvents struct {
					Kind  string
					Grant struct{ ID string }
				}
			}
			m := s.Next(5 * time.Second)
			testkit.Response{Data: mustData(t, m)}.Decode(t, &got)
			if got.GrantEvents.Kind != want || got.GrantEvents.Grant.ID != id {
				t.Fatalf("%s: %+v, want %s", name, got, want)
			}
		}
	}
	silent(t, stranger, 300*time.Millisecond)
}

// TestWebsocketCloseCodes checks that each way a client breaks
// graphql-transport-ws ends the connection with that protocol's code, not
// gqlgen's 1002, on which graphql-ws clients reconnect in a loop.
func TestWebsocketCloseCodes(t *testing.T) {
	e := testkit.New(t)
	token := e.Token(e.Contact(e.Org(access.Customer, "Acme"), "Ada", access.RoleAdmin))
	srv := httptest.NewServer(httpapi.New(httpapi.Config{DB: e.DB, Clock: e.Clock, Broker: e.Broker, InitTimeout: 200 * time.Millisecond}))
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/graphql"
	init := func(token string) map[string]any {
		return map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}}
	}
	closed := func(header http.Header, send ...any) int {
		t.Helper()
		conn, _, err := (&websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}}).Dial(url, header)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for _, m := range send {
			if raw, ok := m.(string); ok {
				conn.WriteMessage(websocket.TextMessage, []byte(raw))
			} else {
				conn.WriteJSON(m)
			}
		}
		conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					return ce.Code
				}
				t.Fatalf("ended without a close frame: %v", err)
			}
		}
	}
	subscribe := map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": "{ viewer { contact { id } } }"}}
	for name, tc := range map[string]struct {
		header http.Header
		send   []any
		want   int
	}{
		"no connection_init":       {want: 4408},
		"bad token in init":        {send: []any{init("pdt_nope")}, want: 4401},
		"bad token in the upgrade": {header: http.Header{"Authorization": {"Bearer pdt_nope"}}, send: []any{map[string]any{"type": "connection_init"}}, want: 4401},
		"subscribe before init":    {send: []any{subscribe}, want: 4401},
		"a second init":            {send: []any{init(token), init(token)}, want: 4429},
		"not a message":            {send: []any{init(token), "{not json"}, want: 4400},
	} {
		t.Run(name, func(t *testing.T) {
			if code := closed(tc.header, tc.send...); code != tc.want {
				t.Errorf("closed with %d, want %d", code, tc.want)
			}
		})
	}
}

type jsonRaw = json.RawMessage

var jsonUnmarshal = json.Unmarshal

// TestSSESubscriptionsEndWithAnErrorToo runs a subscription over server-sent
// events, where gqlgen keeps no subscription error record: the ending error
// comes as the stream's last event.
func TestSSESubscriptionsEndWithAnErrorToo(t *testing.T) {
	w := newCaseWorld(t)
	body := `{"query":"subscription($c: ID) { caseEvents(customerID: $c) { kind } }","variables":{"c":"` + w.acme.ID + `"}}`
	req, _ := http.NewRequest(http.MethodPost, w.Server.URL+"/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+w.tokens[w.partner])
	res, err := w.Server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		buf := make([]byte, 4096)
		for {
			n, err := res.Body.Read(buf)
			if n > 0 {
				lines <- string(buf[:n])
			}
			if err != nil {
				return
			}
		}
	}()
	time.Sleep(200 * time.Millisecond)
	w.create(t, w.member, w.acme, "S3")
	g := w.Client.Grant.Query().OnlyX(w.System())
	w.do(w.admin, `mutation($id: ID!) { revokeGrant(input: {id: $id}) { grant { id } } }`, map[string]any{"id": g.ID}).Decode(t, &struct{}{})
	var got strings.Builder
	deadline := time.After(5 * time.Second)
	for !strings.Contains(got.String(), "FORBIDDEN") {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("stream ended without FORBIDDEN: %s", got.String())
			}
			got.WriteString(l)
		case <-deadline:
			t.Fatalf("no FORBIDDEN within 5s: %s", got.String())
		}
	}
	if !strings.Contains(got.String(), `"kind":"CREATED"`) {
		t.Fatalf("the case event before the revocation is missing: %s", got.String())
	}
}

// TestAnEventIsRenderedOncePerClass: subscribers of one operation share
// one render per access class (the caller and its grants): more
// subscribers of a class cost no more SQL, while another class is
// rendered apart, with its own decisions.
func TestAnEventIsRenderedOncePerClass(t *testing.T) {
	w := newCaseWorld(t) // Contoso holds CREATE on Acme
	initech := w.Org(access.Partner, "Initech")
	w.Grant(testkit.GrantSpec{Partner: initech, Customer: w.acme, Level: access.Look, StartsAt: w.Clock.Now().Add(-time.Hour)})
	looker := w.Contact(initech, "Ivy Looker")
	w.tokens[looker] = w.Token(looker)
	c := w.create(t, w.member, w.acme, "S3")
	// The case and its actions are read in the render: SQL per render.
	const sub = `subscription($k: ID) { caseEvents(caseID: $k) { id case { id actions { action allowed } } } }`
	comment := func(body string) {
		w.do(w.member, `mutation($in: AddCaseCommentInput!) { addCaseComment(input: $in) { comment { id } } }`,
			map[string]any{"in": map[string]any{"caseID": c.ID, "body": body}}).Decode(t, &struct{}{})
	}
	// statements counts the SQL of a comment until every subscriber has
	// it, and returns what each received.
	statements := func(subs ...*testkit.Subscription) (int64, []string) {
		t.Helper()
		time.Sleep(100 * time.Millisecond) // let new subscriptions reach the broker
		before := w.Statements.Load()
		comment("again")
		var got []string
		for _, s := range subs {
			m := s.Next(5 * time.Second)
			if m.Type != "next" || len(m.Errors()) > 0 {
				t.Fatalf("want an event, got %s %s", m.Type, m.Payload)
			}
			got = append(got, string(mustData(t, m)))
		}
		return w.Statements.Load() - before, got
	}
	partner := w.Dial(t, w.tokens[w.partner])
	partner.Subscribe("1", sub, map[string]any{"k": c.ID})
	one, _ := statements(partner)

	more := []*testkit.Subscription{partner, w.Dial(t, w.tokens[w.partner]), w.Dial(t, w.tokens[w.partner])}
	for _, s := range more[1:] {
		s.Subscribe("1", sub, map[string]any{"k": c.ID})
	}
	partner.Subscribe("2", sub, map[string]any{"k": c.ID})
	three, got := statements(append(more, partner)...)
	if three != one {
		t.Errorf("four subscribers of one class cost %d statements, one cost %d: the event was rendered more than once", three, one)
	}
	for _, g := range got[1:] {
		if g != got[0] {
			t.Fatalf("subscribers of one class received different renders:\n%s\n%s", got[0], g)
		}
	}

	ivy := w.Dial(t, w.tokens[looker])
	ivy.Subscribe("1", sub, map[string]any{"k": c.ID})
	two, got := statements(append(more, partner, ivy)...)
	if two <= one {
		t.Errorf("two classes cost %d statements, one class %d: the second class was not rendered apart", two, one)
	}
	allowed := func(render string) bool {
		var d event2
		testkit.Response{Data: []byte(render)}.Decode(t, &d)
		for _, a := range d.CaseEvents.Case.Actions {
			if a.Action == "COMMENT" {
				return a.Allowed
			}
		}
		t.Fatalf("no COMMENT action in %s", render)
		return false
	}
	if !allowed(got[0]) || allowed(got[len(got)-1]) {
		t.Fatalf("COMMENT allowed for CREATE %v and for LOOK %v, want true and false:\n%s\n%s",
			allowed(got[0]), allowed(got[len(got)-1]), got[0], got[len(got)-1])
	}
}

type event2 struct {
	CaseEvents struct {
		Case struct {
			Actions []struct {
				Action  string
				Allowed bool
			}
		}
	}
}
