// Package lease holds what the workers of the server's queues share (the
// mail outbox, webhook deliveries): each row is taken by a conditional
// UPDATE that only one worker wins, and the claim lasts a lease, so that
// any number of workers in any number of instances may run at once.
package lease

import (
	"context"
	"time"
)

// Each claims the rows read as due at now, one by one, and runs attempt on
// each claim won; a row another worker claimed since it was read is
// skipped. It returns how many it claimed, and stops at the first error
// (a database failure: an attempt's own failure is the row's outcome).
func Each[R any](ctx context.Context, rows []R, now time.Time,
	claim func(context.Context, R, time.Time) (bool, error), attempt func(context.Context, R) error) (int, error) {
	claimed := 0
	for _, row := range rows {
		ok, err := claim(ctx, row, now)
		if err != nil {
			return claimed, err
		}
		if !ok {
			continue
		}
		claimed++
		if err := attempt(ctx, row); err != nil {
			return claimed, err
		}
	}
	return claimed, nil
}
