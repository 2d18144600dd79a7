package access

import "time"

// Session is one caller's access as of one instant: who calls, with which
// token, and what its partner's grants give it then. The request pipeline
// builds it once per operation, and again for each root field of a
// mutation (so that a revocation earlier in the request counts); every
// layer then reads the same answers from it. It never changes, so it needs
// no lock.
type Session struct {
	Caller
	// Now is the instant the session decides at.
	Now time.Time
	// TokenID is the access token the caller signed in with ("" for the
	// server's own work); TokenExpiresAt its expiry, nil for none. An open
	// stream ends when the token does.
	TokenID        string
	TokenExpiresAt *time.Time

	partnership Partnership
	reach       Reach
	eras        map[string][]Interval
	allCases    bool
	caseRules   map[string]CaseRule
}

// NewSession returns the session of c at now; p is its partner's grants
// (empty for callers who are not partner contacts).
func NewSession(c Caller, now time.Time, p Partnership) *Session {
	s := &Session{Caller: c, Now: now, partnership: p}
	s.reach = PartnerReach(c, p.Grants, now)
	s.eras = Eras(p.Grants)
	s.allCases, s.caseRules = caseRules(c, s.reach, s.eras, p)
	return s
}

// At returns the session of the same caller and grants at another
// instant: an open stream moves its session along as time passes, without
// reading the grants again.
func (s *Session) At(now time.Time) *Session {
	out := NewSession(s.Caller, now, s.partnership)
	out.TokenID, out.TokenExpiresAt = s.TokenID, s.TokenExpiresAt
	return out
}

// Decide returns the caller's effective level on organisation orgID, and
// where it comes from (SPEC §2.2).
func (s *Session) Decide(orgID string) Decision {
	return Effective(s.Caller, orgID, s.partnership.Grants, s.Now)
}

// Level is the caller's effective level on orgID; "" for none.
func (s *Session) Level(orgID string) Level { return s.Decide(orgID).Level }

// Reach is the caller's level on each customer its partner's grants reach.
func (s *Session) Reach() Reach { return s.reach }

// TokenLive reports whether the session's token is still good at t.
func (s *Session) TokenLive(t time.Time) bool {
	return s.TokenExpiresAt == nil || t.Before(*s.TokenExpiresAt)
}
