package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	"github.com/partnerdesk/partnerdesk/ent/hook"
)

// grantChanges mails a partner's request to the customer's side, and the
// customer's answer, or either side's revocation, to the partner's
// admins. Requests, decisions and revocations each change one grant; the
// bulk changes (supersession, expiry) are announced otherwise (grantEvents
// and the expiry warnings).
func (n *notifier) grantChanges(next ent.Mutator) ent.Mutator {
	return hook.GrantFunc(func(ctx context.Context, m *ent.GrantMutation) (ent.Value, error) {
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return v, err
		}
		// A grant written as it is (a fixture, the demo) is not news: only
		// a request and a later change of status are.
		g, ok := v.(*ent.Grant)
		_, changed := m.Status()
		if created := m.Op().Is(ent.OpCreate); !ok || created && g.Status != grant.StatusPENDING || !created && !changed {
			return v, nil
		}
		// A request goes to whoever may answer it: the customer's contact
		// managers and admins; the rest to the partner's admins, and an
		// elevation's to its contact too: to whoever may end it.
		act := access.RequestGrant
		if g.Kind == grant.KindELEVATION {
			act = access.RevokeGrant
		}
		switch g.Status {
		case grant.StatusPENDING:
			err = n.mailGrant(ctx, m.Client(), g, access.DecideGrant, g.RequestedByID, g.CreatedAt)
		case grant.StatusACTIVE, grant.StatusREJECTED:
			err = n.mailGrant(ctx, m.Client(), g, act, deref(g.DecidedByID), deref(g.DecidedAt))
		case grant.StatusREVOKED:
			err = n.mailGrant(ctx, m.Client(), g, act, deref(g.EndedByID), deref(g.EndedAt))
		}
		return v, err
	})
}

// grantData is what a grant mail says. Minutes is set for an elevation,
// whose Note is its reason; ByRule says a customer's rule approved it.
type grantData struct {
	Kind, What                                string
	Partner, Customer, Level, Grantee, Domain string
	Days, Minutes                             int
	Ends, Note, Actor, URL                    string
	ByRule                                    bool
}

// mailGrant queues the mail of g's change, caused by actor at now, to
// the contacts of g's side that act is on who may take it on g (the one
// who caused the change is not told). The audience read holds the actor
// and the grantee too, whom the mail names; the policy refuses them act
// unless they may.
func (n *notifier) mailGrant(ctx context.Context, c *ent.Client, g *ent.Grant, act access.Action, actor string, now time.Time) error {
	grantee := deref(g.GranteeID)
	on := grantSide(g, act)
	org := g.PartnerID
	if act == access.DecideGrant {
		org = g.CustomerID
	}
	people, orgs, err := audience(ctx, c, contact.Or(contact.OrganizationID(org), contact.IDIn(actor, grantee)), g.PartnerID, g.CustomerID)
	if err != nil {
		return err
	}
	d := grantData{
		Kind: map[grant.Status]string{grant.StatusPENDING: "REQUESTED", grant.StatusACTIVE: "APPROVED",
			grant.StatusREJECTED: "REJECTED", grant.StatusREVOKED: "REVOKED"}[g.Status],
		Partner: orgs[g.PartnerID].Name, Customer: orgs[g.CustomerID].Name, Level: string(g.Level),
		Days: g.ExpiresInDays, Minutes: deref(g.Minutes), Domain: deref(g.PartnerDomain), Note: g.Note + g.Reason,
		URL: n.base + "/grants/" + g.ID, ByRule: g.DecidedByRuleID != nil,
	}
	if g.Status == grant.StatusACTIVE && g.ExpiresAt != nil {
		d.Ends = g.ExpiresAt.UTC().Format("2 January 2006 15:04 UTC")
	}
	var to []address
	as := newSessions(c, now, orgs)
	for _, p := range people {
		if p.ID == grantee {
			d.Grantee = fmt.Sprintf("%s <%s>", p.Name, p.Email)
		}
		if p.ID == actor {
			d.Actor = p.Name
			continue
		}
		s, err := as.of(ctx, p)
		if err != nil {
			return err
		}
		if _, err := s.Require(act, on...); err == nil {
			to = append(to, address{p.Email, p.ID})
		}
	}
	if len(to) == 0 {
		return nil
	}
	m, err := grantTemplate.render(&d, &d.What)
	if err != nil {
		return err
	}
	return send(ctx, c, to, m, about{grantKinds[act], g.ID, now})
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
