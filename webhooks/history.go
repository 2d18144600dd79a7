package webhooks

import (
	"context"
	"time"

	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/caseevent"
	"github.com/partnerdesk/partnerdesk/ent/schema/jsontype"
	"github.com/partnerdesk/partnerdesk/rowfilter"
)

// item is one event of the history, as the fan-out filters it.
type item struct {
	seq        int64
	id         string
	typ        jsontype.WebhookEvent
	customerID string
}

// head is the position of the latest event: a new webhook logs what comes
// after it.
func head(ctx context.Context, c *ent.Client) (int64, error) {
	ev, err := c.CaseEvent.Query().Order(ent.Desc(caseevent.FieldCreatedAt)).First(rowfilter.Privileged(ctx))
	switch {
	case ent.IsNotFound(err):
		return 0, nil
	case err != nil:
		return 0, err
	}
	return ev.CreatedAt.UnixMicro(), nil
}

// after reads, in order, up to limit events after position cursor.
func after(ctx context.Context, c *ent.Client, cursor int64, limit int) ([]item, error) {
	rows, err := c.CaseEvent.Query().
		Where(caseevent.CreatedAtGT(time.UnixMicro(cursor))).
		Order(ent.Asc(caseevent.FieldCreatedAt), ent.Asc(caseevent.FieldID)).
		Limit(limit).
		All(rowfilter.Privileged(ctx))
	if err != nil {
		return nil, err
	}
	out := make([]item, len(rows))
	for i, ev := range rows {
		out[i] = item{seq: ev.CreatedAt.UnixMicro(), id: ev.ID, typ: jsontype.CaseWebhookEvent(string(ev.Kind)), customerID: ev.CustomerID}
	}
	return out, nil
}
