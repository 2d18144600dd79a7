package cases

import (
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/partnerdesk/partnerdesk/ent/predicate"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
)

// SLAIs selects the cases in an SLA state at now: SLA, written as SQL, so
// that My Cases filters on it inside the query.
func SLAIs(state SLAState, now time.Time) predicate.SupportCase {
	return func(s *sql.Selector) { s.Where(slaCondition(s, state, now)) }
}

// slaCondition is SLA as a condition on the cases of s, so that the
// dashboard counts a state with the very definition My Cases filters on.
func slaCondition(s *sql.Selector, state SLAState, now time.Time) *sql.Predicate {
	// When the case stopped waiting: its first response, or its closing.
	stopped := "COALESCE(" + s.C(supportcase.FieldFirstRespondedAt) + ", CASE WHEN " +
		s.C(supportcase.FieldStatus) + " = 'CLOSED' THEN " + s.C(supportcase.FieldClosedAt) + " END)"
	due := s.C(supportcase.FieldFirstResponseDueAt)
	waiting := sql.ExprP(stopped + " IS NULL")
	var atRisk []*sql.Predicate
	for sev, target := range FirstResponseTargets {
		atRisk = append(atRisk, sql.And(sql.EQ(s.C(supportcase.FieldSeverity), sev), sql.LT(due, now.Add(target/4))))
	}
	switch state {
	case Met:
		return sql.ExprP(stopped + " <= " + due)
	case Breached:
		return sql.Or(sql.ExprP(stopped+" > "+due), sql.And(waiting, sql.LTE(due, now)))
	case AtRisk:
		return sql.And(waiting, sql.GT(due, now), sql.Or(atRisk...))
	case OnTrack:
		return sql.And(waiting, sql.GT(due, now), sql.Not(sql.Or(atRisk...)))
	}
	return sql.False()
}
