package directory

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/schema/jsontype"
)

// A customer holds at most one licence per product, so that the product
// names the licence in the mutations that change it (SPEC §1). The
// vendor's admins manage licences; whoever has LOOK on the customer reads
// them (Organization.licenses).

// LicenseChange is a change to a customer's licence of a product. A nil
// field keeps its value; ClearExpiresAt makes the licence perpetual.
type LicenseChange struct {
	CustomerID     string
	Product        string
	Quantity       *int
	ExpiresAt      *time.Time
	ClearExpiresAt bool
}

// maxProduct is the longest product name kept.
const maxProduct = 200

// CreateLicense adds a licence to a customer; one for the same product
// already there is a CONFLICT.
func CreateLicense(ctx context.Context, c *ent.Client, s *access.Session, ch LicenseChange) (*ent.Organization, *jsontype.License, error) {
	if ch.Quantity == nil {
		return nil, nil, apperr.Invalid("quantity", "a new licence needs a quantity")
	}
	return changeLicenses(ctx, c, s, ch, func(ls []jsontype.License, i int, product string) ([]jsontype.License, int, error) {
		if i >= 0 {
			return nil, 0, apperr.Conflictf("the customer already holds a licence of %s: update it", ls[i].Product)
		}
		return append(ls, jsontype.License{Product: product}), len(ls), nil
	})
}

// UpdateLicense changes a customer's licence of a product.
func UpdateLicense(ctx context.Context, c *ent.Client, s *access.Session, ch LicenseChange) (*ent.Organization, *jsontype.License, error) {
	return changeLicenses(ctx, c, s, ch, func(ls []jsontype.License, i int, product string) ([]jsontype.License, int, error) {
		if i < 0 {
			return nil, 0, apperr.Invalid("product", "the customer holds no licence of %s", product)
		}
		return ls, i, nil
	})
}

// DeleteLicense removes a customer's licence of a product, and returns
// the product as it was stored.
func DeleteLicense(ctx context.Context, c *ent.Client, s *access.Session, customerID, product string) (*ent.Organization, string, error) {
	var deleted string
	org, _, err := changeLicenses(ctx, c, s, LicenseChange{CustomerID: customerID, Product: product},
		func(ls []jsontype.License, i int, product string) ([]jsontype.License, int, error) {
			if i < 0 {
				return nil, 0, apperr.Invalid("product", "the customer holds no licence of %s", product)
			}
			deleted = ls[i].Product
			return slices.Delete(ls, i, i+1), -1, nil
		})
	return org, deleted, err
}

// changeLicenses loads the customer as the caller sees it, requires the
// vendor's admins, finds the licence of ch.Product (i < 0: none), lets
// edit reshape the list and name the licence to apply ch to (-1: none),
// and saves the list. edit gets the product trimmed.
func changeLicenses(ctx context.Context, c *ent.Client, s *access.Session, ch LicenseChange,
	edit func(ls []jsontype.License, i int, product string) ([]jsontype.License, int, error)) (*ent.Organization, *jsontype.License, error) {
	org, err := Named(ctx, c, "customer_id", ch.CustomerID)
	if err != nil {
		return nil, nil, err
	}
	if _, err := s.Require(access.ManageOrganizations, org.ID); err != nil {
		return nil, nil, err
	}
	if org.Kind != access.Customer {
		return nil, nil, apperr.Invalid("customer_id", "only customers hold licences")
	}
	product := strings.TrimSpace(ch.Product)
	if product == "" || len(product) > maxProduct {
		return nil, nil, apperr.Invalid("product", "a product is 1 to %d characters", maxProduct)
	}
	if ch.Quantity != nil && *ch.Quantity < 1 {
		return nil, nil, apperr.Invalid("quantity", "a quantity is at least 1")
	}
	ls := slices.Clone(org.Licenses)
	i := slices.IndexFunc(ls, func(l jsontype.License) bool { return strings.EqualFold(l.Product, product) })
	ls, i, err = edit(ls, i, product)
	if err != nil {
		return nil, nil, err
	}
	var changed *jsontype.License
	if i >= 0 {
		l := &ls[i]
		if ch.Quantity != nil {
			l.Quantity = *ch.Quantity
		}
		if ch.ExpiresAt != nil {
			t := ch.ExpiresAt.UTC()
			l.ExpiresAt = &t
		}
		if ch.ClearExpiresAt {
			l.ExpiresAt = nil
		}
		changed = l
	}
	org, err = org.Update().SetLicenses(ls).Save(ctx)
	return org, changed, err
}
