package notify

import (
	"context"
	"slices"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/directory"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/casesubscription"
)

// Subscribe has the caller mailed about the updates of a customer's cases
// (subscribeToCases): a contact of the customer, or anyone at LOOK on it.
// Subscribing again changes nothing.
func Subscribe(ctx context.Context, c *ent.Client, s *access.Session, customerID string) (*ent.Organization, error) {
	org, err := directory.Named(ctx, c, "customerID", customerID)
	if err != nil {
		return nil, err
	}
	if org.Kind != access.Customer {
		return nil, apperr.Invalid("customerID", "%s is a %s; only a customer's cases can be followed", org.Name, org.Kind)
	}
	if _, err := s.Require(access.FollowCases, org.ID); err != nil {
		return nil, err
	}
	mine := casesubscription.And(casesubscription.ContactID(s.ContactID), casesubscription.CustomerID(org.ID))
	if ok, err := c.CaseSubscription.Query().Where(mine).Exist(ctx); err != nil || ok {
		return org, err
	}
	return org, c.CaseSubscription.Create().SetContactID(s.ContactID).SetCustomerID(org.ID).Exec(ctx)
}

// Unsubscribe stops the mail of Subscribe (unsubscribeFromCases). It
// needs no access to the customer: a subscription the caller may no longer
// use is still its own to end.
func Unsubscribe(ctx context.Context, c *ent.Client, s *access.Session, customerID string) error {
	if _, err := s.Require(access.OwnProfile, s.ContactID); err != nil {
		return err
	}
	n, err := c.CaseSubscription.Delete().
		Where(casesubscription.ContactID(s.ContactID), casesubscription.CustomerID(customerID)).
		Exec(ctx)
	if err == nil && n == 0 {
		err = apperr.Invalid("customerID", "not subscribed to the cases of %q", customerID)
	}
	return err
}

// Subscriptions returns the customers whose cases the caller subscribed
// to and may still see: one it lost access to is not listed, and not
// mailed about.
func Subscriptions(ctx context.Context, c *ent.Client, s *access.Session) ([]*ent.Organization, error) {
	orgs, err := c.CaseSubscription.Query().Where(casesubscription.ContactID(s.ContactID)).QueryCustomer().All(ctx)
	return slices.DeleteFunc(orgs, func(o *ent.Organization) bool {
		_, err := s.Require(access.FollowCases, o.ID)
		return err != nil
	}), err
}
