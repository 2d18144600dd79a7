// Package validate normalises and checks the identifiers people type into a
// partner portal: emails, phone numbers, MAC and SIP addresses, time zones,
// locales and domain names. Each Normalize function returns the stored form
// or an error whose message can be shown to the person who typed the value.
package validate

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
	_ "time/tzdata" // time zones must validate on machines without a zoneinfo database

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/language"
)

// Email lower-cases and trims an address and checks that it is a bare
// addr-spec ("ana@example.com", not "Ana <ana@example.com>").
func Email(typed string) (string, error) {
	s := strings.ToLower(strings.TrimSpace(typed))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", fmt.Errorf("%q is not an email address", typed)
	}
	_, domain, _ := strings.Cut(s, "@")
	if !strings.Contains(domain, ".") {
		return "", fmt.Errorf("%q is not an email address: the domain has no dot", typed)
	}
	if _, err := Domain(domain); err != nil {
		return "", fmt.Errorf("%q is not an email address: %v", typed, err)
	}
	return s, nil
}

// EmailDomain returns the part of a normalised email after the @.
func EmailDomain(email string) string {
	_, domain, _ := strings.Cut(email, "@")
	return domain
}

// phoneChars is what a typed number may hold besides digits. Letters are
// refused rather than read as keypad digits (+1-800-FLOWERS), and so are
// extensions: either would store a number other than the one typed.
var phoneTyped = regexp.MustCompile(`^\+[0-9 ().\-]+$`)

// Phone parses a number as a person types it ("+1 (212) 456-7890") and
// returns its E.164 form ("+12124567890"). Numbers without a leading + and
// country code are refused: we serve customers in many countries and will not
// guess which one a local number belongs to.
func Phone(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "+") {
		return "", fmt.Errorf("phone number %q must start with + and the country code, e.g. +12124567890", s)
	}
	if !phoneTyped.MatchString(s) {
		return "", fmt.Errorf("phone number %q may hold only digits, spaces, dashes, dots and brackets after the +", s)
	}
	n, err := phonenumbers.Parse(s, "")
	if err != nil {
		return "", fmt.Errorf("phone number %q cannot be read: %v", s, err)
	}
	if !phonenumbers.IsValidNumber(n) {
		return "", fmt.Errorf("phone number %q is not a valid number", s)
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// macForms are the ways MAC addresses are written: six pairs with colons
// or dashes, three quads with dots (Cisco), or twelve bare digits.
var macForms = regexp.MustCompile(`^(?i)([0-9a-f]{2}(:[0-9a-f]{2}){5}|[0-9a-f]{2}(-[0-9a-f]{2}){5}|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}|[0-9a-f]{12})$`)

// MAC accepts a MAC address with colons, dashes, dots or no separators, in
// any case, and returns it as AA:BB:CC:DD:EE:FF.
func MAC(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !macForms.MatchString(s) {
		return "", fmt.Errorf("%q is not a MAC address: it needs 12 hexadecimal digits, as AA:BB:CC:DD:EE:FF, AA-BB-CC-DD-EE-FF, AABB.CCDD.EEFF or AABBCCDDEEFF", s)
	}
	hex := strings.ToUpper(strings.NewReplacer(":", "", "-", "", ".", "").Replace(s))
	parts := make([]string, 6)
	for i := range parts {
		parts[i] = hex[2*i : 2*i+2]
	}
	return strings.Join(parts, ":"), nil
}

var sipUser = regexp.MustCompile(`^[A-Za-z0-9._~+\-!$&'()*,;=%]+$`)

// SIP checks a SIP address of the form sip:user@domain and lower-cases its
// scheme and domain (SIP users are case-sensitive, hosts are not).
func SIP(s string) (string, error) {
	s = strings.TrimSpace(s)
	rest, ok := strings.CutPrefix(strings.ToLower(s[:min(4, len(s))]), "sip:")
	if !ok || rest != "" {
		return "", fmt.Errorf("%q is not a SIP address: it must look like sip:user@example.com", s)
	}
	user, host, ok := strings.Cut(s[4:], "@")
	if !ok || !sipUser.MatchString(user) {
		return "", fmt.Errorf("%q is not a SIP address: it must look like sip:user@example.com", s)
	}
	host, err := Domain(host)
	if err != nil {
		return "", fmt.Errorf("%q is not a SIP address: %v", s, err)
	}
	return "sip:" + user + "@" + host, nil
}

var domainLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// Domain lower-cases a DNS name and checks its labels.
func Domain(s string) (string, error) {
	s = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	labels := strings.Split(s, ".")
	if len(s) > 253 || len(labels) < 2 {
		return "", fmt.Errorf("%q is not a domain name", s)
	}
	for _, l := range labels {
		if !domainLabel.MatchString(l) {
			return "", fmt.Errorf("%q is not a domain name", s)
		}
	}
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		return "", fmt.Errorf("%q is an address, not a domain name", s)
	}
	return s, nil
}

// TimeZone checks an IANA time zone name such as "Europe/Warsaw".
func TimeZone(s string) error {
	if s == "" || s == "Local" {
		return errors.New("time zone must be an IANA name such as Europe/Warsaw")
	}
	if _, err := time.LoadLocation(s); err != nil {
		return fmt.Errorf("%q is not an IANA time zone such as Europe/Warsaw", s)
	}
	return nil
}

// Locale returns the canonical BCP 47 form of a language tag ("pl-PL").
func Locale(s string) (string, error) {
	tag, err := language.Parse(strings.TrimSpace(s))
	if base, conf := tag.Base(); err != nil || conf == language.No || base.String() == "und" {
		return "", fmt.Errorf("%q is not a BCP 47 language tag such as en-US", s)
	}
	return tag.String(), nil
}

// Region returns an ISO 3166 alpha-2 region code ("pl" → "PL") that the
// phone-number library can read national numbers of.
func Region(s string) (string, error) {
	r := strings.ToUpper(strings.TrimSpace(s))
	if _, ok := phonenumbers.GetSupportedRegions()[r]; !ok {
		return "", fmt.Errorf("%q is not an ISO 3166 alpha-2 region code such as US or PL", s)
	}
	return r, nil
}

// Check turns a normaliser into an ent validator that accepts only values
// already in normal form, so that a hook that forgot to normalise cannot
// store a second spelling of the same identifier.
func Check(normalize func(string) (string, error)) func(string) error {
	return func(s string) error {
		n, err := normalize(s)
		if err != nil {
			return err
		}
		if n != s {
			return fmt.Errorf("%q is not in normal form (%q)", s, n)
		}
		return nil
	}
}

var featureName = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,63}$`)

// Feature checks the name of a feature toggle ("beta.dashboard").
func Feature(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if !featureName.MatchString(s) {
		return "", fmt.Errorf("%q is not a feature name: use lower-case letters, digits, dots, dashes or underscores", s)
	}
	return s, nil
}
