package access

import (
	"io"
	"strconv"
	"time"

	"github.com/partnerdesk/partnerdesk/validate"
)

// Caller is the contact on whose behalf a request runs.
type Caller struct {
	ContactID string
	OrgID     string
	OrgKind   OrgKind
	Roles     []Role
	// Email is the normalised address; its domain selects which
	// domain-scoped organisation grants apply (SPEC §2.2).
	Email string
	// Active is false for suspended, invited and deactivated contacts,
	// which have no access anywhere.
	Active bool
}

// Has reports whether the caller holds role r.
func (c Caller) Has(r Role) bool { return contains(c.Roles, r) }

// IsVendorStaff reports whether the caller works for the vendor as an agent
// or admin, and so may act on every customer.
func (c Caller) IsVendorStaff() bool {
	return c.Active && c.OrgKind == Vendor && (c.Has(RoleAgent) || c.Has(RoleAdmin))
}

// Source says where an effective level comes from.
type Source string

// The sources of an effective level.
const (
	SourceOwnOrganization   Source = "OWN_ORGANIZATION"
	SourceVendor            Source = "VENDOR"
	SourceIndividualGrant   Source = "INDIVIDUAL_GRANT"
	SourceOrganizationGrant Source = "ORGANIZATION_GRANT"
	SourceElevation         Source = "ELEVATION"
	SourceNone              Source = "NONE"
)

var sources = []Source{SourceOwnOrganization, SourceVendor, SourceIndividualGrant, SourceOrganizationGrant, SourceElevation, SourceNone}

// MarshalGQL writes the source as a GraphQL enum value.
func (s Source) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(s))) }

// UnmarshalGQL reads a GraphQL enum value.
func (s *Source) UnmarshalGQL(v any) error { return unmarshalEnum(v, s, sources, "AccessSource") }

// Grant is what the rules need to know of a partner's grant on a customer.
type Grant struct {
	ID         string
	PartnerID  string
	CustomerID string
	// GranteeID is the contact an individual grant is for; empty for an
	// organisation grant.
	GranteeID string
	// PartnerDomain limits an organisation grant to the partner contacts
	// whose email is in that domain; empty means every domain.
	PartnerDomain string
	Level         Level
	// Elevation marks a contact's just-in-time raise (its GranteeID) above
	// what the standing grants give it.
	Elevation bool
	// Approved is false for requests never approved; such grants never
	// become active whatever their times say.
	Approved  bool
	StartsAt  time.Time
	ExpiresAt time.Time
	// EndedAt is when the grant was revoked or superseded; nil while
	// neither happened.
	EndedAt *time.Time
}

// ActiveAt reports whether the grant gives access at t: approved, within
// [StartsAt, ExpiresAt), and not ended at or before t.
func (g Grant) ActiveAt(t time.Time) bool {
	return g.Approved && !t.Before(g.StartsAt) && t.Before(g.ExpiresAt) &&
		(g.EndedAt == nil || t.Before(*g.EndedAt))
}

// Decision is a caller's effective level on one customer and its reason.
type Decision struct {
	Level  Level
	Source Source
	// Grant is the grant that decided, for grant sources.
	Grant *Grant
}

// Effective computes a caller's level on organisation orgID at time now
// (SPEC §2.2). grants are the caller's partner's grants; others are ignored.
// Vendor staff run the deployment and so act on every organisation, partners
// included; partners reach customers only through grants, which only
// customers give. An active elevation of the caller decides when it is
// higher than what the standing grants give, individual or not; it gives
// nothing on its own, so a customer that ends the standing grants ends it
// too.
func Effective(c Caller, orgID string, grants []Grant, now time.Time) Decision {
	d := standing(c, orgID, grants, now)
	if d.Grant == nil {
		return d
	}
	for i := range grants {
		g := &grants[i]
		if g.Elevation && g.GranteeID == c.ContactID && g.CustomerID == orgID && g.PartnerID == c.OrgID &&
			g.ActiveAt(now) && g.Level.rank() > d.Level.rank() {
			d = Decision{Level: g.Level, Source: SourceElevation, Grant: g}
		}
	}
	return d
}

// standing is Effective without elevations.
func standing(c Caller, orgID string, grants []Grant, now time.Time) Decision {
	switch {
	case !c.Active:
		return Decision{Source: SourceNone}
	case c.OrgID == orgID:
		switch {
		case c.Has(RoleAdmin) || c.Has(RoleContactManager):
			return Decision{Level: FullAdmin, Source: SourceOwnOrganization}
		case c.OrgKind == Customer:
			// Members see and update all of their organisation's cases.
			return Decision{Level: Create, Source: SourceOwnOrganization}
		default:
			// A partner's or the vendor's own directory is managed by its
			// admins; other members may read it.
			return Decision{Level: Look, Source: SourceOwnOrganization}
		}
	case c.IsVendorStaff():
		return Decision{Level: FullAdmin, Source: SourceVendor}
	case c.OrgKind != Partner:
		return Decision{Source: SourceNone}
	}
	var best *Grant
	for i := range grants {
		g := &grants[i]
		if g.Elevation || g.PartnerID != c.OrgID || g.CustomerID != orgID || !g.ActiveAt(now) {
			continue
		}
		if g.GranteeID != "" {
			if g.GranteeID == c.ContactID {
				// An individual grant decides even when an organisation grant is higher.
				return Decision{Level: g.Level, Source: SourceIndividualGrant, Grant: g}
			}
			continue
		}
		if g.PartnerDomain != "" && g.PartnerDomain != validate.EmailDomain(c.Email) {
			continue
		}
		if best == nil || g.Level.rank() > best.Level.rank() {
			best = g
		}
	}
	if best == nil {
		return Decision{Source: SourceNone}
	}
	return Decision{Level: best.Level, Source: SourceOrganizationGrant, Grant: best}
}
