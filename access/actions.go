package access

import (
	"io"
	"strconv"

	"github.com/partnerdesk/partnerdesk/apperr"
)

// Action is something a caller does to an organisation or to an object of
// it: a row of SPEC §2.1, or a duty a role gives (§2.3, §2.4). Every
// mutation names its action in the schema (@action) and requires it, with
// Require, on the object it has loaded.
type Action string

// The actions.
const (
	// WorkCase: comment on, update, close, reopen and escalate a case; add
	// attachments and collaborators; share it; be its primary contact.
	WorkCase Action = "WORK_CASE"
	// FileCase: create a case for the customer.
	FileCase Action = "FILE_CASE"
	// VerifyContact: check who a contact is (help desk), and let mail reach
	// it again.
	VerifyContact Action = "VERIFY_CONTACT"
	// ChangeConfiguration: the organisation's sites, devices, phone
	// numbers and settings.
	ChangeConfiguration Action = "CHANGE_CONFIGURATION"
	// ManageContacts: create, change and deactivate the organisation's
	// contacts.
	ManageContacts Action = "MANAGE_CONTACTS"
	// RequestGrant: ask a customer for access, on behalf of one's partner.
	RequestGrant Action = "REQUEST_GRANT"
	// DecideGrant: approve or reject a request to one's customer.
	DecideGrant Action = "DECIDE_GRANT"
	// RevokeGrant: end a grant, from either side; the contact an
	// elevation is for may end it too.
	RevokeGrant Action = "REVOKE_GRANT"
	// RequestElevation: ask a customer one holds a grant on for a higher
	// level, for minutes.
	RequestElevation Action = "REQUEST_ELEVATION"
	// ShareCaseHistory: let every partner see the customer's cases of
	// other partners' eras (SPEC §2.4): the customer's own choice.
	ShareCaseHistory Action = "SHARE_CASE_HISTORY"
	// ManageOrganizations: create organisations and set support plans.
	ManageOrganizations Action = "MANAGE_ORGANIZATIONS"
	// StaffOnly: what only support does: internal comments, removing an
	// attachment.
	StaffOnly Action = "STAFF_ONLY"
	// OwnTokens: create and revoke one's own access tokens.
	OwnTokens Action = "OWN_TOKENS"
	// OwnProfile: change one's own name, phone, time zone, locale and
	// notification preferences, and one's subscriptions.
	OwnProfile Action = "OWN_PROFILE"
	// FollowCases: subscribe to mail about a customer's cases.
	FollowCases Action = "FOLLOW_CASES"
	// ManageWebhooks: create, change, pause and delete an organisation's
	// webhooks: its own admins (a partner's or a customer's), or the
	// vendor's staff.
	ManageWebhooks Action = "MANAGE_WEBHOOKS"
	// OwnJobs: cancel one's own bulk jobs.
	OwnJobs Action = "OWN_JOBS"
)

// need is what an action takes: a level on the organisation acted on, or
// a role-bound rule.
type need struct {
	level Level
	// allows, for role-bound actions, decides on the organisations (or,
	// for OwnTokens, the contact) the action is on.
	allows func(s *Session, on []string) bool
	// refusal says who may, when the caller may not.
	refusal string
	// could, for role-bound actions not on the caller's own organisation,
	// says whether the caller could take it anywhere.
	could func(s *Session) bool
}

var needs = map[Action]need{
	WorkCase:            {level: Update},
	FileCase:            {level: Create},
	VerifyContact:       {level: Look},
	ChangeConfiguration: {level: ServiceAdmin},
	ManageContacts:      {level: FullAdmin},
	RequestGrant: {allows: func(s *Session, on []string) bool { return s.Holds(PartnerAdmin) && on[0] == s.OrgID },
		refusal: "only a partner's admins request access to customers"},
	DecideGrant: {allows: func(s *Session, on []string) bool { return s.Holds(CustomerManager) && on[0] == s.OrgID },
		refusal: "only the customer's contact managers and admins answer requests"},
	RevokeGrant: {allows: func(s *Session, on []string) bool {
		// on: the grant's customer, then its partner, then the contact
		// an elevation is for.
		return s.Holds(CustomerManager) && on[0] == s.OrgID || len(on) > 1 && s.Holds(PartnerAdmin) && on[1] == s.OrgID ||
			len(on) > 2 && on[2] == s.ContactID
	}, could: func(s *Session) bool { return s.Holds(CustomerManager) || s.OrgKind == Partner },
		refusal: "only the customer's contact managers and admins, or the partner's admins, revoke a grant (and the contact an elevation is for, its elevation)"},
	RequestElevation: {allows: func(s *Session, on []string) bool {
		return s.OrgKind == Partner && s.Decide(on[0]).Grant != nil
	}, could: func(s *Session) bool { return s.OrgKind == Partner && len(s.reach) > 0 },
		refusal: "only a partner's contacts that hold a grant on the customer ask it for an elevation"},
	ShareCaseHistory: {allows: func(s *Session, on []string) bool {
		return s.Holds(VendorAdmin) || s.Holds(CustomerManager) && on[0] == s.OrgID
	}, refusal: "only the customer's own admins and contact managers (or the vendor's admins) share its case history with partners"},
	ManageOrganizations: {allows: func(s *Session, _ []string) bool { return s.Holds(VendorAdmin) },
		refusal: "only the vendor's admins create organisations and set support plans"},
	StaffOnly: {allows: func(s *Session, _ []string) bool { return s.Holds(VendorStaff) },
		refusal: "only the vendor's staff may do this"},
	OwnTokens: {allows: func(s *Session, on []string) bool { return on[0] == s.ContactID },
		refusal: "a token is its owner's alone"},
	OwnProfile: {allows: func(s *Session, on []string) bool { return on[0] == s.ContactID },
		refusal: "a contact changes its own profile only; its organisation's admins change the rest (updateContact)"},
	FollowCases: {level: Look},
	ManageWebhooks: {allows: func(s *Session, on []string) bool {
		return s.Holds(VendorStaff) || s.Holds(OrgAdmin) && on[0] == s.OrgID
	}, refusal: "only the organisation's admins (or the vendor's staff) manage its webhooks"},
	OwnJobs: {allows: func(s *Session, on []string) bool { return on[0] == s.ContactID },
		refusal: "only the contact that started a bulk job cancels it"},
}

// Require decides whether the caller may take act on the organisations
// named by on (for OwnTokens and OwnProfile, the contact): the first one for
// actions on one organisation; a grant's customer and then its partner
// for RevokeGrant. It returns the decision on the first organisation (the
// level and the grant that allowed it, for the audit), or FORBIDDEN.
func (s *Session) Require(act Action, on ...string) (Decision, error) {
	n, ok := needs[act]
	if !ok || len(on) == 0 || !s.Active {
		return Decision{}, apperr.Forbiddenf("this is not allowed")
	}
	d := s.Decide(on[0])
	switch {
	case n.allows != nil && n.allows(s, on):
		return d, nil
	case n.allows == nil && d.Level.AtLeast(n.level):
		return d, nil
	case n.allows != nil:
		return d, apperr.Forbiddenf("%s", n.refusal)
	}
	return d, apperr.Forbiddenf("this needs %s access to the organisation", n.level)
}

// Level is the level act needs on the organisation it is on; "" for an
// action a role gives.
func (act Action) Level() Level { return needs[act].level }

// Could reports whether the caller could take act anywhere: whether it
// holds the role the action needs, or its level somewhere. The schema's
// @action directive refuses at once a caller who never could; Require
// decides on the object.
func (s *Session) Could(act Action) bool {
	n, ok := needs[act]
	switch {
	case !ok || !s.Active:
		return false
	case act == OwnTokens, act == OwnProfile, act == OwnJobs:
		return true
	case n.could != nil:
		return n.could(s)
	case n.allows != nil:
		// A role-bound action is on the caller's own organisation (or, for
		// the vendor's admins, on any).
		return n.allows(s, []string{s.OrgID, s.OrgID})
	case s.Level(s.OrgID).AtLeast(n.level) || s.IsVendorStaff():
		return true
	}
	for _, l := range s.reach {
		if l.AtLeast(n.level) {
			return true
		}
	}
	return false
}

var allActions = []Action{WorkCase, FileCase, VerifyContact, ChangeConfiguration, ManageContacts, RequestGrant,
	DecideGrant, RevokeGrant, RequestElevation, ShareCaseHistory, ManageOrganizations, StaffOnly, OwnTokens, OwnProfile, FollowCases, OwnJobs,
	ManageWebhooks}

// MarshalGQL writes the action as a GraphQL enum value.
func (a Action) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(a))) }

// UnmarshalGQL reads a GraphQL enum value.
func (a *Action) UnmarshalGQL(v any) error { return unmarshalEnum(v, a, allActions, "Action") }
