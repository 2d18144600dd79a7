package testkit

import (
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/auth"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
)

var seq atomic.Int64

func next() int64 { return seq.Add(1) }

// Org creates an organisation of kind k; customers get the STANDARD plan.
func (e *Env) Org(k access.OrgKind, name string) *ent.Organization {
	e.t.Helper()
	q := e.Client.Organization.Create().SetKind(k).SetName(name).
		SetDomains([]string{slug(name) + ".example"})
	if k == access.Customer {
		q.SetSupportPlan(organization.SupportPlanSTANDARD)
	}
	org, err := q.Save(e.System())
	if err != nil {
		e.t.Fatalf("creating organisation %s: %v", name, err)
	}
	return org
}

// Contact creates an active contact of org with the given roles and an
// email in org's first domain.
func (e *Env) Contact(org *ent.Organization, name string, roles ...access.Role) *ent.Contact {
	e.t.Helper()
	return e.ContactAt(org, org.Domains[0], name, roles...)
}

// ContactAt is Contact with an email in the given domain.
func (e *Env) ContactAt(org *ent.Organization, domain, name string, roles ...access.Role) *ent.Contact {
	e.t.Helper()
	c, err := e.Client.Contact.Create().
		SetOrganizationID(org.ID).
		SetName(name).
		SetEmail(fmt.Sprintf("%s.%d@%s", slug(name), next(), domain)).
		SetRoles(roles).
		Save(e.System())
	if err != nil {
		e.t.Fatalf("creating contact %s: %v", name, err)
	}
	return c
}

// Token issues a token for c.
func (e *Env) Token(c *ent.Contact) string {
	e.t.Helper()
	token, _, err := auth.Issue(e.System(), e.Client, c.ID, "test", nil)
	if err != nil {
		e.t.Fatalf("issuing a token: %v", err)
	}
	return token
}

// Case creates a case of customer filed by author.
func (e *Env) Case(customer *ent.Organization, author *ent.Contact, title string) *ent.SupportCase {
	e.t.Helper()
	now := e.Clock.Now()
	c, err := e.Client.SupportCase.Create().
		SetNumber(int(next())).
		SetCustomerID(customer.ID).
		SetCreatedByID(author.ID).
		SetTitle(title).
		SetSeverity(supportcase.SeverityS3).
		SetCreatedAt(now).
		SetUpdatedAt(now).
		SetFirstResponseDueAt(now.Add(4 * time.Hour)).
		Save(e.System())
	if err != nil {
		e.t.Fatalf("creating case %s: %v", title, err)
	}
	return c
}

// Device registers a device with org.
func (e *Env) Device(org *ent.Organization, model string) *ent.Device {
	e.t.Helper()
	d, err := e.Client.Device.Create().SetOrganizationID(org.ID).SetModel(model).Save(e.System())
	if err != nil {
		e.t.Fatalf("creating device %s: %v", model, err)
	}
	return d
}

func slug(s string) string {
	return strings.Trim(strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, s), "-")
}

// GrantSpec describes a grant; the zero values of the optional fields give
// an active organisation grant that started now and lasts 30 days.
type GrantSpec struct {
	Partner, Customer *ent.Organization
	Level             access.Level
	Grantee           *ent.Contact // individual grant when set
	Domain            string       // partner_domain when set
	Days              int          // 30 when zero
	StartsAt          time.Time    // the clock's now when zero
	Status            grant.Status // ACTIVE when empty
	EndedAt           *time.Time   // for REVOKED and SUPERSEDED grants
}

// Grant creates a grant as described: approved unless its Status is
// PENDING.
func (e *Env) Grant(s GrantSpec) *ent.Grant {
	e.t.Helper()
	if s.Days == 0 {
		s.Days = 30
	}
	if s.StartsAt.IsZero() {
		s.StartsAt = e.Clock.Now()
	}
	if s.Status == "" {
		s.Status = grant.StatusACTIVE
	}
	requester := e.Contact(s.Partner, "Requester", access.RoleAdmin)
	q := e.Client.Grant.Create().
		SetPartnerID(s.Partner.ID).
		SetCustomerID(s.Customer.ID).
		SetRequestedByID(requester.ID).
		SetLevel(s.Level).
		SetExpiresInDays(s.Days).
		SetStatus(s.Status).
		SetCreatedAt(s.StartsAt).
		SetNillableEndedAt(s.EndedAt)
	if s.Status != grant.StatusPENDING { // a request never answered has no times
		q.SetDecidedAt(s.StartsAt).SetStartsAt(s.StartsAt).SetExpiresAt(s.StartsAt.AddDate(0, 0, s.Days))
	}
	if s.Grantee != nil {
		q.SetGranteeID(s.Grantee.ID)
	}
	if s.Domain != "" {
		q.SetPartnerDomain(s.Domain)
	}
	g, err := q.Save(e.System())
	if err != nil {
		e.t.Fatalf("creating grant: %v", err)
	}
	return g
}

// Collaborate adds c as a collaborator of a case.
func (e *Env) Collaborate(kase *ent.SupportCase, c *ent.Contact) {
	e.t.Helper()
	if err := e.Client.SupportCase.UpdateOne(kase).AddCollaboratorIDs(c.ID).Exec(e.System()); err != nil {
		e.t.Fatalf("adding collaborator: %v", err)
	}
}
