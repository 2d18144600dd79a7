package graph

import (
	"context"
	"log/slog"

	"entgo.io/contrib/entgql"

	"github.com/partnerdesk/partnerdesk/bulk"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/events"
	"github.com/partnerdesk/partnerdesk/streams"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// byIndex lists a job's results in item order.
var byIndex = &ent.BulkJobResultOrder{Field: ent.BulkJobResultOrderFieldIndex, Direction: entgql.OrderDirectionAsc}

// bulkJobProgress follows a job the caller may read: the job, read again
// as the caller, after each progress message (and each tick, which
// catches an end published before the stream began), until it finishes.
// A job already finished is answered once.
func (r *Resolver) bulkJobProgress(ctx context.Context, id string) (<-chan *ent.BulkJob, error) {
	j, err := r.Client.BulkJob.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if bulk.Finished(j) {
		ch := make(chan *ent.BulkJob, 1)
		ch <- j
		close(ch)
		return ch, nil
	}
	k := r.keeper(ctx)
	told := *bulk.ProgressOf(j)
	return streams.Follow(ctx, events.BulkJobKey(j.ID), func(m *events.Message) (none streams.Seen[*ent.BulkJob], _ error) {
		if _, err := k.update(m); err != nil {
			return none, err
		}
		if m.BulkJobID == "" && !m.Tick {
			return none, nil
		}
		j, err := r.Client.BulkJob.Get(viewer.NewContext(context.Background(), k.s), id)
		switch {
		case ent.IsNotFound(err):
			return none, errAccessLost
		case err != nil:
			slog.Error("reading a bulk job", "job", id, "error", err)
			return none, nil
		}
		p, end := *bulk.ProgressOf(j), bulk.Finished(j)
		if p == told && !end {
			return none, nil
		}
		told = p
		out := seen(k, j)
		out.Last = end
		return out, nil
	})
}
