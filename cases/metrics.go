package cases

import (
	"context"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
)

// MetricsWindow is the span the dashboard's "recent" figures cover.
const MetricsWindow = 30 * 24 * time.Hour

// SeverityCount is a number of cases of one severity.
type SeverityCount struct {
	Severity supportcase.Severity `json:"severity"`
	Count    int                  `json:"count"`
}

// Metrics is a customer's support dashboard (SPEC §3).
type Metrics struct {
	OpenBySeverity []SeverityCount `json:"openBySeverity"`
	// Escalated counts open escalated cases.
	Escalated int `json:"escalated"`
	// SLABreaches counts open cases past their first-response due time
	// without a response.
	SLABreaches int `json:"slaBreaches"`
	// MedianFirstResponseSeconds is over cases opened in the window that got
	// a first response; nil without any.
	MedianFirstResponseSeconds *int `json:"medianFirstResponseSeconds"`
	OpenedLast30Days           int  `json:"openedLast30Days"`
	ClosedLast30Days           int  `json:"closedLast30Days"`
}

// ComputeMetrics computes a customer's dashboard at now in three aggregate
// statements, whatever the number of cases. c reads through the caller's
// row filters, so a partner's figures cover only the cases it may see.
func ComputeMetrics(ctx context.Context, c *ent.Client, customerID string, now time.Time) (*Metrics, error) {
	m := &Metrics{OpenBySeverity: []SeverityCount{}}
	ofCustomer := supportcase.CustomerID(customerID)
	if err := c.SupportCase.Query().
		Where(ofCustomer, supportcase.StatusNEQ(supportcase.StatusCLOSED)).
		GroupBy(supportcase.FieldSeverity).
		Aggregate(ent.As(ent.Count(), "count")).
		Scan(ctx, &m.OpenBySeverity); err != nil {
		return nil, err
	}
	since := now.Add(-MetricsWindow)
	var sums []struct {
		Escalated int `json:"escalated"`
		Breaches  int `json:"breaches"`
		Opened    int `json:"opened"`
		Closed    int `json:"closed"`
		Responded int `json:"responded"`
	}
	if err := c.SupportCase.Query().Where(ofCustomer).Modify(func(s *sql.Selector) {
		open := sql.NEQ(s.C(supportcase.FieldStatus), supportcase.StatusCLOSED)
		count := func(as string, cond *sql.Predicate) {
			s.AppendSelectExprAs(sql.ExprFunc(func(b *sql.Builder) {
				b.WriteString("COALESCE(SUM(CASE WHEN ").Join(cond).WriteString(" THEN 1 ELSE 0 END), 0)")
			}), as)
		}
		s.Select()
		count("escalated", sql.And(open, sql.EQ(s.C(supportcase.FieldEscalated), true)))
		count("breaches", sql.And(open, sql.IsNull(s.C(supportcase.FieldFirstRespondedAt)), sql.LTE(s.C(supportcase.FieldFirstResponseDueAt), now)))
		count("opened", sql.GTE(s.C(supportcase.FieldCreatedAt), since))
		count("closed", sql.And(sql.EQ(s.C(supportcase.FieldStatus), supportcase.StatusCLOSED), sql.GTE(s.C(supportcase.FieldClosedAt), since)))
		count("responded", sql.And(sql.GTE(s.C(supportcase.FieldCreatedAt), since), sql.NotNull(s.C(supportcase.FieldFirstRespondedAt))))
	}).Scan(ctx, &sums); err != nil {
		return nil, err
	}
	if len(sums) == 1 {
		m.Escalated, m.SLABreaches, m.OpenedLast30Days, m.ClosedLast30Days = sums[0].Escalated, sums[0].Breaches, sums[0].Opened, sums[0].Closed
		if n := sums[0].Responded; n > 0 {
			median, err := medianFirstResponse(ctx, c, customerID, since, n)
			if err != nil {
				return nil, err
			}
			m.MedianFirstResponseSeconds = &median
		}
	}
	return m, nil
}

// medianFirstResponse reads the one or two middle response times of the n
// responded cases, by index order, without loading the others.
func medianFirstResponse(ctx context.Context, c *ent.Client, customerID string, since time.Time, n int) (int, error) {
	var rows []struct {
		Seconds float64 `json:"seconds"`
	}
	take := 2 - n%2
	err := c.SupportCase.Query().
		Where(supportcase.CustomerID(customerID), supportcase.CreatedAtGTE(since), supportcase.FirstRespondedAtNotNil()).
		Order(func(s *sql.Selector) { s.OrderExpr(sql.Expr("seconds")) }).
		Offset((n-1)/2).
		Limit(take).
		Modify(func(s *sql.Selector) {
			s.Select()
			s.AppendSelectExprAs(sql.Expr(secondsBetween(s.Dialect(), s.C(supportcase.FieldCreatedAt), s.C(supportcase.FieldFirstRespondedAt))), "seconds")
		}).
		Scan(ctx, &rows)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	var sum float64
	for _, r := range rows {
		sum += r.Seconds
	}
	return int(sum/float64(len(rows)) + 0.5), nil
}

// secondsBetween is the SQL for the seconds from one time column to
// another: SQLite keeps times as text, PostgreSQL as timestamps.
func secondsBetween(d, from, to string) string {
	if d == dialect.Postgres {
		return "EXTRACT(EPOCH FROM (" + to + " - " + from + "))"
	}
	return "(julianday(" + to + ") - julianday(" + from + ")) * 86400"
}
