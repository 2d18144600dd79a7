package model

import (
	"context"

	"github.com/partnerdesk/partnerdesk/ent"
)

// Feed is what the event feeds' connections share: where the page ends,
// and the count of the whole feed, read only when asked for.
type Feed struct {
	PageInfo *EventFeedPageInfo
	Count    func(context.Context) (int, error)
}

// TotalCount counts the events of the feed from its after on.
func (f *Feed) TotalCount(ctx context.Context) (int, error) { return f.Count(ctx) }

// CaseEventFeedConnection is a page of caseEventFeed.
type CaseEventFeedConnection struct {
	Feed
	Edges []*CaseEventFeedEdge
	Nodes []*ent.CaseEvent
}

// GrantEventFeedConnection is a page of grantEventFeed.
type GrantEventFeedConnection struct {
	Feed
	Edges []*GrantEventFeedEdge
	Nodes []*ent.GrantEvent
}
