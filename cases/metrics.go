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
	// OpenBySeverity has the severities with open cases only, S1 first.
	OpenBySeverity []SeverityCount `json:"openBySeverity"`
	// Escalated counts open escalated cases.
	Escalated int `json:"escalated"`
	// SLABreaches counts open cases whose SLA state is Breached: unanswered
	// past the due time, or answered after it.
	SLABreaches int `json:"slaBreaches"`
	// AtRisk counts open cases whose SLA state is AtRisk.
	AtRisk int `json:"atRisk"`
	// MedianFirstResponseSeconds is over cases opened in the window that got
	// a first response; nil without any.
	MedianFirstResponseSeconds *int `json:"medianFirstResponseSeconds"`
	OpenedLast30Days           int  `json:"openedLast30Days"`
	ClosedLast30Days           int  `json:"closedLast30Days"`
}

// ComputeMetrics computes a customer's dashboard at now (MetricsOf).
func ComputeMetrics(ctx context.Context, c *ent.Client, customerID string, now time.Time) (*Metrics, error) {
	all, err := MetricsOf(ctx, c, []string{customerID}, now)
	if err != nil {
		return nil, err
	}
	return all[customerID], nil
}

// MetricsOf computes the dashboards of customers at now in three aggregate
// statements, whatever the number of customers and cases. c reads through
// the caller's row filters, so a partner's figures cover only the cases it
// may see. Every customer asked for has an entry.
func MetricsOf(ctx context.Context, c *ent.Client, customerIDs []string, now time.Time) (map[string]*Metrics, error) {
	out := make(map[string]*Metrics, len(customerIDs))
	for _, id := range customerIDs {
		out[id] = &Metrics{OpenBySeverity: []SeverityCount{}}
	}
	if len(customerIDs) == 0 {
		return out, nil
	}
	ofCustomers := supportcase.CustomerIDIn(customerIDs...)
	var open []struct {
		CustomerID string `json:"customer_id"`
		SeverityCount
	}
	if err := c.SupportCase.Query().
		Where(ofCustomers, supportcase.StatusNEQ(supportcase.StatusCLOSED)).
		Order(ent.Asc(supportcase.FieldCustomerID), ent.Asc(supportcase.FieldSeverity)).
		GroupBy(supportcase.FieldCustomerID, supportcase.FieldSeverity).
		Aggregate(ent.As(ent.Count(), "count")).
		Scan(ctx, &open); err != nil {
		return nil, err
	}
	for _, o := range open {
		m := out[o.CustomerID]
		m.OpenBySeverity = append(m.OpenBySeverity, o.SeverityCount)
	}
	since := now.Add(-MetricsWindow)
	var sums []struct {
		CustomerID string `json:"customer_id"`
		Escalated  int    `json:"escalated"`
		Breaches   int    `json:"breaches"`
		AtRisk     int    `json:"at_risk"`
		Opened     int    `json:"opened"`
		Closed     int    `json:"closed"`
		Responded  int    `json:"responded"`
	}
	if err := c.SupportCase.Query().Where(ofCustomers).Modify(func(s *sql.Selector) {
		open := sql.NEQ(s.C(supportcase.FieldStatus), supportcase.StatusCLOSED)
		count := func(as string, conds ...*sql.Predicate) {
			cond := sql.And(conds...)
			s.AppendSelectExprAs(sql.ExprFunc(func(b *sql.Builder) {
				b.WriteString("COALESCE(SUM(CASE WHEN ").Join(cond).WriteString(" THEN 1 ELSE 0 END), 0)")
			}), as)
		}
		s.Select(s.C(supportcase.FieldCustomerID))
		count("escalated", open, sql.EQ(s.C(supportcase.FieldEscalated), true))
		count("breaches", open, slaCondition(s, Breached, now))
		count("at_risk", open, slaCondition(s, AtRisk, now))
		count("opened", sql.GTE(s.C(supportcase.FieldCreatedAt), since))
		count("closed", sql.EQ(s.C(supportcase.FieldStatus), supportcase.StatusCLOSED), sql.GTE(s.C(supportcase.FieldClosedAt), since))
		count("responded", sql.GTE(s.C(supportcase.FieldCreatedAt), since), sql.NotNull(s.C(supportcase.FieldFirstRespondedAt)))
		s.GroupBy(s.C(supportcase.FieldCustomerID))
	}).Scan(ctx, &sums); err != nil {
		return nil, err
	}
	answered := false
	for _, r := range sums {
		m := out[r.CustomerID]
		m.Escalated, m.SLABreaches, m.AtRisk, m.OpenedLast30Days, m.ClosedLast30Days = r.Escalated, r.Breaches, r.AtRisk, r.Opened, r.Closed
		answered = answered || r.Responded > 0
	}
	if !answered {
		return out, nil
	}
	medians, err := medianFirstResponses(ctx, c, customerIDs, since)
	if err != nil {
		return nil, err
	}
	for id, median := range medians {
		out[id].MedianFirstResponseSeconds = &median
	}
	return out, nil
}

// medianFirstResponses reads, per customer, the mean of the one or two
// middle response times of its cases answered since, ranked in SQL, so
// that only one row per customer comes back.
func medianFirstResponses(ctx context.Context, c *ent.Client, customerIDs []string, since time.Time) (map[string]int, error) {
	var rows []struct {
		CustomerID string  `json:"customer_id"`
		Seconds    float64 `json:"seconds"`
	}
	err := c.SupportCase.Query().
		Where(supportcase.CustomerIDIn(customerIDs...), supportcase.CreatedAtGTE(since), supportcase.FirstRespondedAtNotNil()).
		// The ranking wraps the query as an ordering, because ent applies
		// orderings after every predicate, the row filter's included.
		Order(middleRanks).
		Modify(func(s *sql.Selector) {
			s.Select(s.C(supportcase.FieldCustomerID))
			s.AppendSelectExprAs(sql.Expr(secondsBetween(s.Dialect(), s.C(supportcase.FieldCreatedAt), s.C(supportcase.FieldFirstRespondedAt))), "seconds")
		}).
		Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.CustomerID] = int(r.Seconds + 0.5)
	}
	return out, nil
}

// middleRanks turns a query of (customer_id, seconds) rows into one row
// per customer: the mean of its middle rank (odd count) or two middle
// ranks (even count), by seconds.
func middleRanks(s *sql.Selector) {
	d := sql.Dialect(s.Dialect())
	ranked := d.Select(supportcase.FieldCustomerID, "seconds").
		AppendSelectExprAs(sql.RowNumber().PartitionBy(supportcase.FieldCustomerID).OrderBy("seconds"), "response_rank").
		AppendSelectExprAs(sql.Expr("COUNT(*) OVER (PARTITION BY "+supportcase.FieldCustomerID+")"), "answered_count").
		From(d.Table("answered_count"))
	with := d.With("answered_count").As(s.Clone()).With("ranked").As(ranked)
	t := d.Table("ranked")
	*s = *d.Select(t.C(supportcase.FieldCustomerID)).
		AppendSelectExprAs(sql.Expr("AVG(seconds)"), "seconds").
		From(t).
		Where(sql.ExprP("response_rank IN ((answered_count + 1) / 2, (answered_count + 2) / 2)")).
		GroupBy(t.C(supportcase.FieldCustomerID)).
		Prefix(with)
}

// secondsBetween is the SQL for the seconds from one time column to
// another: SQLite keeps times as text, PostgreSQL as timestamps.
func secondsBetween(d, from, to string) string {
	if d == dialect.Postgres {
		return "EXTRACT(EPOCH FROM (" + to + " - " + from + "))"
	}
	return "(julianday(" + to + ") - julianday(" + from + ")) * 86400"
}
