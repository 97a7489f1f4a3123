// Package clientopt holds the settings every service package's client has
// (endpoint, HTTP client, user agent, logger, retry policy) and turns them
// into the call path's configuration, so that the rules live in one place.
// Each package keeps these in its own settings type, behind its own Option.
package clientopt

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/backupcopy/backupcopy/internal/rest"
)

// Settings are the options every client has.
type Settings struct {
	// Endpoint is the WithEndpoint value ("" for the package's default).
	Endpoint string
	// HTTPClient is the WithHTTPClient value (nil for a new client).
	HTTPClient *http.Client
	// UserAgent is the WithUserAgent value.
	UserAgent string
	// Logger is the WithLogger value.
	Logger *slog.Logger
	// Policy bounds the call path's retries (zero: its defaults).
	Policy rest.Policy
}

type overrideKey struct{}

// WithOverride returns a context whose NewClient calls apply f to the
// settings after the caller's options. It is how the module's own tests
// shorten the call path's backoff; being internal, no program outside the
// module can reach it.
func WithOverride(ctx context.Context, f func(*Settings)) context.Context {
	return context.WithValue(ctx, overrideKey{}, f)
}

// Override applies the function that ctx carries (WithOverride), if any.
func (s *Settings) Override(ctx context.Context) {
	if f, ok := ctx.Value(overrideKey{}).(func(*Settings)); ok && f != nil {
		f(s)
	}
}

// RESTConfig returns the call-path configuration common to every client:
// endpoint (the option's, else defaultEndpoint), HTTP client, user agent,
// logger and retry policy. The package adds Auth and its error hooks.
func (s *Settings) RESTConfig(service, defaultEndpoint string) (rest.Config, error) {
	raw := s.Endpoint
	if raw == "" {
		raw = defaultEndpoint
	}
	u, err := rest.ParseEndpoint(raw)
	if err != nil {
		return rest.Config{}, rest.Prefixed(service, "NewClient", err)
	}
	if s.UserAgent != "" {
		if err := rest.CheckHeaderValue("UserAgent", s.UserAgent); err != nil {
			return rest.Config{}, rest.Prefixed(service, "NewClient", err)
		}
	}
	return rest.Config{
		Endpoint:   u,
		HTTPClient: s.HTTPClient,
		UserAgent:  s.UserAgent,
		Service:    service,
		Logger:     s.Logger,
		Policy:     s.Policy,
	}, nil
}
