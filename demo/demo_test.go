package demo_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/demo"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/caseevent"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/device"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
	"github.com/partnerdesk/partnerdesk/rowfilter"
)

// now is the instant the world is loaded at; a fixed one keeps failures
// reproducible.
var now = time.Date(2025, time.June, 2, 9, 30, 0, 0, time.UTC)

const day = 24 * time.Hour

func open(t *testing.T) *ent.Client {
	t.Helper()
	dsn := "file:" + filepath.Join(t.TempDir(), "demo.db") + "?_fk=1&_busy_timeout=5000"
	client, err := ent.Open("sqlite3", dsn)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { client.Close() })
	if err := client.Schema.Create(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return client
}

// world is the loaded demo, read back through the system context that row
// filters let through.
type world struct {
	ctx      context.Context
	client   *ent.Client
	personas []demo.Persona
	orgs     []*ent.Organization
	contacts []*ent.Contact
	grants   []*ent.Grant
	cases    []*ent.SupportCase
}

func loadWorld(t *testing.T) *world {
	t.Helper()
	client := open(t)
	// Load must make its own context a system one.
	personas, err := demo.Load(context.Background(), client, now)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	ctx := rowfilter.Privileged(context.Background())
	w := &world{ctx: ctx, client: client, personas: personas}
	w.orgs = client.Organization.Query().AllX(ctx)
	w.contacts = client.Contact.Query().AllX(ctx)
	w.grants = client.Grant.Query().AllX(ctx)
	w.cases = client.SupportCase.Query().Order(supportcase.ByNumber()).AllX(ctx)
	return w
}

func TestLoad(t *testing.T) {
	w := loadWorld(t)

	t.Run("refuses a non-empty database", func(t *testing.T) {
		if _, err := demo.Load(context.Background(), w.client, now); err == nil {
			t.Fatal("second Load succeeded")
		}
		if n := w.client.Organization.Query().CountX(w.ctx); n != len(w.orgs) {
			t.Errorf("second Load left %d organisations, want %d", n, len(w.orgs))
		}
	})

	t.Run("personas", func(t *testing.T) {
		if n := len(w.personas); n < 12 || n > 16 {
			t.Errorf("%d personas, want 12..16", n)
		}
		keys := map[string]bool{}
		for _, p := range w.personas {
			if keys[p.Key] {
				t.Errorf("persona key %q repeated", p.Key)
			}
			keys[p.Key] = true
			if p.Name == "" || p.Organization == "" || p.Summary == "" {
				t.Errorf("persona %q is incomplete: %+v", p.Key, p)
			}
			if !w.client.Contact.Query().Where(contact.Email(p.Email)).ExistX(w.ctx) {
				t.Errorf("persona %q: no contact with email %q", p.Key, p.Email)
			}
		}
	})

	t.Run("every grant level and status", func(t *testing.T) {
		levels, statuses := map[access.Level]bool{}, map[grant.Status]bool{}
		for _, g := range w.grants {
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
				t.Errorf("no grant with status %s", s)
			}
		}
	})

	t.Run("grant times match their status", func(t *testing.T) {
		for _, g := range w.grants {
			switch g.Status {
			case grant.StatusACTIVE:
				if g.StartsAt == nil || g.ExpiresAt == nil || g.StartsAt.After(now) || !now.Before(*g.ExpiresAt) {
					t.Errorf("active grant %s: starts %v, expires %v, want starts <= %v < expires", g.ID, g.StartsAt, g.ExpiresAt, now)
					continue
				}
				if g.DecidedAt == nil || !g.DecidedAt.Equal(*g.StartsAt) {
					t.Errorf("active grant %s: decided %v, want its start %v", g.ID, g.DecidedAt, *g.StartsAt)
				}
				if want := g.StartsAt.Add(time.Duration(g.ExpiresInDays) * day); !g.ExpiresAt.Equal(want) {
					t.Errorf("active grant %s: expires %v, want %v", g.ID, *g.ExpiresAt, want)
				}
			case grant.StatusEXPIRED:
				if g.ExpiresAt == nil || !g.ExpiresAt.Before(now) || g.EndedAt == nil || !g.EndedAt.Equal(*g.ExpiresAt) {
					t.Errorf("expired grant %s: expires %v, ended %v", g.ID, g.ExpiresAt, g.EndedAt)
				}
			case grant.StatusREVOKED, grant.StatusSUPERSEDED:
				if g.EndedAt == nil || !g.EndedAt.Before(now) {
					t.Errorf("%s grant %s: ended %v", g.Status, g.ID, g.EndedAt)
				}
				if g.Status == grant.StatusREVOKED && g.EndedByID == nil {
					t.Errorf("revoked grant %s has no ended_by", g.ID)
				}
			case grant.StatusREJECTED:
				if g.DecidedAt == nil || g.StartsAt != nil || g.ExpiresAt != nil {
					t.Errorf("rejected grant %s: decided %v, starts %v, expires %v", g.ID, g.DecidedAt, g.StartsAt, g.ExpiresAt)
				}
			case grant.StatusPENDING:
				if g.DecidedAt != nil || g.StartsAt != nil || g.ExpiresAt != nil || g.EndedAt != nil {
					t.Errorf("pending grant %s has a decision or times", g.ID)
				}
			}
			if g.CreatedAt.After(now) {
				t.Errorf("grant %s created in the future", g.ID)
			}
		}
	})

	t.Run("individual grant lower than an active org grant", func(t *testing.T) {
		for _, ind := range w.grants {
			if ind.GranteeID == nil || ind.Status != grant.StatusACTIVE {
				continue
			}
			for _, org := range w.grants {
				if org.GranteeID == nil && org.Status == grant.StatusACTIVE &&
					org.PartnerID == ind.PartnerID && org.CustomerID == ind.CustomerID &&
					org.Level.AtLeast(ind.Level) && org.Level != ind.Level {
					return
				}
			}
		}
		t.Error("no active individual grant lower than an active organisation grant of its partner on the same customer")
	})

	t.Run("domain-scoped grant and expiry warning", func(t *testing.T) {
		var scoped, expiring bool
		for _, g := range w.grants {
			if g.Status != grant.StatusACTIVE {
				continue
			}
			scoped = scoped || g.PartnerDomain != nil && g.GranteeID == nil
			expiring = expiring || g.ExpiresAt.Sub(now) < 7*day
		}
		if !scoped {
			t.Error("no active organisation grant scoped to a partner domain")
		}
		if !expiring {
			t.Error("no active grant expiring within 7 days")
		}
	})

	t.Run("partner era", func(t *testing.T) {
		// A customer that one partner managed (grant since ended) and
		// another manages now, with a case filed in each era.
		for _, old := range w.grants {
			if old.Status != grant.StatusEXPIRED && old.Status != grant.StatusREVOKED {
				continue
			}
			for _, cur := range w.grants {
				if cur.Status != grant.StatusACTIVE || cur.CustomerID != old.CustomerID || cur.PartnerID == old.PartnerID {
					continue
				}
				var inOld, inCur bool
				for _, c := range w.cases {
					if c.CustomerID != old.CustomerID {
						continue
					}
					inOld = inOld || !c.CreatedAt.Before(*old.StartsAt) && c.CreatedAt.Before(*old.EndedAt)
					inCur = inCur || !c.CreatedAt.Before(*cur.StartsAt)
				}
				if inOld && inCur {
					return
				}
			}
		}
		t.Error("no customer with cases from two partners' eras")
	})

	t.Run("every case status and severity", func(t *testing.T) {
		statuses, severities := map[supportcase.Status]bool{}, map[supportcase.Severity]bool{}
		for _, c := range w.cases {
			statuses[c.Status], severities[c.Severity] = true, true
		}
		for _, s := range []supportcase.Status{supportcase.StatusNEW, supportcase.StatusIN_PROGRESS,
			supportcase.StatusWAITING_ON_CUSTOMER, supportcase.StatusCLOSED} {
			if !statuses[s] {
				t.Errorf("no case with status %s", s)
			}
		}
		for _, s := range []supportcase.Severity{supportcase.SeverityS1, supportcase.SeverityS2,
			supportcase.SeverityS3, supportcase.SeverityS4} {
			if !severities[s] {
				t.Errorf("no case of severity %s", s)
			}
		}
	})

	t.Run("cases follow the rules of SPEC §3", func(t *testing.T) {
		target := map[supportcase.Severity]time.Duration{"S1": time.Hour, "S2": 2 * time.Hour, "S3": 4 * time.Hour, "S4": 8 * time.Hour}
		plan := map[string]*organization.SupportPlan{}
		for _, o := range w.orgs {
			plan[o.ID] = o.SupportPlan
		}
		var partnerFiled, escalated int
		for i, c := range w.cases {
			if c.Number != 1001+i {
				t.Errorf("case %d at position %d, want numbers from 1001", c.Number, i)
			}
			if i > 0 && c.CreatedAt.Before(w.cases[i-1].CreatedAt) {
				t.Errorf("case %d filed before case %d", c.Number, w.cases[i-1].Number)
			}
			if want := c.CreatedAt.Add(target[c.Severity]); !c.FirstResponseDueAt.Equal(want) {
				t.Errorf("case %d: first response due %v, want %v", c.Number, c.FirstResponseDueAt, want)
			}
			if c.UpdatedAt.Before(c.CreatedAt) || c.UpdatedAt.After(now) || c.Version < 1 {
				t.Errorf("case %d: created %v, updated %v, version %d", c.Number, c.CreatedAt, c.UpdatedAt, c.Version)
			}
			if c.Escalated {
				escalated++
				if p := plan[c.CustomerID]; p == nil || *p != organization.SupportPlanPREMIUM {
					t.Errorf("case %d escalated for a customer not on PREMIUM", c.Number)
				}
			}
			if c.OnBehalfOfID != nil {
				partnerFiled++
			}
			if (c.Status == supportcase.StatusCLOSED) != (c.ClosedAt != nil) ||
				c.ClosedAt != nil && (c.ReopenableUntil == nil || !c.ReopenableUntil.Equal(c.ClosedAt.Add(30*day))) {
				t.Errorf("case %d: status %s, closed %v, reopenable until %v", c.Number, c.Status, c.ClosedAt, c.ReopenableUntil)
			}
		}
		if escalated == 0 || partnerFiled == 0 {
			t.Errorf("%d escalated and %d partner-filed cases, want some of each", escalated, partnerFiled)
		}
	})

	t.Run("every case has its CREATED event", func(t *testing.T) {
		for _, c := range w.cases {
			events := c.QueryEvents().Order(caseevent.ByCreatedAt()).AllX(w.ctx)
			if len(events) == 0 || events[0].Kind != caseevent.KindCREATED {
				t.Errorf("case %d has no CREATED event first", c.Number)
			}
			comments := c.QueryComments().CountX(w.ctx)
			var commented int
			for _, e := range events {
				if e.Kind == caseevent.KindCOMMENTED {
					commented++
				}
			}
			if commented != comments {
				t.Errorf("case %d: %d comments, %d COMMENTED events", c.Number, comments, commented)
			}
		}
	})

	t.Run("third-party device", func(t *testing.T) {
		if !w.client.Device.Query().Where(device.ThirdParty(true)).ExistX(w.ctx) {
			t.Error("no third-party device")
		}
	})

	t.Run("personas show the access rules", func(t *testing.T) {
		// The summaries promise these levels; access.Effective is the rule
		// the server applies.
		tests := []struct {
			persona, customer string
			level             access.Level
			source            access.Source
		}{
			{"vendor-agent", "Sakura Robotics", access.FullAdmin, access.SourceVendor},
			{"contoso-admin", "Acme Corporation", access.ServiceAdmin, access.SourceOrganizationGrant},
			{"contoso-admin", "Globex Corporation", "", access.SourceNone},
			{"contoso-look", "Acme Corporation", access.Look, access.SourceIndividualGrant},
			{"contoso-cc", "Acme Corporation", access.CC, access.SourceIndividualGrant},
			{"fabrikam-msp-helpdesk", "Sakura Robotics", access.Update, access.SourceOrganizationGrant},
			{"fabrikam-engineer", "Sakura Robotics", "", access.SourceNone},
			{"fabrikam-engineer", "Globex Corporation", access.FullAdmin, access.SourceOrganizationGrant},
			{"acme-member", "Acme Corporation", access.Create, access.SourceOwnOrganization},
			{"acme-contact-manager", "Acme Corporation", access.FullAdmin, access.SourceOwnOrganization},
		}
		for _, tt := range tests {
			caller, customer := w.caller(t, tt.persona), w.org(t, tt.customer)
			d := access.Effective(caller, customer.ID, w.accessGrants(), now)
			if d.Level != tt.level || d.Source != tt.source {
				t.Errorf("%s on %s: %s from %s, want %s from %s", tt.persona, tt.customer, d.Level, d.Source, tt.level, tt.source)
			}
		}
	})
}

func (w *world) org(t *testing.T, name string) *ent.Organization {
	t.Helper()
	for _, o := range w.orgs {
		if o.Name == name {
			return o
		}
	}
	t.Fatalf("no organisation %q", name)
	return nil
}

func (w *world) caller(t *testing.T, key string) access.Caller {
	t.Helper()
	for _, p := range w.personas {
		if p.Key != key {
			continue
		}
		c := w.client.Contact.Query().Where(contact.Email(p.Email)).OnlyX(w.ctx)
		return access.Caller{
			ContactID: c.ID,
			OrgID:     c.OrganizationID,
			OrgKind:   c.QueryOrganization().OnlyX(w.ctx).Kind,
			Roles:     c.Roles,
			Email:     c.Email,
			Active:    c.Status == contact.StatusACTIVE,
		}
	}
	t.Fatalf("no persona %q", key)
	return access.Caller{}
}

func (w *world) accessGrants() []access.Grant {
	out := make([]access.Grant, 0, len(w.grants))
	for _, g := range w.grants {
		if g.StartsAt == nil {
			continue // never approved
		}
		ag := access.Grant{ID: g.ID, PartnerID: g.PartnerID, CustomerID: g.CustomerID, Level: g.Level,
			Approved: true, StartsAt: *g.StartsAt, ExpiresAt: *g.ExpiresAt}
		if g.GranteeID != nil {
			ag.GranteeID = *g.GranteeID
		}
		if g.PartnerDomain != nil {
			ag.PartnerDomain = *g.PartnerDomain
		}
		if g.Status == grant.StatusREVOKED || g.Status == grant.StatusSUPERSEDED {
			ag.EndedAt = g.EndedAt
		}
		out = append(out, ag)
	}
	return out
}
