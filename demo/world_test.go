package demo_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/demo"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/caseevent"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
	"github.com/partnerdesk/partnerdesk/ids"
	"github.com/partnerdesk/partnerdesk/operator"
)

// TestTheWorldHoldsWhatTheREADMEPromises checks the world the README and
// SPEC §7 describe: a vendor, two partners (one with two domains), four
// customers on both plans, grants of every level and status, cases in
// every status and severity with comments of both visibilities, devices
// (one third-party) and numbers, and a suspended contact who gets no token.
func TestTheWorldHoldsWhatTheREADMEPromises(t *testing.T) {
	w := loadWorld(t)
	sys := w.System()

	kinds, plans := map[access.OrgKind]int{}, map[string]bool{}
	for _, o := range w.Client.Organization.Query().AllX(sys) {
		kinds[o.Kind]++
		if o.Kind == access.Partner && len(o.Domains) > 1 {
			kinds["PARTNER WITH DOMAINS"]++
		}
		if o.SupportPlan != nil {
			plans[string(*o.SupportPlan)] = true
		}
	}
	if want := map[access.OrgKind]int{access.Vendor: 1, access.Partner: 2, "PARTNER WITH DOMAINS": 1, access.Customer: 4}; !maps.Equal(kinds, want) {
		t.Errorf("organisations %v, want %v", kinds, want)
	}
	if len(plans) != 2 {
		t.Errorf("support plans %v, want both", plans)
	}

	levels, statuses := map[access.Level]bool{}, map[grant.Status]bool{}
	for _, g := range w.Client.Grant.Query().AllX(sys) {
		levels[g.Level], statuses[g.Status] = true, true
	}
	for _, l := range access.Levels() {
		if !levels[l] {
			t.Errorf("no grant of level %s", l)
		}
	}
	for _, s := range []grant.Status{grant.StatusPENDING, grant.StatusACTIVE, grant.StatusREJECTED,
		grant.StatusREVOKED, grant.StatusEXPIRED, grant.StatusSUPERSEDED} {
		if !statuses[s] {
			t.Errorf("no grant %s", s)
		}
	}

	caseStatuses, severities := map[supportcase.Status]bool{}, map[supportcase.Severity]bool{}
	for _, c := range w.Client.SupportCase.Query().AllX(sys) {
		caseStatuses[c.Status], severities[c.Severity] = true, true
	}
	for _, s := range []supportcase.Status{supportcase.StatusNEW, supportcase.StatusIN_PROGRESS,
		supportcase.StatusWAITING_ON_CUSTOMER, supportcase.StatusCLOSED} {
		if !caseStatuses[s] {
			t.Errorf("no case %s", s)
		}
	}
	for _, s := range []supportcase.Severity{supportcase.SeverityS1, supportcase.SeverityS2,
		supportcase.SeverityS3, supportcase.SeverityS4} {
		if !severities[s] {
			t.Errorf("no case of severity %s", s)
		}
	}
	visibilities := map[string]bool{}
	for _, cm := range w.Client.CaseComment.Query().AllX(sys) {
		visibilities[string(cm.Visibility)] = true
	}
	if len(visibilities) != 2 {
		t.Errorf("comments %v, want PUBLIC and INTERNAL ones", visibilities)
	}
	devices := w.Client.Device.Query().AllX(sys)
	if len(devices) == 0 || !slices.ContainsFunc(devices, func(d *ent.Device) bool { return d.ThirdParty }) {
		t.Errorf("%d devices, none third-party", len(devices))
	}
	if w.Client.PhoneNumber.Query().CountX(sys) == 0 {
		t.Error("no numbers")
	}

	if n := len(demo.Personas()); n != 14 {
		t.Errorf("%d personas get a token, want 14", n)
	}
	if _, err := operator.CreateToken(context.Background(), w.Client, "tom.becker@contoso.example", 0, w.Clock.Now()); err == nil {
		t.Error("the suspended contact got a token")
	}

	before := w.Client.Organization.Query().CountX(sys)
	if _, err := demo.Load(context.Background(), w.Client, w.Clock.Now()); err == nil {
		t.Error("a second Load succeeded")
	}
	if n := w.Client.Organization.Query().CountX(sys); n != before {
		t.Errorf("a second Load left %d organisations, want %d", n, before)
	}
}

// TestTheDemoHistoryIsWhatTheWorkflowsWrite holds every event of the demo
// world to the shape of the event of the same kind that the API writes: the
// same changed fields, with values of the same form (a contact's ID, an
// enum value, text). The demo once stored an email where the workflow
// stores a contact ID, and CREATED events of its own making.
func TestTheDemoHistoryIsWhatTheWorkflowsWrite(t *testing.T) {
	w := loadWorld(t)
	sys := w.System()
	demoEvents := w.Client.CaseEvent.Query().AllX(sys)

	// Through the API: one case that takes every kind of change the demo
	// makes.
	designated, agent := w.tokens["acme-designated"], w.tokens["vendor-agent"]
	var filed struct {
		CreateCase struct{ Case struct{ ID string } }
	}
	w.Query(designated, `mutation($c: ID!) { createCase(input: {customerID: $c, title: "Fax line dead", severity: S3}) { case { id } } }`,
		map[string]any{"c": w.orgID(t, "Acme Corporation")}).Decode(t, &filed)
	id := filed.CreateCase.Case.ID
	cc := w.viewer(t, w.tokens["contoso-cc"]).Contact.ID
	steps := []struct {
		token, mutation string
		vars            map[string]any
	}{
		{designated, `mutation($id: ID!, $cc: ID!) { addCaseCollaborator(input: {caseID: $id, contactID: $cc}) { case { id } } }`, map[string]any{"cc": cc}},
		{designated, `mutation($id: ID!) { shareCase(input: {caseID: $id, emails: ["fax@acme.example"]}) { case { id } } }`, nil},
		{designated, `mutation($id: ID!) { updateCase(input: {id: $id, severity: S2}) { case { id } } }`, nil},
		{designated, `mutation($id: ID!) { escalateCase(input: {id: $id, reason: "No faxes for three hours."}) { case { id } } }`, nil},
		{agent, `mutation($id: ID!) { addCaseComment(input: {caseID: $id, body: "Looking."}) { comment { id } } }`, nil},
		{agent, `mutation($id: ID!) { addCaseComment(input: {caseID: $id, body: "ATA offline.", visibility: INTERNAL}) { comment { id } } }`, nil},
		{agent, `mutation($id: ID!) { updateCase(input: {id: $id, status: IN_PROGRESS}) { case { id } } }`, nil},
		{agent, `mutation($id: ID!) { closeCase(input: {id: $id}) { case { id } } }`, nil},
		{designated, `mutation($id: ID!) { reopenCase(input: {id: $id}) { case { id } } }`, nil},
	}
	for i, s := range steps {
		vars := map[string]any{"id": id}
		for k, v := range s.vars {
			vars[k] = v
		}
		if i == 3 {
			w.Clock.Advance(3 * time.Hour) // past the S2 target: escalation opens
		}
		w.Query(s.token, s.mutation, vars).Decode(t, &struct{}{})
	}
	apiEvents := w.Client.CaseEvent.Query().Where(caseevent.CaseID(id)).AllX(sys)

	written := map[caseevent.Kind][]string{}
	for _, e := range apiEvents {
		written[e.Kind] = append(written[e.Kind], shape(e))
	}
	for _, e := range demoEvents {
		shapes, ok := written[e.Kind]
		if !ok {
			t.Errorf("the demo writes a %s event; make the API write one here to compare it with", e.Kind)
			continue
		}
		if s := shape(e); !slices.Contains(shapes, s) {
			t.Errorf("the demo's %s event is %s; the workflow writes %v", e.Kind, s, shapes)
		}
	}
}

var enumValue = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// shape is an event as its kind and form: what changed, with each value
// reduced to its form.
func shape(e *ent.CaseEvent) string {
	form := func(v *string) string {
		switch {
		case v == nil:
			return "-"
		case enumValue.MatchString(*v):
			return "ENUM"
		case *v == "true" || *v == "false":
			return "bool"
		}
		if prefix, ok := ids.Prefix(*v); ok {
			return "id:" + prefix
		}
		return "text"
	}
	out := fmt.Sprintf("%s %s comment:%t actor:%t", e.Kind, e.Visibility, e.CommentID != nil, e.ActorID != nil)
	for _, ch := range e.Changes {
		out += fmt.Sprintf(" %s(%s→%s)", ch.Field, form(ch.Before), form(ch.After))
	}
	return out
}

// TestTheDemoWritesNoHistoryOfItsOwn keeps the demo from writing what a
// workflow writes: cases, their comments and events, and grants come only
// from the workflows it calls.
func TestTheDemoWritesNoHistoryOfItsOwn(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	written := regexp.MustCompile(`\.(SupportCase|CaseComment|CaseEvent|Grant|Attachment)\.(Create|Update|Delete)`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range written.FindAllString(string(src), -1) {
			t.Errorf("%s writes %s itself; call the workflow instead", f, m)
		}
	}
}

// TestTheWorldIsDatedByItsClock checks that what the directory workflows
// create is dated when the scenario's clock says, not when the wall clock
// ran the scenario: Acme joined 420 days before now, its admin hours later.
func TestTheWorldIsDatedByItsClock(t *testing.T) {
	w := loadWorld(t)
	var got struct {
		Organizations struct {
			Nodes []struct {
				Name      string
				CreatedAt time.Time
				Contacts  struct {
					Nodes []struct {
						Email     string
						CreatedAt time.Time
					}
				}
			}
		}
	}
	w.Query(w.tokens["vendor-agent"], `{ organizations(first: 20, where: {name: "Acme Corporation"}) { nodes { name createdAt
		contacts(first: 20) { nodes { email createdAt } } } } }`, nil).Decode(t, &got)
	if len(got.Organizations.Nodes) != 1 {
		t.Fatalf("found %+v", got)
	}
	acme, now := got.Organizations.Nodes[0], w.Clock.Now()
	if want := now.Add(-420 * day); !acme.CreatedAt.Equal(want) {
		t.Errorf("Acme joined %v, want %v", acme.CreatedAt, want)
	}
	for _, c := range acme.Contacts.Nodes {
		if c.CreatedAt.Before(acme.CreatedAt) || !c.CreatedAt.Before(now) {
			t.Errorf("%s joined %v: outside Acme's %v to now %v", c.Email, c.CreatedAt, acme.CreatedAt, now)
		}
	}
}
