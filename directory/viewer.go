package directory

import (
	"context"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
)

// UpdateViewer changes the caller's own contact (updateViewer), whatever
// its level on its organisation. in holds what UpdateViewerInput offers
// (how the contact is called and reached, and what it is mailed): its
// email, roles, status and features stay its admins' (UpdateContact).
func UpdateViewer(ctx context.Context, c *ent.Client, s *access.Session, in ent.UpdateContactInput) (*ent.Contact, error) {
	if _, err := s.Require(access.OwnProfile, s.ContactID); err != nil {
		return nil, err
	}
	return c.Contact.UpdateOneID(s.ContactID).SetInput(in).Save(ctx)
}
