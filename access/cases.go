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
// createdAt, given whether the caller collaborates on it. Both are asked
// only when the rule needs them: finding either may take a read.
func (r CaseRule) Sees(createdAt func() time.Time, collaborator func() bool) bool {
	if r.CollaboratorOnly && !collaborator() {
		return false
	}
	return r.AllHistory || InEra(r.Eras, createdAt())
}

// CaseRules returns how the caller sees cases: every case of every
// customer (all, for vendor staff), or a rule per customer it reaches.
// The map is the session's: read it, do not change it.
func (s *Session) CaseRules() (all bool, rules map[string]CaseRule) {
	return s.allCases, s.caseRules
}

func caseRules(c Caller, reach Reach, eras map[string][]Interval, p Partnership) (all bool, rules map[string]CaseRule) {
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
