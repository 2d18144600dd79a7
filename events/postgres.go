package events

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgxlisten"
)

// channel is the NOTIFY channel every instance of a deployment listens on.
const channel = "partnerdesk_events"

// maxPayload is PostgreSQL's limit on a NOTIFY payload, less a margin.
// Messages carry identifiers only (the rows are read by each subscriber as
// itself), so none comes near it; one that did would be a defect.
const maxPayload = 7900

// RelayPostgres makes h publish through PostgreSQL: Publish sends a NOTIFY
// (after the writer's commit, as always), and every instance listening on
// the database, this one included, hands the message to its followers.
// It listens until ctx ends, reconnecting after a dropped connection with
// its followers kept; since notifications sent while it was away are lost,
// every stream is then told that it may have missed events
// (Message.Lost), so that no subscriber silently goes stale. It returns once
// it listens, so that nothing published after it returns is missed.
func RelayPostgres(ctx context.Context, pool *pgxpool.Pool, h *Hub) error {
	listening := make(chan error, 1)
	first := true
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			c, err := pool.Acquire(ctx)
			if err != nil {
				return nil, err
			}
			return c.Hijack(), nil
		},
		LogError: func(ctx context.Context, err error) {
			if ctx.Err() == nil {
				slog.Warn("listening for events", "error", err)
			}
		},
		ReconnectDelay: 250 * time.Millisecond,
	}
	l.Handle(channel, relayHandler{hub: h, listening: func() {
		if first {
			first = false
			listening <- nil
			return
		}
		h.receive(Message{Lost: true, At: time.Now()})
	}})
	go func() {
		if err := l.Listen(ctx); ctx.Err() == nil {
			listening <- fmt.Errorf("listening for events: %w", err)
		}
	}()
	select {
	case err := <-listening:
		if err != nil {
			return err
		}
	case <-ctx.Done():
		return ctx.Err()
	}
	h.mu.Lock()
	h.relay = func(ctx context.Context, m Message) error {
		payload, err := json.Marshal(m)
		if err != nil {
			return err
		}
		if len(payload) > maxPayload {
			return fmt.Errorf("an event of %d bytes is over NOTIFY's limit", len(payload))
		}
		_, err = pool.Exec(ctx, "SELECT pg_notify($1, $2)", channel, string(payload))
		return err
	}
	h.mu.Unlock()
	return nil
}

// relayHandler hands each notification to the hub. Its backlog is called
// each time the listener (re)connects, once it listens.
type relayHandler struct {
	hub       *Hub
	listening func()
}

func (r relayHandler) HandleNotification(_ context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	var m Message
	if err := json.Unmarshal([]byte(n.Payload), &m); err != nil {
		return fmt.Errorf("an event that does not parse: %w", err)
	}
	r.hub.receive(m)
	return nil
}

func (r relayHandler) HandleBacklog(context.Context, string, *pgx.Conn) error {
	r.listening()
	return nil
}
