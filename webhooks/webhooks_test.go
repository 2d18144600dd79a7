package webhooks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/httpapi"
	"github.com/partnerdesk/partnerdesk/mailer"
	"github.com/partnerdesk/partnerdesk/testkit"
	"github.com/partnerdesk/partnerdesk/webhooks"
)

// receiver is a real HTTP endpoint that records what it is sent and
// answers with the status the test sets.
type receiver struct {
	*httptest.Server
	status atomic.Int32
	mu     sync.Mutex
	got    []delivery
}

type delivery struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.status.Store(http.StatusOK)
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, delivery{req.Header.Clone(), body})
		r.mu.Unlock()
		w.WriteHeader(int(r.status.Load()))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) received() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// world: Contoso (a partner) holds an organisation grant at LOOK on Acme.
type world struct {
	*testkit.Env
	partner, acme                   *ent.Organization
	partnerAdmin, acmeAdmin, member *ent.Contact
	grant                           *ent.Grant
	kase                            *ent.SupportCase
	tokens                          map[*ent.Contact]string
}

// allowLoopback lets the API accept the tests' loopback receivers.
var allowLoopback = testkit.WithConfig(func(c *httpapi.Config) { c.WebhookTargets.AllowPrivate = true })

func newWorld(t testing.TB, opts ...testkit.Option) *world {
	e := testkit.New(t, opts...)
	w := &world{Env: e, tokens: map[*ent.Contact]string{}}
	w.partner = e.Org(access.Partner, "Contoso")
	w.acme = e.Org(access.Customer, "Acme")
	w.partnerAdmin = e.Contact(w.partner, "Priya", access.RoleAdmin)
	w.acmeAdmin = e.Contact(w.acme, "Alice", access.RoleAdmin)
	w.member = e.Contact(w.acme, "Ben")
	for _, c := range []*ent.Contact{w.partnerAdmin, w.acmeAdmin, w.member} {
		w.tokens[c] = e.Token(c)
	}
	w.grant = e.Grant(testkit.GrantSpec{Partner: w.partner, Customer: w.acme, Level: access.Look})
	w.kase = e.Case(w.acme, w.member, "Printer on fire")
	return w
}

func (w *world) worker() *webhooks.Worker {
	return &webhooks.Worker{Client: w.Client, Clock: w.Clock, Targets: webhooks.Targets{AllowPrivate: true}}
}

// create registers a webhook as the partner's admin and returns its ID and secret.
func (w *world) create(t testing.TB, url string, events ...string) (id, secret string) {
	t.Helper()
	var out struct {
		CreateWebhook struct {
			Webhook struct{ ID string }
			Secret  string
		}
	}
	w.Query(w.tokens[w.partnerAdmin], `mutation($in: CreateWebhookInput!) { createWebhook(input: $in) { webhook { id } secret } }`,
		map[string]any{"in": map[string]any{"url": url, "events": events}}).Decode(t, &out)
	return out.CreateWebhook.Webhook.ID, out.CreateWebhook.Secret
}

// comment adds a public comment to the world's case, at the clock's
// instant: the history's order (seq) tells events of one instant apart.
func (w *world) comment(t testing.TB) {
	t.Helper()
	w.Query(w.tokens[w.member], `mutation($id: ID!) { addCaseComment(input: {caseID: $id, body: "any news?"}) { comment { id } } }`,
		map[string]any{"id": w.kase.ID}).Decode(t, &struct{}{})
}

func work(t *testing.T, wk *webhooks.Worker) {
	t.Helper()
	if err := wk.Work(context.Background()); err != nil {
		t.Fatalf("working: %v", err)
	}
}

type logEntry struct {
	ID, EventType, Status string
	Attempts              int
	ResponseCode          *int
	LatencyMs             *int
	Error                 *string
}

// deliveries reads a webhook's delivery log through the API, oldest first.
func (w *world) deliveries(t *testing.T, id string) []logEntry {
	t.Helper()
	var out struct {
		Node struct {
			Deliveries struct{ Nodes []logEntry }
		}
	}
	w.Query(w.tokens[w.partnerAdmin], `query($id: ID!) { node(id: $id) { ... on Webhook { deliveries(first: 50, orderBy: [{field: CREATED_AT}]) {
		nodes { id eventType status attempts responseCode latencyMs error } } } } }`, map[string]any{"id": id}).Decode(t, &out)
	return out.Node.Deliveries.Nodes
}

type attempt struct {
	ID, Outcome  string
	Number       int
	ResponseCode *int
	LatencyMs    *int
	Error        *string
}

// attemptLog reads a delivery's attempts through the API as token's
// holder, in the log's order.
func (w *world) attemptLog(t *testing.T, token, deliveryID string) []attempt {
	t.Helper()
	var out struct {
		Node struct {
			AttemptLog struct{ Nodes []attempt }
		}
	}
	w.Query(token, `query($id: ID!) { node(id: $id) { ... on WebhookDelivery { attemptLog(first: 50) {
		nodes { id number outcome responseCode latencyMs error } } } } }`, map[string]any{"id": deliveryID}).Decode(t, &out)
	return out.Node.AttemptLog.Nodes
}

func TestDeliveryIsSignedAndVerifies(t *testing.T) {
	w := newWorld(t, allowLoopback)
	r := newReceiver(t)
	id, secret := w.create(t, r.URL, "CASE_COMMENTED")
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret %q", secret)
	}
	w.comment(t)
	wk := w.worker()
	work(t, wk)
	got := r.received()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(got))
	}
	sig := got[0].header.Get(webhooks.SignatureHeader)
	if err := webhooks.Verify(secret, sig, got[0].body, w.Clock.Now(), webhooks.Tolerance); err != nil {
		t.Fatalf("signature %q does not verify: %v", sig, err)
	}
	if err := webhooks.Verify("whsec_another", sig, got[0].body, w.Clock.Now(), webhooks.Tolerance); err == nil {
		t.Fatal("a signature verified with another secret")
	}
	if err := webhooks.Verify(secret, sig, got[0].body, w.Clock.Now().Add(webhooks.Tolerance+time.Second), webhooks.Tolerance); err == nil {
		t.Fatal("a replay past the tolerance verified")
	}
	var body struct {
		ID, Type string
		Data     struct{ CaseEvent struct{ Kind, CaseID string } }
	}
	if err := json.Unmarshal(got[0].body, &body); err != nil || body.Type != "CASE_COMMENTED" || body.Data.CaseEvent.CaseID != w.kase.ID {
		t.Fatalf("body %s (%v)", got[0].body, err)
	}
	log := w.deliveries(t, id)
	if len(log) != 1 || log[0].Status != "SUCCEEDED" || log[0].Attempts != 1 || log[0].ResponseCode == nil || *log[0].ResponseCode != 200 ||
		got[0].header.Get(webhooks.DeliveryHeader) != log[0].ID {
		t.Fatalf("log %+v, delivery header %q", log, got[0].header.Get(webhooks.DeliveryHeader))
	}
	// Never again once it succeeded.
	w.Clock.Advance(time.Hour)
	work(t, wk)
	if n := len(r.received()); n != 1 {
		t.Fatalf("receiver got %d requests after a success", n)
	}
	// The secret is never readable again: the type has no such field.
	if res := w.Query(w.tokens[w.partnerAdmin], `query($id: ID!) { node(id: $id) { ... on Webhook { secret } } }`, map[string]any{"id": id}); res.Code() == "" {
		t.Fatal("a webhook's secret was readable")
	}
}

func TestRevokedGrantStopsDeliveriesAtOnce(t *testing.T) {
	w := newWorld(t, allowLoopback)
	r := newReceiver(t)
	id, _ := w.create(t, r.URL, "CASE_COMMENTED", "GRANT_REVOKED")
	w.comment(t)
	wk := w.worker()
	if _, err := wk.Fanout(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Logged while Contoso could see it, revoked before it is sent.
	w.Query(w.tokens[w.acmeAdmin], `mutation($id: ID!) { revokeGrant(input: {id: $id}) { grant { id } } }`,
		map[string]any{"id": w.grant.ID}).Decode(t, &struct{}{})
	w.comment(t)
	work(t, wk)
	// The revocation itself is Contoso's to know (its own grant); the
	// comments, before and after it, are no longer its to see.
	got := r.received()
	var body struct {
		Type string
		Data struct {
			GrantEvent struct{ GrantID, Kind string }
		}
	}
	if len(got) != 1 || json.Unmarshal(got[0].body, &body) != nil || body.Type != "GRANT_REVOKED" || body.Data.GrantEvent.GrantID != w.grant.ID {
		t.Fatalf("receiver got %d requests, the first %s", len(got), got[0].body)
	}
	outcomes := map[string]int{}
	for _, d := range w.deliveries(t, id) {
		if d.Status == "SKIPPED" && d.ResponseCode != nil {
			t.Fatalf("a skipped delivery has a response: %+v", d)
		}
		if d.Status == "SKIPPED" {
			// Logged as an attempt that sent no request.
			if a := w.attemptLog(t, w.tokens[w.partnerAdmin], d.ID); len(a) != 1 || a[0].Outcome != "SKIPPED" || a[0].LatencyMs != nil || a[0].ResponseCode != nil || a[0].Error == nil {
				t.Fatalf("a skipped delivery's attempt log: %+v", a)
			}
		}
		outcomes[d.EventType+" "+d.Status]++
	}
	if want := map[string]int{"CASE_COMMENTED SKIPPED": 2, "GRANT_REVOKED SUCCEEDED": 1}; !maps.Equal(outcomes, want) {
		t.Fatalf("log %v, want %v", outcomes, want)
	}
}

func TestFailuresAreRetriedWithBackoff(t *testing.T) {
	w := newWorld(t, allowLoopback)
	r := newReceiver(t)
	r.status.Store(http.StatusInternalServerError)
	id, _ := w.create(t, r.URL, "CASE_COMMENTED")
	w.comment(t)
	wk := w.worker()
	work(t, wk)
	if n := len(r.received()); n != 1 {
		t.Fatalf("first attempt: %d requests", n)
	}
	log := w.deliveries(t, id)
	if len(log) != 1 || log[0].Status != "PENDING" || log[0].Attempts != 1 || *log[0].ResponseCode != 500 || log[0].LatencyMs == nil || log[0].Error == nil {
		t.Fatalf("after a 500: %+v", log)
	}
	// Each wait is drawn between its half and itself: 30 seconds after the
	// first attempt, a minute after the second; the third succeeds.
	for _, step := range []struct {
		advance time.Duration
		status  int
		want    int
	}{
		{14 * time.Second, 500, 1}, // before the first wait's least
		{16 * time.Second, 500, 2}, // 30 s: the first wait is over
		{29 * time.Second, 204, 2}, // before the second wait's least
		{31 * time.Second, 204, 3}, // a minute: the second wait is over
		{time.Hour, 204, 3},        // never again after the success
	} {
		r.status.Store(int32(step.status))
		w.Clock.Advance(step.advance)
		work(t, wk)
		if n := len(r.received()); n != step.want {
			t.Fatalf("after %s more: %d requests, want %d", step.advance, n, step.want)
		}
	}
	got := r.received()
	if got[0].header.Get(webhooks.DeliveryHeader) != got[2].header.Get(webhooks.DeliveryHeader) {
		t.Fatal("the attempts at one delivery carry different delivery IDs")
	}
	log = w.deliveries(t, id)
	if log[0].Status != "SUCCEEDED" || log[0].Attempts != 3 || *log[0].ResponseCode != 204 {
		t.Fatalf("after the success: %+v", log)
	}
	// Each attempt is in the delivery's log, oldest first.
	var outcomes []string
	for _, a := range w.attemptLog(t, w.tokens[w.partnerAdmin], log[0].ID) {
		if a.LatencyMs == nil || (a.Outcome == "FAILED") != (a.Error != nil) {
			t.Fatalf("attempt %d: %+v", a.Number, a)
		}
		outcomes = append(outcomes, fmt.Sprintf("%d %s %d", a.Number, a.Outcome, *a.ResponseCode))
	}
	if want := []string{"1 FAILED 500", "2 FAILED 500", "3 SUCCEEDED 204"}; !slices.Equal(outcomes, want) {
		t.Fatalf("attempt log %v, want %v", outcomes, want)
	}
	// Read as the webhook is: another organisation's admin reads neither
	// the log nor an attempt.
	first := w.attemptLog(t, w.tokens[w.partnerAdmin], log[0].ID)[0]
	for _, id := range []string{log[0].ID, first.ID} {
		if res := w.Query(w.tokens[w.acmeAdmin], `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}); res.Code() != "NOT_FOUND" {
			t.Fatalf("another organisation's admin read %s: %s", id, res.Code())
		}
	}
	// The log goes with its webhook.
	w.Query(w.tokens[w.partnerAdmin], `mutation($id: ID!) { deleteWebhook(input: {id: $id}) { deletedWebhookID } }`, map[string]any{"id": id}).Decode(t, &struct{}{})
	if res := w.Query(w.tokens[w.partnerAdmin], `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": first.ID}); res.Code() != "NOT_FOUND" {
		t.Fatalf("an attempt outlived its webhook: %s", res.Code())
	}
}

func TestRunOfFailuresDisablesAndTellsTheOwner(t *testing.T) {
	w := newWorld(t, allowLoopback)
	smtp := testkit.StartSMTP(t)
	r := newReceiver(t)
	r.status.Store(http.StatusBadGateway)
	id, _ := w.create(t, r.URL, "CASE_COMMENTED")
	sub := w.Dial(t, w.tokens[w.partnerAdmin])
	sub.Subscribe("1", `subscription { webhookEvents { kind at webhook { id status disabledReason consecutiveFailures } } }`, nil)
	stranger := w.Dial(t, w.tokens[w.acmeAdmin])
	stranger.Subscribe("1", `subscription { webhookEvents { kind webhook { id } } }`, nil)
	for w.Broker.Followers() < 2 { // both subscriptions reach the broker
		time.Sleep(time.Millisecond)
	}

	wk := w.worker()
	wk.MaxFailures = 3
	wk.Backoff = mailer.Backoff{First: time.Second, Max: time.Second, Attempts: 10}
	w.comment(t)
	for range 5 {
		work(t, wk)
		w.Clock.Advance(2 * time.Second)
	}
	if n := len(r.received()); n != 3 {
		t.Fatalf("the endpoint got %d attempts; want 3, then none once disabled", n)
	}
	var hook struct {
		Node struct {
			Status, DisabledReason string
			ConsecutiveFailures    int
		}
	}
	w.Query(w.tokens[w.partnerAdmin], `query($id: ID!) { node(id: $id) { ... on Webhook { status disabledReason consecutiveFailures } } }`,
		map[string]any{"id": id}).Decode(t, &hook)
	if hook.Node.Status != "DISABLED" || hook.Node.ConsecutiveFailures != 3 || !strings.Contains(hook.Node.DisabledReason, "502") {
		t.Fatalf("webhook %+v", hook.Node)
	}

	m := sub.Next(5 * time.Second)
	var ev struct {
		WebhookEvents struct {
			Kind    string
			At      time.Time
			Webhook struct{ ID, Status string }
		}
	}
	var p struct{ Data json.RawMessage }
	if err := json.Unmarshal(m.Payload, &p); err != nil || json.Unmarshal(p.Data, &ev) != nil ||
		ev.WebhookEvents.Kind != "DISABLED" || ev.WebhookEvents.Webhook.ID != id || ev.WebhookEvents.Webhook.Status != "DISABLED" {
		t.Fatalf("webhookEvents sent %s %s", m.Type, m.Payload)
	}
	// The notice is dated by the worker's clock, as the disabling is.
	if at := ev.WebhookEvents.At; at.After(w.Clock.Now()) || at.Before(w.Clock.Now().Add(-10*time.Second)) {
		t.Fatalf("the notice is dated %s; the worker's clock says %s", at, w.Clock.Now())
	}
	if m, err := stranger.Read(200 * time.Millisecond); err == nil {
		t.Fatalf("another organisation heard of the webhook: %s", m.Payload)
	}

	w.DeliverOutbox(smtp)
	mails := smtp.To(w.partnerAdmin.Email)
	if len(mails) != 1 || !strings.Contains(mails[0].Subject, "disabled") || !strings.Contains(mails[0].Text, r.URL) {
		t.Fatalf("the owner's admin got %+v", mails)
	}
	if got := smtp.To(w.acmeAdmin.Email); len(got) != 0 {
		t.Fatalf("another organisation was mailed: %+v", got)
	}

	// Resuming forgets the failures, and the delivery goes out.
	r.status.Store(http.StatusOK)
	w.Query(w.tokens[w.partnerAdmin], `mutation($id: ID!) { updateWebhook(input: {id: $id, paused: false}) { webhook { status } } }`,
		map[string]any{"id": id}).Decode(t, &struct{}{})
	work(t, wk)
	if n := len(r.received()); n != 4 {
		t.Fatalf("after resuming: %d attempts", n)
	}
}

func TestTargetsThatAreNotPublicAreRefused(t *testing.T) {
	w := newWorld(t) // the API refuses private targets, as deployed
	for _, url := range []string{
		"http://127.0.0.1:8080/hook", "http://10.1.2.3/hook", "http://169.254.169.254/latest/meta-data",
		"http://[::1]/hook", "http://[::ffff:127.0.0.1]/hook", "http://192.168.1.1/", "http://[fe80::1]/", "http://0.0.0.0/",
		"ftp://example.com/hook", "http://user:pw@127.0.0.1/", "not a url",
	} {
		res := w.Query(w.tokens[w.partnerAdmin], `mutation($in: CreateWebhookInput!) { createWebhook(input: $in) { webhook { id } } }`,
			map[string]any{"in": map[string]any{"url": url, "events": []string{"CASE_COMMENTED"}}})
		if res.Code() != "BAD_USER_INPUT" {
			t.Errorf("%s: got %s %+v", url, res.Code(), res.Errors)
		}
	}
	if n := w.Client.Webhook.Query().CountX(w.System()); n != 0 {
		t.Fatalf("%d webhooks were saved", n)
	}

	// A target saved where private addresses were allowed is refused at
	// connect time by a worker that does not allow them: what a name
	// resolves to when it is dialled decides (DNS rebinding gains nothing).
	e2 := testkit.New(t, testkit.Beside(w.Env), allowLoopback)
	r := newReceiver(t)
	var out struct {
		CreateWebhook struct{ Webhook struct{ ID string } }
	}
	e2.Query(w.tokens[w.partnerAdmin], `mutation($in: CreateWebhookInput!) { createWebhook(input: $in) { webhook { id } } }`,
		map[string]any{"in": map[string]any{"url": strings.Replace(r.URL, "127.0.0.1", "localhost", 1), "events": []string{"CASE_COMMENTED"}}}).Decode(t, &out)
	w.comment(t)
	wk := w.worker()
	wk.Targets.AllowPrivate = false
	work(t, wk)
	if n := len(r.received()); n != 0 {
		t.Fatalf("the worker reached a loopback receiver %d times", n)
	}
	if log := w.deliveries(t, out.CreateWebhook.Webhook.ID); len(log) != 1 || log[0].Error == nil || !strings.Contains(*log[0].Error, "not public") {
		t.Fatalf("log %+v", log)
	}
}

func TestOnlyTheOrganisationsAdminsManageItsWebhooks(t *testing.T) {
	w := newWorld(t, allowLoopback)
	r := newReceiver(t)
	id, _ := w.create(t, r.URL, "CASE_COMMENTED")
	helpdesk := w.Contact(w.partner, "Daniel", access.RoleHelpDesk)
	tok := w.Token(helpdesk)
	if res := w.Query(tok, `mutation { createWebhook(input: {url: "http://127.0.0.1/", events: [CASE_CREATED]}) { webhook { id } } }`, nil); res.Code() != "FORBIDDEN" {
		t.Fatalf("a help-desk contact created a webhook: %s", res.Code())
	}
	if res := w.Query(w.tokens[w.acmeAdmin], `mutation($id: ID!) { deleteWebhook(input: {id: $id}) { deletedWebhookID } }`, map[string]any{"id": id}); res.Code() != "NOT_FOUND" {
		t.Fatalf("another organisation's admin deleted the webhook: %s", res.Code())
	}
	var list struct {
		Viewer struct{ Webhooks struct{ TotalCount int } }
	}
	w.Query(tok, `{ viewer { webhooks(first: 10) { totalCount } } }`, nil).Decode(t, &list)
	if list.Viewer.Webhooks.TotalCount != 0 {
		t.Fatal("a help-desk contact read its organisation's webhooks")
	}
	w.Query(w.tokens[w.partnerAdmin], `{ viewer { webhooks(first: 10) { totalCount } } }`, nil).Decode(t, &list)
	if list.Viewer.Webhooks.TotalCount != 1 {
		t.Fatal("the admin does not see its webhook")
	}
	w.Query(w.tokens[w.partnerAdmin], `mutation($id: ID!) { deleteWebhook(input: {id: $id}) { deletedWebhookID } }`, map[string]any{"id": id}).Decode(t, &struct{}{})
}

func TestTwoInstancesSendEachDeliveryOnce(t *testing.T) {
	w := newWorld(t, allowLoopback)
	other := testkit.New(t, testkit.Beside(w.Env))
	r := newReceiver(t)
	w.create(t, r.URL, "CASE_COMMENTED")
	const events = 6
	for range events {
		w.comment(t)
	}
	workers := []*webhooks.Worker{w.worker(), {Client: other.Client, Clock: w.Clock, Targets: webhooks.Targets{AllowPrivate: true}}}
	var wg sync.WaitGroup
	for range 3 {
		for _, wk := range workers {
			wg.Go(func() {
				if err := wk.Work(context.Background()); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	seen := map[string]int{}
	for _, d := range r.received() {
		seen[d.header.Get(webhooks.DeliveryHeader)]++
	}
	if len(seen) != events || len(r.received()) != events {
		t.Fatalf("%d requests for %d deliveries; want %d each once", len(r.received()), len(seen), events)
	}
}

func TestARestartNeverSendsASucceededDeliveryAgain(t *testing.T) {
	w := newWorld(t, allowLoopback)
	release := make(chan struct{})
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		if hits.Add(1) == 1 {
			<-release // the first attempt hangs until its worker has stopped
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	id, _ := w.create(t, srv.URL, "CASE_COMMENTED")
	w.comment(t)

	// The first process stops mid-attempt: nothing is recorded, the claim stays.
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.worker().Work(ctx) }()
	for hits.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	stop()
	<-done
	if log := w.deliveries(t, id); len(log) != 1 || log[0].Status != "SENDING" {
		t.Fatalf("after the crash: %+v", log)
	}
	// The restarted process waits for the lease, then sends it once.
	restarted := testkit.New(t, testkit.Beside(w.Env))
	wk := &webhooks.Worker{Client: restarted.Client, Clock: w.Clock, Targets: webhooks.Targets{AllowPrivate: true}}
	work(t, wk)
	if n := hits.Load(); n != 1 {
		t.Fatalf("sent again within the lease: %d", n)
	}
	w.Clock.Advance(webhooks.Lease)
	work(t, wk)
	if n := hits.Load(); n != 2 {
		t.Fatalf("after the lease: %d", n)
	}
	// And never again after its success, whoever works.
	for _, again := range []*webhooks.Worker{wk, w.worker()} {
		w.Clock.Advance(time.Hour)
		work(t, again)
	}
	if n := hits.Load(); n != 2 {
		t.Fatalf("a succeeded delivery was sent again: %d", n)
	}
	log := w.deliveries(t, id)
	if log[0].Status != "SUCCEEDED" || log[0].Attempts != 2 {
		t.Fatalf("log %+v", log)
	}
	// The stopped attempt recorded nothing, so its log has the second alone.
	if a := w.attemptLog(t, w.tokens[w.partnerAdmin], log[0].ID); len(a) != 1 || a[0].Number != 2 || a[0].Outcome != "SUCCEEDED" {
		t.Fatalf("attempt log %+v", a)
	}
}

// A sender whose lease lapsed while its endpoint was slow, and whose
// delivery another worker sent since, logs no attempt when its answer
// finally comes.
func TestAStaleSenderLogsNoAttempt(t *testing.T) {
	w := newWorld(t, allowLoopback)
	arrived, release := make(chan struct{}), make(chan struct{})
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		if hits.Add(1) == 1 {
			arrived <- struct{}{}
			<-release // answers 200 once another worker has sent it
		}
	}))
	t.Cleanup(srv.Close)
	id, _ := w.create(t, srv.URL, "CASE_COMMENTED")
	w.comment(t)
	done := make(chan error)
	go func() { done <- w.worker().Work(context.Background()) }()
	<-arrived
	w.Clock.Advance(webhooks.Lease)
	work(t, w.worker())
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	log := w.deliveries(t, id)
	if len(log) != 1 || log[0].Status != "SUCCEEDED" || log[0].Attempts != 2 || hits.Load() != 2 {
		t.Fatalf("log %+v after %d requests", log, hits.Load())
	}
	if a := w.attemptLog(t, w.tokens[w.partnerAdmin], log[0].ID); len(a) != 1 || a[0].Number != 2 || a[0].Outcome != "SUCCEEDED" {
		t.Fatalf("attempt log %+v", a)
	}
}

// The write path never reads the webhooks: a comment costs the same
// statements with 100 of them registered as with none, and none of them
// touches a webhook table (the worker reads the history after the commit).
func TestTheWritePathDoesNotDependOnWebhooks(t *testing.T) {
	var mu sync.Mutex
	var touched []string
	watching := false
	w := newWorld(t, allowLoopback, testkit.WatchStatements(func(q string) {
		mu.Lock()
		defer mu.Unlock()
		if watching && strings.Contains(q, "webhook") {
			touched = append(touched, q)
		}
	}))
	cost := func() int64 {
		mu.Lock()
		watching = true
		mu.Unlock()
		before := w.Statements.Load()
		w.comment(t)
		mu.Lock()
		watching = false
		mu.Unlock()
		return w.Statements.Load() - before
	}
	w.comment(t) // warm the token's session
	none := cost()
	for range 100 {
		w.create(t, "http://127.0.0.1:9/", "CASE_COMMENTED")
	}
	if many := cost(); many != none || len(touched) > 0 {
		t.Fatalf("a comment took %d statements with 100 webhooks, %d with none; of webhooks: %q", many, none, touched)
	}
}

// A customer's webhook receives its own cases' public events; an INTERNAL
// comment, the vendor's staff's alone, is never sent to it.
func TestACustomersWebhookGetsItsOwnPublicEvents(t *testing.T) {
	w := newWorld(t, allowLoopback)
	r := newReceiver(t)
	var out struct {
		CreateWebhook struct{ Webhook struct{ ID string } }
	}
	w.Query(w.tokens[w.acmeAdmin], `mutation($in: CreateWebhookInput!) { createWebhook(input: $in) { webhook { id } } }`,
		map[string]any{"in": map[string]any{"url": r.URL, "events": []string{"CASE_COMMENTED"}}}).Decode(t, &out)
	vendor := w.Org(access.Vendor, "Northwind")
	agent := w.Token(w.Contact(vendor, "Nora", access.RoleAgent))
	w.Query(agent, `mutation($id: ID!) { addCaseComment(input: {caseID: $id, body: "internal note", visibility: INTERNAL}) { comment { id } } }`,
		map[string]any{"id": w.kase.ID}).Decode(t, &struct{}{})
	w.comment(t)
	work(t, w.worker())
	got := r.received()
	if len(got) != 1 || !strings.Contains(string(got[0].body), `"kind":"COMMENTED"`) {
		t.Fatalf("receiver got %d requests", len(got))
	}
	// The vendor's staff help: they may pause a customer's webhook.
	var paused struct {
		UpdateWebhook struct{ Webhook struct{ Status string } }
	}
	w.Query(agent, `mutation($id: ID!) { updateWebhook(input: {id: $id, paused: true}) { webhook { status } } }`,
		map[string]any{"id": out.CreateWebhook.Webhook.ID}).Decode(t, &paused)
	if paused.UpdateWebhook.Webhook.Status != "PAUSED" {
		t.Fatalf("status %q", paused.UpdateWebhook.Webhook.Status)
	}
	w.comment(t)
	work(t, w.worker())
	if n := len(r.received()); n != 1 {
		t.Fatalf("a paused webhook was sent %d requests", n)
	}
}
