package cbr

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/internal/clientopt"
	"github.com/backupcopy/backupcopy/internal/clock"
	"github.com/backupcopy/backupcopy/lro"
)

// Option configures a Client: one of the With... functions of this package.
type Option func(*settings)

// settings are a Client's options.
type settings struct {
	clientopt.Settings
	region, projectID string
	auth              authChoice
	regionCheck       bool
	clock             clock.Clock // WithClock
}

// authChoice is one of akskAuth, tokenAuth, customAuth, or nil for the
// environment's AK/SK.
type authChoice interface{ String() string }

type akskAuth struct{ ak, sk string }

func (a akskAuth) String() string { return "AK/SK (secret redacted)" }

type tokenAuth struct{ token string }

func (tokenAuth) String() string { return "IAM token (redacted)" }

type customAuth struct{ a auth.Authenticator }

func (customAuth) String() string { return "custom authenticator" }

// WithEndpoint sets the endpoint as scheme://host[:port] (the client adds
// /v3/{project_id}/... itself); default https://cbr.{region}.myhuaweicloud.com.
// http:// is accepted for loopback hosts only (fakes, tests).
func WithEndpoint(url string) Option { return func(s *settings) { s.Endpoint = url } }

// WithHTTPClient sets the base HTTP client (transport, proxy, timeouts). The
// client still authenticates every request from its own options and never
// follows a redirect to another host.
func WithHTTPClient(c *http.Client) Option { return func(s *settings) { s.HTTPClient = c } }

// WithUserAgent appends ua to the User-Agent header.
func WithUserAgent(ua string) Option { return func(s *settings) { s.UserAgent = ua } }

// WithLogger logs each attempt at Debug level and each retry at Info level:
// operation, method, path, status, attempt, request id, error kind. No
// credential is logged.
func WithLogger(l *slog.Logger) Option { return func(s *settings) { s.Logger = l } }

// WithRegion sets the region of the source backups, for example
// "cn-north-4". It picks the default endpoint, and CopyBackup refuses a
// destination in the same region.
func WithRegion(region string) Option { return func(s *settings) { s.region = region } }

// WithProjectID sets the project that owns the source backups (default:
// HUAWEICLOUD_SDK_PROJECT_ID).
func WithProjectID(projectID string) Option { return func(s *settings) { s.projectID = projectID } }

// WithAKSK signs every request with the access key ak and secret key sk
// (SDK-HMAC-SHA256).
func WithAKSK(ak, sk string) Option {
	return func(s *settings) { s.auth = akskAuth{ak: ak, sk: sk} }
}

// WithToken sends the IAM user token as X-Auth-Token. The token is fixed: to
// obtain and refresh one with a password, pass an auth.HuaweiIAMTokenSource to
// WithAuthenticator instead.
func WithToken(token string) Option {
	return func(s *settings) { s.auth = tokenAuth{token: token} }
}

// WithAuthenticator authenticates every request with a. If a is an
// auth.Invalidator (as auth.HuaweiIAMTokenSource is), a 401 saying that the
// token expired or must be updated invalidates it and the request is sent
// once more.
func WithAuthenticator(a auth.Authenticator) Option {
	return func(s *settings) { s.auth = customAuth{a: a} }
}

// WithRegionCheck makes CopyBackup call CheckReplicationDestination first, so
// a destination the source region cannot replicate to fails before the
// replicate call (with an error matching ErrRegionNotSupported). It needs
// WithRegion.
func WithRegionCheck() Option { return func(s *settings) { s.regionCheck = true } }

// DefaultRequestRate is a client's request budget unless WithRequestBudget
// sets one: 5 requests a second, in bursts of up to 10, for every call,
// poll and retry the client makes. Huawei Cloud's API gateway throttles
// per API and account (APIGW.0308, HTTP 429) without a number in the CBR
// documentation we have (REFERENCE.md); 5 a second is a conservative
// default, and far more than shared polls need (about 1 list a second per
// vault at 1,000 waits).
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
