// Package cases holds the rules of support cases (SPEC §3): first-response
// targets and SLA states, who may escalate and when, the reopen window, and
// which actions a caller may take on a case now. The workflow functions in
// workflow.go apply them; the graph only calls them.
package cases

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
)

// FirstResponseTargets are the first-response targets by severity.
var FirstResponseTargets = map[supportcase.Severity]time.Duration{
	supportcase.SeverityS1: time.Hour,
	supportcase.SeverityS2: 2 * time.Hour,
	supportcase.SeverityS3: 4 * time.Hour,
	supportcase.SeverityS4: 8 * time.Hour,
}

// ReopenWindow is how long after closing a case may be reopened.
const ReopenWindow = 30 * 24 * time.Hour

// FirstResponseDue is when the first response to a case is due.
func FirstResponseDue(createdAt time.Time, s supportcase.Severity) time.Time {
	return createdAt.Add(FirstResponseTargets[s])
}

// SLAState says where a case stands against its first-response target.
type SLAState string

// The SLA states.
const (
	OnTrack  SLAState = "ON_TRACK"
	AtRisk   SLAState = "AT_RISK" // under a quarter of the target left
	Breached SLAState = "BREACHED"
	Met      SLAState = "MET"
)

// SLAStates lists every state.
var SLAStates = []SLAState{OnTrack, AtRisk, Breached, Met}

// SLA returns the state of a case at now. A case stops waiting when it gets
// its first response or is closed: by the due time (inclusive) is MET, after
// is BREACHED. A case still waiting is BREACHED from the due time on.
func SLA(c *ent.SupportCase, now time.Time) SLAState {
	due := c.FirstResponseDueAt
	if stopped := stoppedWaiting(c); stopped != nil {
		if stopped.After(due) {
			return Breached
		}
		return Met
	}
	left := due.Sub(now)
	switch {
	case left <= 0:
		return Breached
	case left < FirstResponseTargets[c.Severity]/4:
		return AtRisk
	}
	return OnTrack
}

func stoppedWaiting(c *ent.SupportCase) *time.Time {
	if c.FirstRespondedAt != nil {
		return c.FirstRespondedAt
	}
	if c.Status == supportcase.StatusCLOSED {
		return c.ClosedAt
	}
	return nil
}

// Reason says why an action is refused now.
type Reason string

// The reasons an action can be refused.
const (
	// The escalation reasons of SPEC §3.
	ReasonPlan             Reason = "PLAN"
	ReasonNotDesignated    Reason = "NOT_DESIGNATED"
	ReasonTooEarly         Reason = "TOO_EARLY"
	ReasonClosed           Reason = "CLOSED"
	ReasonAlreadyEscalated Reason = "ALREADY_ESCALATED"
	// ReasonLevel: the caller's level on the customer is too low.
	ReasonLevel Reason = "LEVEL"
	// ReasonNotClosed: only a closed case can be reopened.
	ReasonNotClosed Reason = "NOT_CLOSED"
	// ReasonReopenWindowExpired: the 30 days after closing have passed.
	ReasonReopenWindowExpired Reason = "REOPEN_WINDOW_EXPIRED"
)

// Refusal is why an action is not allowed now, and when it may become so.
type Refusal struct {
	Reason Reason
	// AvailableAt is when the action becomes allowed by itself, if it will.
	AvailableAt *time.Time
}

// Actor is who acts on a case: the caller and its level on the customer.
type Actor struct {
	access.Caller
	Level access.Level
}

// CanEscalate reports why the actor may not escalate the case now, or nil
// when it may. A customer contact needs DESIGNATED or ADMIN, a partner UPDATE
// or higher; the customer must be on PREMIUM; the case must be open, not
// escalated yet, and past its first-response due time.
func CanEscalate(a Actor, c *ent.SupportCase, plan organization.SupportPlan, now time.Time) *Refusal {
	switch {
	case c.Status == supportcase.StatusCLOSED:
		return &Refusal{Reason: ReasonClosed}
	case c.Escalated:
		return &Refusal{Reason: ReasonAlreadyEscalated}
	case plan != organization.SupportPlanPREMIUM:
		return &Refusal{Reason: ReasonPlan}
	case !mayEscalate(a, c):
		return &Refusal{Reason: ReasonNotDesignated}
	case now.Before(c.FirstResponseDueAt):
		due := c.FirstResponseDueAt
		return &Refusal{Reason: ReasonTooEarly, AvailableAt: &due}
	}
	return nil
}

func mayEscalate(a Actor, c *ent.SupportCase) bool {
	switch a.OrgKind {
	case access.Customer:
		return a.OrgID == c.CustomerID && (a.Has(access.RoleDesignated) || a.Has(access.RoleAdmin))
	case access.Partner:
		return a.Level.AtLeast(access.Update)
	}
	return false
}

// CanReopen reports why a case cannot be reopened at now, or nil.
func CanReopen(c *ent.SupportCase, now time.Time) *Refusal {
	switch {
	case c.Status != supportcase.StatusCLOSED:
		return &Refusal{Reason: ReasonNotClosed}
	case c.ReopenableUntil == nil || now.After(*c.ReopenableUntil):
		return &Refusal{Reason: ReasonReopenWindowExpired}
	}
	return nil
}

// Action is something a caller may do to a case.
type Action string

// The actions a case explains.
const (
	ActionComment         Action = "COMMENT"
	ActionUpdate          Action = "UPDATE"
	ActionClose           Action = "CLOSE"
	ActionReopen          Action = "REOPEN"
	ActionEscalate        Action = "ESCALATE"
	ActionAddAttachment   Action = "ADD_ATTACHMENT"
	ActionAddCollaborator Action = "ADD_COLLABORATOR"
	ActionShare           Action = "SHARE"
)

// Actions lists every action, in the order a UI shows them.
var Actions = []Action{ActionComment, ActionUpdate, ActionClose, ActionReopen, ActionEscalate, ActionAddAttachment, ActionAddCollaborator, ActionShare}

// Check reports why the actor may not take an action on the case now, or
// nil when it may. Every action needs UPDATE on the customer (SPEC §2.1),
// checked first as the mutations check it, so that the explanation gives
// the refusal the mutation would; all but reopening need the case open.
func Check(a Actor, act Action, c *ent.SupportCase, plan organization.SupportPlan, now time.Time) *Refusal {
	if !a.Level.AtLeast(access.Update) {
		return &Refusal{Reason: ReasonLevel}
	}
	switch act {
	case ActionEscalate:
		if r := CanEscalate(a, c, plan, now); r != nil {
			return r
		}
	case ActionReopen:
		if r := CanReopen(c, now); r != nil {
			return r
		}
	default:
		if c.Status == supportcase.StatusCLOSED {
			return &Refusal{Reason: ReasonClosed}
		}
	}
	return nil
}

// MarshalGQL writes the state as a GraphQL enum value.
func (s SLAState) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(s))) }

// UnmarshalGQL reads a GraphQL enum value.
func (s *SLAState) UnmarshalGQL(v any) error {
	str, ok := v.(string)
	if !ok || !slices.Contains(SLAStates, SLAState(str)) {
		return fmt.Errorf("%v is not an SLA state", v)
	}
	*s = SLAState(str)
	return nil
}

// MarshalGQL writes the action as a GraphQL enum value.
func (a Action) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(a))) }

// UnmarshalGQL reads a GraphQL enum value.
func (a *Action) UnmarshalGQL(v any) error {
	str, ok := v.(string)
	if !ok || !slices.Contains(Actions, Action(str)) {
		return fmt.Errorf("%v is not a case action", v)
	}
	*a = Action(str)
	return nil
}
