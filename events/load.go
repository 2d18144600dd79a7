package events

import (
	"context"

	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/rowfilter"
)

// CaseEvent reads the case event a message names, once for all the
// subscribers it reaches: each has decided from the message, in memory and
// with the same read policy, that it may see it.
func CaseEvent(ctx context.Context, c *ent.Client, m *Message) (*ent.CaseEvent, error) {
	return c.CaseEvent.Get(rowfilter.Privileged(ctx), m.CaseEventID)
}

// Grant reads the grant a message names, for a subscriber that has decided
// from the message, with the read policy, that it may read it.
func Grant(ctx context.Context, c *ent.Client, m *Message) (*ent.Grant, error) {
	return c.Grant.Get(rowfilter.Privileged(ctx), m.GrantID)
}
