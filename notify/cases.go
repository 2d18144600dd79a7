package notify

import (
	"context"
	"maps"
	"slices"
	"strings"

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

// grounds are why a contact hears of a case.
type grounds struct{ primary, involved, subscribed bool }

// wants reports whether a contact on these grounds wants mail about a
// case of severity sev, by its preference.
func (g grounds) wants(p contact.NotificationPreference, sev supportcase.Severity) bool {
	switch p {
	case contact.NotificationPreferencePRIMARY_ONLY:
		return g.primary
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
	kase, err := c.SupportCase.Query().Where(supportcase.ID(ev.CaseID)).
		WithCustomer().
		WithCollaborators(func(q *ent.ContactQuery) { q.Select(contact.FieldID) }).
		Only(sys)
	if err != nil {
		return err
	}
	why := map[string]*grounds{}
	on := func(id string) *grounds {
		if why[id] == nil {
			why[id] = &grounds{}
		}
		return why[id]
	}
	if kase.PrimaryContactID != nil {
		on(*kase.PrimaryContactID).primary = true
	}
	for _, ct := range kase.Edges.Collaborators {
		on(ct.ID).involved = true
	}
	subscribers, err := c.CaseSubscription.Query().Where(casesubscription.CustomerID(kase.CustomerID)).
		Select(casesubscription.FieldContactID).Strings(sys)
	if err != nil {
		return err
	}
	for _, id := range subscribers {
		on(id).subscribed = true
	}
	// A shared address that is a contact's is that contact: its access
	// and its preference decide. Any other is a guest of the case's
	// public updates.
	guests := map[string]bool{}
	for _, e := range kase.SharedEmails {
		guests[strings.ToLower(e)] = true
	}
	if len(guests) > 0 {
		known, err := c.Contact.Query().Where(contact.EmailIn(kase.SharedEmails...)).
			Select(contact.FieldID, contact.FieldEmail).All(sys)
		if err != nil {
			return err
		}
		for _, ct := range known {
			delete(guests, strings.ToLower(ct.Email))
			on(ct.ID).involved = true
		}
	}
	if ev.ActorID != nil {
		delete(why, *ev.ActorID)
	}
	ids := make([]string, 0, len(why))
	for id := range why {
		ids = append(ids, id)
	}
	people, err := recipients(ctx, c, ev.CreatedAt, contact.IDIn(ids...))
	if err != nil {
		return err
	}
	var to []string
	for _, r := range people {
		if !why[r.ID].wants(r.NotificationPreference, kase.Severity) || r.LastEmailStatus == contact.LastEmailStatusSUPPRESSED {
			continue
		}
		// The event as the recipient would read it: the read policy
		// hides an INTERNAL one from all but the vendor's staff, and a
		// case from a partner out of its grants' reach.
		seen, err := c.CaseEvent.Query().Where(caseevent.ID(ev.ID)).Exist(r.as(ctx))
		if err != nil {
			return err
		}
		if seen {
			to = append(to, r.Email)
		}
	}
	if ev.Visibility == caseevent.VisibilityPUBLIC {
		to = append(to, slices.Sorted(maps.Keys(guests))...)
	}
	if len(to) == 0 {
		return nil
	}
	m, err := n.caseMail(sys, c, kase, ev)
	if err != nil {
		return err
	}
	return send(ctx, c, to, m)
}

// caseData is what a case mail says.
type caseData struct {
	Kind, What                          string
	Number                              int
	Title, Customer, Severity, Status   string
	Before, Actor, Reason, Comment, URL string
}

// caseMail renders the mail of ev on kase.
func (n *notifier) caseMail(ctx context.Context, c *ent.Client, kase *ent.SupportCase, ev *ent.CaseEvent) (mail, error) {
	d := caseData{
		Kind: string(ev.Kind), Number: kase.Number, Title: kase.Title, Customer: kase.Edges.Customer.Name,
		Severity: string(kase.Severity), Status: string(kase.Status), URL: n.base + "/cases/" + kase.ID,
	}
	for _, ch := range ev.Changes {
		if ch.Field == "status" && ch.Before != nil {
			d.Before = *ch.Before
		}
	}
	if ev.ActorID != nil {
		actor, err := c.Contact.Get(ctx, *ev.ActorID)
		if err != nil {
			return mail{}, err
		}
		d.Actor = actor.Name
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
