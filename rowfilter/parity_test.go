package rowfilter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/auth"
	"github.com/partnerdesk/partnerdesk/demo"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/bulkjob"
	"github.com/partnerdesk/partnerdesk/ent/bulkjobresult"
	"github.com/partnerdesk/partnerdesk/ent/casecomment"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/schema/jsontype"
	"github.com/partnerdesk/partnerdesk/ent/webhookattempt"
	"github.com/partnerdesk/partnerdesk/testkit"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// TestTheSQLAndTheInMemoryRulesAgree renders the read policy both ways on
// the demo world (a vendor, two partners, four customers, grants of every
// level and status, two partner eras on one customer, collaborators,
// internal comments), plus attachments, audit entries, bulk jobs, webhooks
// with their logs and tokens: for every contact of the world as the caller
// and every row of every entity, a row is in what the row filter lets a
// query read exactly when Allows says the caller may read it.
func TestTheSQLAndTheInMemoryRulesAgree(t *testing.T) {
	e := testkit.New(t)
	ctx := context.Background()
	if _, err := demo.Load(ctx, e.Client, e.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	addTheRest(t, e)
	contacts := e.Client.Contact.Query().AllX(e.System())
	tokens := map[string]string{}
	for _, c := range contacts {
		tokens[c.ID] = e.Token(c)
	}
	world := loadWorld(t, e)
	authn := &auth.Authenticator{Client: e.Client, Clock: e.Clock}

	checks, seen := 0, map[access.Entity]int{}
	for _, c := range contacts {
		// Every contact signs in; an inactive one has a session that
		// reads nothing (it cannot sign in over HTTP at all).
		s := access.NewSession(access.Caller{ContactID: c.ID, OrgID: c.OrganizationID}, e.Clock.Now(), access.Partnership{})
		if c.Status == contact.StatusACTIVE {
			var err error
			if s, err = authn.Authenticate(ctx, "Bearer "+tokens[c.ID]); err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
		}
		callerCtx := viewer.NewContext(ctx, s)
		for entity, rows := range world.rows {
			sql := map[string]bool{}
			for _, id := range idsOf(t, e.Client, callerCtx, entity) {
				sql[id] = true
			}
			for id, row := range rows {
				checks++
				if got := s.Allows(entity, row, world); got != sql[id] {
					t.Errorf("%s (%s) on %s %s: Allows=%v, the row filter lets it through=%v", c.Name, c.Email, entity, id, got, sql[id])
				}
				if got := s.Allows(entity, row, world); got {
					seen[entity]++
				}
			}
		}
	}
	t.Logf("%d comparisons over %d callers and %d entities; rows read: %v", checks, len(contacts), len(world.rows), seen)
	for _, entity := range []access.Entity{access.Organizations, access.Contacts, access.Cases, access.CaseComments, access.CaseEvents,
		access.Attachments, access.Grants, access.AuditEntries, access.AccessTokens, access.Devices, access.PhoneNumbers,
		access.BulkJobs, access.BulkJobResults, access.ElevationRules, access.Webhooks, access.WebhookDeliveries, access.WebhookAttempts} {
		if seen[entity] == 0 || seen[entity] == len(world.rows[entity])*len(contacts) {
			t.Errorf("%s: %d reads allowed: the world does not tell the rules apart", entity, seen[entity])
		}
	}
}

// addTheRest adds what the demo world has none of: attachments, audit
// entries of each kind of actor, a bulk job of each contact with a
// result, a webhook of each contact's organisation with a delivery and an
// attempt, and tokens.
func addTheRest(t *testing.T, e *testkit.Env) {
	sys := e.System()
	for _, k := range e.Client.SupportCase.Query().Limit(6).AllX(sys) {
		e.Client.Attachment.Create().SetCaseID(k.ID).SetCustomerID(k.CustomerID).SetUploadedByID(k.CreatedByID).
			SetName("log.txt").SetContentType("text/plain").SetSize(3).SetSha256(strings.Repeat("a", 64)).SetCreatedAt(e.Clock.Now()).ExecX(sys)
	}
	for _, c := range e.Client.Contact.Query().WithOrganization().AllX(sys) {
		j := e.Client.BulkJob.Create().SetKind(bulkjob.KindCLOSE_CASES).SetCreatedByID(c.ID).SetOrganizationID(c.OrganizationID).
			SetTokenID("tok").SetItems([]json.RawMessage{[]byte(`{}`)}).SetTotal(1).SaveX(sys)
		e.Client.BulkJobResult.Create().SetJobID(j.ID).SetIndex(0).SetOutcome(bulkjobresult.OutcomeOK).ExecX(sys)
		h := e.Client.Webhook.Create().SetOrganizationID(c.OrganizationID).SetCreatedByID(c.ID).SetURL("https://hooks.example/").
			SetEvents([]jsontype.WebhookEvent{"CASE_CREATED"}).SetSecret("s").SaveX(sys)
		d := e.Client.WebhookDelivery.Create().SetWebhookID(h.ID).SetEventID("evt").SetEventType("CASE_CREATED").SetSeq(1).SaveX(sys)
		e.Client.WebhookAttempt.Create().SetDeliveryID(d.ID).SetWebhookID(h.ID).SetNumber(1).SetOutcome(webhookattempt.OutcomeSKIPPED).ExecX(sys)
		for _, customer := range e.Client.Organization.Query().Limit(2).AllX(sys) {
			q := e.Client.AuditEntry.Create().SetActorID(c.ID).SetActorOrganizationID(c.OrganizationID).
				SetOperation("updateCase").SetCreatedAt(e.Clock.Now())
			if customer.Kind == access.Customer {
				q.SetCustomerID(customer.ID)
			}
			q.ExecX(sys)
		}
	}
}

// world is every row of every entity, as the in-memory rules read them.
type world struct {
	rows map[access.Entity]map[string]access.Row
	// referencing indexes rows by entity, column and value.
	referencing map[string][]access.Row
	collab      map[string][]string // case → contacts
	casesOf     map[string][]access.Row
}

func loadWorld(t *testing.T, e *testkit.Env) *world {
	sys := e.System()
	w := &world{rows: map[access.Entity]map[string]access.Row{}, referencing: map[string][]access.Row{},
		collab: map[string][]string{}, casesOf: map[string][]access.Row{}}
	add := func(entity access.Entity, all any) {
		v := reflect.ValueOf(all)
		w.rows[entity] = map[string]access.Row{}
		for i := range v.Len() {
			r := rowOf(v.Index(i).Elem())
			w.rows[entity][r.Value("id")] = r
		}
	}
	c := e.Client
	add(access.Organizations, c.Organization.Query().AllX(sys))
	add(access.Contacts, c.Contact.Query().AllX(sys))
	add(access.Devices, c.Device.Query().AllX(sys))
	add(access.PhoneNumbers, c.PhoneNumber.Query().AllX(sys))
	add(access.Cases, c.SupportCase.Query().AllX(sys))
	add(access.CaseComments, c.CaseComment.Query().AllX(sys))
	add(access.CaseEvents, c.CaseEvent.Query().AllX(sys))
	add(access.Attachments, c.Attachment.Query().AllX(sys))
	add(access.Grants, c.Grant.Query().AllX(sys))
	add(access.AuditEntries, c.AuditEntry.Query().AllX(sys))
	add(access.AccessTokens, c.AccessToken.Query().AllX(sys))
	add(access.BulkJobs, c.BulkJob.Query().AllX(sys))
	add(access.BulkJobResults, c.BulkJobResult.Query().AllX(sys))
	add(access.ElevationRules, c.ElevationRule.Query().AllX(sys))
	add(access.Webhooks, c.Webhook.Query().AllX(sys))
	add(access.WebhookDeliveries, c.WebhookDelivery.Query().AllX(sys))
	add(access.WebhookAttempts, c.WebhookAttempt.Query().AllX(sys))
	for entity, rows := range w.rows {
		for _, r := range rows {
			for col, v := range r.(fields) {
				if s, ok := v.(string); ok && s != "" {
					k := key(entity, col, s)
					w.referencing[k] = append(w.referencing[k], r)
				}
			}
		}
	}
	for _, k := range c.SupportCase.Query().WithCollaborators().AllX(sys) {
		for _, p := range k.Edges.Collaborators {
			w.collab[k.ID] = append(w.collab[k.ID], p.ID)
			w.casesOf[p.ID] = append(w.casesOf[p.ID], w.rows[access.Cases][k.ID])
		}
	}
	if n := c.CaseComment.Query().Where(casecomment.VisibilityEQ(casecomment.VisibilityINTERNAL)).CountX(sys); n == 0 {
		t.Fatal("the world has no INTERNAL comment")
	}
	return w
}

func key(e access.Entity, col, v string) string { return fmt.Sprintf("%s\x00%s\x00%s", e, col, v) }

func (w *world) Get(e access.Entity, id string) (access.Row, bool) {
	r, ok := w.rows[e][id]
	return r, ok
}

func (w *world) Referencing(e access.Entity, col, id string) []access.Row {
	return w.referencing[key(e, col, id)]
}

func (w *world) Collaborates(caseID, contactID string) bool {
	return slices.Contains(w.collab[caseID], contactID)
}

func (w *world) CasesOf(contactID string) []access.Row { return w.casesOf[contactID] }

// fields is a row read from an ent entity: its columns by their names (the
// entity's json tags), strings as strings, times as times.
type fields access.Values

func (f fields) Value(col string) string   { return access.Values(f).Value(col) }
func (f fields) Time(col string) time.Time { return access.Values(f).Time(col) }

func rowOf(v reflect.Value) fields {
	out := fields{}
	for i := range v.NumField() {
		tag := strings.Split(v.Type().Field(i).Tag.Get("json"), ",")[0]
		if tag == "" || tag == "-" || tag == "edges" {
			continue
		}
		f := reflect.Indirect(v.Field(i))
		switch {
		case !f.IsValid():
		case f.Type() == reflect.TypeOf(time.Time{}):
			out[tag] = f.Interface()
		case f.Kind() == reflect.String:
			out[tag] = f.String()
		}
	}
	return out
}

// idsOf reads the IDs of every row of entity the caller's query gets.
func idsOf(t *testing.T, c *ent.Client, ctx context.Context, entity access.Entity) []string {
	var ids []string
	var err error
	switch entity {
	case access.Organizations:
		ids, err = c.Organization.Query().IDs(ctx)
	case access.Contacts:
		ids, err = c.Contact.Query().IDs(ctx)
	case access.Devices:
		ids, err = c.Device.Query().IDs(ctx)
	case access.PhoneNumbers:
		ids, err = c.PhoneNumber.Query().IDs(ctx)
	case access.Cases:
		ids, err = c.SupportCase.Query().IDs(ctx)
	case access.CaseComments:
		ids, err = c.CaseComment.Query().IDs(ctx)
	case access.CaseEvents:
		ids, err = c.CaseEvent.Query().IDs(ctx)
	case access.Attachments:
		ids, err = c.Attachment.Query().IDs(ctx)
	case access.Grants:
		ids, err = c.Grant.Query().IDs(ctx)
	case access.AuditEntries:
		ids, err = c.AuditEntry.Query().IDs(ctx)
	case access.AccessTokens:
		ids, err = c.AccessToken.Query().IDs(ctx)
	case access.BulkJobs:
		ids, err = c.BulkJob.Query().IDs(ctx)
	case access.BulkJobResults:
		ids, err = c.BulkJobResult.Query().IDs(ctx)
	case access.ElevationRules:
		ids, err = c.ElevationRule.Query().IDs(ctx)
	case access.Webhooks:
		ids, err = c.Webhook.Query().IDs(ctx)
	case access.WebhookDeliveries:
		ids, err = c.WebhookDelivery.Query().IDs(ctx)
	case access.WebhookAttempts:
		ids, err = c.WebhookAttempt.Query().IDs(ctx)
	default:
		t.Fatalf("no query for %s", entity)
	}
	if err != nil {
		t.Fatalf("%s: %v", entity, err)
	}
	return ids
}
