package notify

import (
	"context"
	"fmt"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/clock"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/mailer"
)

// The kinds of mail this package queues, which the sender asks Rechecks
// about before each attempt.
const (
	// KindCase is a case update; its object is the case event.
	KindCase = "CASE_UPDATE"
	// KindGrantRequest goes to those who may answer a grant request.
	KindGrantRequest = "GRANT_REQUEST"
	// KindGrantDecision goes to the partner's admins.
	KindGrantDecision = "GRANT_DECISION"
	// KindElevationDecision goes to the partner's admins and the contact
	// the elevation is for.
	KindElevationDecision = "ELEVATION_DECISION"
)

// grantKinds names the grant mail by the action its recipients need.
var grantKinds = map[access.Action]string{access.DecideGrant: KindGrantRequest, access.RequestGrant: KindGrantDecision,
	access.RevokeGrant: KindElevationDecision}

// grantSide is what act is decided on for grant g's mail: the customer
// for a request, the partner for a decision, and for an elevation's
// decision the grant itself, as revokeGrant decides who may end it.
func grantSide(g *ent.Grant, act access.Action) []string {
	switch act {
	case access.DecideGrant:
		return []string{g.CustomerID}
	case access.RequestGrant:
		return []string{g.PartnerID}
	}
	return []string{g.CustomerID, g.PartnerID, deref(g.GranteeID)}
}

// Rechecks decide each mail again when it is sent, as its recipient, now:
// a partner whose grant ended, or a contact suspended, since the change
// was queued gets nothing. A case's shared address that is no contact's
// was only ever sent public updates, which stay its to read.
func Rechecks(clk clock.Clock) mailer.Rechecks {
	return mailer.Rechecks{
		KindCase: func(ctx context.Context, c *ent.Client, m mailer.Mail) error {
			if m.ContactID == "" {
				return nil
			}
			ev, err := c.CaseEvent.Get(ctx, m.ObjectID)
			if err != nil {
				return vetoIfGone(err)
			}
			kase, err := c.SupportCase.Get(ctx, ev.CaseID)
			if err != nil {
				return vetoIfGone(err)
			}
			s, err := recipient(ctx, c, m.ContactID, clk)
			if err != nil {
				return err
			}
			if !s.Allows(access.CaseEvents, eventRow(ev), &caseRows{ctx: ctx, kase: kase}) {
				return fmt.Errorf("%w: the recipient may no longer see this case update", mailer.ErrVetoed)
			}
			return nil
		},
		KindGrantRequest:      grantRecheck(clk, access.DecideGrant),
		KindGrantDecision:     grantRecheck(clk, access.RequestGrant),
		KindElevationDecision: grantRecheck(clk, access.RevokeGrant),
	}
}

// grantRecheck asks whether the recipient may still take act on the
// grant's side of it, and, for a request, whether it still waits for an
// answer: one a rule of the customer approved at once asks nothing.
func grantRecheck(clk clock.Clock, act access.Action) mailer.Recheck {
	return func(ctx context.Context, c *ent.Client, m mailer.Mail) error {
		g, err := c.Grant.Get(ctx, m.ObjectID)
		if err != nil {
			return vetoIfGone(err)
		}
		if act == access.DecideGrant && g.Status != grant.StatusPENDING {
			return fmt.Errorf("%w: the request is %s already", mailer.ErrVetoed, g.Status)
		}
		s, err := recipient(ctx, c, m.ContactID, clk)
		if err != nil {
			return err
		}
		if _, err := s.Require(act, grantSide(g, act)...); err != nil {
			return fmt.Errorf("%w: the recipient may no longer act on this grant", mailer.ErrVetoed)
		}
		return nil
	}
}

// recipient is the session of contact id now, read as the mail's rechecks
// read (around the row filters: the sender's context).
func recipient(ctx context.Context, c *ent.Client, id string, clk clock.Clock) (*access.Session, error) {
	ct, err := c.Contact.Get(ctx, id)
	if err != nil {
		return nil, vetoIfGone(err)
	}
	orgs, err := c.Organization.Query().Where(organization.ID(ct.OrganizationID)).
		Select(organization.FieldKind, organization.FieldName).All(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[string]*ent.Organization{}
	for _, o := range orgs {
		byID[o.ID] = o
	}
	return newSessions(c, clk.Now(), byID).of(ctx, ct)
}

// vetoIfGone cancels a mail whose object or recipient no longer exists,
// and retries on any other failure.
func vetoIfGone(err error) error {
	if ent.IsNotFound(err) {
		return fmt.Errorf("%w: %v", mailer.ErrVetoed, err)
	}
	return err
}
