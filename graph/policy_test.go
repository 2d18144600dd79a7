package graph_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/auth"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/accesstoken"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	"github.com/partnerdesk/partnerdesk/graph"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// twoPartners is Acme, worked by two partners at once: Contoso (an admin
// with an UPDATE organisation grant, a contact with an individual CC grant)
// and Fabrikam (an engineer with an UPDATE grant), with the vendor's agent.
// Fabrikam's engineer filed a case and commented on it.
type twoPartners struct {
	*testkit.Env
	acme, contoso, fabrikam                        *ent.Organization
	acmeAdmin, acmeMember, agent                   *ent.Contact
	contosoAdmin, contosoCC, engineer, acmeManager *ent.Contact
	contosoGrant                                   *ent.Grant
	kase                                           *ent.SupportCase
	tokens                                         map[*ent.Contact]string
}

func newTwoPartners(t *testing.T) *twoPartners {
	e := testkit.New(t)
	w := &twoPartners{Env: e, tokens: map[*ent.Contact]string{}}
	vendor := e.Org(access.Vendor, "Northwind")
	w.acme = e.Org(access.Customer, "Acme")
	w.contoso = e.Org(access.Partner, "Contoso")
	w.fabrikam = e.Org(access.Partner, "Fabrikam")
	w.acmeAdmin = e.Contact(w.acme, "Ada Admin", access.RoleAdmin)
	w.acmeManager = e.Contact(w.acme, "Carla Manager", access.RoleContactManager)
	w.acmeMember = e.Contact(w.acme, "Max Member")
	w.agent = e.Contact(vendor, "Nora Agent", access.RoleAgent)
	w.contosoAdmin = e.Contact(w.contoso, "Pat Admin", access.RoleAdmin)
	w.contosoCC = e.Contact(w.contoso, "Cleo Cc")
	w.engineer = e.Contact(w.fabrikam, "Eve Engineer")
	start := e.Clock.Now().Add(-time.Hour)
	w.contosoGrant = e.Grant(testkit.GrantSpec{Partner: w.contoso, Customer: w.acme, Level: access.Update, StartsAt: start})
	e.Grant(testkit.GrantSpec{Partner: w.contoso, Customer: w.acme, Level: access.CC, Grantee: w.contosoCC, StartsAt: start})
	e.Grant(testkit.GrantSpec{Partner: w.fabrikam, Customer: w.acme, Level: access.Update, StartsAt: start})
	for _, c := range []*ent.Contact{w.acmeAdmin, w.acmeManager, w.acmeMember, w.agent, w.contosoAdmin, w.contosoCC, w.engineer} {
		w.tokens[c] = e.Token(c)
	}
	var created struct {
		CreateCase struct{ Case struct{ ID string } }
	}
	// Fabrikam has UPDATE, not CREATE: the customer files, Fabrikam's
	// engineer works it.
	w.Query(w.tokens[w.acmeMember], `mutation($c: ID!) { createCase(input: {customerID: $c, title: "Calls drop", severity: S2}) { case { id } } }`,
		map[string]any{"c": w.acme.ID}).Decode(t, &created)
	w.kase = e.Client.SupportCase.GetX(e.System(), created.CreateCase.Case.ID)
	if res := w.Query(w.tokens[w.engineer], `mutation($k: ID!) { addCaseComment(input: {caseID: $k, body: "Looking into it"}) { comment { id } } }`,
		map[string]any{"k": w.kase.ID}); len(res.Errors) > 0 {
		t.Fatalf("%+v", res.Errors)
	}
	if res := w.Query(w.tokens[w.engineer], `mutation($k: ID!, $p: ID!) { updateCase(input: {id: $k, primaryContactID: $p}) { case { id } } }`,
		map[string]any{"k": w.kase.ID, "p": w.engineer.ID}); len(res.Errors) > 0 {
		t.Fatalf("%+v", res.Errors)
	}
	e.Collaborate(w.kase, w.contosoCC)
	return w
}

// errorAt returns the error at path, if any.
func errorAt(res testkit.Response, path ...any) *testkit.Error {
	for _, e := range res.Errors {
		if fmt.Sprintf("%v", e.Path) == fmt.Sprintf("%v", path) {
			return &e
		}
	}
	return nil
}

// TestCounterpartsAreReadAsANameAndAnOrganization: a partner reads who
// works a case it sees, from another partner too, as a name and an
// organisation name; what needs a level on that contact's organisation is
// null with its error at its own path, and the case stays.
func TestCounterpartsAreReadAsANameAndAnOrganization(t *testing.T) {
	w := newTwoPartners(t)
	const q = `query($k: ID!) { node(id: $k) { ... on Case { title
		primaryContact { name email organization { name domains } }
		comments(first: 5) { totalCount edges { node { body author { name email organization { name } } } } } } } }`
	for _, caller := range []*ent.Contact{w.contosoAdmin, w.contosoCC} {
		res := w.Query(w.tokens[caller], q, map[string]any{"k": w.kase.ID})
		var got struct {
			Node struct {
				Title          string
				PrimaryContact struct {
					Name         string
					Email        *string
					Organization struct{ Name string }
				}
				Comments struct {
					TotalCount int
					Edges      []struct {
						Node *struct {
							Body   string
							Author struct {
								Name         string
								Email        *string
								Organization struct{ Name string }
							}
						}
					}
				}
			}
		}
		json.Unmarshal(res.Data, &got)
		n := got.Node
		if n.Title == "" || n.PrimaryContact.Name != "Eve Engineer" || n.PrimaryContact.Organization.Name != "Fabrikam" || n.PrimaryContact.Email != nil {
			t.Errorf("%s: the case as read: %s %+v", caller.Name, res.Data, res.Errors)
		}
		if len(n.Comments.Edges) != n.Comments.TotalCount || n.Comments.TotalCount != 1 || n.Comments.Edges[0].Node == nil ||
			n.Comments.Edges[0].Node.Author.Name != "Eve Engineer" || n.Comments.Edges[0].Node.Author.Email != nil {
			t.Errorf("%s: the comments as read: %s %+v", caller.Name, res.Data, res.Errors)
		}
		for _, path := range [][]any{
			{"node", "primaryContact", "email"},
			{"node", "comments", "edges", 0, "node", "author", "email"},
			{"node", "primaryContact", "organization", "domains"},
		} {
			if e := errorAt(res, path...); e == nil || e.Extensions["code"] != "FORBIDDEN" {
				t.Errorf("%s: want FORBIDDEN at %v, errors %+v", caller.Name, path, res.Errors)
			}
		}
	}
	// Fabrikam's own people, and the vendor's staff, read the email; the
	// customer has no level on Fabrikam either.
	for _, caller := range []*ent.Contact{w.engineer, w.agent} {
		var got struct {
			Node struct{ PrimaryContact struct{ Email *string } }
		}
		w.Query(w.tokens[caller], `query($k: ID!) { node(id: $k) { ... on Case { primaryContact { email } } } }`,
			map[string]any{"k": w.kase.ID}).Decode(t, &got)
		if got.Node.PrimaryContact.Email == nil {
			t.Errorf("%s reads no email of the engineer", caller.Name)
		}
	}
}

// TestWhereInputsOfferOnlyWhatEveryReaderMayRead walks the schema: no where
// input has an edge predicate (hasXWith ran over rows the caller may not
// read), and each field predicate is on a field whoever may read the row
// may read (public, or a level the row needs anyway: non-null).
func TestWhereInputsOfferOnlyWhatEveryReaderMayRead(t *testing.T) {
	schema := graph.NewSchema(&graph.Resolver{}).Schema()
	checked := 0
	for name, in := range schema.Types {
		if in.Kind != ast.InputObject || !strings.HasSuffix(name, "WhereInput") {
			continue
		}
		obj := schema.Types[strings.TrimSuffix(name, "WhereInput")]
		if name == "CaseWhereInput" {
			obj = schema.Types["Case"]
		}
		for _, f := range in.Fields {
			switch {
			case f.Name == "not" || f.Name == "and" || f.Name == "or",
				name == "CaseWhereInput" && (f.Name == "keyword" || f.Name == "customerIDs" || f.Name == "slaState"):
				continue
			case strings.HasPrefix(f.Name, "has"):
				t.Errorf("%s.%s: an edge predicate", name, f.Name)
				continue
			}
			field := objectField(obj, f.Name)
			if field == nil {
				t.Errorf("%s.%s filters no field of %s", name, f.Name, obj.Name)
				continue
			}
			checked++
			if !everyReaderReads(obj, field) {
				t.Errorf("%s.%s filters %s.%s, which a reader of the row may not read", name, f.Name, obj.Name, field.Name)
			}
		}
	}
	if checked < 50 {
		t.Fatalf("checked %d predicates: the walk is broken", checked)
	}
}

// rowLevels are the levels a caller needs to read a row at all, by type;
// rows of the other types may be read with none (as counterparts, or
// because they are the caller's own).
var rowLevels = map[string]string{"Case": "CC", "CaseComment": "CC", "CaseEvent": "CC", "CaseAttachment": "CC", "Device": "LOOK", "PhoneNumber": "LOOK"}

func everyReaderReads(obj *ast.Definition, f *ast.FieldDefinition) bool {
	if f.Directives.ForName("public") != nil {
		return true
	}
	d := f.Directives.ForName("hasGrant")
	return d != nil && rowLevels[obj.Name] != "" && d.Arguments.ForName("level").Value.Raw == rowLevels[obj.Name]
}

// objectField is the field of obj a where-input predicate is about: the
// longest field name the predicate starts with.
func objectField(obj *ast.Definition, predicate string) *ast.FieldDefinition {
	var best *ast.FieldDefinition
	for _, f := range obj.Fields {
		if strings.HasPrefix(predicate, f.Name) && (best == nil || len(f.Name) > len(best.Name)) {
			best = f
		}
	}
	return best
}

// TestFiltersAreNoOracles: for every caller and every filter whose true
// value on a row the caller may not read differs from every row it may,
// asking for the true value answers exactly what asking for nonsense does.
func TestFiltersAreNoOracles(t *testing.T) {
	w := newTwoPartners(t)
	otherCustomer := w.Org(access.Customer, "Globex")
	hidden := w.Case(otherCustomer, w.Contact(otherCustomer, "Gus"), "Secret merger")
	w.Client.SupportCase.UpdateOneID(hidden.ID).SetProduct("Project Falcon").SetCategory("Legal").ExecX(w.System())
	type probe struct{ query, field string }
	probes := []probe{
		{`query($v: String) { cases(first: 1, where: {product: $v}) { totalCount } }`, "product"},
		{`query($v: String) { cases(first: 1, where: {productHasPrefix: $v}) { totalCount } }`, "product"},
		{`query($v: String) { cases(first: 1, where: {category: $v}) { totalCount } }`, "category"},
		{`query($v: String) { cases(first: 1, where: {not: {product: $v}}) { totalCount } }`, "product"},
		{`query($v: String) { organizations(first: 1, where: {name: $v}) { totalCount } }`, "name"},
		{`query($v: String) { organizations(first: 1, where: {nameHasPrefix: $v}) { totalCount } }`, "name"},
		{`query($v: String) { cases(first: 1, where: {keyword: $v}) { totalCount } }`, "title"},
	}
	values := map[string]string{"product": "Project Falcon", "category": "Legal", "name": "Globex", "title": "merger"}
	count := func(token, query, v string) int {
		var got map[string]struct{ TotalCount int }
		res := w.Query(token, query, map[string]any{"v": v})
		if len(res.Errors) > 0 {
			t.Fatalf("%s: %+v", query, res.Errors)
		}
		json.Unmarshal(res.Data, &got)
		for _, c := range got {
			return c.TotalCount
		}
		return -1
	}
	checks := 0
	for _, caller := range []*ent.Contact{w.contosoAdmin, w.contosoCC, w.engineer, w.acmeMember, w.acmeAdmin} {
		for _, p := range probes {
			truth, nonsense := count(w.tokens[caller], p.query, values[p.field]), count(w.tokens[caller], p.query, "zq-nonsense")
			checks++
			if truth != nonsense {
				t.Errorf("%s: %s answers %d for Globex's value and %d for nonsense", caller.Name, p.query, truth, nonsense)
			}
		}
	}
	// The agent sees Globex's case: the probes tell the values apart for it.
	if count(w.tokens[w.agent], probes[0].query, "Project Falcon") != 1 {
		t.Fatal("the agent does not find the case: the probes test nothing")
	}
	t.Logf("%d oracle checks", checks)
}

// TestARevocationCountsForTheRestOfTheRequest: each root field of a
// mutation decides with the grants as they stand when it runs.
func TestARevocationCountsForTheRestOfTheRequest(t *testing.T) {
	w := newTwoPartners(t)
	res := w.Query(w.tokens[w.contosoAdmin], `mutation($g: ID!, $k: ID!) {
		r: revokeGrant(input: {id: $g}) { grant { status } }
		b: addCaseComment(input: {caseID: $k, body: "after the revocation"}) { comment { id } } }`,
		map[string]any{"g": w.contosoGrant.ID, "k": w.kase.ID})
	if e := errorAt(res, "b"); e == nil || (e.Extensions["code"] != "NOT_FOUND" && e.Extensions["code"] != "FORBIDDEN") {
		t.Fatalf("the comment after the revocation: %s %+v", res.Data, res.Errors)
	}
	if g := w.Client.Grant.GetX(w.System(), w.contosoGrant.ID); g.Status != grant.StatusREVOKED {
		t.Fatalf("the revocation did not stay: %s", g.Status)
	}
	if n := w.Client.CaseComment.Query().CountX(w.System()); n != 1 {
		t.Errorf("%d comments, want only the engineer's", n)
	}
}

// TestTheCaseHistoryIsTheCustomersToShare: a partner at FULL_ADMIN
// configures the customer but cannot open the era wall; the customer can.
func TestTheCaseHistoryIsTheCustomersToShare(t *testing.T) {
	w := newTwoPartners(t)
	full := w.Contact(w.contoso, "Fay Full", access.RoleAdmin)
	w.Grant(testkit.GrantSpec{Partner: w.contoso, Customer: w.acme, Level: access.FullAdmin, Grantee: full})
	const share = `mutation($id: ID!) { updateOrganization(input: {id: $id, shareCaseHistoryWithPartners: true}) { organization { id } } }`
	if res := w.Query(w.Token(full), share, map[string]any{"id": w.acme.ID}); res.Code() != "FORBIDDEN" {
		t.Errorf("a FULL_ADMIN partner shares the history: %+v", res.Errors)
	}
	if w.Client.Organization.GetX(w.System(), w.acme.ID).ShareCaseHistoryWithPartners {
		t.Fatal("the refusal changed the setting")
	}
	if res := w.Query(w.Token(full), `mutation($id: ID!) { updateOrganization(input: {id: $id, sites: ["a.acme.example"]}) { organization { id } } }`,
		map[string]any{"id": w.acme.ID}); len(res.Errors) > 0 {
		t.Errorf("the partner configures the sites: %+v", res.Errors)
	}
	// A case from before any partner's grant: Contoso sees it only once
	// Acme shares its history.
	now := w.Clock.Now()
	w.Clock.Set(now.Add(-48 * time.Hour))
	old := w.Case(w.acme, w.acmeMember, "Before the partners")
	w.Clock.Set(now)
	sees := func() bool {
		res := w.Query(w.tokens[w.contosoAdmin], `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": old.ID})
		return res.Code() != "NOT_FOUND"
	}
	if sees() {
		t.Fatal("Contoso sees a case from before its era")
	}
	if res := w.Query(w.tokens[w.acmeManager], share, map[string]any{"id": w.acme.ID}); len(res.Errors) > 0 {
		t.Errorf("the customer's contact manager shares the history: %+v", res.Errors)
	}
	if !sees() {
		t.Error("Contoso does not see the shared history")
	}
}

// TestHiddenObjectsAreAnsweredLikeMissingOnes: whether an ID is of an
// object the caller may not see or of none, the answer is the same, in
// code and in message.
func TestHiddenObjectsAreAnsweredLikeMissingOnes(t *testing.T) {
	w := newTwoPartners(t)
	missing := "con_01J00000000000000000000000"
	globex := w.Org(access.Customer, "Globex")
	stranger := w.Contact(globex, "Sam Stranger")
	for _, tc := range []struct {
		name, query string
		vars        func(id string) map[string]any
	}{
		{"read by ID", `query($id: ID!) { node(id: $id) { ... on Contact { name } } }`, func(id string) map[string]any { return map[string]any{"id": id} }},
		{"change by ID", `mutation($id: ID!) { updateContact(input: {id: $id, name: "X"}) { contact { id } } }`, func(id string) map[string]any { return map[string]any{"id": id} }},
		{"collaborator", `mutation($k: ID!, $id: ID!) { addCaseCollaborator(input: {caseID: $k, contactID: $id}) { case { id } } }`,
			func(id string) map[string]any { return map[string]any{"k": w.kase.ID, "id": id} }},
		{"primary contact", `mutation($k: ID!, $id: ID!) { updateCase(input: {id: $k, primaryContactID: $id}) { case { id } } }`,
			func(id string) map[string]any { return map[string]any{"k": w.kase.ID, "id": id} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// At CC, Contoso's contact may not read Acme's admin (no LOOK,
			// not a counterpart of its case); at UPDATE, Contoso's admin
			// may not read anyone of Globex.
			caller, hiddenID := w.contosoAdmin, stranger.ID
			if tc.name == "read by ID" || tc.name == "change by ID" {
				caller, hiddenID = w.contosoCC, w.acmeAdmin.ID
			}
			hidden := w.Query(w.tokens[caller], tc.query, tc.vars(hiddenID))
			none := w.Query(w.tokens[caller], tc.query, tc.vars(missing))
			msg := func(r testkit.Response) string {
				if len(r.Errors) == 0 {
					return "no error: " + string(r.Data)
				}
				return strings.ReplaceAll(strings.ReplaceAll(r.Errors[0].Message, hiddenID, "ID"), missing, "ID") + " " + r.Code()
			}
			if msg(hidden) != msg(none) {
				t.Errorf("hidden: %q, missing: %q", msg(hidden), msg(none))
			}
		})
	}
}

// TestAPartnerReadsItsOwnRequestsAndTheirCustomers: "My Requests", every
// status, with the customer's name from the moment of the request.
func TestAPartnerReadsItsOwnRequestsAndTheirCustomers(t *testing.T) {
	w := newTwoPartners(t)
	globex := w.Org(access.Customer, "Globex")
	globexManager := w.Contact(globex, "Gia Manager", access.RoleContactManager)
	var req struct {
		RequestGrant struct {
			Grant struct {
				Status   string
				Customer struct{ Name string }
			}
		}
	}
	w.Query(w.tokens[w.contosoAdmin], `mutation($e: String!) { requestGrant(input: {customerContactEmail: $e, level: LOOK, expiresInDays: 30}) { grant { status customer { name } } } }`,
		map[string]any{"e": globexManager.Email}).Decode(t, &req)
	if g := req.RequestGrant.Grant; g.Status != "PENDING" || g.Customer.Name != "Globex" {
		t.Fatalf("request: %+v", req)
	}
	w.Grant(testkit.GrantSpec{Partner: w.contoso, Customer: globex, Level: access.Look, Status: grant.StatusREJECTED})
	var got struct {
		Viewer struct {
			Grants struct {
				Edges []struct {
					Node struct {
						Status   string
						Customer struct{ Name string }
					}
				}
			}
		}
	}
	w.Query(w.tokens[w.contosoAdmin], `{ viewer { grants(first: 50) { edges { node { status customer { name } } } } } }`, nil).Decode(t, &got)
	statuses := map[string]string{}
	for _, e := range got.Viewer.Grants.Edges {
		statuses[e.Node.Status] = e.Node.Customer.Name
	}
	if statuses["PENDING"] != "Globex" || statuses["REJECTED"] != "Globex" || statuses["ACTIVE"] != "Acme" {
		t.Errorf("the partner's grants: %+v", got.Viewer.Grants.Edges)
	}
}

// TestOpenStreamsEndWhenTheSignInDoes: a contact suspended, or whose
// token is revoked, loses its open streams within a second, with 4401.
func TestOpenStreamsEndWhenTheSignInDoes(t *testing.T) {
	for name, end := range map[string]func(w *twoPartners, subscribed string){
		"suspended": func(w *twoPartners, _ string) {
			w.Query(w.tokens[w.acmeAdmin], `mutation($id: ID!) { updateContact(input: {id: $id, status: SUSPENDED}) { contact { id } } }`,
				map[string]any{"id": w.acmeMember.ID})
		},
		"token revoked": func(w *twoPartners, subscribed string) {
			id := w.Client.AccessToken.Query().Where(accesstoken.TokenHash(auth.Hash(subscribed))).OnlyIDX(w.System())
			res := w.Query(w.tokens[w.acmeMember], `mutation($id: ID!) { revokeAccessToken(input: {id: $id}) { accessToken { revokedAt } } }`, map[string]any{"id": id})
			if len(res.Errors) > 0 {
				t.Fatalf("%+v", res.Errors)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			w := newTwoPartners(t)
			token := w.Token(w.acmeMember)
			s := w.Dial(t, token)
			s.Subscribe("1", caseEventsSub, map[string]any{"c": w.acme.ID})
			// The world's own events may still be on their way (PostgreSQL
			// relays them): they were the member's to see; let them pass.
			for {
				if _, err := s.Read(300 * time.Millisecond); err != nil {
					break
				}
			}
			end(w, token)
			for {
				m, err := s.Read(2 * time.Second)
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					if ce.Code != 4401 {
						t.Fatalf("closed with %d, want 4401", ce.Code)
					}
					return
				}
				if err != nil {
					t.Fatalf("the stream did not end with 4401: %v", err)
				}
				if m.Type == "next" {
					t.Fatalf("an event after the sign-in ended: %s", m.Payload)
				}
			}
		})
	}
}

// TestGrantEventsReachWhoeverMayReadTheGrant: the vendor's staff read
// every grant, so they hear of each one; a customer's plain member reads
// none.
func TestGrantEventsReachWhoeverMayReadTheGrant(t *testing.T) {
	w := newTwoPartners(t)
	agent := w.Dial(t, w.tokens[w.agent])
	agent.Subscribe("1", `subscription { grantEvents { kind grant { id } } }`, nil)
	member := w.Dial(t, w.tokens[w.acmeMember])
	member.Subscribe("1", `subscription { grantEvents { kind grant { id } } }`, nil)
	time.Sleep(100 * time.Millisecond)
	w.Query(w.tokens[w.acmeManager], `mutation($id: ID!) { revokeGrant(input: {id: $id}) { grant { id } } }`, map[string]any{"id": w.contosoGrant.ID})
	if m := agent.Next(5 * time.Second); m.Type != "next" || !strings.Contains(string(m.Payload), `"REVOKED"`) {
		t.Fatalf("the agent got %s %s", m.Type, m.Payload)
	}
	silent(t, member, 300*time.Millisecond)
}
