package bigtable

import (
	"context"
	"log/slog"
	"net/http"

	"golang.org/x/oauth2"

	"github.com/backupcopy/backupcopy/internal/clientopt"
	"github.com/backupcopy/backupcopy/internal/clock"
	"github.com/backupcopy/backupcopy/internal/gapi"
	"github.com/backupcopy/backupcopy/lro"
)

// DefaultEndpoint is the Bigtable Admin API endpoint.
const DefaultEndpoint = "https://bigtableadmin.googleapis.com"

// Option configures a Client: one of the With... functions of this package.
type Option func(*settings)

// settings are a Client's options.
type settings struct {
	clientopt.Settings
	auth  gapi.AuthChoice
	clock clock.Clock // WithClock
}

// WithEndpoint sets the endpoint as scheme://host[:port] (the client adds
// /v2/ itself). http:// is accepted for loopback hosts only (fakes, tests);
// any other endpoint must be https://.
func WithEndpoint(url string) Option { return func(s *settings) { s.Endpoint = url } }

// WithHTTPClient sets the base HTTP client (transport, proxy, timeouts). The
// client still authenticates every request from its own auth options and
// never follows a redirect to another host.
func WithHTTPClient(c *http.Client) Option { return func(s *settings) { s.HTTPClient = c } }

// WithUserAgent appends ua to the User-Agent header.
func WithUserAgent(ua string) Option { return func(s *settings) { s.UserAgent = ua } }

// WithLogger logs each attempt at Debug level and each retry at Info level:
// operation, method, path, status, attempt, request id, error kind. No
// credential is logged.
func WithLogger(l *slog.Logger) Option { return func(s *settings) { s.Logger = l } }

// WithTokenSource authenticates with OAuth2 bearer tokens from ts instead of
// Application Default Credentials. Tokens are cached until shortly before
// they expire, and dropped when the service answers UNAUTHENTICATED.
func WithTokenSource(ts oauth2.TokenSource) Option {
	return func(s *settings) { s.auth = gapi.AuthChoice{Set: true, TokenSource: ts} }
}

// WithoutAuthentication sends requests without credentials (fakes, local
// proxies that add credentials themselves).
func WithoutAuthentication() Option {
	return func(s *settings) { s.auth = gapi.AuthChoice{Set: true, None: true} }
}

// DefaultRequestRate is a client's request budget unless WithRequestBudget
// sets one: 5 requests a second (300 a minute), in bursts of up to
// clientopt's DefaultBurst (10), for every call, poll and retry the client
// makes. The Bigtable Admin API's quota page lists per-project admin
// request quotas whose numbers depend on the project (REFERENCE.md has no
// fixed number); 5 a second stays well below the smallest per-minute admin
// quotas we know of, and is far more than a client with shared polls needs
// (about 1 list a second per instance at 1,000 waits).
const DefaultRequestRate = 5.0

// WithRequestBudget sets the client's request budget: every request it
// sends (calls, polls, lists, retries) takes a token from one bucket that
// refills at rate a second and holds up to burst (0: 10). Calls that change
// something (copy, create, delete, cancel) are served before polls, so
// waiting on many copies never holds up a new one. A throttling answer
// halves the rate, and each minute without one doubles it again up to
// rate. Without this option the budget is DefaultRequestRate, except
// against a loopback endpoint (a fake or an emulator), which gets none; a
// negative rate removes the budget.
func WithRequestBudget(rate float64, burst int) Option {
	return func(s *settings) { s.RequestRate, s.RequestBurst = rate, burst }
}

// WithClock makes the client read the time from c and sleep on it: between
// retries, between the polls of its operations' Wait, and when it checks
// times against now (expire windows). Nil keeps the wall clock. It is for
// tests and simulations: give one lro.NewScaledClock to the client and to
// the fake (fake.SetClock(clk.Now)) and hours of copying run in seconds.
func WithClock(c lro.Clock) Option { return func(s *settings) { s.clock = c } }

// apply runs opts over fresh settings, then the module's own test override.
func apply(ctx context.Context, opts []Option) *settings {
	s := &settings{}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	s.Override(ctx)
	return s
}
