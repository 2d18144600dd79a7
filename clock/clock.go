// Package clock lets the rules that depend on time (grant expiry, SLA
// targets, reopen windows) be tested at exact instants.
package clock

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Clock tells the current time.
type Clock interface {
	Now() time.Time
}

// System is the wall clock, in UTC.
var System Clock = systemClock{}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now().UTC() }

// Manual is a clock that moves only when told to; its zero value is not
// usable, create one with NewManual.
type Manual struct {
	mu  sync.Mutex // guards now
	now time.Time
}

// NewManual returns a clock stopped at t.
func NewManual(t time.Time) *Manual { return &Manual{now: t.UTC()} }

// Now returns the clock's current time.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// Set moves the clock to t.
func (m *Manual) Set(t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = t.UTC()
}

// Advance moves the clock forward by d.
func (m *Manual) Advance(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = m.now.Add(d)
}

// Every runs work at once and then every interval, until ctx ends; a
// failure is logged as what failed, and the next run comes all the same.
// Background workers that poll the database (the mail sender, the bulk
// worker) run with it.
func Every(ctx context.Context, interval time.Duration, what string, work func(context.Context) error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := work(ctx); err != nil && ctx.Err() == nil {
			slog.ErrorContext(ctx, what, "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
