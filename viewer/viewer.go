// Package viewer carries the caller's session (access.Session) through a
// request's context, so that every layer decides with the same one.
package viewer

import (
	"context"
	"sync/atomic"

	"github.com/partnerdesk/partnerdesk/access"
)

type ctxKey struct{}

// holder lets a long-lived operation (a subscription) move its caller's
// session to the instant of each event, for every context derived from
// the operation's.
type holder struct {
	s atomic.Pointer[access.Session]
}

// NewContext returns ctx carrying s.
func NewContext(ctx context.Context, s *access.Session) context.Context {
	h := &holder{}
	h.s.Store(s)
	return context.WithValue(ctx, ctxKey{}, h)
}

// ForContext returns the session of ctx, or nil when the request is not
// signed in.
func ForContext(ctx context.Context) *access.Session {
	if h, ok := ctx.Value(ctxKey{}).(*holder); ok {
		return h.s.Load()
	}
	return nil
}

// Replace makes s the session of ctx and of every context derived from it.
// A subscription calls it before delivering each event, so that the fields
// of that event are decided as of the event; a field of an earlier event
// that is still being written may then see the newer decisions, which are
// never staler than the ones it had.
func Replace(ctx context.Context, s *access.Session) {
	if h, ok := ctx.Value(ctxKey{}).(*holder); ok {
		h.s.Store(s)
	}
}
