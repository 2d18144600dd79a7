// Package demo loads the demo world into an empty database: a vendor, two
// partners (one with two domains), four customers on both support plans,
// their contacts, grants of every level and status, cases in every state,
// devices and phone numbers. People exploring the API in GraphiQL sign in as
// one of the returned personas, each chosen to show one rule of SPEC §2.
//
// The world is written as tables of plain data, oldest first, with every
// instant given as a duration before the now passed to Load; the builder
// derives the dependent fields (expiry dates, first-response targets, case
// history) so that the tables cannot contradict the rules they illustrate.
package demo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/casecomment"
	"github.com/partnerdesk/partnerdesk/ent/caseevent"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/device"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/ent/phonenumber"
	_ "github.com/partnerdesk/partnerdesk/ent/runtime" // ID defaults and the normalising hooks the rows rely on
	"github.com/partnerdesk/partnerdesk/ent/schema/jsontype"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
	"github.com/partnerdesk/partnerdesk/rowfilter"
)

// Persona is a demo contact worth signing in as.
type Persona struct {
	Key          string // short handle, e.g. "vendor-agent", "contoso-admin"
	Name         string
	Email        string
	Organization string // organisation name
	Summary      string // one line: what this persona shows
}

// Load fills an empty database with the demo world and returns the personas,
// in a stable order. It runs in one transaction and refuses (returns an error)
// if any organisation exists already. Every instant of the world is derived
// from now, so the world has the same shape whenever it is loaded.
func Load(ctx context.Context, client *ent.Client, now time.Time) ([]Persona, error) {
	// The loader is the server's own work: row filters must not hide the
	// rows it checks and links.
	ctx = rowfilter.Privileged(ctx)
	tx, err := client.Tx(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	personas, err := load(ctx, tx, now.UTC())
	if err != nil {
		return nil, errors.Join(fmt.Errorf("demo: %w", err), tx.Rollback())
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("demo: commit: %w", err)
	}
	return personas, nil
}

func load(ctx context.Context, tx *ent.Tx, now time.Time) ([]Persona, error) {
	exists, err := tx.Organization.Query().Exist(ctx)
	if err != nil {
		return nil, err
	}
	if exists {
		return nil, errors.New("the database already holds organisations; the demo world loads only into an empty one")
	}
	b := &builder{
		tx:         tx,
		now:        now,
		orgs:       map[string]*ent.Organization{},
		orgByID:    map[string]*ent.Organization{},
		orgSpecs:   map[string]orgSpec{},
		contacts:   map[string]*ent.Contact{},
		devices:    map[string]*ent.Device{},
		caseNumber: firstCaseNumber,
	}
	for _, s := range organizations {
		if err := b.createOrg(ctx, s); err != nil {
			return nil, err
		}
	}
	for i, s := range contacts {
		if err := b.createContact(ctx, s, i); err != nil {
			return nil, err
		}
	}
	for _, s := range grants {
		if err := b.createGrant(ctx, s); err != nil {
			return nil, err
		}
	}
	// Case numbers follow filing order, whatever order the table is in.
	ordered := append([]caseSpec(nil), cases...)
	sort.SliceStable(ordered, func(i, j int) bool { return ordered[i].age > ordered[j].age })
	for _, s := range ordered {
		if err := b.createCase(ctx, s); err != nil {
			return nil, err
		}
	}
	for _, s := range devices {
		if err := b.createDevice(ctx, s); err != nil {
			return nil, err
		}
	}
	for _, s := range numbers {
		if err := b.createNumber(ctx, s); err != nil {
			return nil, err
		}
	}
	return Personas(), nil
}

const (
	day             = 24 * time.Hour
	firstCaseNumber = 1001
	// reopenWindow is how long a closed case may be reopened (SPEC §3).
	reopenWindow = 30 * day
)

// firstResponseTarget is the first-response target of each severity (SPEC §3).
var firstResponseTarget = map[supportcase.Severity]time.Duration{
	supportcase.SeverityS1: 1 * time.Hour,
	supportcase.SeverityS2: 2 * time.Hour,
	supportcase.SeverityS3: 4 * time.Hour,
	supportcase.SeverityS4: 8 * time.Hour,
}

// orgSpec is one organisation of the world.
type orgSpec struct {
	key      string
	kind     access.OrgKind
	name     string
	domains  []string
	sites    []string
	plan     organization.SupportPlan // empty for the vendor and partners
	share    bool                     // share_case_history_with_partners
	licenses []licenseSpec
	age      time.Duration // since the organisation joined
	timezone string        // its contacts' default
	locale   string        // its contacts' default
}

// licenseSpec is one licence; expiresIn is from now, zero for a perpetual one.
type licenseSpec struct {
	product   string
	quantity  int
	expiresIn time.Duration
}

var organizations = []orgSpec{
	{key: "northwind", kind: access.Vendor, name: "Northwind Support", domains: []string{"northwind.example"},
		age: 730 * day, timezone: "America/New_York", locale: "en-US"},
	{key: "contoso", kind: access.Partner, name: "Contoso Partners", domains: []string{"contoso.example"},
		age: 600 * day, timezone: "America/Los_Angeles", locale: "en-US"},
	{key: "fabrikam", kind: access.Partner, name: "Fabrikam Services", domains: []string{"fabrikam.example", "fabrikam-msp.example"},
		age: 500 * day, timezone: "Europe/London", locale: "en-GB"},
	{key: "acme", kind: access.Customer, name: "Acme Corporation", domains: []string{"acme.example", "acme-labs.example"},
		sites: []string{"acme.webex.com"}, plan: organization.SupportPlanPREMIUM,
		licenses: []licenseSpec{
			{"Webex Calling Professional", 250, 200 * day},
			{"Webex Meetings Enterprise", 300, 200 * day},
			{"Webex Rooms", 12, 0},
		},
		age: 420 * day, timezone: "America/New_York", locale: "en-US"},
	{key: "globex", kind: access.Customer, name: "Globex Corporation", domains: []string{"globex.example"},
		sites: []string{"globex.webex.com"}, plan: organization.SupportPlanSTANDARD,
		licenses: []licenseSpec{
			{"Webex Calling Standard", 80, 45 * day},
			{"Webex Meetings", 100, 45 * day},
		},
		age: 410 * day, timezone: "America/Chicago", locale: "en-US"},
	// Sakura shares its case history, so the partner it works with now also
	// sees the case filed while no partner held a grant.
	{key: "sakura", kind: access.Customer, name: "Sakura Robotics", domains: []string{"sakura-robotics.example"},
		sites: []string{"sakura-robotics.webex.com"}, plan: organization.SupportPlanPREMIUM, share: true,
		licenses: []licenseSpec{
			{"Webex Calling Professional", 120, 300 * day},
			{"Webex Rooms", 25, 0},
		},
		age: 380 * day, timezone: "Asia/Tokyo", locale: "ja-JP"},
	{key: "kowalski", kind: access.Customer, name: "Kowalski Logistyka", domains: []string{"kowalski-logistyka.example"},
		sites: []string{"kowalski-logistyka.webex.com"}, plan: organization.SupportPlanSTANDARD,
		age: 200 * day, timezone: "Europe/Warsaw", locale: "pl-PL",
		licenses: []licenseSpec{{"Webex Calling Standard", 60, 160 * day}}},
}

// contactSpec is one person; zero fields take the defaults noted.
type contactSpec struct {
	key      string
	org      string
	name     string
	email    string
	roles    []access.Role
	phone    string
	status   contact.Status          // zero: ACTIVE
	mail     contact.LastEmailStatus // zero: DELIVERED
	features []string
	timezone string        // zero: the organisation's
	locale   string        // zero: the organisation's
	age      time.Duration // zero: joined hours after its organisation
}

var (
	admin          = []access.Role{access.RoleAdmin}
	agent          = []access.Role{access.RoleAgent}
	helpDesk       = []access.Role{access.RoleHelpDesk}
	contactManager = []access.Role{access.RoleContactManager}
	designated     = []access.Role{access.RoleDesignated}
	customerAdmin  = []access.Role{access.RoleAdmin, access.RoleContactManager}
)

// contacts lists partner admins before other partner contacts and customer
// contact managers before other customer contacts: grants name the first
// holder of each role as requester and decider.
var contacts = []contactSpec{
	{key: "vendor-agent", org: "northwind", name: "Nora Lindqvist", email: "nora.lindqvist@northwind.example",
		roles: agent, phone: "+14152345678", timezone: "America/Los_Angeles"},
	{key: "vendor-admin", org: "northwind", name: "Marcus Webb", email: "marcus.webb@northwind.example",
		roles: []access.Role{access.RoleAdmin, access.RoleAgent}, features: []string{"beta.dashboard"}},
	{key: "vendor-agent-emea", org: "northwind", name: "Inês Duarte", email: "ines.duarte@northwind.example",
		roles: agent, timezone: "Europe/Lisbon", locale: "pt-PT"},

	{key: "contoso-admin", org: "contoso", name: "Priya Raman", email: "priya.raman@contoso.example",
		roles: admin, phone: "+12067891234"},
	{key: "contoso-helpdesk", org: "contoso", name: "Daniel Okafor", email: "daniel.okafor@contoso.example",
		roles: helpDesk, phone: "+12067891235"},
	{key: "contoso-look", org: "contoso", name: "Lena Fischer", email: "lena.fischer@contoso.example",
		timezone: "Europe/Berlin", locale: "de-DE"},
	{key: "contoso-cc", org: "contoso", name: "Chloe Martin", email: "chloe.martin@contoso.example"},
	{key: "contoso-suspended", org: "contoso", name: "Tom Becker", email: "tom.becker@contoso.example",
		roles: helpDesk, status: contact.StatusSUSPENDED},

	{key: "fabrikam-admin", org: "fabrikam", name: "Hiroshi Tanaka", email: "hiroshi.tanaka@fabrikam.example",
		roles: admin, phone: "+819012345678", timezone: "Asia/Tokyo", locale: "ja-JP"},
	{key: "fabrikam-msp-helpdesk", org: "fabrikam", name: "Agnieszka Nowak", email: "agnieszka.nowak@fabrikam-msp.example",
		roles: helpDesk, phone: "+48512345678", timezone: "Europe/Warsaw", locale: "pl-PL"},
	{key: "fabrikam-engineer", org: "fabrikam", name: "Oliver Bennett", email: "oliver.bennett@fabrikam.example"},
	{key: "fabrikam-msp-engineer", org: "fabrikam", name: "Piotr Zieliński", email: "piotr.zielinski@fabrikam-msp.example",
		mail: contact.LastEmailStatusNONE, timezone: "Europe/Warsaw", locale: "pl-PL"},

	{key: "acme-contact-manager", org: "acme", name: "Carlos Rivera", email: "carlos.rivera@acme.example",
		roles: contactManager, phone: "+12124567820"},
	{key: "acme-admin", org: "acme", name: "Alice Johnson", email: "alice.johnson@acme.example",
		roles: admin, phone: "+12124567802", features: []string{"beta.dashboard"}},
	{key: "acme-designated", org: "acme", name: "Dana Whitfield", email: "dana.whitfield@acme.example",
		roles: designated, phone: "+19174561234"},
	{key: "acme-member", org: "acme", name: "Ben Harper", email: "ben.harper@acme.example"},
	{key: "acme-deactivated", org: "acme", name: "Olivia Grant", email: "olivia.grant@acme.example",
		status: contact.StatusDEACTIVATED, mail: contact.LastEmailStatusBOUNCED},

	{key: "globex-admin", org: "globex", name: "Grace Liu", email: "grace.liu@globex.example",
		roles: customerAdmin, phone: "+13124567100"},
	{key: "globex-designated", org: "globex", name: "Henry Moore", email: "henry.moore@globex.example",
		roles: designated},
	{key: "globex-member", org: "globex", name: "Isabel Cruz", email: "isabel.cruz@globex.example",
		mail: contact.LastEmailStatusSUPPRESSED, locale: "es-US"},

	{key: "sakura-admin", org: "sakura", name: "Yuki Yamamoto", email: "yuki.yamamoto@sakura-robotics.example",
		roles: customerAdmin, phone: "+81312345670"},
	{key: "sakura-designated", org: "sakura", name: "Haruto Kobayashi", email: "haruto.kobayashi@sakura-robotics.example",
		roles: designated, phone: "+819087654321"},
	{key: "sakura-member", org: "sakura", name: "Aiko Suzuki", email: "aiko.suzuki@sakura-robotics.example"},

	{key: "kowalski-admin", org: "kowalski", name: "Magdalena Kowalska", email: "magdalena.kowalska@kowalski-logistyka.example",
		roles: customerAdmin, phone: "+48221234500"},
	{key: "kowalski-designated", org: "kowalski", name: "Tomasz Wójcik", email: "tomasz.wojcik@kowalski-logistyka.example",
		roles: designated, phone: "+48601234567"},
	{key: "kowalski-invited", org: "kowalski", name: "Katarzyna Lewandowska", email: "katarzyna.lewandowska@kowalski-logistyka.example",
		status: contact.StatusINVITED, age: 2 * day},
}

// grantSpec is one grant. Instants are durations before now: requested is
// when the partner asked, decided when the customer approved (the grant
// starts then) or rejected, ended when it was revoked or superseded.
type grantSpec struct {
	partner, customer string
	grantee           string // contact key; empty for an organisation grant
	domain            string // partner_domain; empty for every domain
	level             access.Level
	status            grant.Status
	days              int // expires_in_days
	requested         time.Duration
	decided           time.Duration
	ended             time.Duration
	note              string
}

var grants = []grantSpec{
	// Acme: Contoso's organisation grant was raised once (the older one is
	// superseded) and a further raise awaits approval; two Contoso contacts
	// hold individual grants below it, which decide for them all the same.
	{partner: "contoso", customer: "acme", level: access.Create, status: grant.StatusSUPERSEDED, days: 365,
		requested: 301 * day, decided: 300 * day, ended: 120 * day,
		note: "Onboarding Acme's Webex Calling rollout."},
	{partner: "contoso", customer: "acme", level: access.ServiceAdmin, status: grant.StatusACTIVE, days: 365,
		requested: 122 * day, decided: 120 * day,
		note: "Acme asked us to run its devices and numbers after go-live."},
	{partner: "contoso", customer: "acme", grantee: "contoso-look", level: access.Look, status: grant.StatusACTIVE, days: 180,
		requested: 91 * day, decided: 90 * day,
		note: "Lena writes our monthly service report for Acme and needs read access only."},
	{partner: "contoso", customer: "acme", grantee: "contoso-cc", level: access.CC, status: grant.StatusACTIVE, days: 60,
		requested: 21 * day, decided: 20 * day,
		note: "Chloe follows Acme's escalations for our account team."},
	{partner: "contoso", customer: "acme", level: access.FullAdmin, status: grant.StatusPENDING, days: 90,
		requested: 2 * day, note: "Acme wants us to take over user provisioning for the new Boston office."},

	// Globex: managed by Contoso until its grant expired, refused Contoso's
	// renewal, and is managed by Fabrikam now (SPEC §2.4 partner era).
	{partner: "contoso", customer: "globex", level: access.Create, status: grant.StatusEXPIRED, days: 365,
		requested: 401 * day, decided: 400 * day,
		note: "Managed Webex Calling for Globex."},
	{partner: "contoso", customer: "globex", level: access.ServiceAdmin, status: grant.StatusREJECTED, days: 365,
		requested: 40 * day, decided: 38 * day,
		note: "Renewal of our managed-service contract."},
	{partner: "fabrikam", customer: "globex", level: access.FullAdmin, status: grant.StatusACTIVE, days: 365,
		requested: 31 * day, decided: 30 * day,
		note: "Globex moved its managed service to Fabrikam; we take over users, devices and numbers."},

	// Sakura: revoked Fabrikam's company-wide grant and gave one to the MSP
	// team's domain only.
	{partner: "fabrikam", customer: "sakura", level: access.Look, status: grant.StatusREVOKED, days: 365,
		requested: 201 * day, decided: 200 * day, ended: 50 * day,
		note: "Monitoring of Sakura's meeting rooms."},
	{partner: "fabrikam", customer: "sakura", domain: "fabrikam-msp.example", level: access.Update, status: grant.StatusACTIVE, days: 180,
		requested: 46 * day, decided: 45 * day,
		note: "From now on only our MSP team in Warsaw works Sakura's cases."},

	// Kowalski: a trial grant that expires within the week, to show the
	// expiry warnings.
	{partner: "contoso", customer: "kowalski", level: access.Create, status: grant.StatusACTIVE, days: 90,
		requested: 86 * day, decided: 85 * day,
		note: "90-day trial of managed support for Kowalski's warehouses."},
}

// caseSpec is one support case. The filer's organisation decides
// on_behalf_of; the comments, escalation and closure decide the case's
// history, first response, updated_at and version.
type caseSpec struct {
	customer      string
	title         string
	description   string
	product       string
	category      string
	severity      supportcase.Severity
	status        supportcase.Status
	by            string // contact key of the filer
	primary       string // contact key
	collaborators []string
	sharedEmails  []string
	language      string        // zero: en
	age           time.Duration // since the case was filed
	comments      []commentSpec
	escalation    *escalationSpec
	closed        *closureSpec
}

// commentSpec is a comment written after the case was filed. The first
// public one by a vendor agent is the case's first response.
type commentSpec struct {
	after    time.Duration
	by       string
	body     string
	internal bool
}

type escalationSpec struct {
	after  time.Duration
	by     string
	reason string
}

type closureSpec struct {
	after time.Duration
	by    string
}

var cases = []caseSpec{
	{customer: "globex", by: "contoso-helpdesk", primary: "globex-designated", age: 70 * day,
		severity: supportcase.SeverityS3, status: supportcase.StatusWAITING_ON_CUSTOMER,
		product: "Webex Calling", category: "Hunt groups",
		title: "Sales hunt group skips available agents",
		description: "Since the move to the new Chicago office, calls to the Sales hunt group (+1 312 456 7140) ring " +
			"only two of the six agents. The others are signed in and not on Do Not Disturb.",
		comments: []commentSpec{
			{after: 2 * time.Hour, by: "vendor-agent", body: "Thanks Daniel. The hunt group still uses the circular " +
				"policy from the old site, which skips agents whose phones re-registered in the last hour. Checking the registrations now."},
			{after: 2 * day, by: "contoso-helpdesk", body: "Registrations look stable on our side; the four skipped agents all use Desk Mini devices."},
			{after: 32 * day, by: "vendor-agent", body: "We need a 30-minute maintenance window to re-provision the hunt group. Which evening works for Globex?"},
		}},
	{customer: "sakura", by: "sakura-admin", primary: "sakura-admin", age: 48 * day, language: "ja",
		severity: supportcase.SeverityS3, status: supportcase.StatusCLOSED,
		product: "Webex Calling", category: "Caller ID",
		title:       "Nagoya office calls show the Tokyo head-office number",
		description: "名古屋オフィスからの発信で、東京本社の番号が表示されます。名古屋の代表番号を表示したいです。",
		comments: []commentSpec{
			{after: 3 * time.Hour, by: "vendor-agent-emea", body: "The Nagoya location inherited the caller ID of the Tokyo " +
				"location. We set the Nagoya main number as the location's caller ID; please try an outbound call."},
			{after: 7 * day, by: "sakura-admin", body: "確認しました。名古屋の番号が表示されています。ありがとうございました。"},
		},
		closed: &closureSpec{after: 8 * day, by: "vendor-agent-emea"}},
	{customer: "acme", by: "acme-contact-manager", primary: "acme-contact-manager", age: 14 * day,
		severity: supportcase.SeverityS2, status: supportcase.StatusCLOSED,
		product: "Webex Meetings", category: "Recordings",
		title: "Meeting recordings missing from the portal since Monday",
		description: "Recordings of meetings held since Monday do not appear under Recordings, " +
			"although the hosts got the 'recording ready' email.",
		comments: []commentSpec{
			{after: 70 * time.Minute, by: "vendor-agent", body: "The recordings are stored, but the index job for acme.webex.com failed on Monday. We are re-running it."},
			{after: 5 * time.Hour, by: "vendor-agent", body: "The index is rebuilt and the 37 missing recordings are visible again. Can you confirm?"},
			{after: 3 * day, by: "acme-contact-manager", body: "Confirmed, everything is back. Thank you!"},
		},
		closed: &closureSpec{after: 4 * day, by: "acme-contact-manager"}},
	{customer: "globex", by: "fabrikam-admin", primary: "fabrikam-engineer", age: 10 * day,
		severity: supportcase.SeverityS2, status: supportcase.StatusIN_PROGRESS,
		product: "Webex Calling", category: "Call queues",
		title: "Overflow announcement plays in English on the Spanish-language queue",
		description: "Callers to the Soporte queue (+1 312 456 7150) hear the overflow announcement in English. " +
			"The queue's language is Spanish and its custom greeting was uploaded in Spanish.",
		collaborators: []string{"fabrikam-msp-engineer"},
		comments: []commentSpec{
			{after: 90 * time.Minute, by: "vendor-agent", body: "The overflow announcement is the system default, " +
				"which ignores the queue language. We are checking whether a custom overflow greeting can be set instead."},
			{after: 1 * day, by: "fabrikam-engineer", body: "We can upload a custom greeting if you confirm the format (WAV, 8 kHz, mono?)."},
		}},
	{customer: "acme", by: "contoso-admin", primary: "contoso-admin", age: 6 * day,
		severity: supportcase.SeverityS3, status: supportcase.StatusWAITING_ON_CUSTOMER,
		product: "Webex Calling", category: "Voicemail",
		title:        "Voicemail-to-email not delivered for 12 users",
		description:  "Twelve Acme users stopped receiving voicemail by email after the rebrand. Their voicemail itself works.",
		sharedEmails: []string{"it-helpdesk@acme.example", "noc@contoso.example"},
		comments: []commentSpec{
			{after: 3 * time.Hour, by: "vendor-agent", body: "The 12 users forward voicemail to their old @acme-corp.example " +
				"addresses, which no longer accept mail. Can you send their current addresses?"},
			{after: 1 * day, by: "contoso-admin", body: "Here they are: all twelve moved to @acme.example during the rebrand."},
			{after: 28 * time.Hour, by: "vendor-agent", body: "Updated 10 of 12. Two addresses bounce, among them " +
				"olivia.grant@acme.example. Please confirm whether those users still work at Acme."},
		}},
	{customer: "kowalski", by: "kowalski-admin", primary: "kowalski-admin", age: 4 * day, language: "pl",
		severity: supportcase.SeverityS4, status: supportcase.StatusWAITING_ON_CUSTOMER,
		product: "Webex Calling", category: "Call queues",
		title:       "Zmiana nazwy kolejki „Magazyn” w książce adresowej",
		description: "Prosimy o zmianę nazwy kolejki „Magazyn” na „Magazyn Warszawa”, tak aby dzwoniący widzieli nową nazwę.",
		comments: []commentSpec{
			{after: 6 * time.Hour, by: "vendor-agent-emea", body: "Dzień dobry, czy nowa nazwa ma być widoczna również " +
				"na wyświetlaczach telefonów w magazynie? Prosimy o potwierdzenie."},
		}},
	{customer: "acme", by: "acme-designated", primary: "acme-designated", age: 2 * day,
		severity: supportcase.SeverityS1, status: supportcase.StatusIN_PROGRESS,
		product: "Webex Calling", category: "Call quality",
		title: "Calls drop after 30 seconds on every line in the New York office",
		description: "Since 07:40 today every inbound and outbound call in the New York office drops after about " +
			"30 seconds. About 40 users are affected, the main number included.",
		collaborators: []string{"contoso-admin", "contoso-cc"},
		comments: []commentSpec{
			{after: 25 * time.Minute, by: "acme-designated", body: "Still happening. Customers calling the main number are cut off too."},
			{after: 100 * time.Minute, by: "vendor-agent", body: "Thanks Dana, I'm on it. Can you send a packet capture from one of the affected desk phones?"},
			{after: 110 * time.Minute, by: "vendor-agent", internal: true, body: "Drops at exactly 32 s: the session-timer " +
				"re-INVITE from the NY local gateway gets no answer. The gateway's TLS certificate expired at 07:38. Engaging the carrier team."},
			{after: 150 * time.Minute, by: "contoso-admin", body: "Capture from the boardroom Room Bar uploaded: the re-INVITE goes out and no 200 OK comes back."},
		},
		escalation: &escalationSpec{after: 80 * time.Minute, by: "acme-designated",
			reason: "The whole New York office cannot take customer calls and the one-hour first-response target has passed."}},
	{customer: "sakura", by: "sakura-designated", primary: "fabrikam-msp-helpdesk", age: 26 * time.Hour, language: "ja",
		severity: supportcase.SeverityS1, status: supportcase.StatusIN_PROGRESS,
		product: "Webex Rooms", category: "Devices",
		title:       "Room devices in the Osaka office reboot every hour",
		description: "大阪オフィスの会議室端末（Room Kit Mini 6台）が1時間ごとに再起動し、会議が中断されます。",
		comments: []commentSpec{
			{after: 20 * time.Minute, by: "fabrikam-msp-helpdesk", body: "Logs from three Room Kit Mini units attached; " +
				"the reboots line up with the hourly provisioning check."},
			{after: 90 * time.Minute, by: "vendor-agent-emea", body: "We reproduced this with RoomOS 11.14 behind a proxy " +
				"that rewrites the provisioning URL. Until the fix ships, exempt *.webex.com from the proxy rewrite."},
		},
		escalation: &escalationSpec{after: 75 * time.Minute, by: "sakura-designated",
			reason: "Every Osaka meeting room is unusable during customer demos and the first-response target has passed."}},
	{customer: "acme", by: "acme-member", primary: "acme-member", age: 3 * time.Hour,
		severity: supportcase.SeverityS4, status: supportcase.StatusNEW,
		product: "Webex Calling", category: "Auto attendant",
		title:       "Add Polish prompts to the main auto attendant",
		description: "Our new Kraków team would like callers to hear the main menu in Polish as well."},
	{customer: "kowalski", by: "contoso-helpdesk", primary: "kowalski-designated", age: 100 * time.Minute, language: "pl",
		severity: supportcase.SeverityS2, status: supportcase.StatusNEW,
		product: "Webex Calling", category: "Call routing",
		title:       "Inbound calls to the Warsaw warehouse go straight to voicemail",
		description: "Since this morning every call to +48 22 123 45 67 goes to voicemail without ringing the warehouse phone."},
}

// deviceSpec is one device; lastSeen is before now, zero for never.
type deviceSpec struct {
	key        string
	org        string
	owner      string // contact key; empty for a shared device
	model      string
	mac        string
	phone      string
	sip        string
	thirdParty bool
	status     device.Status
	lastSeen   time.Duration
}

var devices = []deviceSpec{
	{key: "acme-desk-pro", org: "acme", owner: "acme-member", model: "Cisco Desk Pro", mac: "F8:7B:20:4C:11:0A",
		phone: "+12124567801", sip: "sip:ben.harper@acme.webex.com", status: device.StatusONLINE, lastSeen: 2 * time.Minute},
	{key: "acme-room-bar", org: "acme", model: "Cisco Room Bar", mac: "F8:7B:20:4C:11:2B",
		sip: "sip:boardroom-ny@acme.webex.com", status: device.StatusOFFLINE, lastSeen: 3 * day},
	// Third-party: help-desk search must never return it.
	{key: "acme-poly", org: "acme", owner: "acme-designated", model: "Poly VVX 450", mac: "64:16:7F:0A:3C:91",
		phone: "+12124567805", sip: "sip:dana.whitfield@acme.webex.com", thirdParty: true,
		status: device.StatusONLINE, lastSeen: 10 * time.Minute},
	{key: "globex-desk-mini", org: "globex", owner: "globex-designated", model: "Cisco Desk Mini", mac: "F8:7B:20:4D:02:C4",
		sip: "sip:henry.moore@globex.webex.com", status: device.StatusONLINE, lastSeen: time.Minute},
	{key: "sakura-8865", org: "sakura", owner: "sakura-member", model: "Cisco IP Phone 8865", mac: "00:EB:D5:6E:19:80",
		phone: "+81312345679", sip: "sip:aiko.suzuki@sakura-robotics.webex.com", status: device.StatusOFFLINE, lastSeen: 2 * day},
	{key: "sakura-room-kit", org: "sakura", model: "Cisco Room Kit Mini", mac: "00:EB:D5:6E:2A:14",
		sip: "sip:osaka-room1@sakura-robotics.webex.com", status: device.StatusONLINE, lastSeen: 40 * time.Second},
	{key: "kowalski-8851", org: "kowalski", owner: "kowalski-designated", model: "Cisco IP Phone 8851", mac: "00:EB:D5:71:0C:3F",
		phone: "+48221234567", sip: "sip:tomasz.wojcik@kowalski-logistyka.webex.com", status: device.StatusUNREGISTERED, lastSeen: 3 * time.Hour},
	{key: "kowalski-spare", org: "kowalski", model: "Cisco IP Phone 8841", mac: "00:EB:D5:71:0C:40", status: device.StatusUNREGISTERED},
}

// numberSpec is one number of an inventory, assigned to a contact or a
// device (keys) or to neither.
type numberSpec struct {
	org     string
	number  string
	kind    phonenumber.Kind
	state   phonenumber.State
	contact string
	device  string
}

var numbers = []numberSpec{
	{org: "acme", number: "+12124567800", kind: phonenumber.KindAUTO_ATTENDANT, state: phonenumber.StateACTIVE},
	{org: "acme", number: "+12124567801", kind: phonenumber.KindDEVICE, state: phonenumber.StateACTIVE, device: "acme-desk-pro"},
	{org: "acme", number: "+12124567802", kind: phonenumber.KindUSER, state: phonenumber.StateACTIVE, contact: "acme-admin"},
	{org: "acme", number: "+12124567805", kind: phonenumber.KindDEVICE, state: phonenumber.StateACTIVE, device: "acme-poly"},
	{org: "acme", number: "+12124567810", kind: phonenumber.KindCALL_QUEUE, state: phonenumber.StateACTIVE},
	{org: "acme", number: "+12124567899", kind: phonenumber.KindUSER, state: phonenumber.StateUNASSIGNED},
	{org: "globex", number: "+13124567140", kind: phonenumber.KindHUNT_GROUP, state: phonenumber.StateACTIVE},
	{org: "globex", number: "+13124567150", kind: phonenumber.KindCALL_QUEUE, state: phonenumber.StateACTIVE},
	{org: "globex", number: "+13124567199", kind: phonenumber.KindVOICEMAIL_GROUP, state: phonenumber.StateINACTIVE},
	{org: "sakura", number: "+81312345670", kind: phonenumber.KindUSER, state: phonenumber.StateACTIVE, contact: "sakura-admin"},
	{org: "sakura", number: "+81312345671", kind: phonenumber.KindPAGING_GROUP, state: phonenumber.StateACTIVE},
	{org: "sakura", number: "+81312345672", kind: phonenumber.KindVIRTUAL_LINE, state: phonenumber.StateINACTIVE},
	{org: "sakura", number: "+81312345679", kind: phonenumber.KindDEVICE, state: phonenumber.StateACTIVE, device: "sakura-8865"},
	{org: "kowalski", number: "+48221234567", kind: phonenumber.KindDEVICE, state: phonenumber.StateINACTIVE, device: "kowalski-8851"},
	{org: "kowalski", number: "+48221234568", kind: phonenumber.KindUSER, state: phonenumber.StateUNASSIGNED},
}

// personaSpec picks a contact worth signing in as.
type personaSpec struct {
	key     string // a contact key
	summary string
}

var personas = []personaSpec{
	{"vendor-agent", "vendor AGENT: FULL_ADMIN on every customer; answers cases and reads the INTERNAL comment on Acme's call-drop case"},
	{"vendor-admin", "vendor ADMIN and AGENT: creates organisations, sets support plans and reads every audit entry"},
	{"contoso-admin", "Contoso ADMIN: SERVICE_ADMIN on Acme (FULL_ADMIN request pending), CREATE on Kowalski expiring in 5 days, nothing on Globex (expired, renewal rejected)"},
	{"contoso-helpdesk", "Contoso HELP_DESK: help-desk search over Acme and Kowalski; filed Globex's hunt-group case before Contoso lost Globex"},
	{"contoso-look", "Contoso member whose individual LOOK grant on Acme decides over Contoso's higher SERVICE_ADMIN org grant: reads every Acme case, may not comment"},
	{"contoso-cc", "Contoso member with an individual CC grant on Acme: sees only the case she collaborates on (New York call drops)"},
	{"fabrikam-admin", "Fabrikam ADMIN at fabrikam.example: FULL_ADMIN on Globex, seeing only cases filed since Fabrikam took over; no access to Sakura (grant scoped to fabrikam-msp.example)"},
	{"fabrikam-msp-helpdesk", "Fabrikam HELP_DESK at fabrikam-msp.example: UPDATE on Sakura through the domain-scoped org grant (older cases via shared history), primary contact of Sakura's escalated case"},
	{"fabrikam-engineer", "Fabrikam member at fabrikam.example: FULL_ADMIN on Globex, no access to Sakura because its grant covers fabrikam-msp.example only"},
	{"acme-admin", "Acme ADMIN (PREMIUM): FULL_ADMIN on Acme, manages contacts, revokes partner grants, lists Acme's audit trail"},
	{"acme-contact-manager", "Acme CONTACT_MANAGER: approves or rejects partner requests; Contoso's FULL_ADMIN request awaits a decision"},
	{"acme-designated", "Acme DESIGNATED contact: may escalate on the PREMIUM plan; escalated the New York call-drop case"},
	{"acme-member", "plain Acme member: CREATE on Acme, sees and updates every Acme case but may not escalate or manage contacts"},
	{"globex-admin", "Globex ADMIN and CONTACT_MANAGER (STANDARD, no escalation): rejected Contoso's renewal, approved Fabrikam; sees cases of both partner eras"},
}

// builder writes the tables with one transaction and remembers the rows by
// table key so that later tables can link to them.
type builder struct {
	tx  *ent.Tx
	now time.Time

	orgs       map[string]*ent.Organization // by table key
	orgByID    map[string]*ent.Organization
	orgSpecs   map[string]orgSpec // by table key, for contact defaults
	contacts   map[string]*ent.Contact
	devices    map[string]*ent.Device
	caseNumber int // the number the next case gets

	// err is the first unknown table key. Lookups record it and return an
	// empty row, so that a typo in a table fails Load before it writes a
	// half-linked row, without an error check after every lookup.
	err error
}

func (b *builder) ago(d time.Duration) time.Time { return b.now.Add(-d) }

func (b *builder) createOrg(ctx context.Context, s orgSpec) error {
	licenses := make([]jsontype.License, 0, len(s.licenses))
	for _, l := range s.licenses {
		lic := jsontype.License{Product: l.product, Quantity: l.quantity}
		if l.expiresIn != 0 {
			exp := b.now.Add(l.expiresIn)
			lic.ExpiresAt = &exp
		}
		licenses = append(licenses, lic)
	}
	c := b.tx.Organization.Create().
		SetKind(s.kind).
		SetName(s.name).
		SetDomains(nonNil(s.domains)).
		SetSites(nonNil(s.sites)).
		SetLicenses(licenses).
		SetShareCaseHistoryWithPartners(s.share).
		SetCreatedAt(b.ago(s.age))
	if s.plan != "" {
		c.SetSupportPlan(s.plan)
	}
	o, err := c.Save(ctx)
	if err != nil {
		return fmt.Errorf("organisation %s: %w", s.name, err)
	}
	b.orgs[s.key], b.orgByID[o.ID], b.orgSpecs[s.key] = o, o, s
	return nil
}

func (b *builder) createContact(ctx context.Context, s contactSpec, i int) error {
	org := b.org(s.org)
	if b.err != nil {
		return b.err
	}
	home := b.orgSpecs[s.org]
	created := org.CreatedAt.Add(time.Duration(i+1) * time.Hour)
	if s.age != 0 {
		created = b.ago(s.age)
	}
	c := b.tx.Contact.Create().
		SetOrganizationID(org.ID).
		SetName(s.name).
		SetEmail(s.email).
		SetNillablePhone(opt(s.phone)).
		SetRoles(nonNil(s.roles)).
		SetTimezone(cmp.Or(s.timezone, home.timezone)).
		SetLocale(cmp.Or(s.locale, home.locale)).
		SetStatus(cmp.Or(s.status, contact.StatusACTIVE)).
		SetLastEmailStatus(cmp.Or(s.mail, contact.LastEmailStatusDELIVERED)).
		SetFeatures(nonNil(s.features)).
		SetCreatedAt(created)
	saved, err := c.Save(ctx)
	if err != nil {
		return fmt.Errorf("contact %s: %w", s.email, err)
	}
	b.contacts[s.key] = saved
	return nil
}

func (b *builder) createGrant(ctx context.Context, s grantSpec) error {
	if err := s.check(); err != nil {
		return fmt.Errorf("grant of %s on %s (%s, %s): %w", s.partner, s.customer, s.level, s.status, err)
	}
	partner, customer := b.org(s.partner), b.org(s.customer)
	requester := b.holder(s.partner, access.RoleAdmin)
	decider := b.holder(s.customer, access.RoleContactManager)
	grantee := b.optContactID(s.grantee)
	if b.err != nil {
		return b.err
	}
	c := b.tx.Grant.Create().
		SetPartnerID(partner.ID).
		SetCustomerID(customer.ID).
		SetNillableGranteeID(grantee).
		SetRequestedByID(requester.ID).
		SetLevel(s.level).
		SetNillablePartnerDomain(opt(s.domain)).
		SetStatus(s.status).
		SetExpiresInDays(s.days).
		SetNote(s.note).
		SetCreatedAt(b.ago(s.requested))
	if s.status != grant.StatusPENDING {
		c.SetDecidedByID(decider.ID).SetDecidedAt(b.ago(s.decided))
	}
	if s.approved() {
		starts := b.ago(s.decided)
		expires := starts.Add(time.Duration(s.days) * day)
		c.SetStartsAt(starts).SetExpiresAt(expires)
		switch s.status {
		case grant.StatusEXPIRED:
			c.SetEndedAt(expires)
		case grant.StatusREVOKED:
			c.SetEndedAt(b.ago(s.ended)).SetEndedByID(decider.ID)
		case grant.StatusSUPERSEDED:
			c.SetEndedAt(b.ago(s.ended))
		}
	}
	if _, err := c.Save(ctx); err != nil {
		return fmt.Errorf("grant of %s on %s: %w", s.partner, s.customer, err)
	}
	return nil
}

// approved reports whether the grant was ever approved, and so has a start
// and an expiry.
func (s grantSpec) approved() bool {
	return s.status != grant.StatusPENDING && s.status != grant.StatusREJECTED
}

// check keeps the hand-written grant table consistent with its status, so
// that the API's access rules and the status agree about every demo grant.
func (s grantSpec) check() error {
	// untilExpiry is from now; negative once the grant has expired.
	untilExpiry := time.Duration(s.days)*day - s.decided
	switch {
	case s.days < 1 || s.days > 730:
		return errors.New("expires_in_days must be 1..730")
	case s.requested <= 0 || s.requested < s.decided:
		return errors.New("a grant is requested before it is decided")
	case s.status == grant.StatusPENDING:
		if s.decided != 0 || s.ended != 0 {
			return errors.New("a pending request has no decision and no end")
		}
	case s.decided <= 0:
		return errors.New("a decided grant needs its decision time")
	case s.status == grant.StatusREJECTED, s.status == grant.StatusACTIVE, s.status == grant.StatusEXPIRED:
		if s.ended != 0 {
			return errors.New("only revoked and superseded grants have an end of their own")
		}
		if s.status == grant.StatusACTIVE && untilExpiry <= 0 {
			return errors.New("an active grant has not expired yet")
		}
		if s.status == grant.StatusEXPIRED && untilExpiry > 0 {
			return errors.New("an expired grant's expiry is past")
		}
	default: // REVOKED, SUPERSEDED
		if s.ended <= 0 || s.ended >= s.decided || -s.ended >= untilExpiry {
			return errors.New("a revoked or superseded grant ends in the past, after it started and before it expired")
		}
	}
	return nil
}

// event is one entry of a case's history before it is written.
type event struct {
	at      time.Time
	kind    caseevent.Kind
	actor   *ent.Contact
	changes []jsontype.FieldChange
	comment *commentSpec // for COMMENTED events
}

func (b *builder) createCase(ctx context.Context, s caseSpec) error {
	customer, filer, primary := b.org(s.customer), b.contact(s.by), b.contact(s.primary)
	collaborators := make([]string, len(s.collaborators))
	for i, key := range s.collaborators {
		collaborators[i] = b.contact(key).ID
	}
	if b.err != nil {
		return b.err
	}
	created := b.ago(s.age)
	history, firstResponse, err := b.history(s, created)
	if err != nil {
		return fmt.Errorf("case %q: %w", s.title, err)
	}
	if b.err != nil {
		return b.err
	}
	c := b.tx.SupportCase.Create().
		SetNumber(b.caseNumber).
		SetCustomerID(customer.ID).
		SetTitle(s.title).
		SetDescription(s.description).
		SetProduct(s.product).
		SetCategory(s.category).
		SetSeverity(s.severity).
		SetStatus(s.status).
		SetPrimaryContactID(primary.ID).
		SetCreatedByID(filer.ID).
		AddCollaboratorIDs(collaborators...).
		SetSharedEmails(nonNil(s.sharedEmails)).
		SetTimezone(b.orgSpecs[s.customer].timezone).
		SetLanguage(cmp.Or(s.language, "en")).
		SetFirstResponseDueAt(created.Add(firstResponseTarget[s.severity])).
		SetNillableFirstRespondedAt(firstResponse).
		SetCreatedAt(created).
		SetUpdatedAt(history[len(history)-1].at).
		// Every event, the creation included, is one change of the case.
		SetVersion(len(history))
	if partner := b.orgByID[filer.OrganizationID]; partner.Kind == access.Partner {
		c.SetOnBehalfOfID(partner.ID)
	}
	if e := s.escalation; e != nil {
		c.SetEscalated(true).SetEscalatedAt(created.Add(e.after)).SetEscalationReason(e.reason)
	}
	if cl := s.closed; cl != nil {
		closed := created.Add(cl.after)
		c.SetClosedAt(closed).SetReopenableUntil(closed.Add(reopenWindow))
	}
	kase, err := c.Save(ctx)
	if err != nil {
		return fmt.Errorf("case %q: %w", s.title, err)
	}
	b.caseNumber++

	for _, ev := range history {
		e := b.tx.CaseEvent.Create().
			SetCaseID(kase.ID).
			SetCustomerID(customer.ID).
			SetActorID(ev.actor.ID).
			SetKind(ev.kind).
			SetChanges(nonNil(ev.changes)).
			SetCreatedAt(ev.at)
		if cs := ev.comment; cs != nil {
			visibility := casecomment.VisibilityPUBLIC
			if cs.internal {
				visibility = casecomment.VisibilityINTERNAL
			}
			cm, err := b.tx.CaseComment.Create().
				SetCaseID(kase.ID).
				SetCustomerID(customer.ID).
				SetAuthorID(b.contact(cs.by).ID).
				SetBody(cs.body).
				SetVisibility(visibility).
				SetCreatedAt(ev.at).
				Save(ctx)
			if err != nil {
				return fmt.Errorf("comment on case %d: %w", kase.Number, err)
			}
			e.SetCommentID(cm.ID).SetVisibility(caseevent.Visibility(visibility))
		}
		if _, err := e.Save(ctx); err != nil {
			return fmt.Errorf("%s event of case %d: %w", ev.kind, kase.Number, err)
		}
	}
	return nil
}

// history derives a case's events, oldest first, and its first response from
// the table, and refuses a case whose status, escalation or closure the
// rules of SPEC §3 would not allow.
func (b *builder) history(s caseSpec, created time.Time) ([]event, *time.Time, error) {
	at := func(d time.Duration) time.Time { return created.Add(d) }
	events := []event{{at: created, kind: caseevent.KindCREATED, actor: b.contact(s.by), changes: []jsontype.FieldChange{
		change("status", "", string(supportcase.StatusNEW)),
		change("severity", "", string(s.severity)),
	}}}
	for _, key := range s.collaborators {
		events = append(events, event{at: at(time.Minute), kind: caseevent.KindCOLLABORATOR_ADDED, actor: b.contact(s.by),
			changes: []jsontype.FieldChange{change("collaborators", "", b.contact(key).Email)}})
	}
	if len(s.sharedEmails) > 0 {
		events = append(events, event{at: at(time.Minute), kind: caseevent.KindSHARED, actor: b.contact(s.by),
			changes: []jsontype.FieldChange{change("sharedEmails", "", strings.Join(s.sharedEmails, ", "))}})
	}

	var first, last *commentSpec // public answers of vendor agents
	for i := range s.comments {
		c := &s.comments[i]
		events = append(events, event{at: at(c.after), kind: caseevent.KindCOMMENTED, actor: b.contact(c.by), comment: c})
		if !c.internal && b.isAgent(c.by) {
			if first == nil {
				first = c
			}
			last = c
		}
	}
	// Agents take a case on with their first public answer and hand it back
	// to the customer with their last one.
	if (s.status == supportcase.StatusNEW) != (first == nil) {
		return nil, nil, errors.New("a case is NEW exactly until a vendor agent first answers it publicly")
	}
	var firstResponse *time.Time
	if first != nil {
		t := at(first.after)
		firstResponse = &t
		events = append(events, event{at: t.Add(time.Minute), kind: caseevent.KindSTATUS_CHANGED, actor: b.contact(first.by),
			changes: []jsontype.FieldChange{change("status", string(supportcase.StatusNEW), string(supportcase.StatusIN_PROGRESS))}})
	}
	if s.status == supportcase.StatusWAITING_ON_CUSTOMER {
		events = append(events, event{at: at(last.after + time.Minute), kind: caseevent.KindSTATUS_CHANGED, actor: b.contact(last.by),
			changes: []jsontype.FieldChange{change("status", string(supportcase.StatusIN_PROGRESS), string(supportcase.StatusWAITING_ON_CUSTOMER))}})
	}
	if e := s.escalation; e != nil {
		if b.orgSpecs[s.customer].plan != organization.SupportPlanPREMIUM {
			return nil, nil, errors.New("only PREMIUM customers escalate")
		}
		if e.after <= firstResponseTarget[s.severity] {
			return nil, nil, errors.New("a case is escalated only once its first-response target has passed")
		}
		events = append(events, event{at: at(e.after), kind: caseevent.KindESCALATED, actor: b.contact(e.by),
			changes: []jsontype.FieldChange{change("escalated", "false", "true")}})
	}
	if (s.closed != nil) != (s.status == supportcase.StatusCLOSED) {
		return nil, nil, errors.New("a case is CLOSED exactly when it has a closure")
	}
	if cl := s.closed; cl != nil {
		events = append(events, event{at: at(cl.after), kind: caseevent.KindCLOSED, actor: b.contact(cl.by),
			changes: []jsontype.FieldChange{change("status", string(supportcase.StatusIN_PROGRESS), string(supportcase.StatusCLOSED))}})
	}
	sort.SliceStable(events, func(i, j int) bool { return events[i].at.Before(events[j].at) })
	if events[len(events)-1].at.After(b.now) {
		return nil, nil, errors.New("its history runs past now")
	}
	return events, firstResponse, nil
}

// isAgent reports whether the contact of key is a vendor agent, whose first
// public comment is a case's first response.
func (b *builder) isAgent(key string) bool {
	c := b.contact(key)
	org := b.orgByID[c.OrganizationID]
	return org != nil && org.Kind == access.Vendor && hasRole(c.Roles, access.RoleAgent)
}

func (b *builder) createDevice(ctx context.Context, s deviceSpec) error {
	org, owner := b.org(s.org), b.optContactID(s.owner)
	if b.err != nil {
		return b.err
	}
	c := b.tx.Device.Create().
		SetOrganizationID(org.ID).
		SetNillableOwnerID(owner).
		SetModel(s.model).
		SetNillableMACAddress(opt(s.mac)).
		SetNillablePhoneNumber(opt(s.phone)).
		SetNillableSipAddress(opt(s.sip)).
		SetThirdParty(s.thirdParty).
		SetStatus(s.status).
		// Devices arrived with the customer's first rollout.
		SetCreatedAt(org.CreatedAt.Add(7 * day))
	if s.lastSeen != 0 {
		c.SetLastSeenAt(b.ago(s.lastSeen))
	}
	d, err := c.Save(ctx)
	if err != nil {
		return fmt.Errorf("device %s: %w", s.key, err)
	}
	b.devices[s.key] = d
	return nil
}

func (b *builder) createNumber(ctx context.Context, s numberSpec) error {
	org, assignee := b.org(s.org), b.optContactID(s.contact)
	var dev *string
	if s.device != "" {
		d, ok := b.devices[s.device]
		if !ok {
			return fmt.Errorf("unknown device %q", s.device)
		}
		dev = &d.ID
	}
	if b.err != nil {
		return b.err
	}
	_, err := b.tx.PhoneNumber.Create().
		SetOrganizationID(org.ID).
		SetNumber(s.number).
		SetKind(s.kind).
		SetState(s.state).
		SetNillableContactID(assignee).
		SetNillableDeviceID(dev).
		SetCreatedAt(org.CreatedAt.Add(7 * day)).
		Save(ctx)
	if err != nil {
		return fmt.Errorf("number %s: %w", s.number, err)
	}
	return nil
}

// Personas lists the demo's personas straight from its tables, without a
// database, so that a server restarted on a loaded world can mint fresh
// tokens for them (tokens are stored hashed and cannot be shown again).
func Personas() []Persona {
	orgName := map[string]string{}
	for _, o := range organizations {
		orgName[o.key] = o.name
	}
	byKey := map[string]contactSpec{}
	for _, c := range contacts {
		byKey[c.key] = c
	}
	out := make([]Persona, 0, len(personas))
	for _, p := range personas {
		c := byKey[p.key]
		out = append(out, Persona{Key: p.key, Name: c.name, Email: c.email, Organization: orgName[c.org], Summary: p.summary})
	}
	return out
}

// org returns the organisation of a table key.
func (b *builder) org(key string) *ent.Organization {
	if o, ok := b.orgs[key]; ok {
		return o
	}
	b.fail("organisation", key)
	return &ent.Organization{}
}

// contact returns the contact of a table key.
func (b *builder) contact(key string) *ent.Contact {
	if c, ok := b.contacts[key]; ok {
		return c
	}
	b.fail("contact", key)
	return &ent.Contact{}
}

// optContactID returns the ID of the contact of key, nil for no key.
func (b *builder) optContactID(key string) *string {
	if key == "" {
		return nil
	}
	return &b.contact(key).ID
}

// holder returns the first contact of the organisation of orgKey, in table
// order, that holds role.
func (b *builder) holder(orgKey string, role access.Role) *ent.Contact {
	for _, s := range contacts {
		if s.org == orgKey && hasRole(s.roles, role) {
			return b.contact(s.key)
		}
	}
	b.fail(string(role)+" of", orgKey)
	return &ent.Contact{}
}

func (b *builder) fail(what, key string) {
	if b.err == nil {
		b.err = fmt.Errorf("the demo tables name an unknown %s %q", what, key)
	}
}

func hasRole(roles []access.Role, r access.Role) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

// change is a field change; an empty value means none.
func change(field, before, after string) jsontype.FieldChange {
	return jsontype.FieldChange{Field: field, Before: opt(before), After: opt(after)}
}

// opt returns nil for the zero value, for the Nillable setters.
func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// nonNil stores an empty list as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
