package directory

import (
	"context"
	"slices"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/contact"
)

// ownFields are what a contact may change about itself: how it is called
// and reached, and what it is mailed. Its email, roles, status and
// features stay its organisation's admins' (UpdateContact).
var ownFields = []string{
	contact.FieldName, contact.FieldPhone, contact.FieldTimezone, contact.FieldLocale,
	contact.FieldNotificationPreference,
	contact.FieldS1Phone, contact.FieldS1Hours, contact.FieldS2Phone, contact.FieldS2Hours,
}

// UpdateViewer changes the caller's own contact (updateViewer), whatever
// its level on its organisation.
func UpdateViewer(ctx context.Context, c *ent.Client, s *access.Session, in ent.UpdateContactInput) (*ent.Contact, error) {
	if _, err := s.Require(access.OwnProfile, s.ContactID); err != nil {
		return nil, err
	}
	u := c.Contact.UpdateOneID(s.ContactID).SetInput(in)
	m := u.Mutation()
	for _, f := range append(m.Fields(), m.ClearedFields()...) {
		if !slices.Contains(ownFields, f) {
			return nil, apperr.Forbiddenf("a contact does not change its own %s; its organisation's admins do (updateContact)", f)
		}
	}
	return u.Save(ctx)
}
