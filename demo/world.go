package demo

import (
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/directory"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/device"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/ent/phonenumber"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
)

// The world's tables: who exists, and what each of them did when. Every
// instant is a duration before the now Load is given.

const day = 24 * time.Hour

// orgSpec is one organisation of the world.
type orgSpec struct {
	key      string
	kind     access.OrgKind
	name     string
	domains  []string
	sites    []string
	plan     organization.SupportPlan // empty for the vendor and partners
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

// organizations lists the vendor first: it is bootstrapped, and its admin
// onboards the others.
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
	{key: "sakura", kind: access.Customer, name: "Sakura Robotics", domains: []string{"sakura-robotics.example"},
		sites: []string{"sakura-robotics.webex.com"}, plan: organization.SupportPlanPREMIUM,
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

// vendorContacts are whom customers call at the vendor (seed 000), set a
// day after the customer joined.
var vendorContacts = []struct {
	customer, contact string
	role              directory.VendorRole
}{
	{"acme", "vendor-agent", directory.TechnicalAccountManager},
	{"acme", "vendor-agent-emea", directory.ClientSuccessManager},
	{"sakura", "vendor-agent-emea", directory.TechnicalAccountManager},
}

// vendorAdmin is the contact the vendor is bootstrapped with.
const vendorAdmin = "vendor-admin"

// contacts lists partner admins before other partner contacts and customer
// contact managers before other customer contacts: grants are requested by
// the first admin of their partner and decided by the first contact manager
// of their customer.
var contacts = []contactSpec{
	{key: vendorAdmin, org: "northwind", name: "Marcus Webb", email: "marcus.webb@northwind.example",
		roles: []access.Role{access.RoleAdmin, access.RoleAgent}, features: []string{"beta.dashboard"}},
	{key: "vendor-agent", org: "northwind", name: "Nora Lindqvist", email: "nora.lindqvist@northwind.example",
		roles: agent, phone: "+14152345678", timezone: "America/Los_Angeles"},
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

// grantSpec is one request for access and what became of it. The partner's
// first admin requests it; the customer's first contact manager approves
// or rejects it and, when revoked is set, revokes it. What no one decides
// is left to the workflow: an approval supersedes the active grant of the
// same key, and the scheduler expires what reaches its end.
type grantSpec struct {
	partner, customer string
	grantee           string // contact key; empty for an organisation grant
	domain            string // partner_domain; empty for every domain
	level             access.Level
	days              int           // expires_in_days
	requested         time.Duration // ago
	approved          time.Duration // ago; zero: not approved
	rejected          time.Duration // ago; zero: not rejected
	revoked           time.Duration // ago; zero: not revoked
	note              string
}

var accessRequests = []grantSpec{
	// Acme: Contoso's organisation grant was raised once (approving the
	// raise supersedes the older grant) and a further raise awaits
	// approval; two Contoso contacts hold individual grants below it, which
	// decide for them all the same.
	{partner: "contoso", customer: "acme", level: access.Create, days: 365,
		requested: 301 * day, approved: 300 * day,
		note: "Onboarding Acme's Webex Calling rollout."},
	{partner: "contoso", customer: "acme", level: access.ServiceAdmin, days: 365,
		requested: 122 * day, approved: 120 * day,
		note: "Acme asked us to run its devices and numbers after go-live."},
	{partner: "contoso", customer: "acme", grantee: "contoso-look", level: access.Look, days: 180,
		requested: 91 * day, approved: 90 * day,
		note: "Lena writes our monthly service report for Acme and needs read access only."},
	{partner: "contoso", customer: "acme", grantee: "contoso-cc", level: access.CC, days: 60,
		requested: 21 * day, approved: 20 * day,
		note: "Chloe follows Acme's escalations for our account team."},
	{partner: "contoso", customer: "acme", level: access.FullAdmin, days: 90,
		requested: 2 * day, note: "Acme wants us to take over user provisioning for the new Boston office."},

	// Globex: managed by Contoso until its grant expired, refused Contoso's
	// renewal, and is managed by Fabrikam now (SPEC §2.4 partner era).
	{partner: "contoso", customer: "globex", level: access.Create, days: 365,
		requested: 401 * day, approved: 400 * day,
		note: "Managed Webex Calling for Globex."},
	{partner: "contoso", customer: "globex", level: access.ServiceAdmin, days: 365,
		requested: 40 * day, rejected: 38 * day,
		note: "Renewal of our managed-service contract."},
	{partner: "fabrikam", customer: "globex", level: access.FullAdmin, days: 365,
		requested: 31 * day, approved: 30 * day,
		note: "Globex moved its managed service to Fabrikam; we take over users, devices and numbers."},

	// Sakura: revoked Fabrikam's company-wide grant and gave one to the MSP
	// team's domain only.
	{partner: "fabrikam", customer: "sakura", level: access.Look, days: 365,
		requested: 201 * day, approved: 200 * day, revoked: 50 * day,
		note: "Monitoring of Sakura's meeting rooms."},
	{partner: "fabrikam", customer: "sakura", domain: "fabrikam-msp.example", level: access.Update, days: 180,
		requested: 46 * day, approved: 45 * day,
		note: "From now on only our MSP team in Warsaw works Sakura's cases."},

	// Kowalski: a trial grant that expires within the week, to show the
	// expiry warnings.
	{partner: "contoso", customer: "kowalski", level: access.Create, days: 90,
		requested: 86 * day, approved: 85 * day,
		note: "90-day trial of managed support for Kowalski's warehouses."},
}

// sharedHistory is the customer that shares its case history with partners,
// and when it began to: the partner it works with now also sees the case
// filed while no partner held a grant.
var sharedHistory = struct {
	customer string
	since    time.Duration
}{"sakura", 45 * day}

// elevationRule is a customer's rule that approves its partner's help
// desk's elevations at once (createElevationRule), made by its admin;
// pendingElevation is a request of that help desk the rule does not cover
// (longer than its most), waiting for the customer (requestElevation).
var (
	elevationRule = struct {
		customer, partner string
		role              access.Role
		level             access.Level
		minutes           int
		ago               time.Duration
	}{"sakura", "fabrikam", access.RoleHelpDesk, access.ServiceAdmin, 60, 10 * day}
	pendingElevation = struct {
		by, customer string
		level        access.Level
		minutes      int
		reason       string
		ago          time.Duration
	}{"fabrikam-msp-helpdesk", "sakura", access.ServiceAdmin, 240,
		"Re-provisioning the robot-floor phones after the firmware recall.", 3 * time.Hour}
)

// caseSpec is one support case: filed by a contact, then worked by the
// steps, each a call of the case workflow.
type caseSpec struct {
	customer    string
	by          string // contact key of the filer
	primary     string // contact key
	age         time.Duration
	severity    supportcase.Severity
	product     string
	category    string
	title       string
	description string
	language    string // zero: the filer's locale
	steps       []caseStep
}

// caseStep is one change to a case, after it was filed.
type caseStep struct {
	after time.Duration
	by    string // contact key
	do    caseAction
}

var supportCases = []caseSpec{
	{customer: "globex", by: "contoso-helpdesk", primary: "globex-designated", age: 70 * day, severity: supportcase.SeverityS3,
		product: "Webex Calling", category: "Hunt groups",
		title: "Sales hunt group skips available agents",
		description: "Since the move to the new Chicago office, calls to the Sales hunt group (+1 312 456 7140) ring " +
			"only two of the six agents. The others are signed in and not on Do Not Disturb.",
		steps: []caseStep{
			{2 * time.Hour, "vendor-agent", answer(supportcase.StatusIN_PROGRESS, "Thanks Daniel. The hunt group still uses the circular "+
				"policy from the old site, which skips agents whose phones re-registered in the last hour. Checking the registrations now.")},
			{2 * day, "contoso-helpdesk", comment("Registrations look stable on our side; the four skipped agents all use Desk Mini devices.")},
			{32 * day, "vendor-agent", answer(supportcase.StatusWAITING_ON_CUSTOMER, "We need a 30-minute maintenance window to re-provision the hunt group. Which evening works for Globex?")},
		}},
	{customer: "sakura", by: "sakura-admin", primary: "sakura-admin", age: 48 * day, language: "ja", severity: supportcase.SeverityS3,
		product: "Webex Calling", category: "Caller ID",
		title:       "Nagoya office calls show the Tokyo head-office number",
		description: "名古屋オフィスからの発信で、東京本社の番号が表示されます。名古屋の代表番号を表示したいです。",
		steps: []caseStep{
			{3 * time.Hour, "vendor-agent-emea", answer(supportcase.StatusIN_PROGRESS, "The Nagoya location inherited the caller ID of the Tokyo "+
				"location. We set the Nagoya main number as the location's caller ID; please try an outbound call.")},
			{7 * day, "sakura-admin", comment("確認しました。名古屋の番号が表示されています。ありがとうございました。")},
			{8 * day, "vendor-agent-emea", closeCase()},
		}},
	{customer: "acme", by: "acme-contact-manager", primary: "acme-contact-manager", age: 14 * day, severity: supportcase.SeverityS3,
		product: "Webex Meetings", category: "Recordings",
		title: "Meeting recordings missing from the portal since Monday",
		description: "Recordings of meetings held since Monday do not appear under Recordings, " +
			"although the hosts got the 'recording ready' email.",
		steps: []caseStep{
			{20 * time.Minute, "acme-contact-manager", severity(supportcase.SeverityS2)},
			{70 * time.Minute, "vendor-agent", answer(supportcase.StatusIN_PROGRESS, "The recordings are stored, but the index job for acme.webex.com failed on Monday. We are re-running it.")},
			{5 * time.Hour, "vendor-agent", comment("The index is rebuilt and the 37 missing recordings are visible again. Can you confirm?")},
			{3 * day, "acme-contact-manager", comment("Confirmed, everything is back. Thank you!")},
			{4 * day, "acme-contact-manager", closeCase()},
			{5 * day, "acme-contact-manager", reopen()},
			{5*day + time.Minute, "acme-contact-manager", comment("Two recordings of Friday's all-hands are missing again.")},
			{5*day + 3*time.Hour, "vendor-agent", comment("Those two were recorded on the old site; we moved them over. They are listed now.")},
			{6 * day, "acme-contact-manager", closeCase()},
		}},
	{customer: "globex", by: "fabrikam-admin", primary: "fabrikam-engineer", age: 10 * day, severity: supportcase.SeverityS2,
		product: "Webex Calling", category: "Call queues",
		title: "Overflow announcement plays in English on the Spanish-language queue",
		description: "Callers to the Soporte queue (+1 312 456 7150) hear the overflow announcement in English. " +
			"The queue's language is Spanish and its custom greeting was uploaded in Spanish.",
		steps: []caseStep{
			{time.Minute, "fabrikam-admin", collaborate("fabrikam-msp-engineer")},
			{90 * time.Minute, "vendor-agent", answer(supportcase.StatusIN_PROGRESS, "The overflow announcement is the system default, "+
				"which ignores the queue language. We are checking whether a custom overflow greeting can be set instead.")},
			{1 * day, "fabrikam-engineer", comment("We can upload a custom greeting if you confirm the format (WAV, 8 kHz, mono?).")},
		}},
	{customer: "acme", by: "contoso-admin", primary: "contoso-admin", age: 6 * day, severity: supportcase.SeverityS3,
		product: "Webex Calling", category: "Voicemail",
		title:       "Voicemail-to-email not delivered for 12 users",
		description: "Twelve Acme users stopped receiving voicemail by email after the rebrand. Their voicemail itself works.",
		steps: []caseStep{
			{time.Minute, "contoso-admin", share("it-helpdesk@acme.example", "noc@contoso.example")},
			{3 * time.Hour, "vendor-agent", answer(supportcase.StatusWAITING_ON_CUSTOMER, "The 12 users forward voicemail to their old @acme-corp.example "+
				"addresses, which no longer accept mail. Can you send their current addresses?")},
			{1 * day, "contoso-admin", answer(supportcase.StatusIN_PROGRESS, "Here they are: all twelve moved to @acme.example during the rebrand.")},
			{28 * time.Hour, "vendor-agent", answer(supportcase.StatusWAITING_ON_CUSTOMER, "Updated 10 of 12. Two addresses bounce, among them "+
				"olivia.grant@acme.example. Please confirm whether those users still work at Acme.")},
		}},
	{customer: "kowalski", by: "kowalski-admin", primary: "kowalski-admin", age: 4 * day, language: "pl", severity: supportcase.SeverityS4,
		product: "Webex Calling", category: "Call queues",
		title:       "Zmiana nazwy kolejki „Magazyn” w książce adresowej",
		description: "Prosimy o zmianę nazwy kolejki „Magazyn” na „Magazyn Warszawa”, tak aby dzwoniący widzieli nową nazwę.",
		steps: []caseStep{
			{6 * time.Hour, "vendor-agent-emea", answer(supportcase.StatusWAITING_ON_CUSTOMER, "Dzień dobry, czy nowa nazwa ma być widoczna również "+
				"na wyświetlaczach telefonów w magazynie? Prosimy o potwierdzenie.")},
		}},
	{customer: "acme", by: "acme-designated", primary: "acme-designated", age: 2 * day, severity: supportcase.SeverityS1,
		product: "Webex Calling", category: "Call quality",
		title: "Calls drop after 30 seconds on every line in the New York office",
		description: "Since 07:40 today every inbound and outbound call in the New York office drops after about " +
			"30 seconds. About 40 users are affected, the main number included.",
		steps: []caseStep{
			{time.Minute, "acme-designated", collaborate("contoso-admin")},
			{time.Minute, "acme-designated", collaborate("contoso-cc")},
			{25 * time.Minute, "acme-designated", comment("Still happening. Customers calling the main number are cut off too.")},
			{80 * time.Minute, "acme-designated", escalate("The whole New York office cannot take customer calls and the one-hour first-response target has passed.")},
			{100 * time.Minute, "vendor-agent", answer(supportcase.StatusIN_PROGRESS, "Thanks Dana, I'm on it. Can you send a packet capture from one of the affected desk phones?")},
			{110 * time.Minute, "vendor-agent", internal("Drops at exactly 32 s: the session-timer " +
				"re-INVITE from the NY local gateway gets no answer. The gateway's TLS certificate expired at 07:38. Engaging the carrier team.")},
			{150 * time.Minute, "contoso-admin", comment("Capture from the boardroom Room Bar uploaded: the re-INVITE goes out and no 200 OK comes back.")},
		}},
	{customer: "sakura", by: "sakura-designated", primary: "fabrikam-msp-helpdesk", age: 26 * time.Hour, language: "ja", severity: supportcase.SeverityS1,
		product: "Webex Rooms", category: "Devices",
		title:       "Room devices in the Osaka office reboot every hour",
		description: "大阪オフィスの会議室端末（Room Kit Mini 6台）が1時間ごとに再起動し、会議が中断されます。",
		steps: []caseStep{
			{20 * time.Minute, "fabrikam-msp-helpdesk", comment("Logs from three Room Kit Mini units attached; " +
				"the reboots line up with the hourly provisioning check.")},
			{75 * time.Minute, "sakura-designated", escalate("Every Osaka meeting room is unusable during customer demos and the first-response target has passed.")},
			{90 * time.Minute, "vendor-agent-emea", answer(supportcase.StatusIN_PROGRESS, "We reproduced this with RoomOS 11.14 behind a proxy "+
				"that rewrites the provisioning URL. Until the fix ships, exempt *.webex.com from the proxy rewrite.")},
		}},
	{customer: "acme", by: "acme-member", primary: "acme-member", age: 3 * time.Hour, severity: supportcase.SeverityS4,
		product: "Webex Calling", category: "Auto attendant",
		title:       "Add Polish prompts to the main auto attendant",
		description: "Our new Kraków team would like callers to hear the main menu in Polish as well."},
	{customer: "kowalski", by: "contoso-helpdesk", primary: "kowalski-designated", age: 100 * time.Minute, language: "pl", severity: supportcase.SeverityS2,
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
	{vendorAdmin, "vendor ADMIN and AGENT: creates organisations, sets support plans and reads every audit entry"},
	{"contoso-admin", "Contoso ADMIN: SERVICE_ADMIN on Acme (FULL_ADMIN request pending), CREATE on Kowalski expiring in 5 days, nothing on Globex (expired, renewal rejected)"},
	{"contoso-helpdesk", "Contoso HELP_DESK: help-desk search over Acme and Kowalski; filed Globex's hunt-group case before Contoso lost Globex"},
	{"contoso-look", "Contoso member whose individual LOOK grant on Acme decides over Contoso's higher SERVICE_ADMIN org grant: reads every Acme case, may not comment"},
	{"contoso-cc", "Contoso member with an individual CC grant on Acme: of Acme's cases sees only the one she collaborates on (New York call drops); Contoso's CREATE on Kowalski is hers too"},
	{"fabrikam-admin", "Fabrikam ADMIN at fabrikam.example: FULL_ADMIN on Globex, seeing only cases filed since Fabrikam took over; no access to Sakura (grant scoped to fabrikam-msp.example)"},
	{"fabrikam-msp-helpdesk", "Fabrikam HELP_DESK at fabrikam-msp.example: UPDATE on Sakura through the domain-scoped org grant (older cases via shared history), primary contact of Sakura's escalated case; its 4-hour SERVICE_ADMIN elevation on Sakura awaits approval (Sakura's rule approves at once up to 60 minutes)"},
	{"fabrikam-engineer", "Fabrikam member at fabrikam.example: FULL_ADMIN on Globex, no access to Sakura because its grant covers fabrikam-msp.example only"},
	{"acme-admin", "Acme ADMIN (PREMIUM): FULL_ADMIN on Acme, manages contacts, revokes partner grants, lists Acme's audit trail"},
	{"acme-contact-manager", "Acme CONTACT_MANAGER: approves or rejects partner requests; Contoso's FULL_ADMIN request awaits a decision"},
	{"acme-designated", "Acme DESIGNATED contact: may escalate on the PREMIUM plan; escalated the New York call-drop case"},
	{"acme-member", "plain Acme member: CREATE on Acme, sees and updates every Acme case but may not escalate or manage contacts"},
	{"globex-admin", "Globex ADMIN and CONTACT_MANAGER (STANDARD, no escalation): rejected Contoso's renewal, approved Fabrikam; sees cases of both partner eras"},
}
