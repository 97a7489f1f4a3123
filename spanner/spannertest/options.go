package spannertest

import "time"

// Option configures a Server made by NewServer.
type Option func(*Server)

// WithOperationDuration sets how long each operation runs (default
// DefaultDuration; 0 finishes it by the next request). SetOperationDuration
// changes it later.
func WithOperationDuration(d time.Duration) Option {
	return func(s *Server) { s.duration = max(d, 0) }
}

// WithoutAuthentication makes the fake accept requests with no Authorization header (as an emulator does).
func WithoutAuthentication() Option { return func(s *Server) { s.noAuth = true } }

// WithoutListener starts no listener: the fake is served only through
// Handler (URL returns "" and Close does nothing).
func WithoutListener() Option { return func(s *Server) { s.noListener = true } }
