package validate_test

import (
	"strings"
	"testing"

	"github.com/partnerdesk/partnerdesk/validate"
)

// normCase is one input to a normaliser: either it is accepted and becomes
// want, or it is refused with an error whose message contains errHas.
type normCase struct {
	name   string
	in     string
	want   string
	errHas string // non-empty: the value must be refused with this in the message
}

func ok(name, in, want string) normCase { return normCase{name: name, in: in, want: want} }

func refused(name, in, errHas string) normCase {
	return normCase{name: name, in: in, errHas: errHas}
}

// runNormalizer checks every case and, for accepted values, that the result
// is already in normal form (normalising it again changes nothing).
func runNormalizer(t *testing.T, normalize func(string) (string, error), cases []normCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := normalize(tc.in)
			if tc.errHas != "" {
				if err == nil {
					t.Fatalf("(%q) = %q, want it refused", tc.in, got)
				}
				if !strings.Contains(err.Error(), tc.errHas) {
					t.Errorf("(%q) error %q, want it to mention %q", tc.in, err, tc.errHas)
				}
				if got != "" {
					t.Errorf("(%q) returned %q alongside an error", tc.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("(%q) refused: %v", tc.in, err)
			}
			if got != tc.want {
				t.Fatalf("(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if err := validate.Check(normalize)(got); err != nil {
				t.Errorf("result %q is not stable under normalisation: %v", got, err)
			}
		})
	}
}

func TestPhone(t *testing.T) {
	const plusCC = "+ and the country code"
	runNormalizer(t, validate.Phone, []normCase{
		ok("US with dashes", "+1-212-456-7890", "+12124567890"),
		ok("US with parentheses and spaces", "+1 (212) 456 7890", "+12124567890"),
		ok("US already E.164", "+12124567890", "+12124567890"),
		ok("surrounding spaces are trimmed", "  +12124567890\t", "+12124567890"),
		ok("Polish landline with spaces", "+48 22 123 45 67", "+48221234567"),
		ok("Japanese landline drops no digits", "+81 3-1234-5678", "+81312345678"),
		ok("Japanese mobile", "+81 90-1234-5678", "+819012345678"),

		refused("US national format without plus", "212 456 7890", plusCC),
		refused("international 00 prefix instead of plus", "0048 22 123 45 67", plusCC),
		refused("tel URI", "tel:+12124567890", plusCC),
		refused("empty", "", plusCC),
		refused("only letters after plus", "+48 abc", "may hold only digits"),
		refused("letter O typed for zero", "+1 212 456 789O", "may hold only digits"),
		refused("too short", "+1 999", "not a valid number"),
		refused("too long", "+1 212 456 78901", "not a valid number"),
		refused("NANP area code 200 does not exist", "+1 200 555 0100", "not a valid number"),
		refused("unknown country code", "+999 1234567", "cannot be read"),
		refused("plus alone", "+", "may hold only digits"),
	})
}

// TestPhoneRefusesLetters asks that a number containing letters be refused
// rather than silently rewritten. The phone library reads keypad letters
// ("vanity numbers") as digits and drops trailing junk, so Phone currently
// stores a different number than the one typed.
func TestPhoneRefusesLetters(t *testing.T) {
	runNormalizer(t, validate.Phone, []normCase{
		refused("keypad letters are not read as digits", "+1 212 ABC 7890", "phone number"),
		refused("vanity number", "+1-800-FLOWERS", "phone number"),
		refused("trailing letter is not dropped", "+1 212 456 7890a", "phone number"),
	})
}

func TestMAC(t *testing.T) {
	const want = "00:1A:2B:3C:4D:5E"
	const msg = "12 hexadecimal digits"
	runNormalizer(t, validate.MAC, []normCase{
		ok("colons upper case", "00:1A:2B:3C:4D:5E", want),
		ok("colons lower case", "00:1a:2b:3c:4d:5e", want),
		ok("dashes", "00-1A-2B-3C-4D-5E", want),
		ok("Cisco dotted", "001a.2b3c.4d5e", want),
		ok("no separators lower case", "001a2b3c4d5e", want),
		ok("no separators mixed case", "001A2b3C4d5E", want),
		ok("surrounding spaces", " 00:1A:2B:3C:4D:5E ", want),

		refused("11 hex digits", "00:1A:2B:3C:4D:5", msg),
		refused("13 hex digits", "00:1A:2B:3C:4D:5E:F", msg),
		refused("twelve digits, separators misplaced", "0:1A:2B:3C:4D:5E:F", msg),
		refused("mixed separators", "00-1a.2B:3c4D5e", msg),
		refused("five groups", "00:1A:2B:3C:4D", msg),
		refused("non-hex digits", "GG:1A:2B:3C:4D:5E", msg),
		refused("non-hex digits without separators", "GG1A2B3C4D5E", msg),
		refused("other separator", "00/1A/2B/3C/4D/5E", msg),
		refused("empty", "", msg),
	})
}

func TestSIP(t *testing.T) {
	const shape = "sip:user@example.com"
	runNormalizer(t, validate.SIP, []normCase{
		ok("domain is lower-cased", "sip:alice@Example.COM", "sip:alice@example.com"),
		ok("scheme is lower-cased", "SIP:bob@x.example", "sip:bob@x.example"),
		ok("user keeps its case", "Sip:Bob@X.Example", "sip:Bob@x.example"),
		ok("user with dot and plus", "sip:first.last+desk@x.example", "sip:first.last+desk@x.example"),
		ok("surrounding spaces", " sip:alice@x.example ", "sip:alice@x.example"),

		refused("missing scheme", "alice@x.example", shape),
		refused("sips scheme", "sips:alice@x.example", shape),
		refused("tel scheme", "tel:+12124567890", shape),
		refused("missing user", "sip:@x.example", shape),
		refused("missing @ and domain", "sip:alice", shape),
		refused("space in user", "sip:a b@x.example", shape),
		refused("scheme only", "sip:", shape),
		refused("shorter than the scheme", "sip", shape),
		refused("empty", "", shape),
		refused("underscore in domain", "sip:alice@bad_domain.example", "not a domain name"),
		refused("single-label domain", "sip:alice@localhost", "not a domain name"),
		refused("port", "sip:alice@x.example:5060", "not a domain name"),
		refused("second @", "sip:alice@x@y.example", "not a domain name"),
	})
}

func TestEmail(t *testing.T) {
	const msg = "not an email address"
	runNormalizer(t, validate.Email, []normCase{
		ok("trimmed and lower-cased", "  Ana@Example.COM ", "ana@example.com"),
		ok("already normal", "ana@x.example", "ana@x.example"),
		ok("plus tag kept", "ana+support@x.example", "ana+support@x.example"),

		refused("display name", "Ana <ana@x.example>", msg),
		refused("angle brackets only", "<ana@x.example>", msg),
		refused("no @", "no-at", msg),
		refused("domain without a dot", "a@localhost", "no dot"),
		refused("two addresses", "a@x.example, b@x.example", msg),
		refused("empty", "", msg),
		refused("blank", "   ", msg),
	})
}

func TestEmailDomain(t *testing.T) {
	for _, tc := range []struct{ email, want string }{
		{"ana@x.example", "x.example"},
		{"ana@eu.x.example", "eu.x.example"},
		{"no-at", ""},
	} {
		if got := validate.EmailDomain(tc.email); got != tc.want {
			t.Errorf("EmailDomain(%q) = %q, want %q", tc.email, got, tc.want)
		}
	}
}

func TestDomain(t *testing.T) {
	const msg = "not a domain name"
	runNormalizer(t, validate.Domain, []normCase{
		ok("lower-cased", "Example.COM", "example.com"),
		ok("trailing root dot dropped", "example.com.", "example.com"),
		ok("hyphen inside a label", "my-company.example", "my-company.example"),
		ok("punycode label", "xn--bcher-kva.example", "xn--bcher-kva.example"),
		ok("63-character label", strings.Repeat("a", 63)+".example", strings.Repeat("a", 63)+".example"),

		refused("single label", "localhost", msg),
		refused("leading hyphen", "-a.example", msg),
		refused("trailing hyphen", "a-.example", msg),
		refused("underscore", "a_b.example", msg),
		refused("empty label", "a..example", msg),
		refused("leading dot", ".example", msg),
		refused("unicode not in punycode", "bücher.example", msg),
		refused("64-character label", strings.Repeat("a", 64)+".example", msg),
		refused("longer than 253", strings.Repeat(strings.Repeat("a", 60)+".", 5)+"example", msg),
		refused("empty", "", msg),
	})
}

func TestTimeZone(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		ok   bool
	}{
		{"IANA name", "Europe/Warsaw", true},
		{"IANA name with underscore", "America/New_York", true},
		{"UTC", "UTC", true},
		{"Local depends on the server and is refused", "Local", false},
		{"empty is refused (LoadLocation would give UTC)", "", false},
		{"unknown zone", "Mars/Base", false},
		{"wrong case", "europe/warsaw", false},
		{"path traversal", "../etc/passwd", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := validate.TimeZone(tc.in)
			switch {
			case tc.ok && err != nil:
				t.Fatalf("TimeZone(%q) refused: %v", tc.in, err)
			case !tc.ok && err == nil:
				t.Fatalf("TimeZone(%q) accepted", tc.in)
			case !tc.ok && !strings.Contains(err.Error(), "Europe/Warsaw"):
				t.Errorf("TimeZone(%q) error %q does not show an example", tc.in, err)
			}
		})
	}
}

func TestLocale(t *testing.T) {
	const msg = "not a BCP 47 language tag"
	runNormalizer(t, validate.Locale, []normCase{
		ok("region upper-cased", "pl-pl", "pl-PL"),
		ok("language lower-cased", "EN-us", "en-US"),
		ok("underscore separator accepted by language.Parse", "en_US", "en-US"),
		ok("script title-cased", "sr_latn_rs", "sr-Latn-RS"),
		ok("language only", "ja", "ja"),
		ok("deprecated code replaced", "iw", "he"),
		ok("surrounding spaces", " de-DE ", "de-DE"),

		refused("garbage", "garbage!!", msg),
		refused("unknown language", "zz", msg),
		refused("subtag too long", "abcdefghi", msg),
		refused("empty", "", msg),
	})
}

func TestRegion(t *testing.T) {
	const msg = "not an ISO 3166 alpha-2 region"
	runNormalizer(t, validate.Region, []normCase{
		ok("upper-cased", "pl", "PL"),
		ok("surrounding spaces", " US ", "US"),

		refused("alpha-3", "USA", msg),
		refused("not a region", "XX", msg),
		refused("non-geographic entity", "001", msg),
		refused("empty", "", msg),
	})
}

func TestFeature(t *testing.T) {
	const msg = "not a feature name"
	runNormalizer(t, validate.Feature, []normCase{
		ok("dotted name", "beta.dashboard", "beta.dashboard"),
		ok("lower-cased and trimmed", " Beta.Dashboard ", "beta.dashboard"),
		ok("digits, dashes and underscores", "help-desk_v2", "help-desk_v2"),
		ok("single letter", "a", "a"),
		ok("64 characters", "a"+strings.Repeat("b", 63), "a"+strings.Repeat("b", 63)),

		refused("starts with a digit", "1beta", msg),
		refused("starts with an underscore", "_beta", msg),
		refused("space inside", "beta dashboard", msg),
		refused("65 characters", "a"+strings.Repeat("b", 64), msg),
		refused("empty", "", msg),
	})
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name      string
		normalize func(string) (string, error)
		in        string
		errHas    []string // nil: accepted
	}{
		{"phone in E.164", validate.Phone, "+12124567890", nil},
		{"phone as typed", validate.Phone, "+1 212 456 7890", []string{"not in normal form", `"+12124567890"`}},
		{"invalid phone keeps the normaliser's message", validate.Phone, "212 456 7890", []string{"+ and the country code"}},
		{"MAC in normal form", validate.MAC, "00:1A:2B:3C:4D:5E", nil},
		{"MAC lower case", validate.MAC, "00:1a:2b:3c:4d:5e", []string{"not in normal form", `"00:1A:2B:3C:4D:5E"`}},
		{"MAC dotted", validate.MAC, "001a.2b3c.4d5e", []string{"not in normal form"}},
		{"email lower case", validate.Email, "ana@x.example", nil},
		{"email with capitals", validate.Email, "Ana@X.example", []string{"not in normal form", `"ana@x.example"`}},
		{"email with a trailing space", validate.Email, "ana@x.example ", []string{"not in normal form"}},
		{"SIP with upper-case scheme", validate.SIP, "SIP:bob@x.example", []string{"not in normal form"}},
		{"SIP normal", validate.SIP, "sip:Bob@x.example", nil},
		{"domain with root dot", validate.Domain, "example.com.", []string{"not in normal form"}},
		{"locale lower-case region", validate.Locale, "pl-pl", []string{"not in normal form", `"pl-PL"`}},
		{"locale canonical", validate.Locale, "pl-PL", nil},
		{"feature upper case", validate.Feature, "Beta", []string{"not in normal form"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := validate.Check(tc.normalize)(tc.in)
			if tc.errHas == nil {
				if err != nil {
					t.Fatalf("Check(%q) refused: %v", tc.in, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Check(%q) accepted a value not in normal form", tc.in)
			}
			for _, s := range tc.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Check(%q) error %q, want it to mention %s", tc.in, err, s)
				}
			}
		})
	}
}
