// Package events carries what happened (case events, grant changes) from
// the transaction that caused it to the subscriptions that want it.
package events

import (
	"fmt"
	"io"
	"strconv"
	"time"
)

// GrantKind says what happened to a grant.
type GrantKind string

// The grant event kinds.
const (
	GrantRequested  GrantKind = "REQUESTED"
	GrantApproved   GrantKind = "APPROVED"
	GrantRejected   GrantKind = "REJECTED"
	GrantRevoked    GrantKind = "REVOKED"
	GrantSuperseded GrantKind = "SUPERSEDED"
	GrantExpired    GrantKind = "EXPIRED"
	GrantExpiring   GrantKind = "EXPIRING"
)

// Message is what the broker carries: identifiers only, small enough for a
// PostgreSQL NOTIFY payload. Each subscriber reloads the row it names as its
// own caller, so that access is decided at delivery.
type Message struct {
	// CaseEventID is set for a case event, with its case and whether it is
	// INTERNAL (vendor only). What else its access check needs (when the
	// case was created, who collaborates on it) is read, once, by the
	// fan-out that needs it (Case): the writer's commit reads nothing more.
	CaseEventID string `json:"caseEventID,omitempty"`
	CaseID      string `json:"caseID,omitempty"`
	Internal    bool   `json:"internal,omitempty"`
	// GrantID and GrantKind are set for a grant event.
	GrantID   string    `json:"grantID,omitempty"`
	GrantKind GrantKind `json:"grantKind,omitempty"`
	DaysLeft  int       `json:"daysLeft,omitempty"`
	// BulkJobID is set when a bulk job moved on or ended; its followers
	// read the job again.
	BulkJobID string `json:"bulkJobID,omitempty"`
	// SignedOut names a contact whose sign-in may have ended (its status
	// changed, or one of its tokens was revoked): its open streams check
	// their session again at once.
	SignedOut string `json:"signedOut,omitempty"`
	// CustomerID and PartnerID say whom it concerns, for cheap filtering
	// before any row is read.
	CustomerID string    `json:"customerID,omitempty"`
	PartnerID  string    `json:"partnerID,omitempty"`
	At         time.Time `json:"at"`

	// Tick marks the message a hub sends every follower each second, which
	// no publisher sends: a stream checks then what time alone ends (an
	// expiry of a grant or of the token, which no event announces).
	Tick bool `json:"-"`
	// Lost marks the message a stream's followers receive in place of
	// those it fell too far behind to deliver.
	Lost bool `json:"-"`

	memo *memo
}

// MarshalGQL writes the kind as a GraphQL enum value.
func (k GrantKind) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(k))) }

// UnmarshalGQL reads a GraphQL enum value.
func (k *GrantKind) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("%v is not a grant event kind", v)
	}
	*k = GrantKind(s)
	return nil
}
