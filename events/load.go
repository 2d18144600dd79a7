package events

import (
	"context"

	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/grantevent"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
	"github.com/partnerdesk/partnerdesk/rowfilter"
)

// CaseEvent reads the case event a message names, once for all the
// subscribers it reaches: each has decided from the message, in memory and
// with the same read policy, that it may see it.
func CaseEvent(ctx context.Context, c *ent.Client, m *Message) (*ent.CaseEvent, error) {
	return c.CaseEvent.Get(rowfilter.Privileged(ctx), m.CaseEventID)
}

// Case reads the case of a case event's message with its collaborators'
// IDs, once for all the subscribers whose access check needs them.
func Case(ctx context.Context, c *ent.Client, m *Message) (*ent.SupportCase, error) {
	return c.SupportCase.Query().Where(supportcase.ID(m.CaseID)).
		Select(supportcase.FieldID, supportcase.FieldCreatedAt, supportcase.FieldCustomerID).
		WithCollaborators(func(q *ent.ContactQuery) { q.Select(contact.FieldID) }).
		Only(rowfilter.Privileged(ctx))
}

// GrantEvent reads the grant event a message names, with its grant, for
// the subscribers that have decided from the message, with the read
// policy, that they may read it.
func GrantEvent(ctx context.Context, c *ent.Client, m *Message) (*ent.GrantEvent, error) {
	return c.GrantEvent.Query().Where(grantevent.ID(m.GrantEventID)).WithGrant().Only(rowfilter.Privileged(ctx))
}
