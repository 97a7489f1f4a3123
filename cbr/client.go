package cbr

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/internal/clientopt"
	"github.com/backupcopy/backupcopy/internal/clock"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/lro"
)

const service = "cbr"

// Environment variables read by NewClient (the official SDK's names).
const (
	EnvAccessKey = "HUAWEICLOUD_SDK_AK"
	EnvSecretKey = "HUAWEICLOUD_SDK_SK"
	EnvProjectID = "HUAWEICLOUD_SDK_PROJECT_ID"
)

// Poll schedule of CopyBackupOperation.Wait: the first check after about
// DefaultPollInitial, then doubling (with jitter) up to DefaultPollMax.
// Replications take minutes to hours; lro.WithPollInterval overrides both.
const (
	DefaultPollInitial = 2 * time.Second
	DefaultPollMax     = 30 * time.Second
)

// ErrClosed is returned by calls made after Close.
var ErrClosed = rest.Sentinel(backupcopy.InvalidInput, "cbr: the client is closed")

// Option configures a Client.
type Option func(*clientopt.Settings)

// WithEndpoint sets the endpoint as scheme://host[:port] (the client adds
// /v3/{project_id}/... itself); default https://cbr.{region}.myhuaweicloud.com.
// http:// is accepted for loopback hosts only (fakes, tests).
func WithEndpoint(url string) Option { return Option(clientopt.Endpoint(url)) }

// WithHTTPClient sets the base HTTP client (transport, proxy, timeouts). The
// client still authenticates every request from its own options and never
// follows a redirect to another host.
func WithHTTPClient(c *http.Client) Option { return Option(clientopt.HTTPClient(c)) }

// WithUserAgent appends ua to the User-Agent header.
func WithUserAgent(ua string) Option { return Option(clientopt.UserAgent(ua)) }

// WithLogger logs each attempt at Debug level and each retry at Info level:
// operation, method, path, status, attempt, request id, error kind. No
// credential is logged.
func WithLogger(l *slog.Logger) Option { return Option(clientopt.Logger(l)) }

// WithRegion sets the region of the source backups, for example
// "cn-north-4". It picks the default endpoint, and CopyBackup refuses a
// destination in the same region.
func WithRegion(region string) Option { return Option(clientopt.Region(region)) }

// WithProjectID sets the project that owns the source backups (default:
// HUAWEICLOUD_SDK_PROJECT_ID).
func WithProjectID(projectID string) Option { return Option(clientopt.ProjectID(projectID)) }

type akskAuth struct{ ak, sk string }

func (a akskAuth) String() string { return "AK/SK (secret redacted)" }

type tokenAuth struct{ token string }

func (tokenAuth) String() string { return "IAM token (redacted)" }

type customAuth struct{ a auth.Authenticator }

// WithAKSK signs every request with the access key ak and secret key sk
// (SDK-HMAC-SHA256).
func WithAKSK(ak, sk string) Option {
	return func(s *clientopt.Settings) { s.Auth = akskAuth{ak: ak, sk: sk} }
}

// WithToken sends the IAM user token as X-Auth-Token. The token is fixed: to
// obtain and refresh one with a password, pass an auth.HuaweiIAMTokenSource to
// WithAuthenticator instead.
func WithToken(token string) Option {
	return func(s *clientopt.Settings) { s.Auth = tokenAuth{token: token} }
}

// WithAuthenticator authenticates every request with a. If a is an
// auth.Invalidator (as auth.HuaweiIAMTokenSource is), a 401 saying that the
// token expired or must be updated invalidates it and the request is sent
// once more.
func WithAuthenticator(a auth.Authenticator) Option {
	return func(s *clientopt.Settings) { s.Auth = customAuth{a: a} }
}

const regionCheckKey = "cbr.regionCheck"

// WithRegionCheck makes CopyBackup call CheckReplicationDestination first, so
// a destination the source region cannot replicate to fails before the
// replicate call (with an error matching ErrRegionNotSupported). It needs
// WithRegion.
func WithRegionCheck() Option {
	return func(s *clientopt.Settings) { s.Extra[regionCheckKey] = true }
}

const clockKey = "cbr.clock"

// withClock is for tests.
func withClock(c clock.Clock) Option {
	return func(s *clientopt.Settings) { s.Extra[clockKey] = c }
}

// Client calls the CBR v3 API of one region and project. It is safe for
// concurrent use.
type Client struct {
	rest        *rest.Client
	projectID   string
	region      string
	regionCheck bool
	clock       clock.Clock
	lroCfg      lro.Config
	closed      atomic.Bool
}

// NewClient returns a client. It makes no request. Credentials come from
// WithAKSK, WithToken or WithAuthenticator, else from HUAWEICLOUD_SDK_AK and
// HUAWEICLOUD_SDK_SK (with HUAWEICLOUD_SDK_SECURITY_TOKEN for temporary keys);
// the project from WithProjectID, else HUAWEICLOUD_SDK_PROJECT_ID; the
// endpoint from WithEndpoint, else the region's.
func NewClient(ctx context.Context, opts ...Option) (*Client, error) {
	s := clientopt.Apply(opts)
	project := s.ProjectID
	if project == "" {
		project = os.Getenv(EnvProjectID)
	}
	if project == "" {
		return nil, errors.New("cbr: NewClient: no project ID: use WithProjectID or set " + EnvProjectID)
	}
	if err := rest.CheckSegment("ProjectID", project); err != nil {
		return nil, rest.Prefixed(service, "NewClient", err)
	}
	if err := checkRegion("Region", s.Region, false); err != nil {
		return nil, rest.Prefixed(service, "NewClient", err)
	}
	if s.Endpoint == "" && s.Region == "" {
		return nil, errors.New("cbr: NewClient: no region: use WithRegion (or WithEndpoint)")
	}
	cfg, err := s.RESTConfig(service, "https://cbr."+s.Region+".myhuaweicloud.com")
	if err != nil {
		return nil, err
	}
	a, err := authenticator(s.Auth, project)
	if err != nil {
		return nil, err
	}
	clk := clock.Real
	if c, ok := s.Extra[clockKey].(clock.Clock); ok {
		clk = c
	}
	cfg.Auth = a
	cfg.DecodeAPIError = decodeError
	cfg.Hint = hint
	cfg.RequestIDHeaders = []string{"X-Request-Id"}
	cfg.Clock = clk
	rc, err := rest.New(cfg)
	if err != nil {
		return nil, err
	}
	check, _ := s.Extra[regionCheckKey].(bool)
	return &Client{
		rest:        rc,
		projectID:   project,
		region:      s.Region,
		regionCheck: check,
		clock:       clk,
		lroCfg: lro.Config{
			IsTransient:     rest.RetryPoll,
			InitialInterval: DefaultPollInitial,
			MaxInterval:     DefaultPollMax,
			Clock:           clk,
		},
	}, nil
}

func authenticator(choice any, project string) (rest.Authenticator, error) {
	var a auth.Authenticator
	switch c := choice.(type) {
	case akskAuth:
		switch {
		case c.ak == "":
			return nil, errors.New("cbr: NewClient: WithAKSK: the access key is empty")
		case c.sk == "":
			return nil, errors.New("cbr: NewClient: WithAKSK: the secret key is empty")
		}
		a = auth.NewHuaweiSigner(auth.HuaweiCredentials{AccessKey: c.ak, SecretKey: c.sk, ProjectID: project})
	case tokenAuth:
		if c.token == "" {
			return nil, errors.New("cbr: NewClient: WithToken: the token is empty")
		}
		a = auth.HuaweiToken(c.token, project)
	case customAuth:
		if c.a == nil {
			return nil, errors.New("cbr: NewClient: WithAuthenticator: nil authenticator")
		}
		a = c.a
	default:
		creds, err := auth.HuaweiCredentialsFromEnv()
		if err != nil {
			return nil, errors.New("cbr: NewClient: no credentials: use WithAKSK, WithToken or WithAuthenticator, or set " + EnvAccessKey + " and " + EnvSecretKey)
		}
		creds.ProjectID = project
		a = auth.NewHuaweiSigner(creds)
	}
	return a, nil
}

// Close releases the client. Calls made afterwards fail with ErrClosed;
// operation handles made earlier keep working. Close never fails.
func (c *Client) Close() error {
	c.closed.Store(true)
	return nil
}

// ProjectID returns the project the client works in.
func (c *Client) ProjectID() string { return c.projectID }

// Region returns the client's region ("" if only an endpoint was given).
func (c *Client) Region() string { return c.region }

func (c *Client) check() error {
	if c.closed.Load() {
		return ErrClosed
	}
	return nil
}

// header returns the headers every request carries.
func (c *Client) header() http.Header {
	return http.Header{auth.HuaweiProjectHeader: {c.projectID}}
}

// path starts /v3/{project_id}.
func (c *Client) path() rest.Path {
	return rest.NewPath("v3").Seg("ProjectID", c.projectID)
}
