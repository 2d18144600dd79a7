// Package viewer carries the caller of a request through its context, with
// the access decisions already made for it, so that each customer's level is
// worked out once per request however many fields and rows ask.
package viewer

import (
	"context"
	"sync"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
)

// Viewer is the caller of one request.
type Viewer struct {
	access.Caller
	// Now is the instant the request's access decisions are made at, so that
	// every check in one request agrees even across a grant's expiry.
	Now time.Time

	// loadGrants returns the caller's partner's grants; nil for callers who
	// hold none (vendor and customer contacts).
	loadGrants func(context.Context) ([]access.Grant, error)

	once   sync.Once
	grants []access.Grant
	err    error

	mu        sync.Mutex // guards decisions
	decisions map[string]access.Decision
}

// New returns the viewer of a request made by c at now. loadGrants is called
// at most once, the first time a decision needs the caller's grants.
func New(c access.Caller, now time.Time, loadGrants func(context.Context) ([]access.Grant, error)) *Viewer {
	return &Viewer{Caller: c, Now: now, loadGrants: loadGrants}
}

// LevelOn returns the caller's effective level on organisation orgID.
func (v *Viewer) LevelOn(ctx context.Context, orgID string) (access.Decision, error) {
	v.mu.Lock()
	d, ok := v.decisions[orgID]
	v.mu.Unlock()
	if ok {
		return d, nil
	}
	grants, err := v.Grants(ctx)
	if err != nil {
		return access.Decision{}, err
	}
	d = access.Effective(v.Caller, orgID, grants, v.Now)
	v.mu.Lock()
	if v.decisions == nil {
		v.decisions = map[string]access.Decision{}
	}
	v.decisions[orgID] = d
	v.mu.Unlock()
	return d, nil
}

// Grants returns the caller's partner's grants, loading them on first use.
func (v *Viewer) Grants(ctx context.Context) ([]access.Grant, error) {
	v.once.Do(func() {
		if v.loadGrants != nil && v.Active && v.OrgKind == access.Partner {
			v.grants, v.err = v.loadGrants(ctx)
		}
	})
	return v.grants, v.err
}

type ctxKey struct{}

// NewContext returns ctx carrying v.
func NewContext(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, ctxKey{}, v)
}

// ForContext returns the viewer of ctx, or nil when the request is not
// signed in.
func ForContext(ctx context.Context) *Viewer {
	v, _ := ctx.Value(ctxKey{}).(*Viewer)
	return v
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
