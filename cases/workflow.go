package cases

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/directory"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/casecomment"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/ent/schema/jsontype"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
	"github.com/partnerdesk/partnerdesk/grants"
	"github.com/partnerdesk/partnerdesk/rowfilter"
	"github.com/partnerdesk/partnerdesk/validate"
)

// The workflow functions take the client of the caller's transaction and
// the viewer; the graph's access directive has already checked the level
// the SPEC's table asks for (CREATE to file, UPDATE for the rest), loading
// the case as the caller sees it.

// CreateInput is a new case.
type CreateInput struct {
	CustomerID       string               `json:"customerID"`
	Title            string               `json:"title"`
	Description      *string              `json:"description,omitempty"`
	Product          *string              `json:"product,omitempty"`
	Category         *string              `json:"category,omitempty"`
	Severity         supportcase.Severity `json:"severity"`
	PrimaryContactID *string              `json:"primaryContactID,omitempty"`
	Timezone         *string              `json:"timezone,omitempty"`
	Language         *string              `json:"language,omitempty"`
	SharedEmails     []string             `json:"sharedEmails,omitempty"`
	// FollowUpOfID links a case opened after the old one's reopen window.
	FollowUpOfID *string `json:"followUpOfID,omitempty"`
}

// CreateCase files a case for a customer. A partner's case records the partner
// as filed on behalf of; the creator is the primary contact unless another
// is named; time zone and language default to the creator's.
func CreateCase(ctx context.Context, c *ent.Client, v *access.Session, in CreateInput) (*Change, error) {
	customer, err := directory.Named(ctx, c, "customer_id", in.CustomerID)
	if err != nil {
		return nil, err
	}
	if customer.Kind != access.Customer {
		return nil, apperr.Invalid("customer_id", "cases are filed for customers")
	}
	if _, err := v.Require(access.FileCase, customer.ID); err != nil {
		return nil, err
	}
	creator, err := c.Contact.Get(ctx, v.ContactID)
	if err != nil {
		return nil, err
	}
	primary := in.PrimaryContactID
	if primary != nil {
		if err := checkPrimary(ctx, c, customer.ID, *primary, v.Now); err != nil {
			return nil, err
		}
	} else if checkPrimary(ctx, c, customer.ID, creator.ID, v.Now) == nil {
		// The creator speaks for the case when it may; vendor staff filing
		// for a customer leave the primary contact to be named later.
		primary = &creator.ID
	}
	if in.FollowUpOfID != nil {
		old, err := c.SupportCase.Get(ctx, *in.FollowUpOfID)
		if err != nil || old.CustomerID != customer.ID {
			return nil, apperr.Invalid("follow_up_of_id", "a follow-up links to a case of the same customer")
		}
	}
	number, err := nextNumber(ctx, c)
	if err != nil {
		return nil, err
	}
	q := c.SupportCase.Create().
		SetNumber(number).
		SetCustomerID(customer.ID).
		SetTitle(strings.TrimSpace(in.Title)).
		SetSeverity(in.Severity).
		SetCreatedByID(creator.ID).
		SetNillablePrimaryContactID(primary).
		SetTimezone(or(in.Timezone, creator.Timezone)).
		SetLanguage(or(in.Language, creator.Locale)).
		SetNillableFollowUpOfID(in.FollowUpOfID).
		SetCreatedAt(v.Now).
		SetUpdatedAt(v.Now).
		SetFirstResponseDueAt(FirstResponseDue(v.Now, in.Severity))
	if in.Description != nil {
		q.SetDescription(*in.Description)
	}
	if in.Product != nil {
		q.SetProduct(*in.Product)
	}
	if in.Category != nil {
		q.SetCategory(*in.Category)
	}
	if in.SharedEmails != nil {
		q.SetSharedEmails(in.SharedEmails)
	}
	if v.OrgKind == access.Partner {
		q.SetOnBehalfOfID(v.OrgID)
	}
	return save(ctx, v, q.Save)
}

// nextNumber allocates the next human case number. Writes are serialised
// by the store's single writer, so MAX()+1 inside the transaction is safe,
// and the unique index guards it all the same. The numbers run across all
// cases, whoever may see them: a privileged read.
func nextNumber(ctx context.Context, c *ent.Client) (int, error) {
	max, err := c.SupportCase.Query().Aggregate(ent.Max(supportcase.FieldNumber)).Int(rowfilter.Privileged(ctx))
	if err != nil && !ent.IsNotFound(err) && !strings.Contains(err.Error(), "converting NULL") {
		return 0, err
	}
	return max + 1, nil
}

// checkPrimary refuses a primary contact who is neither an active contact
// of the customer nor a partner contact at UPDATE or higher on it. A
// contact the caller may not see is refused like one that does not exist.
func checkPrimary(ctx context.Context, c *ent.Client, customerID, contactID string, now time.Time) error {
	p, err := c.Contact.Query().Where(contact.ID(contactID)).WithOrganization().Only(ctx)
	if err != nil || p.Status != contact.StatusACTIVE {
		return apperr.Invalid("primary_contact_id", "no active contact %q", contactID)
	}
	if p.OrganizationID == customerID {
		return nil
	}
	if p.Edges.Organization.Kind == access.Partner {
		l, err := grants.LevelOf(ctx, c, p, customerID, now)
		if err != nil {
			return err
		}
		if l.AtLeast(access.Update) {
			return nil
		}
	}
	return apperr.Invalid("primary_contact_id", "the primary contact must be the customer's contact or a partner contact with UPDATE access or higher")
}

// UpdateInput changes a case. Version, when sent, must be the case's
// current version: a stale one fails with CONFLICT and changes nothing.
type UpdateInput struct {
	Title            *string               `json:"title,omitempty"`
	Description      *string               `json:"description,omitempty"`
	Product          *string               `json:"product,omitempty"`
	Category         *string               `json:"category,omitempty"`
	Severity         *supportcase.Severity `json:"severity,omitempty"`
	Status           *supportcase.Status   `json:"status,omitempty"`
	PrimaryContactID *string               `json:"primaryContactID,omitempty"`
	Timezone         *string               `json:"timezone,omitempty"`
	Language         *string               `json:"language,omitempty"`
	Version          *int                  `json:"version,omitempty"`
}

// UpdateCase changes an open case. A severity change before the first response
// moves the due time, recomputed from the case's creation. An update that
// changes nothing keeps the case's version.
func UpdateCase(ctx context.Context, c *ent.Client, v *access.Session, id string, in UpdateInput) (*Change, error) {
	kase, err := open(ctx, c, v, id, in.Version)
	if err != nil {
		return nil, err
	}
	if in.Status != nil && *in.Status == supportcase.StatusCLOSED {
		return nil, apperr.Invalid("status", "close a case with closeCase")
	}
	if in.PrimaryContactID != nil {
		if err := checkPrimary(ctx, c, kase.CustomerID, *in.PrimaryContactID, v.Now); err != nil {
			return nil, err
		}
	}
	q := kase.Update().
		SetNillableTitle(trimmed(in.Title)).
		SetNillableDescription(in.Description).
		SetNillableProduct(in.Product).
		SetNillableCategory(in.Category).
		SetNillableTimezone(in.Timezone).
		SetNillableLanguage(in.Language).
		SetNillableStatus(in.Status).
		SetNillableSeverity(in.Severity).
		SetNillablePrimaryContactID(in.PrimaryContactID)
	if in.Severity != nil && kase.FirstRespondedAt == nil {
		q.SetFirstResponseDueAt(FirstResponseDue(kase.CreatedAt, *in.Severity))
	}
	switch changes, err := differs(ctx, q.Mutation()); {
	case err != nil:
		return nil, err
	case !changes:
		return changed(kase), nil
	}
	return save(ctx, v, q.SetUpdatedAt(v.Now).AddVersion(1).Save)
}

// open loads a case the caller may work that is not closed, checking the
// version if one is sent.
func open(ctx context.Context, c *ent.Client, v *access.Session, id string, version *int) (*ent.SupportCase, error) {
	kase, err := work(ctx, c, v, id)
	if err != nil {
		return nil, err
	}
	if version != nil && *version != kase.Version {
		return nil, apperr.Conflictf("the case changed since version %d: it is at version %d; reload it and try again", *version, kase.Version)
	}
	if kase.Status == supportcase.StatusCLOSED {
		return nil, &apperr.Error{Code: apperr.Conflict, Reason: string(ReasonClosed), Message: "the case is closed; reopen it first"}
	}
	return kase, nil
}

// work loads a case as the caller sees it, and requires that it may work
// it (UPDATE on its customer).
func work(ctx context.Context, c *ent.Client, v *access.Session, id string) (*ent.SupportCase, error) {
	kase, err := c.SupportCase.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := v.Require(access.WorkCase, kase.CustomerID); err != nil {
		return nil, err
	}
	return kase, nil
}

// CloseCase closes an open case; it may be reopened for 30 days.
func CloseCase(ctx context.Context, c *ent.Client, v *access.Session, id string, version *int) (*Change, error) {
	kase, err := open(ctx, c, v, id, version)
	if err != nil {
		return nil, err
	}
	return save(ctx, v, kase.Update().
		SetStatus(supportcase.StatusCLOSED).
		SetClosedAt(v.Now).
		SetReopenableUntil(v.Now.Add(ReopenWindow)).
		SetUpdatedAt(v.Now).
		AddVersion(1).
		Save)
}

// ReopenCase reopens a closed case within its window; after it the caller
// gets REOPEN_WINDOW_EXPIRED and should open a follow-up case.
func ReopenCase(ctx context.Context, c *ent.Client, v *access.Session, id string) (*Change, error) {
	kase, err := work(ctx, c, v, id)
	if err != nil {
		return nil, err
	}
	if r := CanReopen(kase, v.Now); r != nil {
		if r.Reason == ReasonReopenWindowExpired {
			return nil, &apperr.Error{Code: apperr.ReopenWindowExpired, Reason: string(r.Reason),
				Message: fmt.Sprintf("the case could be reopened until %s; open a follow-up case (followUpOfID) instead", kase.ReopenableUntil.Format(time.RFC3339))}
		}
		return nil, &apperr.Error{Code: apperr.Conflict, Reason: string(r.Reason), Message: "only a closed case can be reopened"}
	}
	// Open again, it is not closed: closedAt says when it last was only
	// while it is.
	return save(ctx, v, kase.Update().
		SetStatus(supportcase.StatusIN_PROGRESS).
		ClearClosedAt().
		ClearReopenableUntil().
		SetUpdatedAt(v.Now).
		AddVersion(1).
		Save)
}

// EscalateCase escalates a case, or says precisely why it may not be.
func EscalateCase(ctx context.Context, c *ent.Client, v *access.Session, id, reason string) (*Change, error) {
	kase, err := c.SupportCase.Query().Where(supportcase.ID(id)).WithCustomer().Only(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := v.Require(access.WorkCase, kase.CustomerID); err != nil {
		return nil, err
	}
	if r := CanEscalate(Actor{Caller: v.Caller, Level: v.Level(kase.CustomerID)}, kase, plan(kase.Edges.Customer), v.Now); r != nil {
		return nil, EscalationError(r)
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, apperr.Invalid("reason", "say why the case needs escalating")
	}
	return save(ctx, v, kase.Update().
		SetEscalated(true).
		SetEscalatedAt(v.Now).
		SetEscalationReason(reason).
		SetUpdatedAt(v.Now).
		AddVersion(1).
		Save)
}

// EscalationError is the ESCALATION_NOT_ALLOWED error for a refusal.
func EscalationError(r *Refusal) error {
	msg := map[Reason]string{
		ReasonClosed:           "a closed case cannot be escalated",
		ReasonAlreadyEscalated: "the case is escalated already",
		ReasonPlan:             "escalation needs the PREMIUM support plan",
		ReasonNotDesignated:    "only designated contacts, admins and partners with UPDATE access escalate",
		ReasonTooEarly:         "escalation opens when the first-response target has passed",
	}[r.Reason]
	if r.AvailableAt != nil {
		msg += ", at " + r.AvailableAt.Format(time.RFC3339)
	}
	return &apperr.Error{Code: apperr.EscalationNotAllowed, Reason: string(r.Reason), Message: msg, AvailableAt: r.AvailableAt}
}

func plan(org *ent.Organization) organization.SupportPlan {
	if org != nil && org.SupportPlan != nil {
		return *org.SupportPlan
	}
	return ""
}

// CommentInput is a new comment.
type CommentInput struct {
	CaseID     string                  `json:"caseID"`
	Body       string                  `json:"body"`
	Visibility *casecomment.Visibility `json:"visibility,omitempty"`
}

// AddComment comments on an open case. INTERNAL comments are the vendor's;
// the first PUBLIC comment of a vendor agent is the case's first response.
func AddComment(ctx context.Context, c *ent.Client, v *access.Session, in CommentInput) (*ent.CaseComment, *Change, error) {
	kase, err := open(ctx, c, v, in.CaseID, nil)
	if err != nil {
		return nil, nil, err
	}
	vis := casecomment.VisibilityPUBLIC
	if in.Visibility != nil {
		vis = *in.Visibility
	}
	if vis == casecomment.VisibilityINTERNAL {
		if _, err := v.Require(access.StaffOnly, kase.CustomerID); err != nil {
			return nil, nil, err
		}
	}
	ctx, rec := recording(ctx, v)
	cm, err := c.CaseComment.Create().
		SetCaseID(kase.ID).
		SetCustomerID(kase.CustomerID).
		SetAuthorID(v.ContactID).
		SetBody(strings.TrimSpace(in.Body)).
		SetVisibility(vis).
		SetCreatedAt(v.Now).
		Save(ctx)
	if err != nil {
		return nil, nil, err
	}
	// Not UpdateOne, which reads the case back: what it would read is what
	// was just written.
	q := c.SupportCase.Update().Where(supportcase.ID(kase.ID)).SetUpdatedAt(v.Now)
	if vis == casecomment.VisibilityPUBLIC && kase.FirstRespondedAt == nil && v.OrgKind == access.Vendor && v.Has(access.RoleAgent) {
		q.SetFirstRespondedAt(v.Now)
		at := v.Now
		kase.FirstRespondedAt = &at
	}
	if err := q.Exec(ctx); err != nil {
		return nil, nil, err
	}
	kase.UpdatedAt = v.Now
	return cm, rec.change(kase), nil
}

// AddCollaborator adds a contact to an open case: one of the customer's, or
// a contact of a partner that holds an active grant on the customer, at
// any level.
func AddCollaborator(ctx context.Context, c *ent.Client, v *access.Session, caseID, contactID string) (*Change, *ent.Contact, error) {
	kase, err := open(ctx, c, v, caseID, nil)
	if err != nil {
		return nil, nil, err
	}
	p, err := c.Contact.Query().Where(contact.ID(contactID), contact.StatusEQ(contact.StatusACTIVE)).WithOrganization().Only(ctx)
	if err != nil {
		return nil, nil, apperr.Invalid("contact_id", "no active contact %q", contactID)
	}
	if p.OrganizationID != kase.CustomerID {
		l, err := grants.LevelOf(ctx, c, p, kase.CustomerID, v.Now)
		if err != nil {
			return nil, nil, err
		}
		if l == "" {
			return nil, nil, apperr.Invalid("contact_id", "a collaborator is a contact of the customer or of a partner with access to it")
		}
	}
	exists, err := c.SupportCase.Query().Where(supportcase.ID(kase.ID), supportcase.HasCollaboratorsWith(contact.ID(p.ID))).Exist(ctx)
	if err != nil || exists {
		return changed(kase), p, err
	}
	ch, err := save(ctx, v, kase.Update().AddCollaboratorIDs(p.ID).SetUpdatedAt(v.Now).Save)
	return ch, p, err
}

// RemoveCollaborator takes a contact off an open case.
func RemoveCollaborator(ctx context.Context, c *ent.Client, v *access.Session, caseID, contactID string) (*Change, error) {
	kase, err := open(ctx, c, v, caseID, nil)
	if err != nil {
		return nil, err
	}
	exists, err := c.SupportCase.Query().Where(supportcase.ID(kase.ID), supportcase.HasCollaboratorsWith(contact.ID(contactID))).Exist(ctx)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, apperr.Invalid("contact_id", "%q is not a collaborator of the case", contactID)
	}
	return save(ctx, v, kase.Update().RemoveCollaboratorIDs(contactID).SetUpdatedAt(v.Now).Save)
}

// Share adds email addresses that receive the case's public updates.
func Share(ctx context.Context, c *ent.Client, v *access.Session, caseID string, emails []string) (*Change, error) {
	kase, err := open(ctx, c, v, caseID, nil)
	if err != nil {
		return nil, err
	}
	if len(emails) == 0 {
		return nil, apperr.Invalid("emails", "name at least one address")
	}
	all := slices.Clone(kase.SharedEmails)
	for _, e := range emails {
		n, err := validate.Email(e)
		if err != nil {
			return nil, apperr.Invalid("emails", "%v", err)
		}
		if !slices.Contains(all, n) {
			all = append(all, n)
		}
	}
	if len(all) == len(kase.SharedEmails) {
		return changed(kase), nil
	}
	return save(ctx, v, kase.Update().SetSharedEmails(all).SetUpdatedAt(v.Now).Save)
}

// Change is what a change to a case did: the case as it stands after
// it, and the events it recorded in the case's history, oldest first.
type Change struct {
	Case   *ent.SupportCase
	Events []*ent.CaseEvent
}

// changed starts the Change of kase.
func changed(kase *ent.SupportCase) *Change { return &Change{Case: kase} }

func change(field, before, after string) jsontype.FieldChange {
	ch := jsontype.FieldChange{Field: field}
	if before != "" {
		ch.Before = &before
	}
	if after != "" {
		ch.After = &after
	}
	return ch
}

func or(p *string, def string) string {
	if p != nil && strings.TrimSpace(*p) != "" {
		return strings.TrimSpace(*p)
	}
	return def
}

// trimmed is a text input as stored: without surrounding space.
func trimmed(p *string) *string {
	if p == nil {
		return nil
	}
	t := strings.TrimSpace(*p)
	return &t
}
