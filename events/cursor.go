package events

import (
	"encoding/base64"
	"fmt"
	"time"

	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/caseevent"
	"github.com/partnerdesk/partnerdesk/ent/grantevent"
)

// DefaultRetention is how long a client may stay away and still resume
// from its cursor.
const DefaultRetention = 30 * 24 * time.Hour

// cursorPrefix versions the cursor's form.
const cursorPrefix = "ev1:"

// Cursor is an event's place in the history as a client holds it: opaque,
// the same for a stream's events and a feed's edges. It carries when the
// event happened, so that its age is told without a read.
func Cursor(seq int64, at time.Time) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%s%d:%d", cursorPrefix, seq, at.UnixMilli()))
}

// From is where a read of the history starts: after the event of seq Seq,
// and, without a cursor, at the retention window's start.
type From struct {
	Seq   int64
	Since time.Time
}

// Start parses after, the cursor of the last event a client saw, into
// where its read resumes; without one, the read starts with the oldest
// event kept for resuming. A cursor older than retention is refused
// (CURSOR_EXPIRED), a malformed one is bad input.
func Start(after *string, now time.Time, retention time.Duration) (From, error) {
	oldest := now.Add(-retention)
	if after == nil {
		return From{Since: oldest}, nil
	}
	bad := apperr.Invalid("after", "not an event cursor: pass back an event's cursor, or an edge's, unchanged")
	raw, err := base64.RawURLEncoding.DecodeString(*after)
	if err != nil {
		return From{}, bad
	}
	var seq, ms int64
	if n, err := fmt.Sscanf(string(raw), cursorPrefix+"%d:%d", &seq, &ms); err != nil || n != 2 || seq < 0 || Cursor(seq, time.UnixMilli(ms)) != *after {
		return From{}, bad
	}
	if time.UnixMilli(ms).Before(oldest) {
		return From{}, &apperr.Error{Code: apperr.CursorExpired, Field: "after",
			Message: fmt.Sprintf("the cursor is older than the %v for which events are kept for resuming: read the history afresh, without after", retention)}
	}
	return From{Seq: seq}, nil
}

// CaseFilter narrows the case history to one customer's cases, or one
// case; the zero value is every case.
type CaseFilter struct{ CustomerID, CaseID string }

// CaseEvents queries the case events from f that match filter, in the
// history's order. Run as the caller, the read policy, in SQL, decides
// which it sees now.
func CaseEvents(c *ent.Client, filter CaseFilter, f From) *ent.CaseEventQuery {
	q := c.CaseEvent.Query().Where(caseevent.SeqGT(f.Seq))
	if !f.Since.IsZero() {
		q.Where(caseevent.CreatedAtGTE(f.Since))
	}
	if filter.CustomerID != "" {
		q.Where(caseevent.CustomerID(filter.CustomerID))
	}
	if filter.CaseID != "" {
		q.Where(caseevent.CaseID(filter.CaseID))
	}
	return q.Order(caseevent.BySeq())
}

// GrantEvents queries the grant events from f, in the history's order.
func GrantEvents(c *ent.Client, f From) *ent.GrantEventQuery {
	q := c.GrantEvent.Query().Where(grantevent.SeqGT(f.Seq))
	if !f.Since.IsZero() {
		q.Where(grantevent.CreatedAtGTE(f.Since))
	}
	return q.Order(grantevent.BySeq())
}
