package demo

import (
	"cmp"
	"context"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/cases"
	"github.com/partnerdesk/partnerdesk/directory"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/casecomment"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
	"github.com/partnerdesk/partnerdesk/grants"
	"github.com/partnerdesk/partnerdesk/rowfilter"
)

// The steps: each calls the workflow the API's mutation of the same name
// calls, as the contact who acts, at the clock's instant.

// bootstrap creates the vendor and its first admin, as `partnerdesk
// bootstrap` does. That command runs a transaction of its own and mints a
// token, so the rows are written here, directly.
func (w *world) bootstrap() error {
	sys := rowfilter.Privileged(w.ctx)
	spec, ct := organizations[0], contactSpecOf(vendorAdmin)
	org, err := w.c.Organization.Create().SetKind(spec.kind).SetName(spec.name).SetDomains(spec.domains).Save(sys)
	if err != nil {
		return err
	}
	w.orgs[spec.key], w.orgByID[org.ID] = org, org
	admin, err := w.c.Contact.Create().
		SetOrganizationID(org.ID).
		SetName(ct.name).
		SetEmail(ct.email).
		SetRoles(ct.roles).
		SetFeatures(ct.features).
		SetTimezone(spec.timezone).
		SetLocale(spec.locale).
		Save(sys)
	if err != nil {
		return err
	}
	w.contacts[ct.key] = admin
	return w.mailStatus(admin, ct)
}

// onboard creates an organisation (createOrganization) with its licences
// (createLicense).
func onboard(o orgSpec) action {
	return func(ctx context.Context, w *world, s *access.Session) error {
		org, err := directory.CreateOrganization(ctx, w.c, s, ent.CreateOrganizationInput{
			Kind: o.kind, Name: o.name, Domains: o.domains, Sites: o.sites, SupportPlan: opt(o.plan),
		})
		if err != nil {
			return err
		}
		for _, l := range w.licenses(o) {
			l.CustomerID = org.ID
			if org, _, err = directory.CreateLicense(ctx, w.c, s, l); err != nil {
				return err
			}
		}
		w.orgs[o.key], w.orgByID[org.ID] = org, org
		return nil
	}
}

// assign makes a vendor contact one a customer calls (assignVendorContact).
func assign(customer, vendorContact string, role directory.VendorRole) action {
	return func(ctx context.Context, w *world, s *access.Session) error {
		id := w.contacts[vendorContact].ID
		org, err := directory.AssignVendorContact(ctx, w.c, s, w.orgs[customer].ID, role, &id)
		if err != nil {
			return err
		}
		w.orgs[customer], w.orgByID[org.ID] = org, org
		return nil
	}
}

// hire adds a contact to its organisation (createContact).
func hire(ct contactSpec, org orgSpec) action {
	return func(ctx context.Context, w *world, s *access.Session) error {
		c, err := directory.CreateContact(ctx, w.c, s, ent.CreateContactInput{
			Name:           ct.name,
			Email:          ct.email,
			Phone:          opt(ct.phone),
			Roles:          ct.roles,
			Timezone:       opt(cmp.Or(ct.timezone, org.timezone)),
			Locale:         opt(cmp.Or(ct.locale, org.locale)),
			Status:         opt(ct.status),
			Features:       ct.features,
			OrganizationID: w.orgs[ct.org].ID,
		})
		if err != nil {
			return err
		}
		w.contacts[ct.key] = c
		return w.mailStatus(c, ct)
	}
}

// mailStatus records how the contact's last email fared. Nothing but a
// verification code records deliveries yet, so the status is written
// directly.
func (w *world) mailStatus(c *ent.Contact, ct contactSpec) error {
	status := cmp.Or(ct.mail, contact.LastEmailStatusDELIVERED)
	if status == c.LastEmailStatus {
		return nil
	}
	saved, err := c.Update().SetLastEmailStatus(status).Save(rowfilter.Privileged(w.ctx))
	if err == nil {
		w.contacts[ct.key] = saved
	}
	return err
}

// register adds a device (registerDevice).
func register(d deviceSpec) action {
	return func(ctx context.Context, w *world, s *access.Session) error {
		in := ent.CreateDeviceInput{
			Model:          d.model,
			MACAddress:     opt(d.mac),
			PhoneNumber:    opt(d.phone),
			SipAddress:     opt(d.sip),
			ThirdParty:     &d.thirdParty,
			Status:         &d.status,
			OrganizationID: w.orgs[d.org].ID,
		}
		if d.owner != "" {
			in.OwnerID = &w.contacts[d.owner].ID
		}
		dev, err := directory.RegisterDevice(ctx, w.c, s, in)
		if err != nil {
			return err
		}
		if d.lastSeen != 0 {
			// Devices report in to the calling platform, not through a
			// workflow of ours: when one was last seen is written directly.
			if dev, err = dev.Update().SetLastSeenAt(w.now.Add(-d.lastSeen)).Save(rowfilter.Privileged(w.ctx)); err != nil {
				return err
			}
		}
		w.devices[d.key] = dev
		return nil
	}
}

// addNumber adds a number to an inventory (addPhoneNumber).
func addNumber(n numberSpec) action {
	return func(ctx context.Context, w *world, s *access.Session) error {
		in := ent.CreatePhoneNumberInput{Number: n.number, Kind: n.kind, State: &n.state, OrganizationID: w.orgs[n.org].ID}
		if n.contact != "" {
			in.ContactID = &w.contacts[n.contact].ID
		}
		if n.device != "" {
			in.DeviceID = &w.devices[n.device].ID
		}
		_, err := directory.AddPhoneNumber(ctx, w.c, s, in)
		return err
	}
}

// grantSteps are a request (requestGrant) and the answers to it
// (approveGrant, rejectGrant, revokeGrant).
func grantSteps(g grantSpec) []step {
	requester, decider := holder(g.partner, access.RoleAdmin), holder(g.customer, access.RoleContactManager)
	var id string
	steps := []step{{g.requested, requester, func(ctx context.Context, w *world, s *access.Session) error {
		in := grants.RequestInput{
			CustomerContactEmail: contactSpecOf(decider).email,
			Level:                g.level,
			ExpiresInDays:        g.days,
			PartnerDomain:        opt(g.domain),
			Note:                 &g.note,
		}
		if g.grantee != "" {
			in.GranteeID = &w.contacts[g.grantee].ID
		}
		r, err := grants.Request(ctx, w.c, s, in)
		if err == nil {
			id = r.ID
		}
		return err
	}}}
	decide := func(ago time.Duration, by string, fn func(context.Context, *ent.Client, *access.Session, string) (*ent.Grant, error)) {
		if ago != 0 {
			steps = append(steps, step{ago, by, func(ctx context.Context, w *world, s *access.Session) error {
				_, err := fn(ctx, w.c, s, id)
				return err
			}})
		}
	}
	decide(g.approved, decider, grants.Approve)
	decide(g.rejected, decider, grants.Reject)
	decide(g.revoked, decider, grants.Revoke)
	return steps
}

// makeElevationRule makes elevationRule (createElevationRule).
func makeElevationRule(ctx context.Context, w *world, s *access.Session) error {
	r := elevationRule
	_, err := grants.CreateRule(ctx, w.c, s, grants.RuleInput{
		CustomerID: w.orgs[r.customer].ID, PartnerID: &w.orgs[r.partner].ID, ContactRole: &r.role,
		MaxLevel: r.level, MaxMinutes: r.minutes,
	})
	return err
}

// requestElevation asks for pendingElevation (requestElevation).
func requestElevation(ctx context.Context, w *world, s *access.Session) error {
	e := pendingElevation
	_, err := grants.RequestElevation(ctx, w.c, s, grants.ElevationInput{
		CustomerID: w.orgs[e.customer].ID, Level: e.level, Minutes: e.minutes, Reason: e.reason,
	})
	return err
}

// shareHistory lets every partner see the customer's older cases
// (updateOrganization).
func shareHistory(customer string) action {
	return func(ctx context.Context, w *world, s *access.Session) error {
		share := true
		org, err := directory.UpdateOrganization(ctx, w.c, s, w.orgs[customer].ID, ent.UpdateOrganizationInput{ShareCaseHistoryWithPartners: &share})
		if err == nil {
			w.orgs[customer], w.orgByID[org.ID] = org, org
		}
		return err
	}
}

// file files the i-th case of supportCases (createCase).
func file(i int, cs caseSpec) action {
	return func(ctx context.Context, w *world, s *access.Session) error {
		ch, err := cases.CreateCase(ctx, w.c, s, cases.CreateInput{
			CustomerID:       w.orgs[cs.customer].ID,
			Title:            cs.title,
			Description:      &cs.description,
			Product:          &cs.product,
			Category:         &cs.category,
			Severity:         cs.severity,
			PrimaryContactID: &w.contacts[cs.primary].ID,
			Language:         opt(cs.language),
		})
		if err == nil {
			w.cases[i] = ch.Case
		}
		return err
	}
}

// caseAction is a change to a case, through the case workflow.
type caseAction func(ctx context.Context, w *world, s *access.Session, caseID string) error

// onCase takes act on the i-th case of supportCases.
func onCase(i int, act caseAction) action {
	return func(ctx context.Context, w *world, s *access.Session) error {
		return act(ctx, w, s, w.cases[i].ID)
	}
}

// comment adds a public comment (addCaseComment).
func comment(body string) caseAction { return commentAs(body, casecomment.VisibilityPUBLIC) }

// internal adds a comment only the vendor reads (addCaseComment).
func internal(body string) caseAction { return commentAs(body, casecomment.VisibilityINTERNAL) }

func commentAs(body string, vis casecomment.Visibility) caseAction {
	return func(ctx context.Context, w *world, s *access.Session, id string) error {
		_, _, err := cases.AddComment(ctx, w.c, s, cases.CommentInput{CaseID: id, Body: body, Visibility: &vis})
		return err
	}
}

// answer comments publicly and moves the case on to st, as one does when
// the answer leaves the case with the other side (addCaseComment, then
// updateCase).
func answer(st supportcase.Status, body string) caseAction {
	return func(ctx context.Context, w *world, s *access.Session, id string) error {
		if err := comment(body)(ctx, w, s, id); err != nil {
			return err
		}
		return update(cases.UpdateInput{Status: &st})(ctx, w, s, id)
	}
}

// severity changes a case's severity (updateCase).
func severity(sv supportcase.Severity) caseAction {
	return update(cases.UpdateInput{Severity: &sv})
}

func update(in cases.UpdateInput) caseAction {
	return func(ctx context.Context, w *world, s *access.Session, id string) error {
		_, err := cases.UpdateCase(ctx, w.c, s, id, in)
		return err
	}
}

// escalate escalates a case (escalateCase).
func escalate(reason string) caseAction {
	return func(ctx context.Context, w *world, s *access.Session, id string) error {
		_, err := cases.EscalateCase(ctx, w.c, s, id, reason)
		return err
	}
}

// closeCase closes a case (closeCase).
func closeCase() caseAction {
	return func(ctx context.Context, w *world, s *access.Session, id string) error {
		_, err := cases.CloseCase(ctx, w.c, s, id, nil)
		return err
	}
}

// reopen reopens a closed case (reopenCase).
func reopen() caseAction {
	return func(ctx context.Context, w *world, s *access.Session, id string) error {
		_, err := cases.ReopenCase(ctx, w.c, s, id)
		return err
	}
}

// collaborate adds the contact of key to a case (addCaseCollaborator).
func collaborate(key string) caseAction {
	return func(ctx context.Context, w *world, s *access.Session, id string) error {
		_, _, err := cases.AddCollaborator(ctx, w.c, s, id, w.contacts[key].ID)
		return err
	}
}

// share adds addresses that receive a case's updates (shareCase).
func share(emails ...string) caseAction {
	return func(ctx context.Context, w *world, s *access.Session, id string) error {
		_, err := cases.Share(ctx, w.c, s, id, emails)
		return err
	}
}
