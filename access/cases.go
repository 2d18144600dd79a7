package access

import "time"

// CaseRule says which of one customer's cases a caller sees (SPEC §2.1,
// §2.4). Row filters turn it into SQL; subscriptions evaluate it for each
// event; both read it from here.
type CaseRule struct {
	// Level is the caller's level on the customer.
	Level Level
	// Eras, unless AllHistory, are the spans a case must have been created
	// in: the partner's own era on the customer.
	Eras       []Interval
	AllHistory bool
	// CollaboratorOnly: at CC a caller sees only the cases it collaborates on.
	CollaboratorOnly bool
}

// Sees reports whether the rule lets the caller see a case created at
// createdAt, given whether the caller collaborates on it.
func (r CaseRule) Sees(createdAt time.Time, collaborator bool) bool {
	if r.CollaboratorOnly && !collaborator {
		return false
	}
	return r.AllHistory || InEra(r.Eras, createdAt)
}

// CaseRules returns how a caller sees cases: every case of every customer
// (all, for vendor staff), or a rule per customer it reaches.
func CaseRules(c Caller, reach Reach, p Partnership) (all bool, rules map[string]CaseRule) {
	switch {
	case !c.Active:
		return false, nil
	case c.IsVendorStaff():
		return true, nil
	case c.OrgKind == Customer:
		// Members see and update all of their organisation's cases.
		return false, map[string]CaseRule{c.OrgID: {Level: FullAdmin, AllHistory: true}}
	case c.OrgKind != Partner:
		return false, nil
	}
	eras := Eras(p.Grants)
	rules = make(map[string]CaseRule, len(reach))
	for customer, level := range reach {
		rules[customer] = CaseRule{
			Level:            level,
			Eras:             eras[customer],
			AllHistory:       p.SharesHistory[customer],
			CollaboratorOnly: !level.AtLeast(Look),
		}
	}
	return false, rules
}

// Rules is CaseRules in one value, for callers that keep it.
type Rules struct {
	All        bool
	ByCustomer map[string]CaseRule
}

// CaseRulesOf is CaseRules as a Rules value.
func CaseRulesOf(c Caller, reach Reach, p Partnership) Rules {
	all, by := CaseRules(c, reach, p)
	return Rules{All: all, ByCustomer: by}
}
