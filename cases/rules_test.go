package cases_test

import (
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/cases"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func kase(sev supportcase.Severity) *ent.SupportCase {
	return &ent.SupportCase{CustomerID: "org_acme", Severity: sev, Status: supportcase.StatusNEW,
		CreatedAt: t0, FirstResponseDueAt: cases.FirstResponseDue(t0, sev)}
}

func at(d time.Duration) *time.Time { t := t0.Add(d); return &t }

func TestFirstResponseTargets(t *testing.T) {
	for sev, want := range map[supportcase.Severity]time.Duration{"S1": time.Hour, "S2": 2 * time.Hour, "S3": 4 * time.Hour, "S4": 8 * time.Hour} {
		if got := cases.FirstResponseDue(t0, sev); !got.Equal(t0.Add(want)) {
			t.Errorf("%s due %s", sev, got)
		}
	}
}

func TestSLA(t *testing.T) {
	for name, tc := range map[string]struct {
		sev       supportcase.Severity
		now       time.Duration
		responded *time.Time
		closedAt  *time.Time
		want      cases.SLAState
	}{
		"S4 early":                     {"S4", time.Hour, nil, nil, cases.OnTrack},
		"S4 with exactly a quarter":    {"S4", 6 * time.Hour, nil, nil, cases.OnTrack},
		"S4 under a quarter":           {"S4", 6*time.Hour + time.Second, nil, nil, cases.AtRisk},
		"S1 a second before due":       {"S1", time.Hour - time.Second, nil, nil, cases.AtRisk},
		"S1 exactly at due":            {"S1", time.Hour, nil, nil, cases.Breached},
		"answered exactly at due":      {"S1", 2 * time.Hour, at(time.Hour), nil, cases.Met},
		"answered a second late":       {"S1", 2 * time.Hour, at(time.Hour + time.Second), nil, cases.Breached},
		"closed before due, no answer": {"S2", 3 * time.Hour, nil, at(time.Hour), cases.Met},
		"closed after due, no answer":  {"S2", 3 * time.Hour, nil, at(150 * time.Minute), cases.Breached},
	} {
		t.Run(name, func(t *testing.T) {
			c := kase(tc.sev)
			c.FirstRespondedAt = tc.responded
			if tc.closedAt != nil {
				c.Status, c.ClosedAt = supportcase.StatusCLOSED, tc.closedAt
			}
			if got := cases.SLA(c, t0.Add(tc.now)); got != tc.want {
				t.Errorf("%s, want %s", got, tc.want)
			}
		})
	}
}

func TestCanEscalate(t *testing.T) {
	customer := func(roles ...access.Role) cases.Actor {
		return cases.Actor{Caller: access.Caller{OrgID: "org_acme", OrgKind: access.Customer, Roles: roles, Active: true}, Level: access.Create}
	}
	partner := func(l access.Level) cases.Actor {
		return cases.Actor{Caller: access.Caller{OrgID: "org_contoso", OrgKind: access.Partner, Active: true}, Level: l}
	}
	premium, standard := organization.SupportPlanPREMIUM, organization.SupportPlanSTANDARD
	afterDue := t0.Add(time.Hour)
	for name, tc := range map[string]struct {
		actor cases.Actor
		plan  organization.SupportPlan
		now   time.Time
		edit  func(*ent.SupportCase)
		want  cases.Reason // "" for allowed
	}{
		"designated after due":     {customer(access.RoleDesignated), premium, afterDue, nil, ""},
		"admin after due":          {customer(access.RoleAdmin), premium, afterDue, nil, ""},
		"partner at UPDATE":        {partner(access.Update), premium, afterDue, nil, ""},
		"partner at LOOK":          {partner(access.Look), premium, afterDue, nil, cases.ReasonNotDesignated},
		"plain member":             {customer(), premium, afterDue, nil, cases.ReasonNotDesignated},
		"vendor agent":             {cases.Actor{Caller: access.Caller{OrgKind: access.Vendor, Roles: []access.Role{access.RoleAgent}, Active: true}, Level: access.FullAdmin}, premium, afterDue, nil, cases.ReasonNotDesignated},
		"standard plan":            {customer(access.RoleDesignated), standard, afterDue, nil, cases.ReasonPlan},
		"a second before due":      {customer(access.RoleDesignated), premium, afterDue.Add(-time.Second), nil, cases.ReasonTooEarly},
		"closed":                   {customer(access.RoleDesignated), premium, afterDue, func(c *ent.SupportCase) { c.Status = supportcase.StatusCLOSED }, cases.ReasonClosed},
		"already escalated":        {customer(access.RoleDesignated), premium, afterDue, func(c *ent.SupportCase) { c.Escalated = true }, cases.ReasonAlreadyEscalated},
		"closed beats plan":        {customer(), standard, afterDue, func(c *ent.SupportCase) { c.Status = supportcase.StatusCLOSED }, cases.ReasonClosed},
		"designated of a stranger": {cases.Actor{Caller: access.Caller{OrgID: "org_globex", OrgKind: access.Customer, Roles: []access.Role{access.RoleDesignated}, Active: true}}, premium, afterDue, nil, cases.ReasonNotDesignated},
	} {
		t.Run(name, func(t *testing.T) {
			c := kase(supportcase.SeverityS1)
			if tc.edit != nil {
				tc.edit(c)
			}
			r := cases.CanEscalate(tc.actor, c, tc.plan, tc.now)
			switch {
			case tc.want == "" && r != nil:
				t.Fatalf("refused: %+v", r)
			case tc.want != "" && (r == nil || r.Reason != tc.want):
				t.Fatalf("got %+v, want %s", r, tc.want)
			case tc.want == cases.ReasonTooEarly && !r.AvailableAt.Equal(afterDue):
				t.Fatalf("available at %s, want %s", r.AvailableAt, afterDue)
			}
		})
	}
}

func TestReopenWindowIsThirtyDaysInclusive(t *testing.T) {
	c := kase(supportcase.SeverityS3)
	if r := cases.CanReopen(c, t0); r == nil || r.Reason != cases.ReasonNotClosed {
		t.Fatalf("an open case: %+v", r)
	}
	c.Status, c.ClosedAt, c.ReopenableUntil = supportcase.StatusCLOSED, at(0), at(cases.ReopenWindow)
	if r := cases.CanReopen(c, t0.Add(cases.ReopenWindow)); r != nil {
		t.Fatalf("on day 30: %+v", r)
	}
	if r := cases.CanReopen(c, t0.Add(cases.ReopenWindow+time.Nanosecond)); r == nil || r.Reason != cases.ReasonReopenWindowExpired {
		t.Fatalf("after day 30: %+v", r)
	}
}

func TestActionsNeedUpdateAndAnOpenCase(t *testing.T) {
	look := cases.Actor{Caller: access.Caller{OrgKind: access.Partner, Active: true}, Level: access.Look}
	update := cases.Actor{Caller: access.Caller{OrgKind: access.Partner, Active: true}, Level: access.Update}
	open, closed := kase(supportcase.SeverityS3), kase(supportcase.SeverityS3)
	closed.Status, closed.ClosedAt, closed.ReopenableUntil = supportcase.StatusCLOSED, at(0), at(cases.ReopenWindow)
	for _, act := range cases.Actions {
		if r := cases.Check(look, act, open, "", t0); r == nil {
			t.Errorf("LOOK may %s", act)
		}
	}
	for _, act := range []cases.Action{cases.ActionComment, cases.ActionUpdate, cases.ActionClose, cases.ActionAddAttachment, cases.ActionShare} {
		if r := cases.Check(update, act, open, "", t0); r != nil {
			t.Errorf("UPDATE may not %s an open case: %+v", act, r)
		}
		if r := cases.Check(update, act, closed, "", t0); r == nil || r.Reason != cases.ReasonClosed {
			t.Errorf("%s on a closed case: %+v", act, r)
		}
	}
	if r := cases.Check(update, cases.ActionReopen, closed, "", t0.Add(time.Hour)); r != nil {
		t.Errorf("reopening within the window: %+v", r)
	}
}
