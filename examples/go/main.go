// The typed Go client of partnerdesk, as an example program: genqlient
// generates generated.go from the served schema
// (contract/schema.served.graphql) and ../operations.graphql, and the program
// uses it to page through My Cases, follow the first case's events over a
// graphql-transport-ws websocket, comment on the case, and wait for the
// COMMENTED event of its comment.
//
//	PARTNERDESK_TOKEN=pdt_… go run ./examples/go -url http://localhost:8080/graphql
//
// main_test.go runs it against the real server, so a schema change that
// breaks it fails go test (and one that breaks its operations fails go
// generate).
package main

//go:generate go run github.com/Khan/genqlient genqlient.yaml

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
)

func main() {
	cfg := config{Token: os.Getenv("PARTNERDESK_TOKEN")}
	flag.StringVar(&cfg.Endpoint, "url", "http://localhost:8080/graphql", "the GraphQL endpoint")
	flag.StringVar(&cfg.Comment, "comment", "Rebooted, still down", "the comment to add to the first case")
	flag.IntVar(&cfg.PageSize, "page-size", 20, "cases per page of My Cases (1 to 100)")
	timeout := flag.Duration("timeout", 30*time.Second, "how long the whole run may take")
	flag.Parse()
	if cfg.Token == "" {
		fmt.Fprintln(os.Stderr, "set PARTNERDESK_TOKEN to a token (go run . --demo prints some)")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// config is what a run needs.
type config struct {
	// Endpoint is the server's GraphQL URL (http or https); its websocket is
	// the same URL with ws or wss.
	Endpoint string
	// Token is the caller's access token.
	Token string
	// Comment is the text commented on the first case.
	Comment string
	// PageSize is how many cases each page of My Cases asks for.
	PageSize int
	// Subscribed waits until the server has registered the subscription:
	// graphql-transport-ws does not acknowledge a subscribe message. Nil
	// waits 200 ms; a test waits on the server's broker instead.
	Subscribed func(context.Context) error
}

// run lists the caller's cases, follows the events of the first one,
// comments on it and returns once the COMMENTED event of its comment
// arrives over the websocket, printing each step to out.
func run(ctx context.Context, cfg config, out io.Writer) error {
	client := newClient(cfg.Endpoint, cfg.Token)
	cases, err := myCases(ctx, client, cfg.PageSize)
	if err != nil {
		return fmt.Errorf("listing my cases: %w", err)
	}
	fmt.Fprintf(out, "%d cases\n", len(cases))
	for _, c := range cases {
		fmt.Fprintf(out, "#%d %s [%s %s] %s\n", c.Number, c.Title, c.Severity, c.Status, c.Customer.Name)
	}
	if len(cases) == 0 {
		return errors.New("no case to comment on")
	}
	kase := cases[0]

	events, err := followCaseEvents(ctx, webSocketURL(cfg.Endpoint), cfg.Token, nil, &kase.Id)
	if err != nil {
		return fmt.Errorf("following case #%d: %w", kase.Number, err)
	}
	defer events.Close()
	subscribed := cfg.Subscribed
	if subscribed == nil {
		subscribed = func(ctx context.Context) error {
			select {
			case <-time.After(200 * time.Millisecond):
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	if err := subscribed(ctx); err != nil {
		return err
	}

	mutationID := "example-comment"
	added, err := AddCaseComment(ctx, client, AddCaseCommentInput{
		CaseID:           kase.Id,
		Body:             cfg.Comment,
		ClientMutationId: &mutationID,
	})
	if err != nil {
		return fmt.Errorf("commenting on case #%d: %w", kase.Number, err)
	}
	comment := added.AddCaseComment.Comment
	fmt.Fprintf(out, "commented %s on #%d at %s\n", comment.Id, kase.Number, comment.CreatedAt.Format(time.RFC3339))

	for {
		ev, err := events.Next()
		if err != nil {
			return fmt.Errorf("waiting for the COMMENTED event of %s: %w", comment.Id, err)
		}
		actor := "the system"
		if ev.Actor != nil {
			actor = ev.Actor.Name
		}
		fmt.Fprintf(out, "event %s on #%d by %s\n", ev.Kind, kase.Number, actor)
		if ev.Kind == CaseEventKindCommented && ev.CommentID != nil && *ev.CommentID == comment.Id {
			return nil
		}
	}
}

// myCase is one case of My Cases, as MyCases reads it.
type myCase = MyCasesCasesCaseConnectionEdgesCaseEdgeNodeCase

// myCases reads every page of My Cases, pageSize cases at a time, each
// page after the previous one's end cursor.
func myCases(ctx context.Context, client graphqlClient, pageSize int) ([]*myCase, error) {
	var (
		cases []*myCase
		after *string // nil on the first page: the variable is sent as null
	)
	for {
		page, err := MyCases(ctx, client, pageSize, after)
		if err != nil {
			return nil, err
		}
		for _, edge := range page.Cases.Edges {
			if edge != nil && edge.Node != nil {
				cases = append(cases, edge.Node)
			}
		}
		info := page.Cases.PageInfo
		if !info.HasNextPage || info.EndCursor == nil {
			return cases, nil
		}
		after = info.EndCursor
	}
}
