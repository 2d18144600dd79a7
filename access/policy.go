package access

import "time"

// The read policy: for each kind of row, which rows a session may read.
// It is written once, here, as data, and rendered twice: Allows evaluates
// it on rows in memory (subscriptions, domain preconditions), and package
// rowfilter turns it into the SQL every ent query carries. A parity test
// runs both on the same rows for every caller of the authorisation matrix.

// Entity names a kind of row; the names are ent's.
type Entity string

// The entities the policy covers: every ent type.
const (
	Organizations     Entity = "Organization"
	Contacts          Entity = "Contact"
	Devices           Entity = "Device"
	PhoneNumbers      Entity = "PhoneNumber"
	Cases             Entity = "SupportCase"
	CaseComments      Entity = "CaseComment"
	CaseEvents        Entity = "CaseEvent"
	Attachments       Entity = "Attachment"
	Grants            Entity = "Grant"
	GrantEvents       Entity = "GrantEvent"
	AuditEntries      Entity = "AuditEntry"
	AccessTokens      Entity = "AccessToken"
	VerificationCodes Entity = "VerificationCode"
	OutboxMessages    Entity = "OutboxMessage"
	CaseSubscriptions Entity = "CaseSubscription"
	Webhooks          Entity = "Webhook"
	WebhookDeliveries Entity = "WebhookDelivery"
	WebhookAttempts   Entity = "WebhookAttempt"
	BulkJobs          Entity = "BulkJob"
	BulkJobResults    Entity = "BulkJobResult"
	ElevationRules    Entity = "ElevationRule"
)

// Rule is a condition on a row, given a session. Its forms are the types
// below; both renderings handle each one.
type Rule interface{ rule() }

type (
	// AnyOf holds when one of its rules holds; empty, never.
	AnyOf []Rule
	// AllOf holds when all of its rules hold.
	AllOf []Rule
	// Nobody never holds.
	Nobody struct{}
	// When holds for every row when the session meets a condition on the
	// caller alone, and for none otherwise.
	When struct{ Cond Condition }
	// Own holds when column Col names the caller's organisation.
	Own struct{ Col string }
	// Self holds when column Col names the caller.
	Self struct{ Col string }
	// Reaches holds when column Col names an organisation on which the
	// caller has level Min or higher (SPEC §2.2).
	Reaches struct {
		Col string
		Min Level
	}
	// Is holds when column Col holds Value.
	Is struct{ Col, Value string }
	// SeenCase holds for a case the caller may see: of a customer it
	// reaches, created in its partner's era unless the customer shares its
	// history, and at CC only one it collaborates on (SPEC §2.1, §2.4).
	SeenCase struct{}
	// Via holds when column Col names a row of To the session may read.
	Via struct {
		Col string
		To  Entity
	}
	// NamedBy holds when a row of From the session may read names this
	// row's ID in column Col: who a visible row names is visible too.
	NamedBy struct {
		From Entity
		Col  string
	}
	// NamedByReached holds when a row of From whose column Owner names an
	// organisation on which the caller has level Min or higher names this
	// row's ID in column Col. Unlike NamedBy, it reads From's rows by that
	// level alone, not by From's own rule, which may refer back to this
	// entity (organisations are read through their contacts).
	NamedByReached struct {
		From       Entity
		Col, Owner string
		Min        Level
	}
	// Collaborator holds for a contact that collaborates on a case the
	// session may read.
	Collaborator struct{}
	// PartnerOfOwn holds when column Col names a partner that asked the
	// caller's organisation for access (its grants name it).
	PartnerOfOwn struct{ Col string }
)

func (AnyOf) rule()          {}
func (AllOf) rule()          {}
func (Nobody) rule()         {}
func (When) rule()           {}
func (Own) rule()            {}
func (Self) rule()           {}
func (Reaches) rule()        {}
func (Is) rule()             {}
func (SeenCase) rule()       {}
func (Via) rule()            {}
func (NamedBy) rule()        {}
func (NamedByReached) rule() {}
func (Collaborator) rule()   {}
func (PartnerOfOwn) rule()   {}

// Condition is a condition on the caller alone.
type Condition string

// The conditions rules use.
const (
	// VendorStaff: the vendor's agents and admins, who work every case.
	VendorStaff Condition = "VENDOR_STAFF"
	// VendorAdmin: the vendor's admins.
	VendorAdmin Condition = "VENDOR_ADMIN"
	// CustomerManager: a customer's admins and contact managers, who run
	// its access.
	CustomerManager Condition = "CUSTOMER_MANAGER"
	// PartnerAdmin: a partner's admins.
	PartnerAdmin Condition = "PARTNER_ADMIN"
	// CustomerMember: any contact of a customer.
	CustomerMember Condition = "CUSTOMER_MEMBER"
	// OrgAdmin: a partner's or a customer's admins, who run its
	// integrations (webhooks).
	OrgAdmin Condition = "ORG_ADMIN"
)

// Holds reports whether the session's caller meets c.
func (s *Session) Holds(c Condition) bool {
	if !s.Active {
		return false
	}
	switch c {
	case VendorStaff:
		return s.IsVendorStaff()
	case VendorAdmin:
		return s.OrgKind == Vendor && s.Has(RoleAdmin)
	case CustomerManager:
		return s.OrgKind == Customer && (s.Has(RoleAdmin) || s.Has(RoleContactManager))
	case PartnerAdmin:
		return s.OrgKind == Partner && s.Has(RoleAdmin)
	case CustomerMember:
		return s.OrgKind == Customer
	case OrgAdmin:
		return (s.OrgKind == Partner || s.OrgKind == Customer) && s.Has(RoleAdmin)
	}
	return false
}

// counterparts: whoever works a row the caller may read, from any
// organisation, may be read as a counterpart: a name and an organisation
// name (the fields above need the caller's level on that contact's own
// organisation).
var counterparts = AnyOf{
	NamedBy{Cases, "created_by_id"},
	NamedBy{Cases, "primary_contact_id"},
	Collaborator{},
	NamedBy{CaseComments, "author_id"},
	NamedBy{CaseEvents, "actor_id"},
	NamedBy{Attachments, "uploaded_by_id"},
	NamedBy{Grants, "requested_by_id"},
	NamedBy{Grants, "decided_by_id"},
	NamedBy{Grants, "ended_by_id"},
	NamedBy{Grants, "grantee_id"},
	NamedBy{AuditEntries, "actor_id"},
	// The vendor's people assigned to a customer: whom it calls, for
	// whoever reads its people (Organization.vendorContacts).
	NamedByReached{Organizations, "technical_account_manager_id", "id", Look},
	NamedByReached{Organizations, "client_success_manager_id", "id", Look},
}

// visibleToCustomers: INTERNAL comments and events are written and read by
// the vendor's staff only.
var publicOrStaff = AnyOf{When{VendorStaff}, Is{"visibility", "PUBLIC"}}

// grantReaders: a partner's contacts read all of its grants and requests;
// a customer's managers all of the customer's.
var grantReaders = AnyOf{
	When{VendorStaff},
	Own{"partner_id"},
	AllOf{When{CustomerManager}, Own{"customer_id"}},
}

// webhookLog: a webhook's delivery log, every attempt included, is read
// by whoever may read the webhook.
var webhookLog = Via{"webhook_id", Webhooks}

// Policy is the read rule of every entity.
var Policy = map[Entity]Rule{
	// The organisations a caller deals with: those it has a level on, the
	// two sides of the grants it may read, the organisations of the
	// contacts it may read, and the partner that filed a case it sees.
	Organizations: AnyOf{
		Reaches{"id", CC},
		NamedBy{Grants, "customer_id"},
		NamedBy{Grants, "partner_id"},
		NamedBy{Contacts, "organization_id"},
		NamedBy{Cases, "on_behalf_of_id"},
	},
	// A contact's directory entry at LOOK on its organisation; otherwise as
	// a counterpart, or, for a customer, the people of the partners that
	// asked it for access.
	Contacts: AnyOf{
		Reaches{"organization_id", Look},
		counterparts,
		AllOf{When{CustomerMember}, PartnerOfOwn{"organization_id"}},
	},
	Devices:      Reaches{"organization_id", Look},
	PhoneNumbers: Reaches{"organization_id", Look},
	Cases:        SeenCase{},
	CaseComments: AllOf{Via{"case_id", Cases}, publicOrStaff},
	// A CC collaborator follows the history of the cases it works on.
	CaseEvents:  AllOf{Via{"case_id", Cases}, publicOrStaff},
	Attachments: Via{"case_id", Cases},
	Grants:      grantReaders,
	// A grant's history is read by whoever may read the grant: its
	// events carry the grant's two sides, which never change.
	GrantEvents: grantReaders,
	// SPEC §2.6: a customer's managers read what was done on their
	// organisation, a partner's admins what their people did, the vendor's
	// admins everything.
	AuditEntries: AnyOf{
		When{VendorAdmin},
		AllOf{When{PartnerAdmin}, Own{"actor_organization_id"}},
		AllOf{When{CustomerManager}, Own{"customer_id"}},
	},
	// A customer's managers run its rules; a partner reads those that
	// name it, to know what its contacts get at once.
	ElevationRules: AnyOf{
		When{VendorStaff},
		Own{"partner_id"},
		AllOf{When{CustomerManager}, Own{"customer_id"}},
	},
	AccessTokens: Self{"contact_id"},
	// A contact's subscriptions are its own business.
	CaseSubscriptions: Self{"contact_id"},
	// An organisation's webhooks are its admins' to run; the vendor's
	// staff see them all, to help.
	Webhooks:          AnyOf{When{VendorStaff}, AllOf{When{OrgAdmin}, Own{"organization_id"}}},
	WebhookDeliveries: webhookLog,
	WebhookAttempts:   webhookLog,
	// A bulk job is its creator's; its organisation's admins (a
	// customer's contact managers) oversee what their people run.
	BulkJobs: AnyOf{
		Self{"created_by_id"},
		AllOf{When{PartnerAdmin}, Own{"organization_id"}},
		AllOf{When{CustomerManager}, Own{"organization_id"}},
		AllOf{When{VendorAdmin}, Own{"organization_id"}},
	},
	BulkJobResults: Via{"job_id", BulkJobs},
	// Server-side records that no caller reads.
	VerificationCodes: Nobody{},
	OutboxMessages:    Nobody{},
}

// Row is a row as the in-memory rendering reads it.
type Row interface {
	// Value is a column's value as a string ("" for NULL).
	Value(col string) string
	// Time is a time column's value.
	Time(col string) time.Time
}

// Lookup finds the rows a rule refers to, for the in-memory rendering.
type Lookup interface {
	// Get returns the row of e with the given ID.
	Get(e Entity, id string) (Row, bool)
	// Referencing returns the rows of e whose column col holds id.
	Referencing(e Entity, col, id string) []Row
	// Collaborates reports whether contactID collaborates on caseID.
	Collaborates(caseID, contactID string) bool
	// CasesOf returns the cases contactID collaborates on.
	CasesOf(contactID string) []Row
}

// Allows reports whether s may read row, a row of e; lookup finds the rows
// the rule refers to. An inactive caller reads nothing.
func (s *Session) Allows(e Entity, row Row, lookup Lookup) bool {
	r, ok := Policy[e]
	return ok && s.Active && s.allows(r, row, lookup)
}

func (s *Session) allows(r Rule, row Row, l Lookup) bool {
	switch r := r.(type) {
	case AnyOf:
		for _, sub := range r {
			if s.allows(sub, row, l) {
				return true
			}
		}
		return false
	case AllOf:
		for _, sub := range r {
			if !s.allows(sub, row, l) {
				return false
			}
		}
		return true
	case Nobody:
		return false
	case When:
		return s.Holds(r.Cond)
	case Own:
		return row.Value(r.Col) == s.OrgID
	case Self:
		return row.Value(r.Col) == s.ContactID
	case Reaches:
		org := row.Value(r.Col)
		return org != "" && s.Level(org).AtLeast(r.Min)
	case Is:
		return row.Value(r.Col) == r.Value
	case SeenCase:
		all, rules := s.CaseRules()
		rule, ok := rules[row.Value("customer_id")]
		return all || ok && rule.Sees(func() time.Time { return row.Time("created_at") },
			func() bool { return l.Collaborates(row.Value("id"), s.ContactID) })
	case Via:
		target, ok := l.Get(r.To, row.Value(r.Col))
		return ok && s.Allows(r.To, target, l)
	case NamedBy:
		for _, from := range l.Referencing(r.From, r.Col, row.Value("id")) {
			if s.Allows(r.From, from, l) {
				return true
			}
		}
		return false
	case NamedByReached:
		for _, from := range l.Referencing(r.From, r.Col, row.Value("id")) {
			if s.allows(Reaches{r.Owner, r.Min}, from, l) {
				return true
			}
		}
		return false
	case Collaborator:
		for _, c := range l.CasesOf(row.Value("id")) {
			if s.Allows(Cases, c, l) {
				return true
			}
		}
		return false
	case PartnerOfOwn:
		for _, g := range l.Referencing(Grants, "customer_id", s.OrgID) {
			if g.Value("partner_id") == row.Value(r.Col) {
				return true
			}
		}
		return false
	}
	return false
}

// Values is a Row held in a map, for rows known from elsewhere than a
// query (a broker's message): a column's value is a string, or a
// time.Time for time columns.
type Values map[string]any

// Value implements Row.
func (v Values) Value(col string) string { s, _ := v[col].(string); return s }

// Time implements Row.
func (v Values) Time(col string) time.Time { t, _ := v[col].(time.Time); return t }
