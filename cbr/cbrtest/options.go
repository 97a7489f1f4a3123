package cbrtest

import (
	"time"

	"github.com/backupcopy/backupcopy/internal/fakesrv"
)

// Option configures a Server made by NewServer.
type Option func(*Server)

// WithOperationDuration sets how long each operation runs (default
// DefaultDuration; 0 finishes it by the next request). SetOperationDuration
// changes it later.
func WithOperationDuration(d time.Duration) Option {
	return func(s *Server) { s.duration = max(d, 0) }
}

// WithOperationDurations makes each operation started from now on run for a
// duration drawn uniformly from [min, max] with a generator seeded by seed,
// so a test or benchmark sees copies of many lengths (for example 10 minutes
// to 2 hours on a shared fake clock, see lro.NewScaledClock) that are the
// same on every run. An operation's duration is fixed when it starts.
// SetOperationDuration goes back to one duration for all.
func WithOperationDurations(min, max time.Duration, seed uint64) Option {
	return func(s *Server) { s.spread = fakesrv.NewDurations(min, max, seed) }
}

// WithoutAuthentication makes the fake accept requests without checking their AK/SK signature or token.
func WithoutAuthentication() Option { return func(s *Server) { s.noAuth = true } }

// WithoutListener starts no listener: the fake is served only through
// Handler (URL returns "" and Close does nothing).
func WithoutListener() Option { return func(s *Server) { s.noListener = true } }
