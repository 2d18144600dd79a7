package graph_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/auditentry"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/phonenumber"
	"github.com/partnerdesk/partnerdesk/testkit"
)

type helpDeskWorld struct {
	*testkit.Env
	acme, globex                     *ent.Organization
	alice, globexAlice               *ent.Contact
	desk, thirdParty, globexDevice   *ent.Device
	number                           *ent.PhoneNumber
	helpDesk, member, agent, acmeAdm string
}

func newHelpDeskWorld(t *testing.T) *helpDeskWorld {
	e := testkit.New(t)
	w := &helpDeskWorld{Env: e}
	sys := e.System()
	vendor := e.Org(access.Vendor, "Northwind")
	w.acme, w.globex = e.Org(access.Customer, "Acme"), e.Org(access.Customer, "Globex")
	e.Client.Organization.UpdateOne(w.acme).SetSites([]string{"acme.webex.com"}).ExecX(sys)
	contoso := e.Org(access.Partner, "Contoso")
	e.Grant(testkit.GrantSpec{Partner: contoso, Customer: w.acme, Level: access.Look})
	// CC reaches Globex, but below the LOOK the help desk searches at.
	e.Grant(testkit.GrantSpec{Partner: contoso, Customer: w.globex, Level: access.CC})
	// Namesakes outside every customer: the searcher's own colleague.
	e.Contact(contoso, "Alice Johnson")
	w.alice = e.Client.Contact.Create().SetOrganizationID(w.acme.ID).SetName("Alice Johnson").SetEmail("alice@acme.example").SetPhone("+12124567890").SaveX(sys)
	w.globexAlice = e.Client.Contact.Create().SetOrganizationID(w.globex.ID).SetName("Alice Johnson").SetEmail("alice@globex.example").SaveX(sys)
	w.desk = e.Client.Device.Create().SetOrganizationID(w.acme.ID).SetModel("Desk Pro").SetMACAddress("00:1A:2B:3C:4D:5E").
		SetPhoneNumber("+12124567891").SetSipAddress("sip:room1@acme.example").SaveX(sys)
	w.thirdParty = e.Client.Device.Create().SetOrganizationID(w.acme.ID).SetModel("Other Phone").SetMACAddress("00:1A:2B:3C:4D:5F").SetThirdParty(true).SaveX(sys)
	w.globexDevice = e.Client.Device.Create().SetOrganizationID(w.globex.ID).SetModel("Room Kit").SetMACAddress("00:1A:2B:3C:4D:60").SaveX(sys)
	w.number = e.Client.PhoneNumber.Create().SetOrganizationID(w.acme.ID).SetNumber("+12124567892").SetKind(phonenumber.KindAUTO_ATTENDANT).SaveX(sys)
	w.helpDesk = e.Token(e.Contact(contoso, "Hana Helpdesk", access.RoleHelpDesk))
	w.member = e.Token(e.Contact(contoso, "Mo Member"))
	w.agent = e.Token(e.Contact(vendor, "Nora Agent", access.RoleAgent))
	w.acmeAdm = e.Token(e.Contact(w.acme, "Ada Admin", access.RoleAdmin))
	return w
}

type hit struct {
	Node struct {
		Typename string `json:"__typename"`
		ID       string
	}
	Customer  struct{ ID string }
	Level     string
	Exact     bool
	MatchedOn string
}

const helpDeskQuery = `query($q: String!, $after: Cursor) { helpDeskSearch(query: $q, first: 5, after: $after) {
  pageInfo { hasNextPage endCursor }
  edges { node { node { __typename ... on Node { id } } customer { id } level exact matchedOn } } } }`

func (w *helpDeskWorld) search(t *testing.T, token, q string) []hit {
	t.Helper()
	var got struct {
		HelpDeskSearch struct {
			Edges []struct{ Node hit }
		}
	}
	w.Query(token, helpDeskQuery, map[string]any{"q": q}).Decode(t, &got)
	out := []hit{}
	for _, e := range got.HelpDeskSearch.Edges {
		out = append(out, e.Node)
	}
	return out
}

func TestHelpDeskFindsEveryIdentifierForm(t *testing.T) {
	w := newHelpDeskWorld(t)
	for name, tc := range map[string]struct {
		query, wantID, wantType, on string
	}{
		"organisation name":       {"acme", w.acme.ID, "Organization", "NAME"},
		"organisation ID":         {w.acme.ID, w.acme.ID, "Organization", "ID"},
		"domain":                  {"ACME.example", w.acme.ID, "Organization", "DOMAIN"},
		"site":                    {"acme.webex.com", w.acme.ID, "Organization", "SITE"},
		"contact name":            {"Alice Johnson", w.alice.ID, "Contact", "NAME"},
		"contact ID":              {w.alice.ID, w.alice.ID, "Contact", "ID"},
		"email in any case":       {"Alice@ACME.example", w.alice.ID, "Contact", "EMAIL"},
		"contact phone as typed":  {"+1 (212) 456-7890", w.alice.ID, "Contact", "PHONE"},
		"number in the inventory": {"+1-212-456-7892", w.number.ID, "PhoneNumber", "PHONE"},
		"device phone":            {"+12124567891", w.desk.ID, "Device", "PHONE"},
		"MAC with colons":         {"00:1a:2b:3c:4d:5e", w.desk.ID, "Device", "MAC"},
		"MAC with dashes":         {"00-1A-2B-3C-4D-5E", w.desk.ID, "Device", "MAC"},
		"MAC with dots":           {"001a.2b3c.4d5e", w.desk.ID, "Device", "MAC"},
		"MAC without separators":  {"001A2B3C4D5E", w.desk.ID, "Device", "MAC"},
		"SIP address":             {"sip:room1@ACME.example", w.desk.ID, "Device", "SIP"},
		"device ID":               {w.desk.ID, w.desk.ID, "Device", "ID"},
		"phone number ID":         {w.number.ID, w.number.ID, "PhoneNumber", "ID"},
	} {
		t.Run(name, func(t *testing.T) {
			hits := w.search(t, w.helpDesk, tc.query)
			if len(hits) == 0 || hits[0].Node.ID != tc.wantID || hits[0].Node.Typename != tc.wantType || hits[0].MatchedOn != tc.on ||
				hits[0].Customer.ID != w.acme.ID || hits[0].Level != "LOOK" {
				t.Fatalf("first hit of %q: %+v", tc.query, hits)
			}
		})
	}
	// A partial name is found after the exact matches.
	hits := w.search(t, w.helpDesk, "Alice")
	if len(hits) != 1 || hits[0].Exact {
		t.Fatalf("partial name: %+v", hits)
	}
}

func TestHelpDeskSearchStaysInScope(t *testing.T) {
	w := newHelpDeskWorld(t)
	if hits := w.search(t, w.helpDesk, "Alice Johnson"); len(hits) != 1 || hits[0].Customer.ID != w.acme.ID || !hits[0].Exact {
		t.Fatalf("the ungranted customer's Alice must not appear: %+v", hits)
	}
	for _, q := range []string{*w.globexDevice.MACAddress, w.globex.ID, "globex", "alice@globex.example", w.thirdParty.ID, "00:1A:2B:3C:4D:5F"} {
		if hits := w.search(t, w.helpDesk, q); len(hits) != 0 {
			t.Fatalf("%q found %+v", q, hits)
		}
	}
	// The vendor's agents search every customer, third-party devices still excluded.
	if hits := w.search(t, w.agent, "Alice Johnson"); len(hits) != 2 || hits[0].Level != "FULL_ADMIN" {
		t.Fatalf("vendor agent: %+v", hits)
	}
	if hits := w.search(t, w.agent, "00:1A:2B:3C:4D:5F"); len(hits) != 0 {
		t.Fatalf("vendor agent finds a third-party device: %+v", hits)
	}
	for name, token := range map[string]string{"partner without HELP_DESK": w.member, "customer admin": w.acmeAdm} {
		if res := w.Query(token, helpDeskQuery, map[string]any{"q": "acme"}); res.Code() != "FORBIDDEN" {
			t.Errorf("%s: %+v", name, res.Errors)
		}
	}
	if res := w.Query(w.helpDesk, helpDeskQuery, map[string]any{"q": "  "}); res.Code() != "BAD_USER_INPUT" {
		t.Errorf("blank query: %+v", res.Errors)
	}
}

var codeInMail = regexp.MustCompile(`\b[0-9]{6}\b`)

func TestVerificationCodes(t *testing.T) {
	w := newHelpDeskWorld(t)
	send := `mutation($c: ID!) { sendVerificationCode(input: {contactID: $c}) { expiresAt } }`
	check := `mutation($c: ID!, $code: String!) { checkVerificationCode(input: {contactID: $c, code: $code}) { result attemptsLeft } }`
	sent := func() string {
		t.Helper()
		w.Query(w.helpDesk, send, map[string]any{"c": w.alice.ID}).Decode(t, &struct{}{})
		msgs := w.Client.OutboxMessage.Query().AllX(w.System())
		code := codeInMail.FindString(msgs[len(msgs)-1].Body)
		if msgs[len(msgs)-1].To != w.alice.Email || code == "" {
			t.Fatalf("outbox %+v", msgs[len(msgs)-1])
		}
		return code
	}
	result := func(code string) (string, int) {
		t.Helper()
		var got struct {
			CheckVerificationCode struct {
				Result       string
				AttemptsLeft int
			}
		}
		w.Query(w.helpDesk, check, map[string]any{"c": w.alice.ID, "code": code}).Decode(t, &got)
		return got.CheckVerificationCode.Result, got.CheckVerificationCode.AttemptsLeft
	}
	wrong := func(code string) string { return map[bool]string{true: "000000", false: "111111"}[code == "111111"] }

	code := sent()
	for _, rec := range w.Client.VerificationCode.Query().AllX(w.System()) {
		if string(rec.CodeHash) == code || len(rec.CodeHash) != 32 {
			t.Fatal("the code must be stored hashed")
		}
	}
	if r, left := result(wrong(code)); r != "WRONG_CODE" || left != 4 {
		t.Fatalf("wrong code: %s, %d left", r, left)
	}
	// Read back in two halves, as people do.
	if r, _ := result(code[:3] + " - " + code[3:]); r != "VERIFIED" {
		t.Fatalf("right code, read back as %q: %s", code[:3]+" - "+code[3:], r)
	}
	if r, _ := result(code); r != "NO_CODE" {
		t.Fatalf("a used code: %s", r)
	}

	code = sent()
	w.Clock.Advance(10*time.Minute - time.Second)
	w.Clock.Advance(time.Second) // exactly 10 minutes
	if r, _ := result(code); r != "EXPIRED" {
		t.Fatalf("after 10 minutes: %s", r)
	}

	code = sent()
	for i := range 5 {
		r, left := result(wrong(code))
		if want := map[bool]string{true: "LOCKED", false: "WRONG_CODE"}[i == 4]; r != want || left != 4-i {
			t.Fatalf("try %d: %s, %d left", i+1, r, left)
		}
	}
	if r, _ := result(code); r != "LOCKED" {
		t.Fatalf("the right code after five tries: %s", r)
	}
	if res := w.Query(w.helpDesk, check, map[string]any{"c": w.alice.ID, "code": "12ab56"}); res.Code() != "BAD_USER_INPUT" {
		t.Fatalf("a malformed code: %+v", res.Errors)
	}
	if res := w.Query(w.helpDesk, send, map[string]any{"c": w.globexAlice.ID}); res.Code() != "NOT_FOUND" {
		t.Fatalf("a code for a contact out of scope: %+v", res.Errors)
	}
	if n := w.Client.AuditEntry.Query().Where(auditentry.Operation("sendVerificationCode")).CountX(w.System()); n != 3 {
		t.Fatalf("%d sends audited, want 3", n)
	}
}

func TestEmailSuppression(t *testing.T) {
	w := newHelpDeskWorld(t)
	w.Client.Contact.UpdateOne(w.alice).SetLastEmailStatus(contact.LastEmailStatusSUPPRESSED).ExecX(w.System())
	send := `mutation($c: ID!) { sendVerificationCode(input: {contactID: $c}) { expiresAt } }`
	if res := w.Query(w.helpDesk, send, map[string]any{"c": w.alice.ID}); res.Code() != "CONFLICT" || w.Client.OutboxMessage.Query().CountX(w.System()) != 0 {
		t.Fatalf("sending to a suppressed address: %+v", res.Errors)
	}
	var got struct {
		ClearEmailSuppression struct {
			Contact struct{ LastEmailStatus string }
		}
	}
	w.Query(w.helpDesk, `mutation($c: ID!) { clearEmailSuppression(input: {contactID: $c}) { contact { lastEmailStatus } } }`, map[string]any{"c": w.alice.ID}).Decode(t, &got)
	if got.ClearEmailSuppression.Contact.LastEmailStatus != "NONE" {
		t.Fatalf("after clearing: %+v", got)
	}
	w.Query(w.helpDesk, send, map[string]any{"c": w.alice.ID}).Decode(t, &struct{}{})
	// The code waits in the outbox until a sender hands it over.
	if s := w.Client.Contact.GetX(w.System(), w.alice.ID).LastEmailStatus; s != contact.LastEmailStatusQUEUED {
		t.Fatalf("status after a send: %s", s)
	}
}

// TestHelpDeskCountsItsHitsWhenAsked: the help-desk connection has nodes
// and, when selected, the total of its hits, past the page.
func TestHelpDeskCountsItsHitsWhenAsked(t *testing.T) {
	w := newHelpDeskWorld(t)
	for i := range 3 {
		w.Client.Contact.Create().SetOrganizationID(w.acme.ID).SetName(fmt.Sprintf("Bob Builder %d", i)).
			SetEmail(fmt.Sprintf("bob%d@acme.example", i)).SaveX(w.System())
	}
	var got struct {
		HelpDeskSearch struct {
			TotalCount int
			Nodes      []struct{ Exact bool }
			PageInfo   struct{ HasNextPage bool }
		}
	}
	w.Query(w.helpDesk, `{ helpDeskSearch(query: "Bob", first: 2) { totalCount nodes { exact } pageInfo { hasNextPage } } }`, nil).Decode(t, &got)
	if h := got.HelpDeskSearch; h.TotalCount != 3 || len(h.Nodes) != 2 || !h.PageInfo.HasNextPage {
		t.Fatalf("two of three Bobs: %+v", h)
	}
}

// TestHelpDeskFindsWhatAgentsType: the forms an agent reads off a screen
// or hears on a call, beyond the stored ones.
func TestHelpDeskFindsWhatAgentsType(t *testing.T) {
	w := newHelpDeskWorld(t)
	sys := w.System()
	// Acme reads its numbers in the US; Globex set no region, so its
	// number is found only as +1….
	update := `mutation($in: UpdateOrganizationInput!) { updateOrganization(input: $in) { organization { defaultRegion } } }`
	var got struct {
		UpdateOrganization struct {
			Organization struct{ DefaultRegion string }
		}
	}
	w.Query(w.acmeAdm, update, map[string]any{"in": map[string]any{"id": w.acme.ID, "defaultRegion": "us"}}).Decode(t, &got)
	if got.UpdateOrganization.Organization.DefaultRegion != "US" {
		t.Fatalf("the region is stored as %q", got.UpdateOrganization.Organization.DefaultRegion)
	}
	if res := w.Query(w.acmeAdm, update, map[string]any{"in": map[string]any{"id": w.acme.ID, "defaultRegion": "USA"}}); res.Code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != "defaultRegion" {
		t.Fatalf("an alpha-3 region: %+v", res.Errors)
	}
	w.Client.Contact.UpdateOne(w.globexAlice).SetPhone("+12124567893").ExecX(sys)
	w.Client.Organization.UpdateOne(w.acme).SetDomains([]string{"acme.example", "acme-corp.example"}).ExecX(sys)

	for name, tc := range map[string]struct {
		token, query, wantID, on string
		exact                    bool
	}{
		"SIP address without sip:":      {w.helpDesk, "room1@ACME.example", w.desk.ID, "SIP", true},
		"national number, US":           {w.helpDesk, "(212) 456-7892", w.number.ID, "PHONE", true},
		"national number, dots":         {w.helpDesk, "212.456.7890", w.alice.ID, "PHONE", true},
		"national number with trunk 1":  {w.agent, "1 212 456 7891", w.desk.ID, "PHONE", true},
		"MAC prefix, three octets":      {w.helpDesk, "00:1a:2b", w.desk.ID, "MAC", false},
		"MAC prefix, four, dashes":      {w.helpDesk, "00-1A-2B-3C", w.desk.ID, "MAC", false},
		"MAC prefix, five, Cisco dots":  {w.helpDesk, "001a.2b3c.4d", w.desk.ID, "MAC", false},
		"MAC prefix, bare":              {w.helpDesk, "001A2B", w.desk.ID, "MAC", false},
		"domain fragment":               {w.helpDesk, "acme-corp", w.acme.ID, "DOMAIN", false},
		"domain fragment, two labels":   {w.helpDesk, "acme-corp.exa", w.acme.ID, "DOMAIN", false},
		"site fragment":                 {w.helpDesk, "acme.web", w.acme.ID, "SITE", false},
		"start of a later word of name": {w.helpDesk, "john", w.alice.ID, "NAME", false},
	} {
		t.Run(name, func(t *testing.T) {
			hits := w.search(t, tc.token, tc.query)
			if len(hits) == 0 || hits[0].Node.ID != tc.wantID || hits[0].MatchedOn != tc.on || hits[0].Exact != tc.exact {
				t.Fatalf("first hit of %q: %+v", tc.query, hits)
			}
		})
	}
	for name, tc := range map[string]struct{ token, query string }{
		"a national number of a customer without a region": {w.agent, "212 456 7893"},
		"a MAC prefix of two octets":                       {w.helpDesk, "00:1a"},
		"a MAC prefix ending in half an octet":             {w.helpDesk, "00:1A:2B:3C:4D:6"},
	} {
		if hits := w.search(t, tc.token, tc.query); len(hits) != 0 {
			t.Errorf("%s: %q found %+v", name, tc.query, hits)
		}
	}
	// Globex's device shares the prefix but is out of the help desk's
	// scope; the third-party device is never returned.
	if hits := w.search(t, w.helpDesk, "00:1A:2B:3C"); len(hits) != 1 {
		t.Errorf("a MAC prefix found %+v, want the desk alone", hits)
	}
	if hits := w.search(t, w.agent, "00:1A:2B:3C"); len(hits) != 2 {
		t.Errorf("the vendor's agent: a MAC prefix found %+v, want the desk and Globex's room kit", hits)
	}
	// The index follows a rename.
	w.Client.Contact.UpdateOne(w.alice).SetName("Alice Kowalska").ExecX(sys)
	if hits := w.search(t, w.helpDesk, "kowal"); len(hits) != 1 || hits[0].Node.ID != w.alice.ID {
		t.Errorf("the new name found %+v", hits)
	}
	if hits := w.search(t, w.helpDesk, "johnson"); len(hits) != 0 {
		t.Errorf("the old name found %+v", hits)
	}
}

// TestHelpDeskNameSearchUsesAnIndex: a name or a domain fragment is found
// through the directory index: no statement of the search scans the
// organisations or the contacts, for a partner's help desk or for the
// vendor's agent (who searches every customer).
func TestHelpDeskNameSearchUsesAnIndex(t *testing.T) {
	log := &statementLog{}
	e := testkit.New(t, testkit.WithDriver(func(d dialect.Driver) dialect.Driver { log.Driver = d; return log }))
	if e.DB.Dialect != dialect.SQLite {
		// PostgreSQL's planner scans tables this small whatever their
		// indexes; the GIN indexes are the same shape as casesearch's.
		t.Skip("query plans are read on SQLite")
	}
	vendor, contoso := e.Org(access.Vendor, "Northwind"), e.Org(access.Partner, "Contoso")
	for _, name := range []string{"Acme", "Globex", "Initech", "Umbrella"} {
		org := e.Org(access.Customer, name)
		e.Grant(testkit.GrantSpec{Partner: contoso, Customer: org, Level: access.Look})
		for _, person := range []string{"Alice Johnson", "Bob Smith", "Carol Jones"} {
			e.Contact(org, person)
		}
	}
	callers := []struct{ who, token string }{
		{"agent", e.Token(e.Contact(vendor, "Nora Agent", access.RoleAgent))},
		{"help desk", e.Token(e.Contact(contoso, "Hana Helpdesk", access.RoleHelpDesk))},
	}
	fullScan := regexp.MustCompile("^SCAN (organizations|contacts)\\b")
	for _, c := range callers {
		who, token := c.who, c.token
		for _, q := range []string{"john", "Alice Johnson", "umbrella.exa"} {
			log.mu.Lock()
			log.queries = nil
			log.mu.Unlock()
			var got struct {
				HelpDeskSearch struct{ Nodes []struct{ Exact bool } }
			}
			e.Query(token, `query($q: String!) { helpDeskSearch(query: $q, first: 5) { nodes { exact } } }`, map[string]any{"q": q}).Decode(t, &got)
			if len(got.HelpDeskSearch.Nodes) == 0 {
				t.Errorf("%s: %q found nothing", who, q)
			}
			for _, lq := range log.queries {
				for _, step := range strings.Split(testkit.QueryPlan(t, e.DB.Writer(), lq.text, lq.args...), "\n") {
					if fullScan.MatchString(step) {
						t.Errorf("%s, %q: %s\n  in %s", who, q, step, lq.text)
					}
				}
			}
		}
	}
}
