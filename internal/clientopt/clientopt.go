// Package clientopt holds the settings every service package's client has
// (endpoint, HTTP client, user agent, logger, retry policy) and turns them
// into the call path's configuration, so that the rules live in one place.
// Each package keeps these in its own settings type, behind its own Option.
package clientopt

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/backupcopy/backupcopy/internal/budget"
	"github.com/backupcopy/backupcopy/internal/clock"
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
	// RequestRate and RequestBurst are the WithRequestBudget values: the
	// client's requests a second (0: the package's default; negative: no
	// budget) and the largest burst (0: DefaultBurst).
	RequestRate  float64
	RequestBurst int
}

// DefaultBurst is the burst of a request budget unless set: enough for a
// copy call and its retries, or a list's few pages, at once.
const DefaultBurst = 10

// Budget returns the client's request budget on clk: WithRequestBudget's
// rate, else defaultRate; none when the rate set is negative, or when
// none is set and the endpoint is a loopback address (a fake or an
// emulator, which has no quota: set one to test under a budget).
func (s *Settings) Budget(endpoint *url.URL, defaultRate float64, clk clock.Clock) *budget.Budget {
	rate := s.RequestRate
	switch {
	case rate < 0:
		return nil
	case rate == 0 && endpoint != nil && rest.IsLoopback(endpoint.Hostname()):
		return nil
	case rate == 0:
		rate = defaultRate
	}
	burst := s.RequestBurst
	if burst <= 0 {
		burst = DefaultBurst
	}
	return budget.New(rate, burst, clk)
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
