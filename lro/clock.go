package lro

import (
	"context"
	"time"
)

// ScaledClock is a Clock whose time runs Factor times faster than the wall
// clock from the moment it was made: a Sleep of an hour at Factor 3600 takes
// a second. Give the same ScaledClock to a client (its WithClock option) and
// to a fake (SetClock(clk.Now)), and hours of copying and polling run in
// seconds, with every sleep, deadline and operation end on one time line. It
// is safe for concurrent use.
type ScaledClock struct {
	// Factor is how many seconds pass on this clock per wall-clock second.
	Factor float64
	start  time.Time // on this clock, at realStart
	// realStart holds the monotonic reading the scale is measured from.
	realStart time.Time
}

// NewScaledClock returns a clock that reads start now and runs factor times
// faster than the wall clock (factor <= 0 counts as 1).
func NewScaledClock(start time.Time, factor float64) *ScaledClock {
	if !(factor > 0) {
		factor = 1
	}
	return &ScaledClock{Factor: factor, start: start, realStart: time.Now()}
}

// Now returns the scaled time.
func (c *ScaledClock) Now() time.Time {
	return c.start.Add(time.Duration(float64(time.Since(c.realStart)) * c.Factor))
}

// Sleep waits d of scaled time (d/Factor of wall time) or until ctx ends,
// and returns ctx.Err() in the second case.
func (c *ScaledClock) Sleep(ctx context.Context, d time.Duration) error {
	real := time.Duration(float64(d) / c.Factor)
	if real <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(real)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
