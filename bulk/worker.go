package bulk

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/audit"
	"github.com/partnerdesk/partnerdesk/clock"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/bulkjob"
	"github.com/partnerdesk/partnerdesk/ent/bulkjobresult"
	"github.com/partnerdesk/partnerdesk/ent/predicate"
	"github.com/partnerdesk/partnerdesk/events"
	"github.com/partnerdesk/partnerdesk/rowfilter"
	"github.com/partnerdesk/partnerdesk/txn"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// Sessions reads a caller's session again, as it stands now
// (auth.Authenticator): each item is decided against it.
type Sessions interface {
	Refresh(ctx context.Context, s *access.Session) (*access.Session, error)
}

// Worker runs bulk jobs. Any number of workers, in one process or in
// several sharing the database, may run at once: a job is claimed with a
// conditional UPDATE, as mailer.Sender claims mail, and its claim lasts
// Lease, renewed by every item. Each item's transaction moves the job's
// done counter from the item's index to the next, fenced by the claim's
// number and the job's status: an item runs once, a worker whose lease
// lapsed (or whose job was cancelled) commits nothing more, and a job
// interrupted by a crash resumes at its first unfinished item.
type Worker struct {
	Client   *ent.Client
	Sessions Sessions
	Clock    clock.Clock
	// Broker is told of each job's progress; nil tells no one.
	Broker events.Broker
	// Lease is how long a claim holds a job without an item ending;
	// DefaultLease when zero.
	Lease time.Duration
	// ProgressEvery is the least time, by Clock, between two progress
	// messages of a job; its end is always told. DefaultProgressEvery
	// when zero.
	ProgressEvery time.Duration
	// AfterItem, when set, is called after each item of a job ends and
	// before the next runs: tests pause or cancel a job there.
	AfterItem func(jobID string, index int)
}

// DefaultLease outlasts any one item many times over.
const DefaultLease = 2 * time.Minute

// DefaultProgressEvery keeps progress to a few messages a second.
const DefaultProgressEvery = 250 * time.Millisecond

// Run runs what is due every interval, until ctx ends.
func (w *Worker) Run(ctx context.Context, interval time.Duration) {
	clock.Every(ctx, interval, "running bulk jobs", func(ctx context.Context) error {
		_, err := w.Work(ctx)
		return err
	})
}

// Work claims each job due now and runs it to its end (or until it is
// cancelled or taken over), and returns how many it claimed.
func (w *Worker) Work(ctx context.Context) (int, error) {
	sys := rowfilter.Privileged(ctx)
	now := w.Clock.Now()
	jobs, err := w.Client.BulkJob.Query().
		Where(due(now)).
		Order(ent.Asc(bulkjob.FieldCreatedAt), ent.Asc(bulkjob.FieldID)).
		Select(bulkjob.FieldClaims).
		Limit(100).
		All(sys)
	if err != nil {
		return 0, err
	}
	claimed := 0
	for _, j := range jobs {
		n, err := w.Client.BulkJob.Update().
			Where(bulkjob.ID(j.ID), bulkjob.Claims(j.Claims), due(now)).
			SetStatus(bulkjob.StatusRUNNING).
			SetLeaseUntil(now.Add(w.lease())).
			AddClaims(1).
			Save(sys)
		if err != nil {
			return claimed, err
		}
		if n == 0 {
			continue // another worker took it
		}
		claimed++
		if err := w.run(ctx, j.ID, j.Claims+1); err != nil {
			return claimed, err
		}
	}
	return claimed, nil
}

// due matches the jobs a worker may claim at now: queued ones, and
// running ones whose lease lapsed (their worker stopped).
func due(now time.Time) predicate.BulkJob {
	return bulkjob.Or(
		bulkjob.StatusEQ(bulkjob.StatusQUEUED),
		bulkjob.And(bulkjob.StatusEQ(bulkjob.StatusRUNNING), bulkjob.LeaseUntilLTE(now)),
	)
}

func (w *Worker) lease() time.Duration { return cmp.Or(w.Lease, DefaultLease) }

// claim is one worker's hold on a job: the job and the claim's number.
type claim struct {
	job    *ent.BulkJob
	number int
	// told is when the job's progress was last published.
	told time.Time
}

// run runs a claimed job's items from its first unfinished one.
func (w *Worker) run(ctx context.Context, id string, number int) error {
	j, err := w.Client.BulkJob.Get(rowfilter.Privileged(ctx), id)
	if err != nil {
		return err
	}
	cl := &claim{job: j, number: number}
	for i := j.Done; i < j.Total; i++ {
		held, err := w.item(ctx, cl, i)
		if err != nil || !held {
			return err
		}
		w.tell(ctx, cl, false)
		if w.AfterItem != nil {
			w.AfterItem(j.ID, i)
		}
	}
	return w.finish(ctx, cl)
}

// item runs item i of a claimed job, and reports whether the claim still
// holds. Only a failure to record the outcome is returned: the item's own
// failure is its outcome.
func (w *Worker) item(ctx context.Context, cl *claim, i int) (bool, error) {
	j := cl.job
	k := kinds[j.Kind]
	raw := j.Items[i]
	s, err := w.Sessions.Refresh(ctx, &access.Session{TokenID: j.TokenID})
	if err != nil {
		return w.failed(ctx, cl, i, k.subject(raw), err)
	}
	ictx := viewer.NewContext(ctx, s)
	// A real item's outcome commits with what it did; a dry run's is
	// recorded once what it did is rolled back.
	out, err := txn.Run(ictx, w.Client, j.DryRun, func(ctx context.Context, c *ent.Client) (ran, error) {
		out, err := k.run(ctx, c, s, raw)
		if err == nil {
			err = audit.Record(ctx, c, audit.Entry{Operation: k.op, Action: k.action, ChangedFields: changedFields(raw)}, out.payload)
		}
		if err != nil || j.DryRun {
			return out, err
		}
		held, err := w.ended(ctx, c, cl, i, result{subject: out.subject, outcome: bulkjobresult.OutcomeOK, id: &out.id}, false)
		if err == nil && !held {
			err = errLost
		}
		return out, err
	})
	switch {
	case errors.Is(err, errLost):
		return false, nil
	case err != nil:
		return w.failed(ctx, cl, i, out.subject, err)
	case j.DryRun:
		return w.ended(ctx, w.Client, cl, i, result{subject: out.subject, outcome: bulkjobresult.OutcomeOK}, true)
	}
	return true, nil
}

// errLost rolls back an item whose worker lost its claim on the job.
var errLost = errors.New("bulk: the claim on the job lapsed, or the job was cancelled")

// failed records that item i failed with err, in a transaction of its
// own: what the item wrote was rolled back. A defect is recorded as
// INTERNAL, so that a job does not retry it for ever.
func (w *Worker) failed(ctx context.Context, cl *claim, i int, subject string, err error) (bool, error) {
	d, derr := txn.Decide(ctx, err)
	switch {
	case ctx.Err() != nil:
		return false, err // stopping: the item runs again when the lease lapses
	case derr != nil:
		slog.ErrorContext(ctx, "bulk job item failed", "job", cl.job.ID, "index", i, "error", err)
		d = txn.Decision{Code: apperr.Internal, Message: "internal error"}
	}
	return w.ended(ctx, w.Client, cl, i, result{subject: subject, outcome: bulkjobresult.OutcomeFAILED, err: &d}, true)
}

// result is how an item ended.
type result struct {
	subject string
	outcome bulkjobresult.Outcome
	id      *string
	err     *txn.Decision
}

// ended records item i's result with c, moving the job's done counter
// past it if the claim still holds; alone, it commits the record in a
// transaction of its own. It reports whether the claim held.
func (w *Worker) ended(ctx context.Context, c *ent.Client, cl *claim, i int, r result, alone bool) (bool, error) {
	sys := rowfilter.Privileged(ctx)
	var tx *ent.Tx
	if alone {
		var err error
		if tx, err = c.Tx(sys); err != nil {
			return false, err
		}
		defer tx.Rollback() // a no-op once committed
		c = tx.Client()
	}
	now := w.Clock.Now()
	u := c.BulkJob.Update().
		Where(bulkjob.ID(cl.job.ID), bulkjob.Claims(cl.number), bulkjob.StatusEQ(bulkjob.StatusRUNNING), bulkjob.Done(i)).
		SetDone(i + 1).
		SetLeaseUntil(now.Add(w.lease()))
	if r.outcome == bulkjobresult.OutcomeOK {
		u.AddOkCount(1)
	} else {
		u.AddFailedCount(1)
	}
	n, err := u.Save(sys)
	if err != nil || n == 0 {
		return false, err
	}
	q := c.BulkJobResult.Create().
		SetJobID(cl.job.ID).
		SetIndex(i).
		SetSubjectID(r.subject).
		SetOutcome(r.outcome).
		SetNillableResultID(r.id).
		SetCreatedAt(now)
	if r.err != nil {
		q.SetErrorCode(string(r.err.Code)).SetErrorMessage(r.err.Message)
	}
	if err := q.Exec(sys); err != nil {
		return false, err
	}
	if tx != nil {
		return true, tx.Commit()
	}
	return true, nil
}

// finish ends a job whose items have all run: SUCCEEDED when every one
// ended OK, FAILED when none did, PARTIAL otherwise.
func (w *Worker) finish(ctx context.Context, cl *claim) error {
	sys := rowfilter.Privileged(ctx)
	j, err := w.Client.BulkJob.Get(sys, cl.job.ID)
	if err != nil {
		return err
	}
	status := bulkjob.StatusPARTIAL
	switch {
	case j.FailedCount == 0:
		status = bulkjob.StatusSUCCEEDED
	case j.OkCount == 0:
		status = bulkjob.StatusFAILED
	}
	n, err := w.Client.BulkJob.Update().
		Where(bulkjob.ID(j.ID), bulkjob.Claims(cl.number), bulkjob.StatusEQ(bulkjob.StatusRUNNING)).
		SetStatus(status).
		SetFinishedAt(w.Clock.Now()).
		ClearLeaseUntil().
		Save(sys)
	if err != nil || n == 0 {
		return err
	}
	w.tell(ctx, cl, true)
	return nil
}

// tell publishes the job's progress: at its end, and otherwise at most
// once every ProgressEvery.
func (w *Worker) tell(ctx context.Context, cl *claim, end bool) {
	now := w.Clock.Now()
	if w.Broker == nil || !end && !cl.told.IsZero() && now.Sub(cl.told) < cmp.Or(w.ProgressEvery, DefaultProgressEvery) {
		return
	}
	cl.told = now
	if err := w.Broker.Publish(context.WithoutCancel(ctx), events.Message{BulkJobID: cl.job.ID, At: now}); err != nil {
		slog.ErrorContext(ctx, "publishing a bulk job's progress", "job", cl.job.ID, "error", err)
	}
}
