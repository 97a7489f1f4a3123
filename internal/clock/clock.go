// Package clock lets the call path and the poller read time and sleep through
// an interface, so tests can run hours of backoff in microseconds.
package clock

import (
	"context"
	"sync"
	"time"
)

// Clock reads the time and sleeps.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx ends, whichever is first, and returns
	// ctx.Err() in the second case. It starts no goroutine that outlives it.
	Sleep(ctx context.Context, d time.Duration) error
}

// Real is the wall clock.
var Real Clock = realClock{}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	select {
	case <-ctx.Done():
		t.Stop()
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// IsReal reports whether clk is the wall clock (Real), on which a caller
// may use the time package's timers instead of Sleep.
func IsReal(clk Clock) bool {
	_, ok := clk.(realClock)
	return ok
}

// Fake is a Clock for tests: Sleep advances the fake time at once and records
// each requested duration.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
	// OnSleep, if set, runs after each Sleep advanced the time (outside the lock).
	OnSleep func(d time.Duration)
}

// NewFake returns a Fake clock reading start.
func NewFake(start time.Time) *Fake { return &Fake{now: start} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Advance moves the fake time forward by d.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// Sleep records d, advances the time by d and returns ctx.Err() if ctx has ended.
func (f *Fake) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	f.sleeps = append(f.sleeps, d)
	if d > 0 {
		f.now = f.now.Add(d)
	}
	hook := f.OnSleep
	f.mu.Unlock()
	if hook != nil {
		hook(d)
	}
	return ctx.Err()
}

// Sleeps returns a copy of the durations passed to Sleep so far.
func (f *Fake) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

type signingTimeKey struct{}

// WithSigningTime returns a context that tells signers to date a request t
// instead of now (the call path's clock-skew correction).
func WithSigningTime(ctx context.Context, t time.Time) context.Context {
	return context.WithValue(ctx, signingTimeKey{}, t)
}

// SigningTime returns the time set by WithSigningTime, else time.Now().
func SigningTime(ctx context.Context) time.Time {
	if t, ok := ctx.Value(signingTimeKey{}).(time.Time); ok && !t.IsZero() {
		return t
	}
	return time.Now()
}
