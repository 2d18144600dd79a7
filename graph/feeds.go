package graph

import (
	"context"
	"time"

	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/events"
	"github.com/partnerdesk/partnerdesk/graph/model"
	"github.com/partnerdesk/partnerdesk/limits"
)

// The event feeds and the resumed streams read the one event history in
// its commit order (events.Cursor), as the caller: the read policy, in
// SQL, decides what it sees now.

// start is where a read of the history after the cursor after begins.
func (r *Resolver) start(after *string) (events.From, error) {
	retention := r.EventRetention
	if retention == 0 {
		retention = events.DefaultRetention
	}
	return events.Start(after, r.Clock.Now(), retention)
}

// event is what the feeds need of an event row.
type event interface {
	*ent.CaseEvent | *ent.GrantEvent
}

func place[T event](ev T) (int64, time.Time) {
	switch ev := any(ev).(type) {
	case *ent.CaseEvent:
		return ev.Seq, ev.CreatedAt
	case *ent.GrantEvent:
		return ev.Seq, ev.CreatedAt
	}
	panic("unreachable")
}

// query is an ent query of an event history.
type query[T event, Q any] interface {
	Limit(int) Q
	All(context.Context) ([]T, error)
	Count(context.Context) (int, error)
}

// feed reads one page of a feed from after: first rows (one more tells
// whether more follow) of the history q queries, their cursors, where the
// page ends, and the feed's count, read only when asked for.
func feed[T event, Q query[T, Q]](ctx context.Context, r *Resolver, first *int, after *string, q func(events.From) Q) ([]T, []string, model.Feed, error) {
	from, err := r.start(after)
	if err != nil {
		return nil, nil, model.Feed{}, err
	}
	n := limits.MaxPageSize
	if first != nil {
		n = *first // the operation limits held it to 1 to MaxPageSize
	}
	rows, err := q(from).Limit(n + 1).All(ctx)
	if err != nil {
		return nil, nil, model.Feed{}, err
	}
	info := &model.EventFeedPageInfo{HasNextPage: len(rows) > n}
	rows = rows[:min(n, len(rows))]
	cursors := make([]string, len(rows))
	for i, ev := range rows {
		cursors[i] = events.Cursor(place(ev))
	}
	if len(cursors) > 0 {
		info.EndCursor = &cursors[len(cursors)-1]
	}
	return rows, cursors, model.Feed{PageInfo: info, Count: func(ctx context.Context) (int, error) { return q(from).Count(ctx) }}, nil
}

func (r *Resolver) caseEventFeed(ctx context.Context, first *int, after *string, filter events.CaseFilter) (*model.CaseEventFeedConnection, error) {
	rows, cursors, f, err := feed(ctx, r, first, after, func(from events.From) *ent.CaseEventQuery {
		return events.CaseEvents(r.Client, filter, from)
	})
	if err != nil {
		return nil, err
	}
	c := &model.CaseEventFeedConnection{Feed: f, Nodes: rows}
	for i, ev := range rows {
		c.Edges = append(c.Edges, &model.CaseEventFeedEdge{Node: ev, Cursor: cursors[i]})
	}
	return c, nil
}

func (r *Resolver) grantEventFeed(ctx context.Context, first *int, after *string) (*model.GrantEventFeedConnection, error) {
	rows, cursors, f, err := feed(ctx, r, first, after, func(from events.From) *ent.GrantEventQuery {
		return events.GrantEvents(r.Client, from)
	})
	if err != nil {
		return nil, err
	}
	c := &model.GrantEventFeedConnection{Feed: f, Nodes: rows}
	for i, ev := range rows {
		c.Edges = append(c.Edges, &model.GrantEventFeedEdge{Node: ev, Cursor: cursors[i]})
	}
	return c, nil
}

// replay sends, a page at a time (a long absence never loads all it
// missed at once), every event read reads from from on, and returns the
// seq of the last it read.
func replay[T event](from events.From, read func(events.From) ([]T, error), emit func(T) bool) (int64, error) {
	last := from.Seq
	for {
		rows, err := read(from)
		if err != nil {
			return last, err
		}
		for _, ev := range rows {
			if !emit(ev) {
				return last, nil
			}
			last, _ = place(ev)
		}
		if len(rows) < limits.MaxPageSize {
			return last, nil
		}
		from = events.From{Seq: last}
	}
}
