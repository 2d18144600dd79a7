package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent/casecomment"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// TestRun runs the example against the real server: it pages through My
// Cases, follows the first case, comments on it and receives the
// COMMENTED event of its comment over the websocket.
func TestRun(t *testing.T) {
	e := testkit.New(t)
	acme := e.Org(access.Customer, "Acme")
	member := e.Contact(acme, "Max Member")
	e.Case(acme, member, "Printer on fire")
	e.Case(acme, member, "Scanner jammed")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out strings.Builder
	err := run(ctx, config{
		Endpoint:   e.Server.URL + "/graphql",
		Token:      e.Token(member),
		Comment:    "Rebooted, still down",
		PageSize:   1, // two pages: the second asks after the first's end cursor
		Subscribed: func(ctx context.Context) error { return followed(ctx, e) },
	}, &out)
	if err != nil {
		t.Fatalf("run: %v; it printed:\n%s", err, out.String())
	}
	t.Logf("the example printed:\n%s", out.String())
	for _, want := range []string{"2 cases\n", "Printer on fire", "Scanner jammed", "event COMMENTED on #", "by Max Member"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output lacks %q", want)
		}
	}
	comments := e.Client.CaseComment.Query().Where(casecomment.Body("Rebooted, still down")).CountX(e.System())
	if comments != 1 {
		t.Errorf("%d comments were added, want 1", comments)
	}
}

// TestFollowEnds holds the stream's ends to what Next documents: the
// GraphQL errors that end a subscription, and the close of a refused
// token.
func TestFollowEnds(t *testing.T) {
	e := testkit.New(t)
	acme := e.Org(access.Customer, "Acme")
	member := e.Contact(acme, "Max Member")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	url := webSocketURL(e.Server.URL + "/graphql")

	t.Run("a case the caller may not see", func(t *testing.T) {
		globex := e.Org(access.Customer, "Globex")
		other := e.Case(globex, e.Contact(globex, "Gil Globex"), "Not yours")
		s, err := followCaseEvents(ctx, url, e.Token(member), nil, &other.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ev, err := s.Next()
		var errs gqlerror.List
		if !errors.As(err, &errs) || len(errs) == 0 || errs[0].Extensions["code"] != "NOT_FOUND" {
			t.Fatalf("Next = %+v, %v; want a NOT_FOUND error", ev, err)
		}
	})

	t.Run("a refused token", func(t *testing.T) {
		_, err := followCaseEvents(ctx, url, "pdt_refused", nil, nil)
		var closed *websocket.CloseError
		if !errors.As(err, &closed) || closed.Code != 4401 {
			t.Fatalf("followCaseEvents: %v; want a close with 4401", err)
		}
	})

	t.Run("the context's end", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		s, err := followCaseEvents(ctx, url, e.Token(member), &acme.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := followed(ctx, e); err != nil { // the server is done with the subscribe
			t.Fatal(err)
		}
		cancel()
		if _, err := s.Next(); !errors.Is(err, context.Canceled) {
			t.Fatalf("Next after the context's end: %v", err)
		}
	})
}

// followed waits until the server's broker has a follower: the
// subscription has been registered and will see the next event.
func followed(ctx context.Context, e *testkit.Env) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for e.Broker.Followers() == 0 {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return errors.New("the subscription never reached the server's broker")
		}
	}
	return nil
}
