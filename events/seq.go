package events

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/store/sqlobjects"
)

// Both histories (case events, grant events) share one order, the seq of
// their rows, which a resumed stream and the feeds page by. It must be
// the order in which the rows become visible, or a reader that has
// passed seq 7 would never see a 6 that commits after it. A ULID or a
// PostgreSQL sequence is taken when the row is written, not when it
// commits; a counter row is locked by the transaction that takes a
// number from it until that transaction ends, so the next writer's
// number, and its commit, come after. SQLite has one writer at a time
// anyway.
//
// The lock serialises the transactions that write events from their
// first event to their commit: one UPDATE per transaction (Sequence
// numbers its further events in memory, and writes the last number back
// at commit only when it took more than one).

// sequenceSQL creates the counter and numbers the case events of a
// database older than it, in the order they happened. Rows that an
// instance of the previous version writes meanwhile get theirs at the
// next start.
var sequenceSQL = []string{
	`CREATE TABLE IF NOT EXISTS event_sequence (id INTEGER PRIMARY KEY, n BIGINT NOT NULL)`,
	`INSERT INTO event_sequence (id, n) SELECT 1, 0 WHERE NOT EXISTS (SELECT 1 FROM event_sequence)`,
	`UPDATE case_events SET seq = o.n + (SELECT n FROM event_sequence WHERE id = 1)
FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY created_at, id) AS n FROM case_events WHERE seq IS NULL) o
WHERE case_events.id = o.id`,
	`UPDATE event_sequence SET n = (SELECT MAX(seq) FROM case_events)
WHERE id = 1 AND (SELECT MAX(seq) FROM case_events) > n`,
}

// InstallSequence creates the counter of the event order, and numbers the
// events written before it existed. It is idempotent and runs at every
// start, after the ent migration.
func InstallSequence(ctx context.Context, d string, db *sql.DB) error {
	if err := sqlobjects.Install(ctx, d, db, sqlobjects.Statements{SQLite: sequenceSQL, Postgres: sequenceSQL}); err != nil {
		return fmt.Errorf("events: numbering the event history: %w", err)
	}
	return nil
}

// seqField is the column of an event's number.
const seqField = "seq"

// block is what one transaction has taken from the counter: it holds the
// counter's row until it ends, so its further events take the next
// numbers without asking.
type block struct {
	mu          sync.Mutex
	first, last int64
}

// blocks holds the block of each open transaction that writes events, by
// its driver: a mutation's Tx is a new value at every call.
var blocks sync.Map // dialect.Driver → *block

// Sequence is the hook, on both event types, that numbers each event
// created in the order of the event history.
func Sequence(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		em, ok := m.(eventMutation)
		if !ok || !m.Op().Is(ent.OpCreate) {
			return next.Mutate(ctx, m)
		}
		n, err := take(ctx, em)
		if err != nil {
			return nil, err
		}
		if err := m.SetField(seqField, n); err != nil {
			return nil, err
		}
		return next.Mutate(ctx, m)
	})
}

type eventMutation interface {
	Client() *ent.Client
	Tx() (*ent.Tx, error)
}

// take returns the next number for an event m creates.
func take(ctx context.Context, m eventMutation) (int64, error) {
	tx, err := m.Tx()
	if err != nil {
		// A lone write is its own transaction; only fixtures write
		// events so, and they do it one at a time.
		tx, err := m.Client().Tx(ctx)
		if err != nil {
			return 0, err
		}
		n, err := bump(ctx, tx.Client().Driver(), 1)
		if err != nil {
			tx.Rollback()
			return 0, err
		}
		return n, tx.Commit()
	}
	drv := m.Client().Driver()
	v, _ := blocks.LoadOrStore(drv, &block{})
	b := v.(*block)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last != 0 {
		b.last++
		return b.last, nil
	}
	n, err := bump(ctx, drv, 1)
	if err != nil {
		blocks.Delete(drv)
		return 0, err
	}
	b.first, b.last = n, n
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			blocks.Delete(drv)
			if b.last > b.first {
				if _, err := bump(ctx, drv, b.last-b.first); err != nil {
					return err
				}
			}
			return next.Commit(ctx, tx)
		})
	})
	tx.OnRollback(func(next ent.Rollbacker) ent.Rollbacker {
		return ent.RollbackFunc(func(ctx context.Context, tx *ent.Tx) error {
			blocks.Delete(drv)
			return next.Rollback(ctx, tx)
		})
	})
	return n, nil
}

// bump adds by to the counter and returns its new value.
func bump(ctx context.Context, drv dialect.Driver, by int64) (int64, error) {
	var rows entsql.Rows
	if err := drv.Query(ctx, "UPDATE event_sequence SET n = n + "+fmt.Sprint(by)+" WHERE id = 1 RETURNING n", []any{}, &rows); err != nil {
		return 0, fmt.Errorf("events: taking a number: %w", err)
	}
	defer rows.Close()
	var n int64
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("events: the event sequence has no counter row")
	}
	if err := rows.Scan(&n); err != nil {
		return 0, err
	}
	return n, rows.Close()
}
