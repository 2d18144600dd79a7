package model

import (
	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/cases"
	"github.com/partnerdesk/partnerdesk/ent"
)

// CustomerOverview is one row of My Customers. Its owner is the customer,
// so that the access directives decide its fields on the caller's level
// there.
type CustomerOverview struct {
	Customer *ent.Organization
	Level    access.Level
	// SupportMetrics is computed for every row of the page at once.
	SupportMetrics *cases.Metrics
}

// Owners names the customer, for the access directives.
func (o *CustomerOverview) Owners() []string { return []string{o.Customer.ID} }
