package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/grants"
	"github.com/partnerdesk/partnerdesk/httpapi"
	"github.com/partnerdesk/partnerdesk/internal/pgtest"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// TestTwoInstancesServeOnePortal runs two servers on one PostgreSQL
// database and one attachment store, as behind a load balancer: what is
// written through either reaches the streams held by the other, and work
// both schedule is done once.
func TestTwoInstancesServeOnePortal(t *testing.T) {
	pgtest.Only(t, "two instances sharing a database")
	w := newCaseWorld(t) // instance A
	b := testkit.New(t, testkit.Beside(w.Env))
	c := w.create(t, w.member, w.acme, "S3")
	partner := w.Dial(t, w.tokens[w.partner])
	partner.Subscribe("1", caseEventsSub, map[string]any{"c": w.acme.ID})
	time.Sleep(100 * time.Millisecond) // let the subscription reach A's hub

	t.Run("an event written on B reaches a stream on A", func(t *testing.T) {
		comment := `mutation($in: AddCaseCommentInput!) { addCaseComment(input: $in) { comment { id } } }`
		b.Query(w.tokens[w.member], comment, map[string]any{"in": map[string]any{"caseID": c.ID, "body": "written on B"}}).Decode(t, &struct{}{})
		if ev := nextEvent(t, partner); ev.CaseEvents.Kind != "COMMENTED" || ev.CaseEvents.CaseID.ID != c.ID {
			t.Fatalf("A's stream received %+v", ev)
		}
	})

	t.Run("an attachment uploaded on A downloads on B", func(t *testing.T) {
		content := []byte("uploaded on A")
		var got struct {
			AddCaseAttachment struct{ Attachment struct{ DownloadURL string } }
		}
		w.upload(t, w.partner, c.ID, "a.txt", content).Decode(t, &got)
		req, _ := http.NewRequest(http.MethodGet, b.Server.URL+got.AddCaseAttachment.Attachment.DownloadURL, nil)
		req.Header.Set("Authorization", "Bearer "+w.tokens[w.member])
		res, err := b.Server.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK || !bytes.Equal(body, content) {
			t.Fatalf("B serves %d %q", res.StatusCode, body)
		}
		// The upload's event crossed to A's stream too.
		if ev := nextEvent(t, partner); ev.CaseEvents.Kind != "ATTACHMENT_ADDED" {
			t.Fatalf("A's stream received %+v", ev)
		}
	})

	t.Run("each expiry warning is sent once", func(t *testing.T) {
		g := w.Client.Grant.Query().OnlyX(w.System())
		now := w.Clock.Now()
		// The one-day mark passed a minute ago, while the grant was active.
		w.Client.Grant.UpdateOne(g).SetExpiresAt(now.Add(24*time.Hour - time.Minute)).ExecX(w.System())
		var wg sync.WaitGroup
		sent := make([]int, 2)
		for i, e := range []*testkit.Env{w.Env, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := grants.WarnExpiring(e.System(), e.Client, now)
				if err != nil {
					t.Error(err)
				}
				sent[i] = n
			}()
		}
		wg.Wait()
		if sent[0]+sent[1] != 1 {
			t.Fatalf("the instances sent %v warnings", sent)
		}
	})

	t.Run("a revocation on B ends A's stream within a second", func(t *testing.T) {
		g := w.Client.Grant.Query().OnlyX(w.System())
		b.Query(w.tokens[w.admin], `mutation($id: ID!) { revokeGrant(input: {id: $id}) { grant { id } } }`, map[string]any{"id": g.ID}).Decode(t, &struct{}{})
		m := partner.Next(time.Second)
		if errs := m.Errors(); m.Type != "error" || len(errs) != 1 || errs[0].Extensions["code"] != "FORBIDDEN" {
			raw, _ := json.Marshal(m)
			t.Fatalf("want A's stream to end FORBIDDEN within a second, got %s", raw)
		}
	})
}

// BenchmarkCommentsThroughInstances measures addCaseComment throughput with
// eight concurrent clients on one PostgreSQL database: all through one
// instance, then spread over two, side by side in one run. It reports
// comments per second for each and their ratio.
func BenchmarkCommentsThroughInstances(b *testing.B) {
	pgtest.Only(b, "two instances sharing a database")
	noRate := testkit.WithConfig(func(c *httpapi.Config) { c.Rate = nil })
	a := testkit.New(b, noRate)
	other := testkit.New(b, testkit.Beside(a), noRate)
	acme := a.Org(access.Customer, "Acme")
	member := a.Contact(acme, "Max Member")
	token := a.Token(member)
	const clients = 8
	cases := make([]string, clients)
	for i := range cases {
		cases[i] = a.Case(acme, member, fmt.Sprint("case ", i)).ID
	}
	comment := `mutation($in: AddCaseCommentInput!) { addCaseComment(input: $in) { comment { id } } }`
	rate := func(envs ...*testkit.Env) float64 {
		var wg sync.WaitGroup
		start := time.Now()
		for i := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e := envs[i%len(envs)]
				for j := i; j < b.N; j += clients {
					body, _ := json.Marshal(map[string]any{"query": comment, "variables": map[string]any{"in": map[string]any{"caseID": cases[i], "body": "comment"}}})
					req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/graphql", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", "Bearer "+token)
					res, err := e.Server.Client().Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					raw, _ := io.ReadAll(res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusOK || bytes.Contains(raw, []byte(`"errors"`)) {
						b.Errorf("addCaseComment: %d %s", res.StatusCode, raw)
						return
					}
				}
			}()
		}
		wg.Wait()
		return float64(b.N) / time.Since(start).Seconds()
	}
	b.ResetTimer()
	one := rate(a)
	two := rate(a, other)
	b.ReportMetric(one, "one-instance-comments/s")
	b.ReportMetric(two, "two-instances-comments/s")
	b.ReportMetric(two/one, "x-one")
}
