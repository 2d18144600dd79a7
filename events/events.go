// Package events carries what happened (case events, grant changes) from
// the transaction that caused it to the subscriptions that want it.
package events

import (
	"time"

	"github.com/partnerdesk/partnerdesk/ent/grantevent"
)

// GrantKind says what happened to a grant: a GrantEvent's kind.
type GrantKind = grantevent.Kind

// The grant event kinds.
const (
	GrantRequested  = grantevent.KindREQUESTED
	GrantApproved   = grantevent.KindAPPROVED
	GrantRejected   = grantevent.KindREJECTED
	GrantRevoked    = grantevent.KindREVOKED
	GrantSuperseded = grantevent.KindSUPERSEDED
	GrantExpired    = grantevent.KindEXPIRED
	GrantExpiring   = grantevent.KindEXPIRING
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
	// GrantEventID, GrantID and GrantKind are set for a grant event.
	GrantEventID string    `json:"grantEventID,omitempty"`
	GrantID      string    `json:"grantID,omitempty"`
	GrantKind    GrantKind `json:"grantKind,omitempty"`
	DaysLeft     int       `json:"daysLeft,omitempty"`
	// BulkJobID is set when a bulk job moved on or ended; its followers
	// read the job again.
	BulkJobID string `json:"bulkJobID,omitempty"`
	// Seq is an event's place in the order of both histories (seq.go),
	// for a stream that replayed up to some place to skip what it has.
	Seq int64 `json:"seq,omitempty"`
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
