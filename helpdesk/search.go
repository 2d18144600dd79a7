// Package helpdesk serves the help desk of SPEC §4: one search across the
// customers a help-desk user supports, and identity checks by emailed code.
package helpdesk

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqljson"
	"github.com/nyaruka/phonenumbers"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/casesearch"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/device"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/ent/phonenumber"
	"github.com/partnerdesk/partnerdesk/ent/predicate"
	"github.com/partnerdesk/partnerdesk/ids"
	"github.com/partnerdesk/partnerdesk/rowfilter"
	"github.com/partnerdesk/partnerdesk/validate"
)

// MatchedOn says which identifier a hit matched.
type MatchedOn string

// What a query can match.
const (
	OnID     MatchedOn = "ID"
	OnName   MatchedOn = "NAME"
	OnEmail  MatchedOn = "EMAIL"
	OnDomain MatchedOn = "DOMAIN"
	OnSite   MatchedOn = "SITE"
	OnPhone  MatchedOn = "PHONE"
	OnMAC    MatchedOn = "MAC"
	OnSIP    MatchedOn = "SIP"
)

// Hit is one search result: an organisation, contact, device or phone
// number of a customer in scope.
type Hit struct {
	Node       ent.Noder // *ent.Organization, *ent.Contact, *ent.Device or *ent.PhoneNumber
	CustomerID string
	// Customer is loaded for the whole page in one query.
	Customer  *ent.Organization
	Level     access.Level
	Exact     bool
	MatchedOn MatchedOn
	name      string // for a stable order among equals
	id        string
}

// maxQuery bounds what a search may ask for.
const maxQuery = 200

// Scope returns the customers a caller may search and its level on each:
// a partner contact with HELP_DESK searches the customers it has LOOK or
// higher on; vendor staff search every customer (nil, with all true).
func Scope(ctx context.Context, v *access.Session) (levels access.Reach, all bool, err error) {
	switch {
	case v.IsVendorStaff():
		return nil, true, nil
	case v.OrgKind == access.Partner && v.Has(access.RoleHelpDesk):
		reach := v.Reach()
		in := access.Reach{}
		for _, id := range reach.Customers(access.Look) {
			in[id] = reach[id]
		}
		return in, false, nil
	}
	return nil, false, apperr.Forbiddenf("help-desk search is for partner contacts with the HELP_DESK role and the vendor's staff")
}

// Search finds, among the customers in the caller's scope, organisations by
// name, ID, domain or site, or the start of a domain or site label;
// contacts by name, ID or email; phone numbers however typed, and without
// + in a customer's default region; devices by MAC (any separators) or its
// first octets, phone number or SIP address (sip: optional). A name
// matches the start of any of its words. Third-party devices are never
// returned. It returns up to limit
// hits after the first offset, exact matches first, and whether more follow;
// with total, also how many hits there are in all, which reads every match
// where a page reads only what it shows.
func Search(ctx context.Context, c *ent.Client, v *access.Session, query string, offset, limit int, total bool) (page Page, err error) {
	q := strings.TrimSpace(query)
	if q == "" || len(q) > maxQuery {
		return page, apperr.Invalid("query", "search for 1 to %d characters", maxQuery)
	}
	levels, all, err := Scope(ctx, v)
	if err != nil {
		return page, err
	}
	if !all && len(levels) == 0 {
		return page, nil
	}
	// Every lookup, and the customers of the hits, within the scope.
	ctx = rowfilter.InReach(ctx, access.Look)
	s := &search{c: c, want: offset + limit + 1}
	if total {
		s.want = 0
	}
	s.run(ctx, q)
	if s.err != nil {
		return page, s.err
	}
	slices.SortStableFunc(s.hits, func(a, b Hit) int {
		if a.Exact != b.Exact {
			if a.Exact {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(strings.ToLower(a.name), strings.ToLower(b.name)), cmp.Compare(a.id, b.id))
	})
	hits := s.dedupe()
	for i := range hits {
		if all {
			hits[i].Level = access.FullAdmin
		} else {
			hits[i].Level = levels[hits[i].CustomerID]
		}
	}
	page.Total = len(hits)
	if offset >= len(hits) {
		return page, nil
	}
	page.More = len(hits) > offset+limit
	page.Hits = hits[offset:min(len(hits), offset+limit)]
	return page, s.attachCustomers(ctx, page.Hits)
}

// Page is a page of hits: whether more follow, and, when it was asked
// for, how many there are in all.
type Page struct {
	Hits  []Hit
	More  bool
	Total int
}

func (s *search) attachCustomers(ctx context.Context, page []Hit) error {
	var customerIDs []string
	for _, h := range page {
		customerIDs = append(customerIDs, h.CustomerID)
	}
	orgs, err := s.c.Organization.Query().Where(organization.IDIn(customerIDs...)).All(ctx)
	byID := map[string]*ent.Organization{}
	for _, o := range orgs {
		byID[o.ID] = o
	}
	for i := range page {
		page[i].Customer = byID[page[i].CustomerID]
	}
	return err
}

// search collects hits from each identifier form a query may be; its
// context keeps every lookup within the caller's scope.
type search struct {
	c    *ent.Client
	want int // hits per lookup worth reading: enough to fill the page; 0 for all
	hits []Hit
	err  error
}

// limit reads only the hits worth reading.
func limit[Q interface{ Limit(int) Q }](s *search, q Q) Q {
	if s.want > 0 {
		return q.Limit(s.want)
	}
	return q
}

func (s *search) run(ctx context.Context, q string) {
	if p, ok := ids.Prefix(q); ok {
		s.byID(ctx, p, q)
		return // an ID is nothing else
	}
	if strings.HasPrefix(strings.ToLower(q), "sip:") {
		if sip, err := validate.SIP(q); err == nil {
			s.devices(ctx, OnSIP, true, device.SipAddress(sip))
		}
		return
	}
	if strings.Contains(q, "@") {
		if email, err := validate.Email(q); err == nil {
			s.contacts(ctx, OnEmail, true, contact.Email(email))
		}
		// user@host is how agents read a SIP address off a screen.
		if sip, err := validate.SIP("sip:" + q); err == nil {
			s.devices(ctx, OnSIP, true, device.SipAddress(sip))
		}
		return
	}
	// A query that reads as a MAC, a phone number or a domain is that
	// identifier, looked up through its index; only other text is a name.
	identifier := false
	if mac, err := validate.MAC(q); err == nil {
		identifier = true
		s.devices(ctx, OnMAC, true, device.MACAddress(mac))
	} else if prefix, separated, ok := macPrefix(q); ok {
		// Bare hex digits ("cafe12") may be a name as well.
		identifier = separated
		s.devices(ctx, OnMAC, false, device.MACAddressHasPrefix(prefix))
	}
	if phone, err := validate.Phone(q); err == nil {
		identifier = true
		s.phone(ctx, phone)
	} else if national.MatchString(q) {
		identifier = true
		s.nationalNumber(ctx, q)
	}
	if d, err := validate.Domain(q); err == nil {
		identifier = true
		s.domain(ctx, d)
	}
	if !identifier {
		s.byName(ctx, q)
	}
	if MayBeDomain(q) {
		s.domainFragment(ctx, q)
	}
}

// domain finds the organisations with d among their domains or sites: the
// index finds those with a domain that starts so, the list says which
// have it whole.
func (s *search) domain(ctx context.Context, d string) {
	if match, err := casesearch.Match(d); err == nil {
		s.organizations(ctx, OnDomain, true, indexed("domains", match), inJSONList(organization.FieldDomains, d))
		s.organizations(ctx, OnSite, true, indexed("sites", match), inJSONList(organization.FieldSites, d))
	}
}

// phone finds an E.164 number wherever one is kept; in, when given, keeps
// to the customers it matches.
func (s *search) phone(ctx context.Context, number string, in ...predicate.Organization) {
	n, d, c := []predicate.PhoneNumber{phonenumber.Number(number)}, []predicate.Device{device.PhoneNumber(number)}, []predicate.Contact{contact.Phone(number)}
	if len(in) > 0 {
		n, d, c = append(n, phonenumber.HasOrganizationWith(in...)), append(d, device.HasOrganizationWith(in...)), append(c, contact.HasOrganizationWith(in...))
	}
	s.numbers(ctx, OnPhone, n...)
	s.devices(ctx, OnPhone, true, d...)
	s.contacts(ctx, OnPhone, true, c...)
}

// national is a number typed without + and a country code: digits and
// the separators people type, at least six digits' worth.
var national = regexp.MustCompile(`^[0-9(][0-9 ().-]{4,}[0-9]$`)

// nationalNumber reads q as a national number of each default region of
// the customers in scope, and looks it up among the customers of that
// region: "(212) 456-7890" is +12124567890 for a customer in the US.
func (s *search) nationalNumber(ctx context.Context, q string) {
	if s.err != nil {
		return
	}
	regions, err := s.c.Organization.Query().
		Where(organization.DefaultRegionNotNil()).
		Unique(true).
		Select(organization.FieldDefaultRegion).
		Strings(ctx)
	if err != nil {
		s.err = err
		return
	}
	for _, region := range regions {
		if n, err := phonenumbers.Parse(q, region); err == nil && phonenumbers.IsValidNumberForRegion(n, region) {
			s.phone(ctx, phonenumbers.Format(n, phonenumbers.E164), organization.DefaultRegion(region))
		}
	}
}

// macPrefix reads the first three to five octets of a MAC address, with
// any separators or none, as its stored form ("00-1a-2b" is "00:1A:2B"),
// and reports whether separators were typed.
func macPrefix(q string) (prefix string, separated, ok bool) {
	hex := strings.Map(func(r rune) rune {
		if strings.ContainsRune(":-. ", r) {
			separated = true
			return -1
		}
		return unicode.ToUpper(r)
	}, q)
	if len(hex)%2 != 0 || len(hex) < 6 || len(hex) > 10 || strings.Trim(hex, "0123456789ABCDEF") != "" {
		return "", false, false
	}
	octets := make([]string, len(hex)/2)
	for i := range octets {
		octets[i] = hex[2*i : 2*i+2]
	}
	return strings.Join(octets, ":"), separated, true
}

// domainish is one word of the characters domains are made of.
var domainish = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]*$`)

// MayBeDomain reports whether a query may be the start of a domain or a
// site, which search then looks for as well.
func MayBeDomain(q string) bool { return domainish.MatchString(q) }

// domainFragment finds organisations by the start of their domains and
// sites ("acme", "acme.web"), through the directory index.
func (s *search) domainFragment(ctx context.Context, q string) {
	match, err := casesearch.Match(q)
	if err != nil {
		return // nothing in it to look for
	}
	s.organizations(ctx, OnDomain, false, indexed("domains", match))
	s.organizations(ctx, OnSite, false, indexed("sites", match))
}

func (s *search) byID(ctx context.Context, prefix, id string) {
	switch prefix {
	case ids.Organization:
		s.organizations(ctx, OnID, true, organization.ID(id))
	case ids.Contact:
		s.contacts(ctx, OnID, true, contact.ID(id))
	case ids.Device:
		s.devices(ctx, OnID, true, device.ID(id))
	case ids.PhoneNumber:
		s.numbers(ctx, OnID, phonenumber.ID(id))
	}
}

// byName matches the start of any word of a name, through the directory
// index; whole-name matches are exact.
func (s *search) byName(ctx context.Context, q string) {
	match, err := casesearch.Match(q)
	if err != nil {
		return // nothing in it to look for
	}
	s.organizations(ctx, OnName, false, indexed("name", match))
	s.contacts(ctx, OnName, false, indexed("name", match))
	for i := range s.hits {
		if s.hits[i].MatchedOn == OnName && strings.EqualFold(s.hits[i].name, q) {
			s.hits[i].Exact = true
		}
	}
}

func inJSONList(field, value string) predicate.Organization {
	return func(sel *sql.Selector) {
		sel.Where(sqljson.ValueContains(sel.C(field), value))
	}
}

// gather keeps the hits of one lookup.
func gather[T any](s *search, rows []T, err error, hit func(T) Hit) {
	if err != nil {
		s.err = err
		return
	}
	for _, r := range rows {
		s.hits = append(s.hits, hit(r))
	}
}

func (s *search) organizations(ctx context.Context, on MatchedOn, exact bool, p ...predicate.Organization) {
	if s.err == nil {
		rows, err := limit(s, s.c.Organization.Query().Where(p...)).All(ctx)
		gather(s, rows, err, func(o *ent.Organization) Hit {
			return Hit{Node: o, CustomerID: o.ID, Exact: exact, MatchedOn: on, name: o.Name, id: o.ID}
		})
	}
}

func (s *search) contacts(ctx context.Context, on MatchedOn, exact bool, p ...predicate.Contact) {
	if s.err == nil {
		rows, err := limit(s, s.c.Contact.Query().Where(p...)).All(ctx)
		gather(s, rows, err, func(c *ent.Contact) Hit {
			return Hit{Node: c, CustomerID: c.OrganizationID, Exact: exact, MatchedOn: on, name: c.Name, id: c.ID}
		})
	}
}

// devices never returns third-party devices: the help desk supports only
// the vendor's own.
func (s *search) devices(ctx context.Context, on MatchedOn, exact bool, p ...predicate.Device) {
	if s.err == nil {
		rows, err := limit(s, s.c.Device.Query().Where(append(p, device.ThirdParty(false))...)).All(ctx)
		gather(s, rows, err, func(d *ent.Device) Hit {
			return Hit{Node: d, CustomerID: d.OrganizationID, Exact: exact, MatchedOn: on, name: d.Model, id: d.ID}
		})
	}
}

func (s *search) numbers(ctx context.Context, on MatchedOn, p ...predicate.PhoneNumber) {
	if s.err == nil {
		rows, err := limit(s, s.c.PhoneNumber.Query().Where(p...)).All(ctx)
		gather(s, rows, err, func(n *ent.PhoneNumber) Hit {
			return Hit{Node: n, CustomerID: n.OrganizationID, Exact: true, MatchedOn: on, name: n.Number, id: n.ID}
		})
	}
}

// dedupe keeps each object once, at its best place.
func (s *search) dedupe() []Hit {
	seen := map[string]bool{}
	out := s.hits[:0]
	for _, h := range s.hits {
		if !seen[h.id] {
			seen[h.id] = true
			out = append(out, h)
		}
	}
	return out
}

// MarshalGQL writes the match as a GraphQL enum value.
func (m MatchedOn) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(m))) }

// UnmarshalGQL reads a GraphQL enum value.
func (m *MatchedOn) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("%v is not a help-desk match", v)
	}
	*m = MatchedOn(s)
	return nil
}
