// Package bulk runs bulk mutations (bulkCloseCases, bulkAddCaseComment,
// bulkRequestGrants) as jobs: the request stores the items and returns the
// job; a Worker runs them later, one by one, each in its own transaction,
// as the single mutation would (the same domain function, its events, mail
// and audit entry), decided against the caller's access as it stands when
// the item runs. One item's failure never rolls back another's.
package bulk

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/bulkjob"
	"github.com/partnerdesk/partnerdesk/ent/bulkjobresult"
	"github.com/partnerdesk/partnerdesk/ent/hook"
	"github.com/partnerdesk/partnerdesk/events"
)

// MaxItems is the most items one bulk mutation takes (the schema's
// @maxItems says the same to clients, and refuses more before anything
// runs).
const MaxItems = 1000

// CloseItem is a case to close, as closeCase takes it.
type CloseItem struct {
	ID      string `json:"id"`
	Version *int   `json:"version,omitempty"`
}

// Progress is how far a job has got.
type Progress struct {
	Done, Total, OK, Failed, Cancelled int
}

// ProgressOf reads a job's progress.
func ProgressOf(j *ent.BulkJob) *Progress {
	return &Progress{Done: j.Done, Total: j.Total, OK: j.OkCount, Failed: j.FailedCount, Cancelled: j.CancelledCount}
}

// Finished reports whether a job has ended, one way or another.
func Finished(j *ent.BulkJob) bool {
	switch j.Status {
	case bulkjob.StatusQUEUED, bulkjob.StatusRUNNING:
		return false
	}
	return true
}

// Request is a bulk mutation as the caller sent it.
type Request[T any] struct {
	Items            []T
	DryRun           *bool
	ClientMutationID *string
}

// Create stores the job of a bulk mutation of kind for v, to be run by a
// worker, and returns it. The same caller sending the same kind of
// mutation with the same clientMutationId gets the job it started then,
// and nothing runs twice.
func Create[T any](ctx context.Context, c *ent.Client, v *access.Session, kind bulkjob.Kind, r Request[T]) (*ent.BulkJob, error) {
	dry := r.DryRun != nil && *r.DryRun
	if r.ClientMutationID != nil {
		j, err := c.BulkJob.Query().Where(
			bulkjob.CreatedByID(v.ContactID), bulkjob.KindEQ(kind), bulkjob.DryRun(dry),
			bulkjob.ClientMutationID(*r.ClientMutationID),
		).Only(ctx)
		if err == nil || !ent.IsNotFound(err) {
			return j, err
		}
	}
	switch n := len(r.Items); {
	case n == 0:
		return nil, apperr.Invalid("items", "name at least one item")
	case n > MaxItems:
		return nil, apperr.Invalid("items", "a bulk mutation takes at most %d items, not %d: send the rest in another", MaxItems, n)
	}
	items := make([]json.RawMessage, len(r.Items))
	for i, it := range r.Items {
		b, err := json.Marshal(it)
		if err != nil {
			return nil, fmt.Errorf("bulk: item %d: %w", i, err)
		}
		items[i] = b
	}
	return c.BulkJob.Create().
		SetKind(kind).
		SetDryRun(dry).
		SetCreatedByID(v.ContactID).
		SetOrganizationID(v.OrgID).
		SetTokenID(v.TokenID).
		SetNillableClientMutationID(r.ClientMutationID).
		SetItems(items).
		SetTotal(len(items)).
		SetCreatedAt(v.Now).
		Save(ctx)
}

// Cancel cancels a job v started: the items not yet run end CANCELLED,
// and an item running now is not committed (its worker's fenced write
// fails). A job that has finished is a CONFLICT.
func Cancel(ctx context.Context, c *ent.Client, v *access.Session, id string) (*ent.BulkJob, error) {
	j, err := c.BulkJob.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := v.Require(access.OwnJobs, j.CreatedByID); err != nil {
		return nil, err
	}
	n, err := c.BulkJob.Update().
		Where(bulkjob.ID(j.ID), bulkjob.StatusIn(bulkjob.StatusQUEUED, bulkjob.StatusRUNNING)).
		SetStatus(bulkjob.StatusCANCELLED).
		SetFinishedAt(v.Now).
		ClearLeaseUntil().
		Save(ctx)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, &apperr.Error{Code: apperr.Conflict, Reason: "JOB_FINISHED", Message: fmt.Sprintf("the job has finished (%s); there is nothing to cancel", j.Status)}
	}
	// Read after the update, which waited for an item being committed:
	// done is where the job stopped.
	if j, err = c.BulkJob.Get(ctx, id); err != nil {
		return nil, err
	}
	rest := make([]*ent.BulkJobResultCreate, 0, j.Total-j.Done)
	for i := j.Done; i < j.Total; i++ {
		rest = append(rest, c.BulkJobResult.Create().SetJobID(j.ID).SetIndex(i).
			SetOutcome(bulkjobresult.OutcomeCANCELLED).SetCreatedAt(v.Now))
	}
	// SQLite takes at most 32766 parameters a statement.
	for len(rest) > 0 {
		batch := rest[:min(len(rest), 500)]
		rest = rest[len(batch):]
		if err := c.BulkJobResult.CreateBulk(batch...).Exec(ctx); err != nil {
			return nil, err
		}
	}
	return j.Update().SetDone(j.Total).SetCancelledCount(j.Total - j.Done).Save(ctx)
}

// Install tells b of a job's progress when a change to one job (a
// cancellation) commits; the worker tells of its own items.
func Install(client *ent.Client, b events.Broker) {
	client.BulkJob.Use(hook.On(func(next ent.Mutator) ent.Mutator {
		return hook.BulkJobFunc(func(ctx context.Context, m *ent.BulkJobMutation) (ent.Value, error) {
			v, err := next.Mutate(ctx, m)
			if id, ok := m.ID(); ok && err == nil {
				at, _ := m.FinishedAt()
				events.AfterCommit(ctx, m, b, events.Message{BulkJobID: id, At: at})
			}
			return v, err
		})
	}, ent.OpUpdateOne))
}
