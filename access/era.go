package access

import "time"

// Interval is a span [From, To) during which a partner held some active
// grant on a customer.
type Interval struct{ From, To time.Time }

// Eras lists, per customer, the intervals during which the caller's partner
// held an active grant of any level and any grantee on it. A partner sees a
// case only if the case was created in one of them (SPEC §2.4).
func Eras(grants []Grant) map[string][]Interval {
	out := map[string][]Interval{}
	for _, g := range grants {
		if !g.Approved {
			continue
		}
		end := g.ExpiresAt
		if g.EndedAt != nil && g.EndedAt.Before(end) {
			end = *g.EndedAt
		}
		if end.After(g.StartsAt) {
			out[g.CustomerID] = append(out[g.CustomerID], Interval{From: g.StartsAt, To: end})
		}
	}
	return out
}

// InEra reports whether a case created at t falls in one of the intervals.
func InEra(eras []Interval, t time.Time) bool {
	for _, e := range eras {
		if !t.Before(e.From) && t.Before(e.To) {
			return true
		}
	}
	return false
}

// Reach is what a caller reaches beyond its own organisation: its level on
// each customer its grants (or its vendor role) give it any access to.
type Reach map[string]Level

// Customers lists the customers reached at level min or higher.
func (r Reach) Customers(min Level) []string {
	var out []string
	for id, l := range r {
		if l.AtLeast(min) {
			out = append(out, id)
		}
	}
	return out
}

// PartnerReach computes a partner contact's level on every customer its
// partner holds an active grant on at now.
func PartnerReach(c Caller, grants []Grant, now time.Time) Reach {
	r := Reach{}
	if !c.Active || c.OrgKind != Partner {
		return r
	}
	for _, g := range grants {
		if _, done := r[g.CustomerID]; done {
			continue
		}
		if d := Effective(c, g.CustomerID, grants, now); d.Level != "" {
			r[g.CustomerID] = d.Level
		}
	}
	return r
}

// Partnership is what the rules need to know about a partner caller's
// grants: every grant its partner ever had approved (history decides the
// partner era) and which of those customers share their case history.
type Partnership struct {
	Grants        []Grant
	SharesHistory map[string]bool
}
