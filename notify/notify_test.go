package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/outboxmessage"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// world is a customer with its people, a vendor with two agents, and a
// partner at LOOK on the customer, all with tokens, and an SMTP server
// that the outbox is delivered to.
type world struct {
	*testkit.Env
	smtp                               *testkit.SMTP
	acme, vendor, partner              *ent.Organization
	alice, bob, carol, mia, agent, vic *ent.Contact
	pat, penny                         *ent.Contact
	grant                              *ent.Grant
	tokens                             map[*ent.Contact]string
}

func newWorld(t *testing.T) *world {
	e := testkit.New(t)
	w := &world{Env: e, smtp: testkit.StartSMTP(t), tokens: map[*ent.Contact]string{}}
	w.acme = e.Org(access.Customer, "Acme")
	w.vendor = e.Org(access.Vendor, "Vendor")
	w.partner = e.Org(access.Partner, "Contoso")
	w.alice = e.Contact(w.acme, "Alice Filer")
	w.bob = e.Contact(w.acme, "Bob Helper")
	w.carol = e.Contact(w.acme, "Carol Quiet")
	w.mia = e.Contact(w.acme, "Mia Manager", access.RoleContactManager)
	w.agent = e.Contact(w.vendor, "Agent Smith", access.RoleAgent)
	w.vic = e.Contact(w.vendor, "Vic Agent", access.RoleAgent)
	w.pat = e.Contact(w.partner, "Pat Admin", access.RoleAdmin)
	w.penny = e.Contact(w.partner, "Penny Member")
	for _, c := range []*ent.Contact{w.alice, w.bob, w.carol, w.mia, w.agent, w.vic, w.pat, w.penny} {
		w.tokens[c] = e.Token(c)
	}
	w.grant = e.Grant(testkit.GrantSpec{Partner: w.partner, Customer: w.acme, Level: access.Look})
	// Cases are filed after the grant started: in the partner's era.
	e.Clock.Advance(time.Minute)
	return w
}

// do runs a query as c and fails the test on errors.
func (w *world) do(t *testing.T, c *ent.Contact, query string, vars map[string]any) testkit.Response {
	t.Helper()
	res := w.Query(w.tokens[c], query, vars)
	if len(res.Errors) > 0 {
		t.Fatalf("as %s: %s: %+v", c.Name, query, res.Errors)
	}
	return res
}

func (w *world) fileCase(t *testing.T, as *ent.Contact, in map[string]any) string {
	t.Helper()
	in["customerID"] = w.acme.ID
	if in["severity"] == nil {
		in["severity"] = "S3"
	}
	var got struct {
		CreateCase struct{ Case struct{ ID string } }
	}
	w.do(t, as, `mutation($in: CreateCaseInput!) { createCase(input: $in) { case { id } } }`, map[string]any{"in": in}).Decode(t, &got)
	return got.CreateCase.Case.ID
}

func (w *world) comment(t *testing.T, as *ent.Contact, caseID, body, visibility string) {
	t.Helper()
	w.do(t, as, `mutation($in: AddCaseCommentInput!) { addCaseComment(input: $in) { comment { id } } }`,
		map[string]any{"in": map[string]any{"caseID": caseID, "body": body, "visibility": visibility}})
}

func (w *world) subscribe(t *testing.T, as *ent.Contact) {
	t.Helper()
	w.do(t, as, `mutation($in: SubscribeToCasesInput!) { subscribeToCases(input: $in) { customer { id } } }`,
		map[string]any{"in": map[string]any{"customerID": w.acme.ID}})
}

func (w *world) prefer(t *testing.T, as *ent.Contact, pref string) {
	t.Helper()
	w.do(t, as, `mutation($in: UpdateViewerInput!) { updateViewer(input: $in) { contact { id } } }`,
		map[string]any{"in": map[string]any{"notificationPreference": pref}})
}

// mail delivers the outbox and returns, per address, the subjects and
// texts received since the last call.
func (w *world) mail(t *testing.T) map[string][]testkit.Mail {
	t.Helper()
	before := len(w.smtp.Received())
	w.DeliverOutbox(w.smtp)
	out := map[string][]testkit.Mail{}
	for _, m := range w.smtp.Received()[before:] {
		out[m.To] = append(out[m.To], m)
	}
	return out
}

func wantMail(t *testing.T, got map[string][]testkit.Mail, to string, says ...string) {
	t.Helper()
	if len(got[to]) != 1 {
		t.Fatalf("%s received %d mails, want 1: %+v", to, len(got[to]), got[to])
	}
	m := got[to][0]
	for _, s := range says {
		if !strings.Contains(m.Subject+"\n"+m.Text, s) {
			t.Errorf("the mail to %s does not say %q:\n%s\n%s", to, s, m.Subject, m.Text)
		}
	}
}

func wantNoMail(t *testing.T, got map[string][]testkit.Mail, who string, to ...string) {
	t.Helper()
	for _, addr := range to {
		if len(got[addr]) > 0 {
			t.Errorf("%s (%s) was mailed: %q", who, addr, got[addr][0].Subject)
		}
	}
}

func TestCaseMailGoesToEachWhoMaySeeIt(t *testing.T) {
	w := newWorld(t)
	const guest = "guest@outside.example"
	w.subscribe(t, w.pat)
	w.subscribe(t, w.vic)
	w.prefer(t, w.carol, "NONE")
	id := w.fileCase(t, w.alice, map[string]any{"title": "Phones down", "sharedEmails": []string{guest}})
	kase := w.Client.SupportCase.GetX(w.System(), id)
	w.Collaborate(kase, w.bob)
	w.Collaborate(kase, w.carol)

	got := w.mail(t)
	wantMail(t, got, w.pat.Email, "Phones down", "new case filed by Alice Filer", testkit.PublicURL+"/cases/"+id)
	wantMail(t, got, guest, "Phones down")
	wantNoMail(t, got, "the one who filed it", w.alice.Email)

	t.Run("public comment", func(t *testing.T) {
		w.comment(t, w.agent, id, "Please reboot the <router>.", "PUBLIC")
		got := w.mail(t)
		for _, to := range []string{w.alice.Email, w.bob.Email, w.pat.Email, w.vic.Email, guest} {
			wantMail(t, got, to, "Agent Smith commented", "Please reboot the <router>.", testkit.PublicURL+"/cases/"+id)
		}
		wantNoMail(t, got, "a collaborator who wants no mail", w.carol.Email)
		wantNoMail(t, got, "its author", w.agent.Email)
		wantNoMail(t, got, "an unsubscribed partner member", w.penny.Email)
	})

	t.Run("internal comment", func(t *testing.T) {
		w.comment(t, w.agent, id, "Customer's config is a mess.", "INTERNAL")
		got := w.mail(t)
		wantMail(t, got, w.vic.Email, "Customer's config is a mess.")
		wantNoMail(t, got, "outside the vendor", w.alice.Email, w.bob.Email, w.pat.Email, guest)
	})

	t.Run("after the partner's grant is revoked", func(t *testing.T) {
		w.do(t, w.mia, `mutation($id: ID!) { revokeGrant(input: {id: $id}) { grant { status } } }`, map[string]any{"id": w.grant.ID})
		w.mail(t) // the revocation's own mail to the partner
		w.Clock.Advance(time.Minute)
		w.do(t, w.agent, `mutation($in: UpdateCaseInput!) { updateCase(input: $in) { case { status } } }`,
			map[string]any{"in": map[string]any{"id": id, "status": "IN_PROGRESS"}})
		got := w.mail(t)
		wantMail(t, got, w.alice.Email, "status IN_PROGRESS (was NEW)")
		wantNoMail(t, got, "a subscriber whose grant ended", w.pat.Email)
	})
}

func TestCaseMailSaysWhatChanged(t *testing.T) {
	w := newWorld(t)
	id := w.fileCase(t, w.alice, map[string]any{"title": "Fax gone"})
	w.Collaborate(w.Client.SupportCase.GetX(w.System(), id), w.bob)
	w.mail(t)
	w.do(t, w.agent, `mutation($id: ID!) { closeCase(input: {id: $id}) { case { id } } }`, map[string]any{"id": id})
	got := w.mail(t)
	wantMail(t, got, w.alice.Email, "[Case #", "Fax gone: closed by Agent Smith", "Status:   CLOSED")
	w.do(t, w.alice, `mutation($id: ID!) { reopenCase(input: {id: $id}) { case { id } } }`, map[string]any{"id": id})
	got = w.mail(t)
	wantMail(t, got, w.bob.Email, "Fax gone: reopened by Alice Filer")
	wantNoMail(t, got, "the one who reopened it", w.alice.Email)

	w.Client.Organization.UpdateOne(w.acme).SetSupportPlan("PREMIUM").ExecX(w.System())
	w.Clock.Advance(24 * time.Hour) // past the first-response target
	ada := w.Contact(w.acme, "Ada Admin", access.RoleAdmin)
	w.tokens[ada] = w.Token(ada)
	w.do(t, ada, `mutation($id: ID!) { escalateCase(input: {id: $id, reason: "Board meeting at 9"}) { case { id } } }`, map[string]any{"id": id})
	got = w.mail(t)
	wantMail(t, got, w.alice.Email, "Fax gone: escalated by Ada Admin", "Reason:   Board meeting at 9")

	// An address mail to which is suppressed gets nothing; nor does a
	// contact no longer active.
	w.Client.Contact.UpdateOne(w.bob).SetLastEmailStatus("SUPPRESSED").ExecX(w.System())
	w.Collaborate(w.Client.SupportCase.GetX(w.System(), id), w.carol)
	w.Client.Contact.UpdateOne(w.carol).SetStatus("SUSPENDED").ExecX(w.System())
	w.comment(t, w.agent, id, "Fixed now?", "PUBLIC")
	got = w.mail(t)
	wantMail(t, got, w.alice.Email, "Fixed now?")
	wantNoMail(t, got, "a suppressed address", w.bob.Email)
	wantNoMail(t, got, "a suspended contact", w.carol.Email)
}

func TestCaseMailFollowsPreferences(t *testing.T) {
	w := newWorld(t)
	w.prefer(t, w.bob, "PRIMARY_ONLY")
	w.prefer(t, w.carol, "SEVERE_ONLY")
	minor := w.fileCase(t, w.alice, map[string]any{"title": "Minor"})
	severe := w.fileCase(t, w.alice, map[string]any{"title": "Severe", "severity": "S2"})
	mine := w.fileCase(t, w.alice, map[string]any{"title": "Bob's", "primaryContactID": w.bob.ID})
	for _, id := range []string{minor, severe, mine} {
		kase := w.Client.SupportCase.GetX(w.System(), id)
		w.Collaborate(kase, w.bob)
		w.Collaborate(kase, w.carol)
	}
	// A partner at CC sees the cases it collaborates on, and no other.
	cc := w.Org(access.Partner, "Tiny Partner")
	tia := w.Contact(cc, "Tia Tech")
	w.Grant(testkit.GrantSpec{Partner: cc, Customer: w.acme, Level: access.CC, StartsAt: w.Clock.Now().Add(-time.Second)})
	w.Collaborate(w.Client.SupportCase.GetX(w.System(), minor), tia)
	w.mail(t)
	for _, id := range []string{minor, severe, mine} {
		w.comment(t, w.agent, id, "Looking into it.", "PUBLIC")
	}
	got := w.mail(t)
	wantMail(t, got, w.bob.Email, "Bob's")
	wantMail(t, got, w.carol.Email, "Severe")
	wantMail(t, got, tia.Email, "Minor")
	if n := len(got[w.alice.Email]); n != 2 {
		t.Errorf("the primary contact of two of the cases got %d mails", n)
	}
}

func TestSubscriptionsNeedLookAndEndWithIt(t *testing.T) {
	w := newWorld(t)
	cc := w.Org(access.Partner, "Tiny Partner")
	ccAdmin := w.Contact(cc, "Tia Admin", access.RoleAdmin)
	w.tokens[ccAdmin] = w.Token(ccAdmin)
	w.Grant(testkit.GrantSpec{Partner: cc, Customer: w.acme, Level: access.CC})
	subscribe := `mutation($in: SubscribeToCasesInput!) { subscribeToCases(input: $in) { customer { name } } }`

	if code := w.Query(w.tokens[ccAdmin], subscribe, map[string]any{"in": map[string]any{"customerID": w.acme.ID}}).Code(); code != "FORBIDDEN" {
		t.Errorf("a partner at CC subscribed: %q", code)
	}
	if code := w.Query(w.tokens[w.pat], subscribe, map[string]any{"in": map[string]any{"customerID": w.partner.ID}}).Code(); code != "BAD_USER_INPUT" {
		t.Errorf("subscribing to a partner's cases: %q", code)
	}
	w.subscribe(t, w.pat)
	w.subscribe(t, w.pat) // again: nothing changes
	w.subscribe(t, w.bob)

	subscriptions := func(c *ent.Contact) int {
		var got struct {
			Viewer struct{ CaseSubscriptions []struct{ ID string } }
		}
		w.do(t, c, `{ viewer { caseSubscriptions { id } } }`, nil).Decode(t, &got)
		return len(got.Viewer.CaseSubscriptions)
	}
	if n := subscriptions(w.pat); n != 1 {
		t.Fatalf("the partner lists %d subscriptions", n)
	}
	w.do(t, w.mia, `mutation($id: ID!) { revokeGrant(input: {id: $id}) { grant { status } } }`, map[string]any{"id": w.grant.ID})
	if n := subscriptions(w.pat); n != 0 {
		t.Errorf("a subscription outlived its grant: %d listed", n)
	}
	w.do(t, w.pat, `mutation($in: UnsubscribeFromCasesInput!) { unsubscribeFromCases(input: $in) { customerID } }`,
		map[string]any{"in": map[string]any{"customerID": w.acme.ID}})
	if code := w.Query(w.tokens[w.pat], `mutation($in: UnsubscribeFromCasesInput!) { unsubscribeFromCases(input: $in) { customerID } }`,
		map[string]any{"in": map[string]any{"customerID": w.acme.ID}}).Code(); code != "BAD_USER_INPUT" {
		t.Errorf("unsubscribing twice: %q", code)
	}
	if n := subscriptions(w.bob); n != 1 {
		t.Errorf("a customer contact lists %d subscriptions to its own customer", n)
	}
}

func TestUpdateViewerNeedsNoAdmin(t *testing.T) {
	w := newWorld(t)
	const update = `mutation($in: UpdateViewerInput!) { updateViewer(input: $in) {
		clientMutationId
		contact { name phone timezone locale notificationPreference s1Phone s1Hours s2Phone s2Hours }
	} }`
	var got struct {
		UpdateViewer struct {
			ClientMutationID string
			Contact          map[string]any
		}
	}
	w.do(t, w.bob, update, map[string]any{"in": map[string]any{
		"clientMutationId": "m1", "name": "Robert Helper", "phone": "+48 601 234 567", "timezone": "Europe/Warsaw",
		"locale": "pl-PL", "notificationPreference": "SEVERE_ONLY",
		"s1Phone": "+48601000111", "s1Hours": "24x7", "s2Phone": "+48601000222", "s2Hours": "Mon-Fri 08:00-18:00",
	}}).Decode(t, &got)
	want := map[string]any{"name": "Robert Helper", "phone": "+48601234567", "timezone": "Europe/Warsaw", "locale": "pl-PL",
		"notificationPreference": "SEVERE_ONLY", "s1Phone": "+48601000111", "s1Hours": "24x7", "s2Phone": "+48601000222", "s2Hours": "Mon-Fri 08:00-18:00"}
	for k, v := range want {
		if got.UpdateViewer.Contact[k] != v {
			t.Errorf("%s: got %v, want %v", k, got.UpdateViewer.Contact[k], v)
		}
	}
	if got.UpdateViewer.ClientMutationID != "m1" {
		t.Errorf("clientMutationId: %q", got.UpdateViewer.ClientMutationID)
	}

	res := w.Query(w.tokens[w.bob], update, map[string]any{"in": map[string]any{"name": "Bobby", "s1Phone": "not a number"}})
	if res.Code() != "BAD_USER_INPUT" {
		t.Fatalf("a bad S1 phone: %q %+v", res.Code(), res.Errors)
	}
	if name := w.Client.Contact.GetX(w.System(), w.bob.ID).Name; name != "Robert Helper" {
		t.Errorf("a refused update changed the name to %q", name)
	}
	if res := w.Query(w.tokens[w.bob], `mutation { updateViewer(input: {roles: [ADMIN]}) { contact { id } } }`, nil); len(res.Errors) == 0 {
		t.Error("a contact gave itself a role")
	}
}

func TestGrantMail(t *testing.T) {
	w := newWorld(t)
	acmeAdmin := w.Contact(w.acme, "Ada Admin", access.RoleAdmin)
	w.tokens[acmeAdmin] = w.Token(acmeAdmin)
	request := func(level string) string {
		var got struct {
			RequestGrant struct{ Grant struct{ ID string } }
		}
		w.do(t, w.pat, `mutation($in: RequestGrantInput!) { requestGrant(input: $in) { grant { id } } }`, map[string]any{"in": map[string]any{
			"customerContactEmail": w.mia.Email, "level": level, "expiresInDays": 14, "note": "For the phone rollout",
		}}).Decode(t, &got)
		return got.RequestGrant.Grant.ID
	}
	first := request("UPDATE")
	got := w.mail(t)
	for _, to := range []string{w.mia.Email, acmeAdmin.Email} {
		wantMail(t, got, to, "Contoso asks for UPDATE access to Acme", "14 day(s)", "For the phone rollout", testkit.PublicURL+"/grants/"+first)
	}
	wantNoMail(t, got, "a customer member who cannot answer", w.alice.Email, w.bob.Email)
	wantNoMail(t, got, "the partner", w.pat.Email, w.penny.Email)

	partnerAdmin := w.Contact(w.partner, "Pia Admin", access.RoleAdmin)
	w.do(t, w.mia, `mutation($id: ID!) { approveGrant(input: {id: $id}) { grant { id } } }`, map[string]any{"id": first})
	got = w.mail(t)
	for _, to := range []string{w.pat.Email, partnerAdmin.Email} {
		wantMail(t, got, to, "Acme approved Contoso's UPDATE access", "Mia Manager")
	}
	wantNoMail(t, got, "a partner member", w.penny.Email)
	wantNoMail(t, got, "the customer", w.mia.Email, acmeAdmin.Email)

	second := request("FULL_ADMIN")
	w.mail(t)
	w.do(t, acmeAdmin, `mutation($id: ID!) { rejectGrant(input: {id: $id}) { grant { id } } }`, map[string]any{"id": second})
	got = w.mail(t)
	wantMail(t, got, w.pat.Email, "Acme rejected Contoso's request for FULL_ADMIN access", "Ada Admin")

	w.do(t, w.mia, `mutation($id: ID!) { revokeGrant(input: {id: $id}) { grant { id } } }`, map[string]any{"id": first})
	got = w.mail(t)
	wantMail(t, got, partnerAdmin.Email, "Contoso's UPDATE access to Acme was revoked", "Mia Manager")
	wantNoMail(t, got, "a partner member", w.penny.Email)
}

// TestMailIsDecidedAgainWhenSent: a case update queued for a partner
// subscriber while its grant held is not sent once the grant is revoked
// before the sender gets to it; the customer's mail of the same update
// goes.
func TestMailIsDecidedAgainWhenSent(t *testing.T) {
	w := newWorld(t)
	w.subscribe(t, w.pat)
	id := w.fileCase(t, w.alice, map[string]any{"title": "Printer on fire"})
	w.mail(t)
	w.comment(t, w.agent, id, "On our way.", "PUBLIC") // queued for Pat, who may see it now
	queued, err := w.Client.OutboxMessage.Query().Where(outboxmessage.To(w.pat.Email), outboxmessage.StatusEQ(outboxmessage.StatusQUEUED)).Count(w.System())
	if err != nil || queued != 1 {
		t.Fatalf("%d mails queued for the partner (%v), want 1", queued, err)
	}
	w.do(t, w.mia, `mutation($id: ID!) { revokeGrant(input: {id: $id}) { grant { status } } }`, map[string]any{"id": w.grant.ID})
	got := w.mail(t)
	wantMail(t, got, w.alice.Email, "On our way.")
	for _, m := range got[w.pat.Email] {
		if strings.Contains(m.Text, "On our way.") {
			t.Fatalf("the partner was sent a case update after its grant ended: %q", m.Subject)
		}
	}
	cancelled, err := w.Client.OutboxMessage.Query().Where(outboxmessage.To(w.pat.Email), outboxmessage.StatusEQ(outboxmessage.StatusCANCELLED)).Count(w.System())
	if err != nil || cancelled != 1 {
		t.Errorf("%d of the partner's mails cancelled at send time (%v), want 1", cancelled, err)
	}
}

// TestElevationMail: an elevation request reaches the customer's managers
// with its minutes and reason, and its approval the partner's admins and
// the requester; one a rule approved at once asks the managers nothing.
func TestElevationMail(t *testing.T) {
	w := newWorld(t)
	elevate := func(level string, minutes int) string {
		var got struct {
			RequestElevation struct{ Grant struct{ ID string } }
		}
		w.do(t, w.penny, `mutation($in: RequestElevationInput!) { requestElevation(input: $in) { grant { id } } }`, map[string]any{"in": map[string]any{
			"customerID": w.acme.ID, "level": level, "minutes": minutes, "reason": "INC-7: trunk down",
		}}).Decode(t, &got)
		return got.RequestElevation.Grant.ID
	}
	id := elevate("UPDATE", 60)
	got := w.mail(t)
	wantMail(t, got, w.mia.Email, "Contoso asks for UPDATE access to Acme for 60 minutes (elevation)", "60 minute(s) from approval", "INC-7: trunk down")
	w.do(t, w.mia, `mutation($id: ID!) { approveGrant(input: {id: $id}) { grant { id } } }`, map[string]any{"id": id})
	got = w.mail(t)
	for _, to := range []string{w.pat.Email, w.penny.Email} { // the partner's admin, and the requester
		wantMail(t, got, to, "Acme approved Contoso's UPDATE access for 60 minutes (elevation)", "Mia Manager")
	}

	w.do(t, w.mia, `mutation($in: CreateElevationRuleInput!) { createElevationRule(input: $in) { elevationRule { id } } }`,
		map[string]any{"in": map[string]any{"customerID": w.acme.ID, "maxLevel": "CREATE", "maxMinutes": 60}})
	elevate("CREATE", 30)
	got = w.mail(t)
	wantMail(t, got, w.pat.Email, "Acme approved Contoso's CREATE access for 30 minutes (elevation)", "auto-approval rule")
	wantNoMail(t, got, "the managers, of a request a rule answered", w.mia.Email)
}
