package webhooks

import (
	"cmp"
	"context"
	"slices"

	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/caseevent"
	"github.com/partnerdesk/partnerdesk/ent/grantevent"
	"github.com/partnerdesk/partnerdesk/ent/schema/jsontype"
	"github.com/partnerdesk/partnerdesk/rowfilter"
)

// item is one event of the history, case or grant, as the fan-out filters
// it. Both histories share one order, seq: the order their transactions
// committed (events.Sequence), so a cursor that passed an event never
// misses one that commits after it.
type item struct {
	seq        int64
	id         string
	typ        jsontype.WebhookEvent
	customerID string
	// partnerID is set for a grant event.
	partnerID string
}

// head is the position of the latest event: a new webhook logs what comes
// after it.
func head(ctx context.Context, c *ent.Client) (int64, error) {
	sys := rowfilter.Privileged(ctx)
	cases, err := c.CaseEvent.Query().Where(caseevent.SeqNotNil()).Order(ent.Desc(caseevent.FieldSeq)).Limit(1).
		Select(caseevent.FieldSeq).Ints(sys)
	if err != nil {
		return 0, err
	}
	grants, err := c.GrantEvent.Query().Where(grantevent.SeqNotNil()).Order(ent.Desc(grantevent.FieldSeq)).Limit(1).
		Select(grantevent.FieldSeq).Ints(sys)
	if err != nil {
		return 0, err
	}
	return int64(slices.Max(append(append([]int{0}, cases...), grants...))), nil
}

// after reads, in order, the first limit events after position cursor.
// Each history gives its first limit: together they hold the first limit
// of both.
func after(ctx context.Context, c *ent.Client, cursor int64, limit int) ([]item, error) {
	sys := rowfilter.Privileged(ctx)
	cases, err := c.CaseEvent.Query().
		Where(caseevent.SeqGT(cursor)).
		Order(ent.Asc(caseevent.FieldSeq)).
		Limit(limit).
		Select(caseevent.FieldID, caseevent.FieldSeq, caseevent.FieldKind, caseevent.FieldCustomerID).
		All(sys)
	if err != nil {
		return nil, err
	}
	grants, err := c.GrantEvent.Query().
		Where(grantevent.SeqGT(cursor)).
		Order(ent.Asc(grantevent.FieldSeq)).
		Limit(limit).
		Select(grantevent.FieldID, grantevent.FieldSeq, grantevent.FieldKind, grantevent.FieldCustomerID, grantevent.FieldPartnerID).
		All(sys)
	if err != nil {
		return nil, err
	}
	out := make([]item, 0, len(cases)+len(grants))
	for _, ev := range cases {
		out = append(out, item{seq: ev.Seq, id: ev.ID, typ: jsontype.CaseWebhookEvent(string(ev.Kind)), customerID: ev.CustomerID})
	}
	for _, ev := range grants {
		out = append(out, item{seq: ev.Seq, id: ev.ID, typ: jsontype.GrantWebhookEvent(string(ev.Kind)),
			customerID: ev.CustomerID, partnerID: ev.PartnerID})
	}
	slices.SortFunc(out, func(a, b item) int { return cmp.Compare(a.seq, b.seq) })
	return out[:min(len(out), limit)], nil
}
