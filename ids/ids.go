// Package ids mints the opaque identifiers every object in the graph carries.
//
// An ID is a short type prefix, an underscore and a ULID ("cas_01JD…"). The
// prefix lets node(id:) find the right table without a scan; the ULID's 80
// random bits make IDs unguessable and non-sequential, while its time part
// keeps new rows appending to the primary-key index instead of scattering.
package ids

import (
	"crypto/rand"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
)

// New returns a fresh ID with the given prefix.
func New(prefix string) string {
	return prefix + "_" + ulid.MustNew(ulid.Timestamp(time.Now()), rand.Reader).String()
}

// Prefix reports the type prefix of id, and false when id has no valid form.
func Prefix(id string) (string, bool) {
	prefix, rest, ok := strings.Cut(id, "_")
	if !ok || prefix == "" {
		return "", false
	}
	if _, err := ulid.ParseStrict(rest); err != nil {
		return "", false
	}
	return prefix, true
}

// The type prefixes. Each ent schema takes its prefix from here, and
// node(id:) maps it back to the table.
const (
	Organization = "org"
	Contact      = "con"
	Grant        = "gra"
	Case         = "cas"
	CaseComment  = "cmt"
	CaseEvent    = "evt"
	Device       = "dev"
	PhoneNumber  = "pho"
	AuditEntry   = "aud"
	AccessToken  = "tok"
)

// Attachment is the prefix of case attachments.
const Attachment = "att"

// Prefixes of the help desk's records.
const (
	VerificationCode = "vfc"
	OutboxMessage    = "out"
)

// CaseSubscription is the prefix of contacts' subscriptions to a
// customer's cases.
const CaseSubscription = "sub"

// GrantEvent is the prefix of the entries of grants' history.
const GrantEvent = "gev"

// Prefixes of webhooks and their delivery log.
const (
	Webhook         = "whk"
	WebhookDelivery = "whd"
	WebhookAttempt  = "wha"
)

// Prefixes of bulk jobs and of their per-item results.
const (
	BulkJob       = "blk"
	BulkJobResult = "bjr"
)

// ElevationRule is the prefix of customers' rules that approve elevation
// requests at once.
const ElevationRule = "elr"
