package access_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
)

var now = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const (
	vendorOrg     = "org-vendor"
	partnerOrg    = "org-partner"
	otherPartner  = "org-partner-2"
	customerOrg   = "org-customer"
	otherCustomer = "org-customer-2"

	me      = "contact-me"
	someone = "contact-someone-else"
)

// contact is an active caller; its email is in partner.example.
func contact(kind access.OrgKind, org string, roles ...access.Role) access.Caller {
	return access.Caller{
		ContactID: me,
		OrgID:     org,
		OrgKind:   kind,
		Roles:     roles,
		Email:     "pat@partner.example",
		Active:    true,
	}
}

func customerContact(roles ...access.Role) access.Caller {
	return contact(access.Customer, customerOrg, roles...)
}

func partnerContact(roles ...access.Role) access.Caller {
	return contact(access.Partner, partnerOrg, roles...)
}

func vendorContact(roles ...access.Role) access.Caller {
	return contact(access.Vendor, vendorOrg, roles...)
}

func inactive(c access.Caller) access.Caller { c.Active = false; return c }

func withEmail(c access.Caller, email string) access.Caller { c.Email = email; return c }

// grant is an approved organisation grant from partnerOrg on customerOrg,
// active from a day before now to a day after.
func grant(id string, level access.Level, opts ...func(*access.Grant)) access.Grant {
	g := access.Grant{
		ID:         id,
		PartnerID:  partnerOrg,
		CustomerID: customerOrg,
		Level:      level,
		Approved:   true,
		StartsAt:   now.Add(-24 * time.Hour),
		ExpiresAt:  now.Add(24 * time.Hour),
	}
	for _, o := range opts {
		o(&g)
	}
	return g
}

func forContact(id string) func(*access.Grant) { return func(g *access.Grant) { g.GranteeID = id } }
func inDomain(d string) func(*access.Grant)    { return func(g *access.Grant) { g.PartnerDomain = d } }
func fromPartner(p string) func(*access.Grant) { return func(g *access.Grant) { g.PartnerID = p } }
func onCustomer(c string) func(*access.Grant)  { return func(g *access.Grant) { g.CustomerID = c } }
func notApproved(g *access.Grant)              { g.Approved = false }
func elevation(g *access.Grant)                { g.Elevation = true }
func expired(g *access.Grant)                  { g.ExpiresAt = now }
func notYetStarted(g *access.Grant)            { g.StartsAt = now.Add(time.Second) }
func revoked(g *access.Grant)                  { e := now.Add(-time.Minute); g.EndedAt = &e }

func grants(gs ...access.Grant) []access.Grant { return gs }

func TestLevelOrder(t *testing.T) {
	want := []access.Level{access.CC, access.Look, access.Update, access.Create, access.ServiceAdmin, access.FullAdmin}
	if got := access.Levels(); !slices.Equal(got, want) {
		t.Fatalf("Levels() = %v, want %v (SPEC §2.1 order)", got, want)
	}
	for i, l := range want {
		for j, m := range want {
			if got := l.AtLeast(m); got != (i >= j) {
				t.Errorf("%s.AtLeast(%s) = %v, want %v", l, m, got, i >= j)
			}
		}
	}
}

func TestLevelWithoutAccessIsAtLeastNothing(t *testing.T) {
	for _, l := range []access.Level{"", "ROOT", "look"} {
		for _, m := range append(access.Levels(), "") {
			if l.AtLeast(m) {
				t.Errorf("Level(%q).AtLeast(%q) = true, want false", l, m)
			}
		}
		if l.Valid() {
			t.Errorf("Level(%q).Valid() = true", l)
		}
	}
}

func TestLevelsReturnsACopy(t *testing.T) {
	access.Levels()[0] = access.FullAdmin
	if access.Levels()[0] != access.CC {
		t.Fatal("changing the slice returned by Levels changed the order of levels")
	}
}

func TestLevelGQL(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   any
		want access.Level // "": refused
	}{
		{"enum value", "SERVICE_ADMIN", access.ServiceAdmin},
		{"lowest", "CC", access.CC},
		{"lower case refused", "look", ""},
		{"unknown refused", "ROOT", ""},
		{"empty refused", "", ""},
		{"number refused", 3, ""},
		{"null refused", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := access.Look
			err := l.UnmarshalGQL(tc.in)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("UnmarshalGQL(%v) accepted, got %q", tc.in, l)
				}
				if !strings.Contains(err.Error(), "AccessLevel") {
					t.Errorf("error %q does not name the enum", err)
				}
				if l != access.Look {
					t.Errorf("refused value changed the level to %q", l)
				}
				return
			}
			if err != nil || l != tc.want {
				t.Fatalf("UnmarshalGQL(%v) = %q, %v; want %q", tc.in, l, err, tc.want)
			}
			var buf bytes.Buffer
			l.MarshalGQL(&buf)
			if want := fmt.Sprintf("%q", tc.want); buf.String() != want {
				t.Errorf("MarshalGQL = %s, want %s", buf.String(), want)
			}
		})
	}
}

func TestEffective(t *testing.T) {
	for _, tc := range []struct {
		name       string
		caller     access.Caller
		org        string
		grants     []access.Grant
		wantLevel  access.Level
		wantSource access.Source
		wantGrant  string // ID of the deciding grant, "" for none
	}{
		// §2.2 rule 1: a customer's own contacts.
		{name: "customer ADMIN on own org is FULL_ADMIN",
			caller: customerContact(access.RoleAdmin), org: customerOrg,
			wantLevel: access.FullAdmin, wantSource: access.SourceOwnOrganization},
		{name: "customer CONTACT_MANAGER on own org is FULL_ADMIN",
			caller: customerContact(access.RoleContactManager), org: customerOrg,
			wantLevel: access.FullAdmin, wantSource: access.SourceOwnOrganization},
		{name: "plain customer member on own org is CREATE",
			caller: customerContact(), org: customerOrg,
			wantLevel: access.Create, wantSource: access.SourceOwnOrganization},
		{name: "customer DESIGNATED member on own org is CREATE",
			caller: customerContact(access.RoleDesignated), org: customerOrg,
			wantLevel: access.Create, wantSource: access.SourceOwnOrganization},
		{name: "plain partner member on own org is LOOK",
			caller: partnerContact(), org: partnerOrg,
			wantLevel: access.Look, wantSource: access.SourceOwnOrganization},
		{name: "partner HELP_DESK on own org is LOOK",
			caller: partnerContact(access.RoleHelpDesk), org: partnerOrg,
			wantLevel: access.Look, wantSource: access.SourceOwnOrganization},
		{name: "partner ADMIN on own org is FULL_ADMIN",
			caller: partnerContact(access.RoleAdmin), org: partnerOrg,
			wantLevel: access.FullAdmin, wantSource: access.SourceOwnOrganization},
		{name: "plain vendor member on own org is LOOK",
			caller: vendorContact(), org: vendorOrg,
			wantLevel: access.Look, wantSource: access.SourceOwnOrganization},
		{name: "vendor ADMIN on own org is FULL_ADMIN from own organisation",
			caller: vendorContact(access.RoleAdmin), org: vendorOrg,
			wantLevel: access.FullAdmin, wantSource: access.SourceOwnOrganization},
		{name: "customer member is not helped by grants on its own org",
			caller: customerContact(), org: customerOrg,
			grants:    grants(grant("g-full", access.FullAdmin)),
			wantLevel: access.Create, wantSource: access.SourceOwnOrganization},

		// §2.2 rule 2: vendor staff.
		{name: "vendor AGENT on a customer is FULL_ADMIN",
			caller: vendorContact(access.RoleAgent), org: customerOrg,
			wantLevel: access.FullAdmin, wantSource: access.SourceVendor},
		{name: "vendor ADMIN on a customer is FULL_ADMIN",
			caller: vendorContact(access.RoleAdmin), org: customerOrg,
			wantLevel: access.FullAdmin, wantSource: access.SourceVendor},
		{name: "vendor AGENT on a partner is FULL_ADMIN",
			caller: vendorContact(access.RoleAgent), org: partnerOrg,
			wantLevel: access.FullAdmin, wantSource: access.SourceVendor},
		{name: "vendor contact without AGENT or ADMIN on a customer is NONE",
			caller: vendorContact(), org: customerOrg,
			wantSource: access.SourceNone},
		{name: "vendor contact cannot use a grant naming the vendor as partner",
			caller: vendorContact(), org: customerOrg,
			grants:     grants(grant("g-vendor", access.FullAdmin, fromPartner(vendorOrg))),
			wantSource: access.SourceNone},

		// §2.2 rule 4: anyone else, and inactive contacts.
		{name: "customer ADMIN on another customer is NONE",
			caller: customerContact(access.RoleAdmin), org: otherCustomer,
			wantSource: access.SourceNone},
		{name: "customer ADMIN on its partner is NONE",
			caller: customerContact(access.RoleAdmin), org: partnerOrg,
			wantSource: access.SourceNone},
		{name: "partner ADMIN on another partner is NONE",
			caller: partnerContact(access.RoleAdmin), org: otherPartner,
			wantSource: access.SourceNone},
		{name: "inactive customer ADMIN on own org is NONE",
			caller: inactive(customerContact(access.RoleAdmin)), org: customerOrg,
			wantSource: access.SourceNone},
		{name: "inactive customer member on own org is NONE",
			caller: inactive(customerContact()), org: customerOrg,
			wantSource: access.SourceNone},
		{name: "inactive vendor AGENT on a customer is NONE",
			caller: inactive(vendorContact(access.RoleAgent)), org: customerOrg,
			wantSource: access.SourceNone},
		{name: "inactive vendor ADMIN on own org is NONE",
			caller: inactive(vendorContact(access.RoleAdmin)), org: vendorOrg,
			wantSource: access.SourceNone},
		{name: "inactive partner with an individual grant is NONE",
			caller: inactive(partnerContact()), org: customerOrg,
			grants:     grants(grant("g-ind", access.FullAdmin, forContact(me))),
			wantSource: access.SourceNone},
		{name: "inactive partner with an organisation grant is NONE",
			caller: inactive(partnerContact()), org: customerOrg,
			grants:     grants(grant("g-org", access.FullAdmin)),
			wantSource: access.SourceNone},

		// §2.2 rule 3: partners through grants.
		{name: "partner without grants is NONE",
			caller: partnerContact(access.RoleAdmin), org: customerOrg,
			wantSource: access.SourceNone},
		{name: "organisation grant gives its level",
			caller: partnerContact(), org: customerOrg,
			grants:    grants(grant("g-org", access.Update)),
			wantLevel: access.Update, wantSource: access.SourceOrganizationGrant, wantGrant: "g-org"},
		{name: "individual grant decides even when lower than an organisation grant",
			caller: partnerContact(), org: customerOrg,
			grants:    grants(grant("g-org", access.ServiceAdmin), grant("g-ind", access.Look, forContact(me))),
			wantLevel: access.Look, wantSource: access.SourceIndividualGrant, wantGrant: "g-ind"},
		{name: "individual grant decides whatever the order of grants",
			caller: partnerContact(), org: customerOrg,
			grants:    grants(grant("g-ind", access.Look, forContact(me)), grant("g-org", access.ServiceAdmin)),
			wantLevel: access.Look, wantSource: access.SourceIndividualGrant, wantGrant: "g-ind"},
		{name: "individual grant higher than the organisation grant",
			caller: partnerContact(), org: customerOrg,
			grants:    grants(grant("g-org", access.Look), grant("g-ind", access.Create, forContact(me))),
			wantLevel: access.Create, wantSource: access.SourceIndividualGrant, wantGrant: "g-ind"},
		{name: "individual grant for another contact is ignored",
			caller: partnerContact(), org: customerOrg,
			grants:    grants(grant("g-other", access.FullAdmin, forContact(someone)), grant("g-org", access.Look)),
			wantLevel: access.Look, wantSource: access.SourceOrganizationGrant, wantGrant: "g-org"},
		{name: "individual grant for another contact alone gives NONE",
			caller: partnerContact(), org: customerOrg,
			grants:     grants(grant("g-other", access.FullAdmin, forContact(someone))),
			wantSource: access.SourceNone},
		{name: "expired individual grant falls back to the organisation grant",
			caller: partnerContact(), org: customerOrg,
			grants:    grants(grant("g-ind", access.FullAdmin, forContact(me), expired), grant("g-org", access.Look)),
			wantLevel: access.Look, wantSource: access.SourceOrganizationGrant, wantGrant: "g-org"},
		{name: "revoked individual grant falls back to the organisation grant",
			caller: partnerContact(), org: customerOrg,
			grants:    grants(grant("g-ind", access.Look, forContact(me), revoked), grant("g-org", access.Create)),
			wantLevel: access.Create, wantSource: access.SourceOrganizationGrant, wantGrant: "g-org"},
		{name: "best organisation grant wins among several",
			caller: partnerContact(), org: customerOrg,
			grants:    grants(grant("g-look", access.Look), grant("g-sa", access.ServiceAdmin), grant("g-upd", access.Update)),
			wantLevel: access.ServiceAdmin, wantSource: access.SourceOrganizationGrant, wantGrant: "g-sa"},
		{name: "expired higher organisation grant does not win",
			caller: partnerContact(), org: customerOrg,
			grants:    grants(grant("g-full", access.FullAdmin, expired), grant("g-look", access.Look)),
			wantLevel: access.Look, wantSource: access.SourceOrganizationGrant, wantGrant: "g-look"},
		{name: "organisation grant for the caller's email domain applies",
			caller: partnerContact(), org: customerOrg,
			grants:    grants(grant("g-dom", access.Create, inDomain("partner.example"))),
			wantLevel: access.Create, wantSource: access.SourceOrganizationGrant, wantGrant: "g-dom"},
		{name: "organisation grant for another domain does not apply",
			caller: partnerContact(), org: customerOrg,
			grants:     grants(grant("g-dom", access.Create, inDomain("partner-eu.example"))),
			wantSource: access.SourceNone},
		{name: "organisation grant for a parent domain does not apply to a subdomain",
			caller: withEmail(partnerContact(), "pat@eu.partner.example"), org: customerOrg,
			grants:     grants(grant("g-dom", access.Create, inDomain("partner.example"))),
			wantSource: access.SourceNone},
		{name: "higher grant for another domain does not beat an all-domain grant",
			caller: partnerContact(), org: customerOrg,
			grants:    grants(grant("g-eu", access.FullAdmin, inDomain("partner-eu.example")), grant("g-all", access.Look)),
			wantLevel: access.Look, wantSource: access.SourceOrganizationGrant, wantGrant: "g-all"},
		{name: "organisation grant without a domain applies to every domain",
			caller: withEmail(partnerContact(), "pat@partner-eu.example"), org: customerOrg,
			grants:    grants(grant("g-all", access.Update)),
			wantLevel: access.Update, wantSource: access.SourceOrganizationGrant, wantGrant: "g-all"},
		{name: "higher grant for the caller's domain beats an all-domain grant",
			caller: partnerContact(), org: customerOrg,
			grants:    grants(grant("g-all", access.Look), grant("g-dom", access.ServiceAdmin, inDomain("partner.example"))),
			wantLevel: access.ServiceAdmin, wantSource: access.SourceOrganizationGrant, wantGrant: "g-dom"},
		{name: "grant of another partner is ignored",
			caller: partnerContact(), org: customerOrg,
			grants:     grants(grant("g-other", access.FullAdmin, fromPartner(otherPartner))),
			wantSource: access.SourceNone},
		{name: "individual grant of another partner is ignored",
			caller: partnerContact(), org: customerOrg,
			grants:     grants(grant("g-other", access.FullAdmin, fromPartner(otherPartner), forContact(me))),
			wantSource: access.SourceNone},
		{name: "grant on another customer is ignored",
			caller: partnerContact(), org: customerOrg,
			grants:     grants(grant("g-other", access.FullAdmin, onCustomer(otherCustomer))),
			wantSource: access.SourceNone},
		{name: "grant on the asked customer is found among grants on others",
			caller: partnerContact(), org: otherCustomer,
			grants:    grants(grant("g-1", access.FullAdmin), grant("g-2", access.Look, onCustomer(otherCustomer))),
			wantLevel: access.Look, wantSource: access.SourceOrganizationGrant, wantGrant: "g-2"},
		{name: "unapproved grant is ignored",
			caller: partnerContact(), org: customerOrg,
			grants:     grants(grant("g-req", access.FullAdmin, notApproved)),
			wantSource: access.SourceNone},
		{name: "grant not yet started is ignored",
			caller: partnerContact(), org: customerOrg,
			grants:     grants(grant("g-later", access.FullAdmin, notYetStarted)),
			wantSource: access.SourceNone},
		{name: "revoked organisation grant is ignored",
			caller: partnerContact(), org: customerOrg,
			grants:     grants(grant("g-rev", access.FullAdmin, revoked)),
			wantSource: access.SourceNone},

		// Elevations: the highest of an elevation and the standing decision.
		{name: "an elevation above an individual grant decides",
			caller: partnerContact(), org: customerOrg,
			grants:    grants(grant("g-ind", access.Look, forContact(me)), grant("g-up", access.Update, forContact(me), elevation)),
			wantLevel: access.Update, wantSource: access.SourceElevation, wantGrant: "g-up"},
		{name: "an organisation grant above the elevation decides",
			caller: partnerContact(), org: customerOrg,
			grants:    grants(grant("g-org", access.Create), grant("g-up", access.Update, forContact(me), elevation)),
			wantLevel: access.Create, wantSource: access.SourceOrganizationGrant, wantGrant: "g-org"},
		{name: "another contact's elevation gives nothing",
			caller: partnerContact(), org: customerOrg,
			grants:    grants(grant("g-org", access.Look), grant("g-up", access.Update, forContact("someone-else"), elevation)),
			wantLevel: access.Look, wantSource: access.SourceOrganizationGrant, wantGrant: "g-org"},
		{name: "an elevation gives nothing without a standing grant",
			caller: partnerContact(), org: customerOrg,
			grants:     grants(grant("g-org", access.Look, revoked), grant("g-up", access.Update, forContact(me), elevation)),
			wantSource: access.SourceNone},
		{name: "an expired elevation gives nothing",
			caller: partnerContact(), org: customerOrg,
			grants:    grants(grant("g-org", access.Look), grant("g-up", access.Update, forContact(me), elevation, expired)),
			wantLevel: access.Look, wantSource: access.SourceOrganizationGrant, wantGrant: "g-org"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := access.Effective(tc.caller, tc.org, tc.grants, now)
			checkDecision(t, d, tc.wantLevel, tc.wantSource, tc.wantGrant)
		})
	}
}

func checkDecision(t *testing.T, d access.Decision, level access.Level, source access.Source, grantID string) {
	t.Helper()
	if d.Level != level || d.Source != source {
		t.Errorf("got %q from %s, want %q from %s", d.Level, d.Source, level, source)
	}
	switch {
	case grantID == "" && d.Grant != nil:
		t.Errorf("deciding grant %q, want none", d.Grant.ID)
	case grantID != "" && d.Grant == nil:
		t.Errorf("no deciding grant, want %q", grantID)
	case grantID != "" && d.Grant.ID != grantID:
		t.Errorf("deciding grant %q, want %q", d.Grant.ID, grantID)
	}
}

// Expiry is enforced at every check: the same grants give access just before
// ExpiresAt and none at it.
func TestEffectiveEnforcesExpiryAtEveryCheck(t *testing.T) {
	expires := now.Add(7 * 24 * time.Hour)
	gs := grants(
		grant("g-ind", access.Update, forContact(me), func(g *access.Grant) { g.ExpiresAt = expires }),
		grant("g-org", access.Look, func(g *access.Grant) { g.ExpiresAt = expires.Add(time.Hour) }),
	)
	c := partnerContact()
	for _, tc := range []struct {
		name   string
		at     time.Time
		level  access.Level
		source access.Source
		grant  string
	}{
		{"individual grant a second before it expires", expires.Add(-time.Second), access.Update, access.SourceIndividualGrant, "g-ind"},
		{"organisation grant once the individual one expired", expires, access.Look, access.SourceOrganizationGrant, "g-org"},
		{"nothing once both expired", expires.Add(time.Hour), "", access.SourceNone, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkDecision(t, access.Effective(c, customerOrg, gs, tc.at), tc.level, tc.source, tc.grant)
		})
	}
}

func TestGrantActiveAt(t *testing.T) {
	t0 := now
	t1 := now.Add(30 * 24 * time.Hour)
	te := now.Add(10 * 24 * time.Hour)
	base := access.Grant{ID: "g", Level: access.Look, Approved: true, StartsAt: t0, ExpiresAt: t1}
	ended := base
	ended.EndedAt = &te
	unapproved := base
	unapproved.Approved = false

	for _, tc := range []struct {
		name  string
		g     access.Grant
		at    time.Time
		alive bool
	}{
		{"active at StartsAt", base, t0, true},
		{"not active a nanosecond before StartsAt", base, t0.Add(-time.Nanosecond), false},
		{"not active a day before StartsAt", base, t0.Add(-24 * time.Hour), false},
		{"active a second before ExpiresAt", base, t1.Add(-time.Second), true},
		{"not active at ExpiresAt", base, t1, false},
		{"not active after ExpiresAt", base, t1.Add(time.Hour), false},
		{"same instant in another zone is still ExpiresAt", base, t1.In(time.FixedZone("CET", 3600)), false},
		{"ended grant active a nanosecond before EndedAt", ended, te.Add(-time.Nanosecond), true},
		{"ended grant not active at EndedAt", ended, te, false},
		{"ended grant not active after EndedAt", ended, te.Add(time.Hour), false},
		{"ended grant was active before it ended", ended, t0, true},
		{"unapproved grant not active within its times", unapproved, t0.Add(time.Hour), false},
		{"unapproved grant not active at StartsAt", unapproved, t0, false},
		{"zero grant never active", access.Grant{}, now, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.g.ActiveAt(tc.at); got != tc.alive {
				t.Errorf("ActiveAt(%v) = %v, want %v", tc.at, got, tc.alive)
			}
		})
	}
}

// allowedRoles is SPEC §1 restated: which roles a contact of each kind may hold.
var allowedRoles = map[access.OrgKind][]access.Role{
	access.Vendor:   {access.RoleAdmin, access.RoleAgent},
	access.Partner:  {access.RoleAdmin, access.RoleHelpDesk},
	access.Customer: {access.RoleAdmin, access.RoleContactManager, access.RoleDesignated},
}

var allRoles = []access.Role{access.RoleAdmin, access.RoleContactManager, access.RoleDesignated, access.RoleHelpDesk, access.RoleAgent}

func TestCheckRolesForEachKindAndRole(t *testing.T) {
	for kind, allowed := range allowedRoles {
		for _, r := range allRoles {
			want := slices.Contains(allowed, r)
			t.Run(fmt.Sprintf("%s %s", kind, r), func(t *testing.T) {
				err := access.CheckRolesFor(kind, []access.Role{r})
				if want && err != nil {
					t.Errorf("refused: %v", err)
				}
				if !want && err == nil {
					t.Errorf("a %s contact was allowed the role %s", kind, r)
				}
			})
		}
	}
}

func TestCheckRolesFor(t *testing.T) {
	for _, tc := range []struct {
		name   string
		kind   access.OrgKind
		roles  []access.Role
		errHas string // "": accepted
	}{
		{"no roles are fine for a customer", access.Customer, nil, ""},
		{"no roles are fine for a partner", access.Partner, []access.Role{}, ""},
		{"all customer roles together", access.Customer, []access.Role{access.RoleAdmin, access.RoleContactManager, access.RoleDesignated}, ""},
		{"vendor admin and agent together", access.Vendor, []access.Role{access.RoleAgent, access.RoleAdmin}, ""},
		{"one bad role among good ones is named", access.Partner, []access.Role{access.RoleAdmin, access.RoleAgent}, "AGENT"},
		{"customer cannot have HELP_DESK", access.Customer, []access.Role{access.RoleHelpDesk}, "HELP_DESK"},
		{"vendor cannot have CONTACT_MANAGER", access.Vendor, []access.Role{access.RoleContactManager}, "CONTACT_MANAGER"},
		{"unknown organisation kind allows no role", access.OrgKind("GUEST"), []access.Role{access.RoleAdmin}, "ADMIN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := access.CheckRolesFor(tc.kind, tc.roles)
			switch {
			case tc.errHas == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.errHas != "" && err == nil:
				t.Fatalf("accepted %v for %s", tc.roles, tc.kind)
			case tc.errHas != "" && !strings.Contains(err.Error(), tc.errHas):
				t.Errorf("error %q does not name %s", err, tc.errHas)
			}
		})
	}
}

func TestValidateRoles(t *testing.T) {
	for _, tc := range []struct {
		name   string
		roles  []access.Role
		errHas string // "": accepted
	}{
		{"no roles", nil, ""},
		{"every role once", allRoles, ""},
		{"unknown role", []access.Role{access.RoleAdmin, "ROOT"}, "ROOT"},
		{"lower-case role is unknown", []access.Role{"admin"}, "admin"},
		{"empty role is unknown", []access.Role{""}, "not a role"},
		{"duplicate role", []access.Role{access.RoleAdmin, access.RoleAgent, access.RoleAdmin}, "twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := access.ValidateRoles(tc.roles)
			switch {
			case tc.errHas == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.errHas != "" && err == nil:
				t.Fatalf("accepted %v", tc.roles)
			case tc.errHas != "" && !strings.Contains(err.Error(), tc.errHas):
				t.Errorf("error %q does not mention %q", err, tc.errHas)
			}
		})
	}
}

func TestOnlyVendorAdminsManageOrganizations(t *testing.T) {
	for _, tc := range []struct {
		name   string
		caller access.Caller
		want   bool
	}{
		{"vendor ADMIN", vendorContact(access.RoleAdmin), true},
		{"vendor ADMIN who is also AGENT", vendorContact(access.RoleAgent, access.RoleAdmin), true},
		{"inactive vendor ADMIN", inactive(vendorContact(access.RoleAdmin)), false},
		{"vendor AGENT", vendorContact(access.RoleAgent), false},
		{"vendor member", vendorContact(), false},
		{"partner ADMIN", partnerContact(access.RoleAdmin), false},
		{"customer ADMIN", customerContact(access.RoleAdmin), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := access.NewSession(tc.caller, now, access.Partnership{}).Require(access.ManageOrganizations, tc.caller.OrgID)
			if got := err == nil; got != tc.want {
				t.Errorf("Require(ManageOrganizations) = %v, want allowed %v", err, tc.want)
			}
		})
	}
}

// TestSessionsMoveAlongTheClockUntilAGrantChanges: a session moved within
// its steady span keeps its decisions (and class); crossing a grant's
// expiry is noticed, and the moved session decides anew.
func TestSessionsMoveAlongTheClockUntilAGrantChanges(t *testing.T) {
	g := grant("g1", access.Update)
	s := access.NewSession(partnerContact(), now, access.Partnership{Grants: []access.Grant{g}})
	soon := now.Add(time.Hour)
	if !s.Steady(soon) {
		t.Fatalf("no grant changes in the hour after now, yet the session is not steady")
	}
	moved := s.At(soon)
	if !moved.Now.Equal(soon) || moved.Level(customerOrg) != access.Update || moved.Class() != s.Class() {
		t.Fatalf("moved within its span: now %v, level %q, same class %v", moved.Now, moved.Level(customerOrg), moved.Class() == s.Class())
	}
	if s.Steady(g.ExpiresAt) || s.Steady(g.StartsAt.Add(-time.Second)) {
		t.Fatalf("steady across the grant's expiry or start")
	}
	if after := s.At(g.ExpiresAt); after.Level(customerOrg) != "" {
		t.Fatalf("after the expiry the level is %q, want none", after.Level(customerOrg))
	}
}

// TestClassesSeparateWhatDecidesDifferently: callers share a class only
// when they are the same contact with the same grants.
func TestClassesSeparateWhatDecidesDifferently(t *testing.T) {
	p := access.Partnership{Grants: []access.Grant{grant("g1", access.Update)}}
	base := access.NewSession(partnerContact(), now, p).Class()
	same := access.NewSession(partnerContact(), now.Add(time.Minute), access.Partnership{Grants: []access.Grant{grant("g1", access.Update)}})
	if same.Class() != base {
		t.Errorf("the same contact and grants, read again, is another class")
	}
	other := partnerContact()
	other.ContactID = someone
	for name, s := range map[string]*access.Session{
		"another contact":   access.NewSession(other, now, p),
		"another level":     access.NewSession(partnerContact(), now, access.Partnership{Grants: []access.Grant{grant("g1", access.Look)}}),
		"the grant revoked": access.NewSession(partnerContact(), now, access.Partnership{Grants: grants(grant("g1", access.Update, revoked))}),
		"history shared":    access.NewSession(partnerContact(), now, access.Partnership{Grants: p.Grants, SharesHistory: map[string]bool{customerOrg: true}}),
		"another role":      access.NewSession(partnerContact(access.RoleAdmin), now, p),
		"suspended":         access.NewSession(inactive(partnerContact()), now, p),
	} {
		if s.Class() == base {
			t.Errorf("%s: same class", name)
		}
	}
}
