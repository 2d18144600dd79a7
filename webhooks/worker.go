package webhooks

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/clock"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/caseevent"
	"github.com/partnerdesk/partnerdesk/ent/grantevent"
	"github.com/partnerdesk/partnerdesk/ent/predicate"
	"github.com/partnerdesk/partnerdesk/ent/webhook"
	"github.com/partnerdesk/partnerdesk/ent/webhookattempt"
	"github.com/partnerdesk/partnerdesk/ent/webhookdelivery"
	"github.com/partnerdesk/partnerdesk/events"
	"github.com/partnerdesk/partnerdesk/grants"
	"github.com/partnerdesk/partnerdesk/ids"
	"github.com/partnerdesk/partnerdesk/lease"
	"github.com/partnerdesk/partnerdesk/mailer"
	"github.com/partnerdesk/partnerdesk/rowfilter"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// The defaults of a Worker's settings.
const (
	// DefaultMaxFailures is how many deliveries in a row may fail before
	// their webhook is DISABLED.
	DefaultMaxFailures = 10
	// DefaultTimeout bounds one attempt: connecting, sending, the answer.
	DefaultTimeout = 10 * time.Second
	// Lease is how long a claim lasts at least; always several times an
	// attempt's timeout, so that a claim lapses only when its worker
	// stopped.
	Lease = 2 * time.Minute
	// Parallel is how many deliveries a worker sends at once. They go out
	// in no promised order: a receiver orders by the body's createdAt.
	Parallel = 8
	// maxAnswer is how much of an endpoint's answer is read; the rest is
	// dropped.
	maxAnswer = 64 << 10
)

// DefaultBackoff retries a delivery for about half a day: after 30
// seconds, then 1, 2, 4 … minutes, then hourly, each wait drawn between
// its half and itself (jitter), so that endpoints recovering from an outage
// are not hit by every retry at once.
var DefaultBackoff = mailer.Backoff{First: 30 * time.Second, Max: time.Hour, Attempts: 16}

// Worker logs and sends webhook deliveries. Any number of workers, in one
// process or in several sharing the database, may run at once.
//
// The guarantee: a delivery is claimed by one conditional UPDATE (PENDING
// and due, or SENDING with a lapsed lease, and the attempt count the
// worker read), and its outcome is written by another fenced on that claim
// (SENDING and that attempt count). Once SUCCEEDED is written no claim
// matches it again, whatever the instances and restarts: an event is sent
// at most once per webhook after a success is recorded. It is sent twice
// only when a worker stops after the endpoint answered 2xx and before it
// recorded so; the lease then lapses and another worker sends it again,
// with the same Partnerdesk-Delivery header to deduplicate on.
type Worker struct {
	Client  *ent.Client
	Clock   clock.Clock
	Targets Targets
	// MaxFailures is DefaultMaxFailures when zero.
	MaxFailures int
	// Backoff is DefaultBackoff when its Attempts is zero.
	Backoff mailer.Backoff
	// Timeout is DefaultTimeout when zero.
	Timeout time.Duration

	once sync.Once
	http *http.Client
}

// Run logs and sends what is due every interval, and as soon as the
// broker says an event was written, until ctx ends. The writer of an
// event only publishes it, after its commit: it never reads the webhooks.
func (w *Worker) Run(ctx context.Context, interval time.Duration, b events.Broker) {
	wake := make(chan struct{}, 1)
	if b != nil {
		stop := b.Follow(events.AllCases, func(m *events.Message) {
			if m.CaseEventID != "" || m.GrantID != "" {
				select {
				case wake <- struct{}{}:
				default:
				}
			}
		})
		defer stop()
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := w.Work(ctx); err != nil && ctx.Err() == nil {
			slog.ErrorContext(ctx, "delivering webhooks", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
		}
	}
}

// Work logs the events written since the last call, then sends what is due.
func (w *Worker) Work(ctx context.Context) error {
	if _, err := w.Fanout(ctx); err != nil {
		return err
	}
	_, err := w.Deliver(ctx)
	return err
}

// Fanout logs a delivery of each event written after each webhook's
// cursor that the webhook wants, and moves the cursor past them; it
// returns how many it logged. The cursor moves by a conditional UPDATE in
// the transaction of the rows it logs, so that two workers never log one
// stretch twice (and the deliveries are unique per webhook and event
// anyway).
func (w *Worker) Fanout(ctx context.Context) (int, error) {
	sys := rowfilter.Privileged(ctx)
	hooks, err := w.Client.Webhook.Query().WithOrganization().All(sys)
	if err != nil || len(hooks) == 0 {
		return 0, err
	}
	from := slices.MinFunc(hooks, func(a, b *ent.Webhook) int { return cmp.Compare(a.Cursor, b.Cursor) }).Cursor
	items, err := after(sys, w.Client, from, batch)
	if err != nil || len(items) == 0 {
		return 0, err
	}
	last := items[len(items)-1].seq
	reached := map[string]map[string]bool{}
	logged := 0
	for _, h := range hooks {
		if h.Cursor >= last {
			continue
		}
		concerns, err := w.concerns(sys, h, reached)
		if err != nil {
			return logged, err
		}
		var mine []item
		for _, it := range items {
			if it.seq > h.Cursor && slices.Contains(h.Events, it.typ) && concerns(it) &&
				(len(h.CustomerIds) == 0 || slices.Contains(h.CustomerIds, it.customerID)) {
				mine = append(mine, it)
			}
		}
		n, err := w.log(sys, h, mine, last)
		if err != nil {
			return logged, err
		}
		logged += n
	}
	return logged, nil
}

// concerns says which events the webhook's owner could ever be shown: a
// customer's own, a partner's own grants' and the case events of the
// customers it has held a grant on. The rest is never logged; whether the
// owner may see an event is decided when it is sent.
func (w *Worker) concerns(ctx context.Context, h *ent.Webhook, reached map[string]map[string]bool) (func(item) bool, error) {
	org := h.Edges.Organization
	if org.Kind != access.Partner {
		return func(it item) bool { return it.customerID == org.ID }, nil
	}
	customers, ok := reached[org.ID]
	if !ok {
		gs, err := grants.OfPartner(ctx, w.Client, org.ID)
		if err != nil {
			return nil, err
		}
		customers = map[string]bool{}
		for _, g := range gs {
			customers[g.CustomerID] = true
		}
		reached[org.ID] = customers
	}
	return func(it item) bool { return it.partnerID == org.ID || it.partnerID == "" && customers[it.customerID] }, nil
}

// log writes the deliveries of items to h and moves its cursor to last,
// unless another worker moved it first.
func (w *Worker) log(ctx context.Context, h *ent.Webhook, items []item, last int64) (int, error) {
	tx, err := w.Client.Tx(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() // a no-op once committed
	n, err := tx.Webhook.Update().Where(webhook.ID(h.ID), webhook.Cursor(h.Cursor)).SetCursor(last).Save(ctx)
	if err != nil || n == 0 {
		return 0, err
	}
	now := w.Clock.Now()
	rows := make([]*ent.WebhookDeliveryCreate, len(items))
	for i, it := range items {
		rows[i] = tx.WebhookDelivery.Create().SetWebhookID(h.ID).SetEventID(it.id).SetEventType(it.typ).
			SetSeq(it.seq).SetCreatedAt(now)
	}
	if len(rows) > 0 {
		if err := tx.WebhookDelivery.CreateBulk(rows...).Exec(ctx); err != nil {
			return 0, err
		}
	}
	return len(rows), tx.Commit()
}

// Deliver claims each delivery due now to an ACTIVE webhook, and sends
// up to Parallel at once (an endpoint's answer takes a network's round
// trips, a claim does not); it returns how many it claimed once all are
// recorded.
func (w *Worker) Deliver(ctx context.Context) (int, error) {
	now := w.Clock.Now()
	rows, err := w.Client.WebhookDelivery.Query().
		Where(due(now)).
		Order(ent.Asc(webhookdelivery.FieldSeq), ent.Asc(webhookdelivery.FieldID)).
		Limit(batch).
		All(rowfilter.Privileged(ctx))
	if err != nil {
		return 0, err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(Parallel)
	// A delivery another worker claimed since it was read, or whose
	// webhook stopped, is skipped. Each attempt reads its event as the
	// webhook's owner, through the row filter: ctx is not privileged.
	claimed, err := lease.Each(ctx, rows, now, w.claim, func(_ context.Context, row *ent.WebhookDelivery) error {
		g.Go(func() error { return w.attempt(gctx, row) })
		return nil
	})
	return claimed, cmp.Or(g.Wait(), err)
}

// due matches the deliveries a worker may claim at now: pending ones whose
// wait is over, and claimed ones whose lease lapsed, of an ACTIVE webhook.
func due(now time.Time) predicate.WebhookDelivery {
	return webhookdelivery.And(
		webhookdelivery.Or(
			webhookdelivery.And(webhookdelivery.StatusEQ(webhookdelivery.StatusPENDING),
				webhookdelivery.Or(webhookdelivery.NextAttemptAtIsNil(), webhookdelivery.NextAttemptAtLTE(now))),
			webhookdelivery.And(webhookdelivery.StatusEQ(webhookdelivery.StatusSENDING), webhookdelivery.LeaseUntilLTE(now)),
		),
		webhookdelivery.HasWebhookWith(webhook.StatusEQ(webhook.StatusACTIVE)),
	)
}

// claim takes row for one attempt, as mailer.Sender claims mail: if it is
// still due and no other worker took it since it was read; row then holds
// the claim's attempt number.
func (w *Worker) claim(ctx context.Context, row *ent.WebhookDelivery, now time.Time) (bool, error) {
	n, err := w.Client.WebhookDelivery.Update().
		Where(webhookdelivery.ID(row.ID), webhookdelivery.Attempts(row.Attempts), due(now)).
		SetStatus(webhookdelivery.StatusSENDING).
		SetLeaseUntil(now.Add(max(Lease, 3*w.timeout()))).
		AddAttempts(1).
		Save(rowfilter.Privileged(ctx))
	if err != nil || n == 0 {
		return false, err
	}
	row.Attempts++
	return true, nil
}

// outcome is what one attempt came to.
type outcome struct {
	status  webhookdelivery.Status // SUCCEEDED, SKIPPED, or FAILED for a failed attempt
	code    int
	latency time.Duration
	err     string
}

// answer is what the log keeps of the endpoint's answer: no code when
// none came, no latency when no request was sent (SKIPPED).
func (o outcome) answer() (code, latencyMs *int) {
	if o.code != 0 {
		code = &o.code
	}
	if o.status != webhookdelivery.StatusSKIPPED {
		ms := int(o.latency.Milliseconds())
		latencyMs = &ms
	}
	return code, latencyMs
}

// attempt decides a claimed delivery as its webhook's owner now, sends it
// unless the owner may not see its event, and records the outcome. Only a
// database failure is returned.
func (w *Worker) attempt(ctx context.Context, row *ent.WebhookDelivery) error {
	sys := rowfilter.Privileged(ctx)
	h, err := w.Client.Webhook.Get(sys, row.WebhookID)
	if ent.IsNotFound(err) {
		return nil // deleted, with its log, since the claim
	}
	if err != nil {
		return err
	}
	now := w.Clock.Now()
	body, err := w.envelope(ctx, h, row, now)
	switch {
	case errors.Is(err, errHidden):
		return w.record(sys, row, h, outcome{status: webhookdelivery.StatusSKIPPED, err: err.Error()})
	case err != nil:
		return w.record(sys, row, h, outcome{status: webhookdelivery.StatusFAILED, err: "preparing the delivery: " + err.Error()})
	}
	return w.record(sys, row, h, w.post(ctx, h, row, body, now))
}

var errHidden = errors.New("the webhook's organisation may not see this event now: not sent")

// envelope is the body of a delivery: its event, read as the webhook's
// owner organisation at now, through the read policy's row filter. An
// event the owner may not see is errHidden.
func (w *Worker) envelope(ctx context.Context, h *ent.Webhook, row *ent.WebhookDelivery, now time.Time) ([]byte, error) {
	s, err := Owner(ctx, w.Client, h.OrganizationID, now)
	if err != nil {
		return nil, err
	}
	as := viewer.NewContext(ctx, s)
	var at time.Time
	var data map[string]any
	if strings.HasPrefix(row.EventID, ids.GrantEvent+"_") {
		ev, err := w.Client.GrantEvent.Query().Where(grantevent.ID(row.EventID)).Only(as)
		if err != nil {
			return nil, hidden(err)
		}
		at, data = ev.CreatedAt, map[string]any{"grantEvent": map[string]any{
			"id": ev.ID, "kind": ev.Kind, "grantID": ev.GrantID, "customerID": ev.CustomerID, "partnerID": ev.PartnerID,
			"actorID": ev.ActorID, "daysLeft": ev.DaysLeft, "createdAt": ev.CreatedAt,
		}}
	} else {
		ev, err := w.Client.CaseEvent.Query().Where(caseevent.ID(row.EventID)).Only(as)
		if err != nil {
			return nil, hidden(err)
		}
		at, data = ev.CreatedAt, map[string]any{"caseEvent": map[string]any{
			"id": ev.ID, "kind": ev.Kind, "caseID": ev.CaseID, "customerID": ev.CustomerID,
			"actorID": ev.ActorID, "commentID": ev.CommentID, "changes": ev.Changes, "createdAt": ev.CreatedAt,
		}}
	}
	return json.Marshal(map[string]any{"id": row.EventID, "type": row.EventType, "createdAt": at, "data": data})
}

// hidden is errHidden for an event the row filter did not return.
func hidden(err error) error {
	if ent.IsNotFound(err) {
		return errHidden
	}
	return err
}

// Owner is the session deliveries to an organisation's webhooks are
// decided with: the organisation as its admins see it through its
// organisation's own standing, a partner through its organisation grants
// alone (no contact's individual grant, no grant scoped to an email
// domain), a customer its own cases. The policy decides with it as with
// any caller.
func Owner(ctx context.Context, c *ent.Client, orgID string, now time.Time) (*access.Session, error) {
	sys := rowfilter.Privileged(ctx)
	org, err := c.Organization.Get(sys, orgID)
	if err != nil {
		return nil, err
	}
	caller := access.Caller{OrgID: org.ID, OrgKind: org.Kind, Roles: []access.Role{access.RoleAdmin}, Active: true}
	var p access.Partnership
	if org.Kind == access.Partner {
		if p, err = grants.Partnership(sys, c, org.ID); err != nil {
			return nil, err
		}
	}
	return access.NewSession(caller, now, p), nil
}

// post sends one attempt.
func (w *Worker) post(ctx context.Context, h *ent.Webhook, row *ent.WebhookDelivery, body []byte, now time.Time) outcome {
	w.once.Do(func() { w.http = w.Targets.Client(w.timeout()) })
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return outcome{status: webhookdelivery.StatusFAILED, err: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "partnerdesk-webhooks/1")
	req.Header.Set(SignatureHeader, Sign(h.Secret, now, body))
	req.Header.Set(DeliveryHeader, row.ID)
	req.Header.Set(EventHeader, string(row.EventType))
	start := time.Now()
	res, err := w.http.Do(req)
	if err != nil {
		return outcome{status: webhookdelivery.StatusFAILED, latency: time.Since(start), err: err.Error()}
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, maxAnswer))
	res.Body.Close()
	out := outcome{status: webhookdelivery.StatusSUCCEEDED, code: res.StatusCode, latency: time.Since(start)}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		out.status, out.err = webhookdelivery.StatusFAILED, fmt.Sprintf("the endpoint answered %s", res.Status)
	}
	return out
}

// record writes an attempt's outcome and logs the attempt, fenced by its
// claim: a worker whose lease lapsed and whose delivery another took
// writes nothing. A failed attempt is retried after its backoff while attempts remain, and counts
// against its webhook, which is DISABLED at MaxFailures in a row (the
// hooks of packages notify and events then tell its owner).
func (w *Worker) record(ctx context.Context, row *ent.WebhookDelivery, h *ent.Webhook, out outcome) error {
	now := w.Clock.Now()
	tx, err := w.Client.Tx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback() // a no-op once committed
	u := tx.WebhookDelivery.Update().
		Where(webhookdelivery.ID(row.ID), webhookdelivery.StatusEQ(webhookdelivery.StatusSENDING), webhookdelivery.Attempts(row.Attempts)).
		ClearLeaseUntil().SetAttemptedAt(now).SetStatus(out.status)
	if out.err != "" {
		u.SetError(out.err)
	} else {
		u.ClearError()
	}
	code, ms := out.answer()
	u.SetNillableResponseCode(code).SetNillableLatencyMs(ms)
	b := w.Backoff
	if b.Attempts == 0 {
		b = DefaultBackoff
	}
	if out.status == webhookdelivery.StatusFAILED && row.Attempts < b.Attempts {
		u.SetStatus(webhookdelivery.StatusPENDING).SetNextAttemptAt(now.Add(jitter(b.Wait(row.Attempts))))
	}
	n, err := u.Save(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		slog.WarnContext(ctx, "webhook delivery outcome not recorded: another worker took it over", "id", row.ID, "attempt", row.Attempts)
		return nil
	}
	if err := w.logAttempt(ctx, tx, row, out, now); err != nil {
		return err
	}
	switch out.status {
	case webhookdelivery.StatusSUCCEEDED:
		err = tx.Webhook.Update().Where(webhook.ID(h.ID), webhook.ConsecutiveFailuresNEQ(0)).SetConsecutiveFailures(0).Exec(ctx)
	case webhookdelivery.StatusFAILED:
		err = w.failed(ctx, tx, h.ID, out.err)
	}
	if err != nil {
		return err
	}
	return tx.Commit()
}

// logAttempt adds the attempt to its delivery's log, in the transaction
// that records its outcome, so that a sender fenced out logs nothing.
func (w *Worker) logAttempt(ctx context.Context, tx *ent.Tx, row *ent.WebhookDelivery, out outcome, now time.Time) error {
	a := tx.WebhookAttempt.Create().SetDeliveryID(row.ID).SetWebhookID(row.WebhookID).SetNumber(row.Attempts).
		SetOutcome(webhookattempt.Outcome(out.status)).SetCreatedAt(now)
	if out.err != "" {
		a.SetError(out.err)
	}
	code, ms := out.answer()
	return a.SetNillableResponseCode(code).SetNillableLatencyMs(ms).Exec(ctx)
}

// failed counts a failure against webhook id, and disables it at the
// limit.
func (w *Worker) failed(ctx context.Context, tx *ent.Tx, id, why string) error {
	h, err := tx.Webhook.UpdateOneID(id).AddConsecutiveFailures(1).Save(ctx)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	limit := cmp.Or(w.MaxFailures, DefaultMaxFailures)
	if h.ConsecutiveFailures < limit || h.Status != webhook.StatusACTIVE {
		return nil
	}
	return tx.Webhook.UpdateOne(h).
		SetStatus(webhook.StatusDISABLED).
		SetDisabledReason(fmt.Sprintf("%d deliveries failed in a row; the last: %s", h.ConsecutiveFailures, why)).
		SetDisabledAt(w.Clock.Now()).
		Exec(ctx)
}

// jitter draws the wait before a retry between half of its backoff and
// all of it, so that the retries of many deliveries that failed together
// spread out.
func jitter(d time.Duration) time.Duration { return d/2 + rand.N(d/2+1) }

func (w *Worker) timeout() time.Duration { return cmp.Or(w.Timeout, DefaultTimeout) }

// batch is the most events one Fanout reads, and deliveries one Deliver
// claims.
const batch = 100
