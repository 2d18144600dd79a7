// Package notify mails the people a change concerns: case updates to the
// case's primary contact, collaborators, shared addresses and the
// customer's subscribers, each per its preference; grant requests to the
// customer's managers and grant decisions to the partner's admins.
//
// It reads the one history: a hook on every case event written (and one on
// every grant change) decides the audience and queues the mail in the
// transaction of the change, so that mail exists exactly when the change
// commits. Who may receive what is the read policy's decision, asked as
// each recipient at the instant of the change: an INTERNAL comment
// reaches the vendor's staff only, and a partner whose grant has ended
// gets nothing, whatever it once subscribed to.
package notify

import (
	"context"
	"strings"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/hook"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/ent/predicate"
	"github.com/partnerdesk/partnerdesk/grants"
	"github.com/partnerdesk/partnerdesk/mailer"
	"github.com/partnerdesk/partnerdesk/rowfilter"
)

// Config is what notifications need from the deployment.
type Config struct {
	// PublicURL is where people open the portal (https://desk.example);
	// mails link to the case or grant under it.
	PublicURL string
}

// Install mails, from every case event and grant change written through
// client, the people each concerns.
func Install(client *ent.Client, cfg Config) {
	n := &notifier{base: strings.TrimRight(cfg.PublicURL, "/")}
	client.CaseEvent.Use(hook.On(n.caseEvents, ent.OpCreate))
	client.Grant.Use(n.grantChanges)
}

type notifier struct{ base string }

// audience loads the contacts that which selects, and in one more read
// their organisations and the others a mail names (orgIDs).
func audience(ctx context.Context, c *ent.Client, which predicate.Contact, orgIDs ...string) ([]*ent.Contact, map[string]*ent.Organization, error) {
	sys := rowfilter.Privileged(ctx)
	people, err := c.Contact.Query().Where(which).All(sys)
	if err != nil {
		return nil, nil, err
	}
	for _, p := range people {
		orgIDs = append(orgIDs, p.OrganizationID)
	}
	rows, err := c.Organization.Query().Where(organization.IDIn(orgIDs...)).
		Select(organization.FieldKind, organization.FieldName).All(sys)
	if err != nil {
		return nil, nil, err
	}
	orgs := make(map[string]*ent.Organization, len(rows))
	for _, o := range rows {
		orgs[o.ID] = o
	}
	return people, orgs, nil
}

// sessions are recipients' sessions at one instant: what each may see
// and do is asked of the policy as it. Each partner's grants are read
// once, when first needed.
type sessions struct {
	c        *ent.Client
	now      time.Time
	orgs     map[string]*ent.Organization
	partners map[string]access.Partnership
}

func newSessions(c *ent.Client, now time.Time, orgs map[string]*ent.Organization) *sessions {
	return &sessions{c: c, now: now, orgs: orgs, partners: map[string]access.Partnership{}}
}

// of returns the session of ct, of the audience; an inactive contact may
// do nothing.
func (s *sessions) of(ctx context.Context, ct *ent.Contact) (*access.Session, error) {
	caller := grants.CallerOf(ct, s.orgs[ct.OrganizationID].Kind)
	p, read := s.partners[ct.OrganizationID]
	if caller.OrgKind == access.Partner && !read {
		var err error
		if p, err = grants.Partnership(rowfilter.Privileged(ctx), s.c, ct.OrganizationID); err != nil {
			return nil, err
		}
		s.partners[ct.OrganizationID] = p
	}
	return access.NewSession(caller, s.now, p), nil
}

// mail is one rendered notification.
type mail struct{ subject, text, html string }

// address is a recipient: a contact, or a case's shared address that is
// no contact's (contactID empty).
type address struct{ email, contactID string }

// about is what a mail concerns, which its recheck at send time asks
// about again: its kind and the object (a case event, a grant), as of at.
type about struct {
	kind     string
	objectID string
	at       time.Time
}

// send queues m to each of to in the transaction of c, so that the mail
// exists exactly when the change commits. It is the one place mail leaves
// this package.
func send(ctx context.Context, c *ent.Client, to []address, m mail, a about) error {
	for _, r := range to {
		if _, err := mailer.Enqueue(ctx, c, mailer.Message{To: r.email, ContactID: r.contactID,
			Subject: m.subject, Text: m.text, HTML: m.html, Kind: a.kind, ObjectID: a.objectID, At: a.at}); err != nil {
			return err
		}
	}
	return nil
}
