// Package viewer carries the caller of a request through its context, with
// the access decisions already made for it, so that each customer's level is
// worked out once per request however many fields and rows ask.
package viewer

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
)

// Viewer is the caller of one request.
type Viewer struct {
	access.Caller
	// Now is the instant the request's access decisions are made at, so that
	// every check in one request agrees even across a grant's expiry.
	Now time.Time

	// loadPartnership reads the caller's partner's grants; it is called
	// for partner callers only.
	loadPartnership func(context.Context) (access.Partnership, error)

	once        sync.Once
	partnership access.Partnership
	reach       access.Reach
	err         error

	mu        sync.Mutex // guards decisions and memo
	decisions map[string]access.Decision
	memo      map[string]any
}

// New returns the viewer of a request made by c at now. loadPartnership is
// called at most once, the first time a decision needs the caller's grants.
func New(c access.Caller, now time.Time, loadPartnership func(context.Context) (access.Partnership, error)) *Viewer {
	return &Viewer{Caller: c, Now: now, loadPartnership: loadPartnership}
}

// At returns a viewer of the same caller deciding at now, which shares the
// grants this one loaded: a subscription checks access at every event
// without reading the grants again.
func (v *Viewer) At(now time.Time) *Viewer {
	return &Viewer{Caller: v.Caller, Now: now, loadPartnership: v.Partnership}
}

// Reloaded returns a viewer of the same caller deciding at now that reads
// the grants afresh, for when they changed.
func (v *Viewer) Reloaded(now time.Time) *Viewer {
	return New(v.Caller, now, v.loadPartnership)
}

// LevelOn returns the caller's effective level on organisation orgID.
func (v *Viewer) LevelOn(ctx context.Context, orgID string) (access.Decision, error) {
	v.mu.Lock()
	d, ok := v.decisions[orgID]
	v.mu.Unlock()
	if ok {
		return d, nil
	}
	p, err := v.Partnership(ctx)
	if err != nil {
		return access.Decision{}, err
	}
	d = access.Effective(v.Caller, orgID, p.Grants, v.Now)
	v.mu.Lock()
	if v.decisions == nil {
		v.decisions = map[string]access.Decision{}
	}
	v.decisions[orgID] = d
	v.mu.Unlock()
	return d, nil
}

// Partnership returns the caller's partner's grants, loading them on first
// use; it is empty for callers who are not partner contacts.
func (v *Viewer) Partnership(ctx context.Context) (access.Partnership, error) {
	v.load(ctx)
	return v.partnership, v.err
}

// Reach returns the caller's level on each customer its grants reach now.
func (v *Viewer) Reach(ctx context.Context) (access.Reach, error) {
	v.load(ctx)
	return v.reach, v.err
}

func (v *Viewer) load(ctx context.Context) {
	v.once.Do(func() {
		if v.loadPartnership != nil && v.Active && v.OrgKind == access.Partner {
			v.partnership, v.err = v.loadPartnership(ctx)
		}
		v.reach = access.PartnerReach(v.Caller, v.partnership.Grants, v.Now)
	})
}

// Memo returns the value load gives for key, calling load at most once per
// request (while it holds no lock, so load may use the viewer). It is for
// facts many fields ask about, such as customers' support plans, so that
// they cost one query per request instead of one per row.
func (v *Viewer) Memo(key string, load func() (any, error)) (any, error) {
	v.mu.Lock()
	val, ok := v.memo[key]
	v.mu.Unlock()
	if ok {
		return val, nil
	}
	val, err := load()
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.memo == nil {
		v.memo = map[string]any{}
	}
	v.memo[key] = val
	return val, nil
}

type ctxKey struct{}

// holder lets a long-lived operation (a subscription) move its caller's
// decisions to the instant of each event, for every context derived from
// the operation's.
type holder struct{ v atomic.Pointer[Viewer] }

// NewContext returns ctx carrying v.
func NewContext(ctx context.Context, v *Viewer) context.Context {
	h := &holder{}
	h.v.Store(v)
	return context.WithValue(ctx, ctxKey{}, h)
}

// ForContext returns the viewer of ctx, or nil when the request is not
// signed in.
func ForContext(ctx context.Context) *Viewer {
	if h, ok := ctx.Value(ctxKey{}).(*holder); ok {
		return h.v.Load()
	}
	return nil
}

// Replace makes v the viewer of ctx and of every context derived from it.
// A subscription calls it before delivering each event, so that the fields
// of that event are decided as of the event; a field of an earlier event
// that is still being written may then see the newer decisions, which are
// never staler than the ones it had.
func Replace(ctx context.Context, v *Viewer) {
	if h, ok := ctx.Value(ctxKey{}).(*holder); ok {
		h.v.Store(v)
	}
}

type systemKey struct{}

// SystemContext marks ctx as the server's own work (start-up, operator
// commands, the demo loader, authentication itself), which row filters let
// through unfiltered. Never derive it from a request's context.
func SystemContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, systemKey{}, true)
}

// IsSystem reports whether ctx was marked by SystemContext.
func IsSystem(ctx context.Context) bool {
	b, _ := ctx.Value(systemKey{}).(bool)
	return b
}
