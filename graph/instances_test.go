package graph_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/grants"
	"github.com/partnerdesk/partnerdesk/internal/pgtest"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// TestTwoInstancesServeOnePortal runs two servers on one PostgreSQL
// database and one attachment store, as behind a load balancer: what is
// written through either reaches the streams held by the other, and work
// both schedule is done once.
func TestTwoInstancesServeOnePortal(t *testing.T) {
	if !pgtest.Requested() {
		t.Skip("two instances share a PostgreSQL database: run with PARTNERDESK_TEST_DB=postgres (.ci/run does)")
	}
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
		w.Client.Grant.UpdateOne(g).SetExpiresAt(now.Add(5 * 24 * time.Hour)).ExecX(w.System())
		var wg sync.WaitGroup
		sent := make([]int, 2)
		for i, e := range []*testkit.Env{w.Env, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := grants.WarnExpiring(e.System(), e.Client, e.Broker, nil, now)
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
