package access

import (
	"encoding/hex"
	"hash/fnv"
	"slices"
	"strconv"
	"time"
	"unique"
)

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
	// steady is the span around Now in which no grant starts, ends or
	// expires: the session decides alike at every instant of it.
	steady Interval
}

// NewSession returns the session of c at now; p is its partner's grants
// (empty for callers who are not partner contacts).
func NewSession(c Caller, now time.Time, p Partnership) *Session {
	s := &Session{Caller: c, Now: now, partnership: p}
	s.reach = PartnerReach(c, p.Grants, now)
	s.eras = Eras(p.Grants)
	s.allCases, s.caseRules = caseRules(c, s.reach, s.eras, p)
	s.steady = steadySpan(p.Grants, now)
	return s
}

// At returns the session of the same caller and grants at another
// instant: an open stream moves its session along as time passes, without
// reading the grants again. Within the steady span only the clock moves.
func (s *Session) At(now time.Time) *Session {
	if s.Steady(now) {
		out := *s
		out.Now = now
		return &out
	}
	out := NewSession(s.Caller, now, s.partnership)
	out.TokenID, out.TokenExpiresAt = s.TokenID, s.TokenExpiresAt
	return out
}

// Steady reports whether s decides at now as it does at s.Now: no grant
// started, ended or expired in between.
func (s *Session) Steady(now time.Time) bool {
	return !now.Before(s.steady.From) && (s.steady.To.IsZero() || now.Before(s.steady.To))
}

func steadySpan(grants []Grant, now time.Time) (span Interval) {
	for _, g := range grants {
		if !g.Approved {
			continue
		}
		for _, t := range []*time.Time{&g.StartsAt, &g.ExpiresAt, g.EndedAt} {
			switch {
			case t == nil:
			case !t.After(now):
				if t.After(span.From) {
					span.From = *t
				}
			case span.To.IsZero() || t.Before(span.To):
				span.To = *t
			}
		}
	}
	return span
}

// Class names what a session's answers depend on: the caller, and its
// partner's grants. Two sessions of one class answer every access question
// alike at the same instant, so whatever one of them may be shown, the
// other may be shown too (a stream renders an event once for all its
// subscribers of a class). The contact is part of it, for the rules that
// look at who asks: one's own tokens, CC collaboration. A Class is
// interned: it compares and hashes as a pointer.
type Class struct{ unique.Handle[string] }

// Class returns the session's class.
func (s *Session) Class() Class {
	h := fnv.New128a()
	put := func(parts ...string) {
		for _, p := range parts {
			h.Write([]byte(p))
			h.Write([]byte{0})
		}
	}
	c := s.Caller
	put(c.ContactID, c.OrgID, string(c.OrgKind), c.Email, strconv.FormatBool(c.Active))
	for _, r := range c.Roles {
		put(string(r))
	}
	at := func(t time.Time) string { return strconv.FormatInt(t.UnixNano(), 36) }
	for _, g := range s.partnership.Grants {
		ended := ""
		if g.EndedAt != nil {
			ended = at(*g.EndedAt)
		}
		put(g.ID, g.PartnerID, g.CustomerID, g.GranteeID, g.PartnerDomain, string(g.Level),
			strconv.FormatBool(g.Elevation), strconv.FormatBool(g.Approved), at(g.StartsAt), at(g.ExpiresAt), ended)
	}
	shared := make([]string, 0, len(s.partnership.SharesHistory))
	for id, yes := range s.partnership.SharesHistory {
		if yes {
			shared = append(shared, id)
		}
	}
	slices.Sort(shared)
	put(shared...)
	return Class{unique.Make(c.ContactID + ":" + hex.EncodeToString(h.Sum(nil)))}
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
