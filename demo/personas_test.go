package demo_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/demo"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/testkit"
)

const day = 24 * time.Hour

// world is partnerdesk serving the demo world, loaded at the test clock's
// now, with a token for every persona.
type world struct {
	*testkit.Env
	tokens map[string]string // by persona key
}

func loadWorld(t *testing.T) *world {
	t.Helper()
	e := testkit.New(t)
	personas, err := demo.Load(context.Background(), e.Client, e.Clock.Now())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	w := &world{Env: e, tokens: map[string]string{}}
	for _, p := range personas {
		w.tokens[p.Key] = e.Token(e.Client.Contact.Query().Where(contact.Email(p.Email)).OnlyX(e.System()))
	}
	return w
}

// orgID is the ID of the organisation named name: plumbing, not a claim.
func (w *world) orgID(t *testing.T, name string) string {
	t.Helper()
	return w.Client.Organization.Query().Where(organization.Name(name)).OnlyX(w.System()).ID
}

// readmeRow is one row of the README's persona table.
type readmeRow struct{ key, email, shows string }

// readmePersonas reads the persona table of the README, as a reader sees it.
func readmePersonas(t *testing.T) []readmeRow {
	t.Helper()
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n## Demo personas\n")
	if !ok {
		t.Fatal("the README has no Demo personas section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var rows []readmeRow
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if !strings.HasPrefix(line, "| ") || len(cells) != 3 || cells[0] == "persona" {
			continue
		}
		rows = append(rows, readmeRow{cells[0], cells[1], cells[2]})
	}
	return rows
}

// A claim is what a README row says a persona sees, and the check of it
// through the API, as the persona.
type claim struct {
	shows string // the row's text, which the check holds to
	check func(t *testing.T, w *world, token string)
	// changes says the check changes the world: it gets a world of its
	// own; the others share one.
	changes bool
}

// TestEveryREADMEPersonaSeesWhatTheREADMESays signs in as each persona of
// the README's table, in the demo world, and checks through the API what
// its row says it shows. A row whose text changes, or a persona the demo
// does not print, fails until its check says the same.
func TestEveryREADMEPersonaSeesWhatTheREADMESays(t *testing.T) {
	rows := readmePersonas(t)
	var printed []string
	for _, p := range demo.Personas() {
		printed = append(printed, p.Key+" "+p.Email)
	}
	var listed []string
	for _, r := range rows {
		listed = append(listed, r.key+" "+r.email)
	}
	if !slices.Equal(printed, listed) {
		t.Errorf("the demo prints tokens for\n%v\nthe README lists\n%v", printed, listed)
	}
	shared := loadWorld(t)
	for _, r := range rows {
		c, ok := claims[r.key]
		if !ok {
			t.Errorf("README persona %s has no check", r.key)
			continue
		}
		if c.shows != r.shows {
			t.Errorf("README persona %s shows %q; its check holds it to %q", r.key, r.shows, c.shows)
			continue
		}
		t.Run(r.key, func(t *testing.T) {
			w := shared
			if c.changes {
				w = loadWorld(t)
			}
			c.check(t, w, w.tokens[r.key])
		})
	}
}

var claims = map[string]claim{
	"vendor-agent": {"vendor AGENT: FULL_ADMIN on every customer, reads INTERNAL comments", func(t *testing.T, w *world, token string) {
		w.is(t, token, "Northwind Support", "VENDOR", access.RoleAgent)
		for _, customer := range []string{"Acme Corporation", "Globex Corporation", "Sakura Robotics", "Kowalski Logistyka"} {
			w.hasAccess(t, token, customer, access.FullAdmin, "VENDOR")
		}
		var internal int
		for _, c := range w.cases(t, token) {
			for _, cm := range c.Comments.Nodes {
				if cm.Visibility == "INTERNAL" {
					internal++
				}
			}
		}
		if internal == 0 {
			t.Error("reads no INTERNAL comment")
		}
	}, false},

	"vendor-admin": {"vendor ADMIN: creates organisations, sets support plans, reads every audit entry", func(t *testing.T, w *world, token string) {
		w.is(t, token, "Northwind Support", "VENDOR", access.RoleAdmin)
		var created struct {
			CreateOrganization struct {
				Organization struct{ ID, SupportPlan string }
			}
		}
		w.Query(token, `mutation { createOrganization(input: {kind: CUSTOMER, name: "Initech", domains: ["initech.example"], supportPlan: STANDARD}) { organization { id supportPlan } } }`, nil).
			Decode(t, &created)
		var updated struct {
			UpdateOrganization struct{ Organization struct{ SupportPlan string } }
		}
		w.Query(token, `mutation($id: ID!) { updateOrganization(input: {id: $id, supportPlan: PREMIUM}) { organization { supportPlan } } }`,
			map[string]any{"id": created.CreateOrganization.Organization.ID}).Decode(t, &updated)
		if updated.UpdateOrganization.Organization.SupportPlan != "PREMIUM" {
			t.Errorf("set the plan to %q", updated.UpdateOrganization.Organization.SupportPlan)
		}
		w.comment(t, w.tokens["contoso-admin"], "Voicemail-to-email not delivered for 12 users")
		entries := w.audit(t, token)
		if want := w.Client.AuditEntry.Query().CountX(w.System()); len(entries) != want || want < 3 {
			t.Errorf("reads %d audit entries of %d", len(entries), want)
		}
	}, true},

	"contoso-admin": {"partner ADMIN: SERVICE_ADMIN on Acme, CREATE on Kowalski (expires in 5 days), nothing left on Globex", func(t *testing.T, w *world, token string) {
		w.is(t, token, "Contoso Partners", "PARTNER", access.RoleAdmin)
		w.hasAccess(t, token, "Acme Corporation", access.ServiceAdmin, "ORGANIZATION_GRANT")
		kowalski := w.hasAccess(t, token, "Kowalski Logistyka", access.Create, "ORGANIZATION_GRANT")
		if want := w.Clock.Now().Add(5 * day); kowalski.ExpiresAt == nil || !kowalski.ExpiresAt.Equal(want) {
			t.Errorf("CREATE on Kowalski until %v, want %v", kowalski.ExpiresAt, want)
		}
		w.hasAccess(t, token, "Globex Corporation", "", "NONE")
	}, false},

	"contoso-helpdesk": {"partner HELP_DESK over Acme and Kowalski; filed a Globex case before Contoso lost Globex", func(t *testing.T, w *world, token string) {
		w.is(t, token, "Contoso Partners", "PARTNER", access.RoleHelpDesk)
		for domain, customer := range map[string]string{"acme.example": "Acme Corporation", "kowalski-logistyka.example": "Kowalski Logistyka",
			"globex.example": "", "sakura-robotics.example": ""} {
			if got := w.helpDesk(t, token, domain); !slices.Equal(got, nonEmpty(customer)) {
				t.Errorf("help-desk search for %s finds %v, want %v", domain, got, nonEmpty(customer))
			}
		}
		me := w.viewer(t, token).Contact
		globex := w.customerCases(t, w.tokens["globex-admin"], "Globex Corporation")
		contoso := w.grantsOf(t, w.tokens["globex-admin"], "Contoso Partners")
		var filed bool
		for _, c := range globex {
			filed = filed || c.CreatedBy.ID == me.ID && slices.ContainsFunc(contoso, func(g grantNode) bool { return g.held(c.CreatedAt) })
		}
		if !filed {
			t.Error("filed no Globex case while Contoso held a grant on Globex")
		}
		w.hasAccess(t, token, "Globex Corporation", "", "NONE")
	}, false},

	"contoso-look": {"individual LOOK grant on Acme, lower than Contoso's organisation grant, and deciding", func(t *testing.T, w *world, token string) {
		mine := w.hasAccess(t, token, "Acme Corporation", access.Look, "INDIVIDUAL_GRANT")
		org := w.access(t, w.tokens["contoso-admin"], "Acme Corporation")
		if org.Source != "ORGANIZATION_GRANT" || org.Level == nil || !org.Level.AtLeast(access.Update) {
			t.Errorf("Contoso's organisation grant on Acme: %+v, want one above LOOK that lets its holders work cases", org)
		}
		if mine.Grant == nil || mine.Grant.GranteeID != w.viewer(t, token).Contact.ID {
			t.Errorf("the deciding grant %+v is not hers", mine.Grant)
		}
		// Deciding: the organisation grant would let her comment.
		if res := w.tryComment(t, token, "Voicemail-to-email not delivered for 12 users"); res.Code() != "FORBIDDEN" {
			t.Errorf("commenting under LOOK: %+v", res.Errors)
		}
	}, false},

	"contoso-cc": {"individual CC grant on Acme: of Acme's cases, sees only the one she collaborates on", func(t *testing.T, w *world, token string) {
		w.hasAccess(t, token, "Acme Corporation", access.CC, "INDIVIDUAL_GRANT")
		me := w.viewer(t, token).Contact.ID
		seen := w.customerCases(t, token, "Acme Corporation")
		if len(seen) != 1 || !slices.ContainsFunc(seen[0].Collaborators.Nodes, func(c idNode) bool { return c.ID == me }) {
			t.Errorf("sees %d cases: %+v", len(seen), seen)
		}
		if all := w.customerCases(t, w.tokens["acme-admin"], "Acme Corporation"); len(all) < 2 {
			t.Errorf("Acme has %d cases; the claim needs others she does not see", len(all))
		}
	}, false},

	"fabrikam-admin": {"partner ADMIN: FULL_ADMIN on Globex since Fabrikam took over", func(t *testing.T, w *world, token string) {
		w.is(t, token, "Fabrikam Services", "PARTNER", access.RoleAdmin)
		globex := w.hasAccess(t, token, "Globex Corporation", access.FullAdmin, "ORGANIZATION_GRANT")
		if globex.Grant == nil || globex.Grant.StartsAt == nil {
			t.Fatalf("no deciding grant: %+v", globex)
		}
		seen := w.customerCases(t, token, "Globex Corporation")
		all := w.customerCases(t, w.tokens["globex-admin"], "Globex Corporation")
		var since int
		for _, c := range all {
			if !c.CreatedAt.Before(*globex.Grant.StartsAt) {
				since++
			}
		}
		if since == 0 || len(seen) != since || len(all) == since {
			t.Errorf("sees %d of Globex's %d cases; %d were filed since Fabrikam took over", len(seen), len(all), since)
		}
	}, false},

	"fabrikam-msp-helpdesk": {"UPDATE on Sakura through a grant scoped to fabrikam-msp.example; a 4-hour SERVICE_ADMIN elevation awaits Sakura (its rule approves up to 60 minutes at once)", func(t *testing.T, w *world, token string) {
		sakura := w.hasAccess(t, token, "Sakura Robotics", access.Update, "ORGANIZATION_GRANT")
		if sakura.Grant == nil || sakura.Grant.PartnerDomain == nil || *sakura.Grant.PartnerDomain != "fabrikam-msp.example" || sakura.Grant.GranteeID != "" {
			t.Errorf("the deciding grant is %+v", sakura.Grant)
		}
		if email := w.viewer(t, token).Contact.Email; !strings.HasSuffix(email, "@fabrikam-msp.example") {
			t.Errorf("signs in as %s", email)
		}
		var got struct {
			Viewer struct {
				Grants struct {
					Nodes []struct{ Status, Level string }
				}
			}
			Node struct {
				ElevationRules []struct {
					MaxLevel    string
					MaxMinutes  int
					ContactRole string
				}
			}
		}
		w.Query(token, `query($s: ID!) {
			viewer { grants(first: 5, where: {kind: ELEVATION, status: PENDING}) { nodes { status level } } }
			node(id: $s) { ... on Organization { elevationRules { maxLevel maxMinutes contactRole } } }
		}`, map[string]any{"s": w.orgID(t, "Sakura Robotics")}).Decode(t, &got)
		if e := got.Viewer.Grants.Nodes; len(e) != 1 || e[0].Level != "SERVICE_ADMIN" {
			t.Errorf("pending elevations: %+v", e)
		}
		if r := got.Node.ElevationRules; len(r) != 1 || r[0].MaxLevel != "SERVICE_ADMIN" || r[0].MaxMinutes != 60 || r[0].ContactRole != "HELP_DESK" {
			t.Errorf("Sakura's rules, as the partner reads them: %+v", r)
		}
	}, false},

	"fabrikam-engineer": {"same partner, other domain: no access to Sakura", func(t *testing.T, w *world, token string) {
		me, msp := w.viewer(t, token), w.viewer(t, w.tokens["fabrikam-msp-helpdesk"])
		if me.Organization.Name != msp.Organization.Name || domainOf(me.Contact.Email) == domainOf(msp.Contact.Email) {
			t.Errorf("%s of %s beside %s of %s", me.Contact.Email, me.Organization.Name, msp.Contact.Email, msp.Organization.Name)
		}
		w.hasAccess(t, token, "Sakura Robotics", "", "NONE")
		if seen := w.customerCases(t, token, "Sakura Robotics"); len(seen) != 0 {
			t.Errorf("sees %d Sakura cases", len(seen))
		}
	}, false},

	"acme-admin": {"customer ADMIN (PREMIUM plan): manages contacts, revokes grants, reads Acme's audit", func(t *testing.T, w *world, token string) {
		v := w.is(t, token, "Acme Corporation", "CUSTOMER", access.RoleAdmin)
		if v.Organization.SupportPlan != "PREMIUM" {
			t.Errorf("Acme is on %s", v.Organization.SupportPlan)
		}
		// What a partner did on Acme's behalf is in Acme's audit too; what
		// partners did for other customers is not.
		w.comment(t, w.tokens["contoso-admin"], "Voicemail-to-email not delivered for 12 users")
		w.comment(t, w.tokens["fabrikam-admin"], "Overflow announcement plays in English on the Spanish-language queue")
		w.comment(t, w.tokens["contoso-helpdesk"], "Inbound calls to the Warsaw warehouse go straight to voicemail")
		var created struct {
			CreateContact struct{ Contact struct{ ID string } }
		}
		w.Query(token, `mutation($org: ID!) { createContact(input: {organizationID: $org, name: "Rosa Diaz", email: "rosa.diaz@acme.example"}) { contact { id } } }`,
			map[string]any{"org": w.orgID(t, "Acme Corporation")}).Decode(t, &created)
		var individual string
		for _, g := range w.grantsOf(t, token, "Contoso Partners") {
			if g.Status == "ACTIVE" && g.GranteeID != "" {
				individual = g.ID
			}
		}
		var revoked struct {
			RevokeGrant struct{ Grant struct{ Status string } }
		}
		w.Query(token, `mutation($id: ID!) { revokeGrant(input: {id: $id}) { grant { status } } }`, map[string]any{"id": individual}).Decode(t, &revoked)
		if revoked.RevokeGrant.Grant.Status != "REVOKED" {
			t.Errorf("revoking left the grant %s", revoked.RevokeGrant.Grant.Status)
		}
		var ops []string
		for _, e := range w.audit(t, token) {
			if e.Customer == nil || e.Customer.Name != "Acme Corporation" {
				t.Errorf("reads an entry about %+v", e.Customer)
			}
			ops = append(ops, e.Operation+" by "+e.ActorOrganization.Name)
		}
		slices.Sort(ops)
		if want := []string{"addCaseComment by Contoso Partners", "createContact by Acme Corporation", "revokeGrant by Acme Corporation"}; !slices.Equal(ops, want) {
			t.Errorf("Acme's audit: %v, want %v", ops, want)
		}
	}, true},

	"acme-contact-manager": {"customer CONTACT_MANAGER: approves partner requests (one is pending)", func(t *testing.T, w *world, token string) {
		w.is(t, token, "Acme Corporation", "CUSTOMER", access.RoleContactManager)
		var pending []string
		for _, g := range w.viewer(t, token).Grants.Nodes {
			if g.Status == "PENDING" {
				pending = append(pending, g.ID)
			}
		}
		if len(pending) != 1 {
			t.Fatalf("%d pending requests", len(pending))
		}
		var approved struct {
			ApproveGrant struct{ Grant struct{ Status string } }
		}
		w.Query(token, `mutation($id: ID!) { approveGrant(input: {id: $id}) { grant { status } } }`, map[string]any{"id": pending[0]}).Decode(t, &approved)
		if approved.ApproveGrant.Grant.Status != "ACTIVE" {
			t.Errorf("approving left the grant %s", approved.ApproveGrant.Grant.Status)
		}
	}, true},

	"acme-designated": {"DESIGNATED contact: may escalate", func(t *testing.T, w *world, token string) {
		w.is(t, token, "Acme Corporation", "CUSTOMER", access.RoleDesignated)
		id := w.caseTitled(t, token, "Voicemail-to-email not delivered for 12 users").ID
		var got struct {
			EscalateCase struct{ Case struct{ Escalated bool } }
		}
		w.Query(token, `mutation($id: ID!) { escalateCase(input: {id: $id, reason: "Twelve people miss their voicemail."}) { case { escalated } } }`,
			map[string]any{"id": id}).Decode(t, &got)
		if !got.EscalateCase.Case.Escalated {
			t.Error("the case is not escalated")
		}
	}, true},

	"acme-member": {"plain member: CREATE on Acme", func(t *testing.T, w *world, token string) {
		v := w.is(t, token, "Acme Corporation", "CUSTOMER")
		if len(v.Contact.Roles) != 0 {
			t.Errorf("holds %v", v.Contact.Roles)
		}
		w.hasAccess(t, token, "Acme Corporation", access.Create, "OWN_ORGANIZATION")
	}, false},

	"globex-admin": {"ADMIN and CONTACT_MANAGER of a STANDARD customer with cases from two partner eras", func(t *testing.T, w *world, token string) {
		v := w.is(t, token, "Globex Corporation", "CUSTOMER", access.RoleAdmin, access.RoleContactManager)
		if v.Organization.SupportPlan != "STANDARD" {
			t.Errorf("Globex is on %s", v.Organization.SupportPlan)
		}
		eras := map[string]bool{}
		for _, c := range w.customerCases(t, token, "Globex Corporation") {
			if c.OnBehalfOf == nil {
				continue
			}
			if slices.ContainsFunc(w.grantsOf(t, token, c.OnBehalfOf.Name), func(g grantNode) bool { return g.held(c.CreatedAt) }) {
				eras[c.OnBehalfOf.Name] = true
			}
		}
		if len(eras) != 2 {
			t.Errorf("cases filed by partners in their eras: %v", eras)
		}
	}, false},
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func domainOf(email string) string {
	_, d, _ := strings.Cut(email, "@")
	return d
}
