package notify

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/caseevent"
	"github.com/partnerdesk/partnerdesk/ent/casesubscription"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/hook"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
	"github.com/partnerdesk/partnerdesk/rowfilter"
)

// notifying are the case events that are mailed (SPEC §3): the rest
// (attachments, collaborators, sharing, severity, other fields) show in
// the case's history and streams only.
var notifying = map[caseevent.Kind]bool{
	caseevent.KindCREATED:        true,
	caseevent.KindCOMMENTED:      true,
	caseevent.KindSTATUS_CHANGED: true,
	caseevent.KindESCALATED:      true,
	caseevent.KindCLOSED:         true,
	caseevent.KindREOPENED:       true,
}

func (n *notifier) caseEvents(next ent.Mutator) ent.Mutator {
	return hook.CaseEventFunc(func(ctx context.Context, m *ent.CaseEventMutation) (ent.Value, error) {
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return v, err
		}
		if ev := v.(*ent.CaseEvent); notifying[ev.Kind] {
			return v, n.mailCase(ctx, m.Client(), ev)
		}
		return v, nil
	})
}

// wants reports whether a contact with preference p wants mail about a
// case of severity sev that concerns it, as its primary contact or not.
func wants(p contact.NotificationPreference, primary bool, sev supportcase.Severity) bool {
	switch p {
	case contact.NotificationPreferencePRIMARY_ONLY:
		return primary
	case contact.NotificationPreferenceSEVERE_ONLY:
		return sev == supportcase.SeverityS1 || sev == supportcase.SeverityS2
	case contact.NotificationPreferenceNONE:
		return false
	}
	return true
}

// mailCase queues the mail of case event ev to everyone it concerns who
// may see it and wants it; the one who caused it is not told.
func (n *notifier) mailCase(ctx context.Context, c *ent.Client, ev *ent.CaseEvent) error {
	sys := rowfilter.Privileged(ctx)
	kase, err := c.SupportCase.Get(sys, ev.CaseID)
	if err != nil {
		return err
	}
	rows := &caseRows{ctx: sys, kase: kase}
	primary := deref(kase.PrimaryContactID)
	actor := deref(ev.ActorID)
	// Everyone the case concerns, in one read: its primary contact, its
	// collaborators, the customer's subscribers, and the contacts among
	// its shared addresses (and the actor, whom the mail names). A shared
	// address that is a contact's is that contact, and its access and
	// preference decide; any other address is a guest of the case's
	// public updates.
	people, orgs, err := audience(ctx, c, contact.Or(
		contact.IDIn(primary, actor),
		contact.HasCollaborationsWith(supportcase.ID(kase.ID)),
		contact.HasCaseSubscriptionsWith(casesubscription.CustomerID(kase.CustomerID)),
		contact.EmailIn(kase.SharedEmails...),
	), kase.CustomerID)
	if err != nil {
		return err
	}
	guests := map[string]bool{}
	for _, e := range kase.SharedEmails {
		guests[strings.ToLower(e)] = true
	}
	var to []address
	var actorName string
	as := newSessions(c, ev.CreatedAt, orgs)
	for _, p := range people {
		delete(guests, strings.ToLower(p.Email))
		if p.ID == actor {
			actorName = p.Name
			continue
		}
		if !wants(p.NotificationPreference, p.ID == primary, kase.Severity) || p.LastEmailStatus == contact.LastEmailStatusSUPPRESSED {
			continue
		}
		s, err := as.of(ctx, p)
		if err != nil {
			return err
		}
		// The read policy, as the recipient: it hides an INTERNAL event
		// from all but the vendor's staff, a case from a partner out of
		// its grants' reach, and everything from an inactive contact.
		if s.Allows(access.CaseEvents, eventRow(ev), rows) {
			to = append(to, address{p.Email, p.ID})
		}
	}
	if rows.err != nil {
		return rows.err
	}
	if ev.Visibility == caseevent.VisibilityPUBLIC {
		for _, g := range slices.Sorted(maps.Keys(guests)) {
			to = append(to, address{email: g})
		}
	}
	if len(to) == 0 {
		return nil
	}
	m, err := n.caseMail(sys, c, kase, ev, orgs[kase.CustomerID].Name, actorName)
	if err != nil {
		return err
	}
	return send(ctx, c, to, m, about{KindCase, ev.ID, ev.CreatedAt})
}

// eventRow is ev as the read policy reads it.
func eventRow(ev *ent.CaseEvent) access.Row {
	return access.Values{"id": ev.ID, "case_id": ev.CaseID, "customer_id": ev.CustomerID, "visibility": string(ev.Visibility)}
}

// caseRows serves the read policy the rows of one event's case, read
// once for all its recipients.
type caseRows struct {
	ctx  context.Context
	kase *ent.SupportCase
	// collaborators are read when the policy first asks (only a partner
	// at CC sees no more than the cases it collaborates on); err is why
	// they could not be.
	collaborators []string
	read          bool
	err           error
}

func (l *caseRows) Get(e access.Entity, id string) (access.Row, bool) {
	if e != access.Cases || id != l.kase.ID {
		return nil, false
	}
	return access.Values{"id": l.kase.ID, "customer_id": l.kase.CustomerID, "created_at": l.kase.CreatedAt}, true
}

func (*caseRows) Referencing(access.Entity, string, string) []access.Row { return nil }

func (l *caseRows) Collaborates(caseID, contactID string) bool {
	if caseID != l.kase.ID {
		return false
	}
	if !l.read {
		l.read = true
		l.collaborators, l.err = l.kase.QueryCollaborators().IDs(l.ctx)
	}
	return slices.Contains(l.collaborators, contactID)
}

func (*caseRows) CasesOf(string) []access.Row { return nil }

// caseData is what a case mail says.
type caseData struct {
	Kind, What                          string
	Number                              int
	Title, Customer, Severity, Status   string
	Before, Actor, Reason, Comment, URL string
}

// caseMail renders the mail of ev on kase, a case of customer, caused by
// actor.
func (n *notifier) caseMail(ctx context.Context, c *ent.Client, kase *ent.SupportCase, ev *ent.CaseEvent, customer, actor string) (mail, error) {
	d := caseData{
		Kind: string(ev.Kind), Number: kase.Number, Title: kase.Title, Customer: customer,
		Severity: string(kase.Severity), Status: string(kase.Status), Actor: actor, URL: n.base + "/cases/" + kase.ID,
	}
	for _, ch := range ev.Changes {
		if ch.Field == "status" && ch.Before != nil {
			d.Before = *ch.Before
		}
	}
	if ev.Kind == caseevent.KindESCALATED && kase.EscalationReason != nil {
		d.Reason = *kase.EscalationReason
	}
	if ev.CommentID != nil {
		cm, err := c.CaseComment.Get(ctx, *ev.CommentID)
		if err != nil {
			return mail{}, err
		}
		d.Comment = cm.Body
	}
	return caseTemplate.render(&d, &d.What)
}
