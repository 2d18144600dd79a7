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
	return func(s *sql.Selector) {
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
			s.Where(sql.ExprP(stopped + " <= " + due))
		case Breached:
			s.Where(sql.Or(sql.ExprP(stopped+" > "+due), sql.And(waiting, sql.LTE(due, now))))
		case AtRisk:
			s.Where(sql.And(waiting, sql.GT(due, now), sql.Or(atRisk...)))
		case OnTrack:
			s.Where(sql.And(waiting, sql.GT(due, now), sql.Not(sql.Or(atRisk...))))
		default:
			s.Where(sql.False())
		}
	}
}
