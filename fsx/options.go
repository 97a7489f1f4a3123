package fsx

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/internal/clientopt"
	"github.com/backupcopy/backupcopy/internal/clock"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/lro"
)

// Option configures a Client: one of the With... functions of this package.
type Option func(*settings)

// settings are a Client's options.
type settings struct {
	clientopt.Settings
	region   string
	creds    auth.AWSCredentialsProvider
	credsSet bool
	fips     bool
	clock    clock.Clock // WithClock
}

// WithEndpoint sets the endpoint as scheme://host[:port] (a trailing '/' is
// fine); requests go to POST {endpoint}/. The default is AWS_ENDPOINT_URL_FSX,
// else AWS_ENDPOINT_URL, else https://fsx.{region}.amazonaws.com
// (.amazonaws.com.cn in China regions; fsx-fips.{region}... with WithFIPS).
// http:// is accepted for loopback hosts only (fakes, tests). Requests are
// still signed for the client's region.
func WithEndpoint(url string) Option { return func(s *settings) { s.Endpoint = url } }

// WithHTTPClient sets the base HTTP client (transport, proxy, timeouts). The
// client still signs every request itself and never follows a redirect to
// another host.
func WithHTTPClient(c *http.Client) Option { return func(s *settings) { s.HTTPClient = c } }

// WithUserAgent appends ua to the User-Agent header.
func WithUserAgent(ua string) Option { return func(s *settings) { s.UserAgent = ua } }

// WithLogger logs each attempt at Debug level and each retry at Info level:
// operation, status, attempt, request id and error kind. No credential is
// logged.
func WithLogger(l *slog.Logger) Option { return func(s *settings) { s.Logger = l } }

// WithRegion sets the client's region: the destination region of copies, the
// region of the default endpoint and the SigV4 signing region. Without it the
// region comes from AWS_REGION, AWS_DEFAULT_REGION, or the region of the
// shared config file's profile (AWS_PROFILE, else "default").
func WithRegion(region string) Option { return func(s *settings) { s.region = region } }

// WithCredentials signs requests with credentials from p, for example
// auth.StaticAWSCredentials. Without it the client uses
// auth.DefaultAWSCredentials: the environment (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), then the shared credentials and
// config files for AWS_PROFILE (else "default").
func WithCredentials(p auth.AWSCredentialsProvider) Option {
	return func(s *settings) { s.creds, s.credsSet = p, true }
}

// WithFIPS makes the default endpoint the FIPS one,
// https://fsx-fips.{region}.amazonaws.com (AWS_USE_FIPS_ENDPOINT=true does the
// same). It has no effect when an endpoint is given.
func WithFIPS() Option {
	return func(s *settings) { s.fips = true }
}

// DefaultRequestRate is a client's request budget unless WithRequestBudget
// sets one: 5 requests a second, in bursts of up to 10, for every call,
// poll and retry the client makes. AWS does not publish FSx's API request
// rate limits (it throttles with ThrottlingException); 5 a second is a
// conservative default, and far more than shared polls need (one
// DescribeBackups of up to 50 ids per round).
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

// withPolicy is for tests.
func withPolicy(p rest.Policy) Option {
	return func(s *settings) { s.Policy = p }
}

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
