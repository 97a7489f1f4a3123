package spanner

import "github.com/backupcopy/backupcopy/internal/clock"

// WithClock lets the external tests run the client on a fake clock.
func WithClock(c clock.Clock) Option { return withClock(c) }
