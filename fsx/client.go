package fsx

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/auth/sigv4"
	"github.com/backupcopy/backupcopy/internal/clientopt"
	"github.com/backupcopy/backupcopy/internal/clock"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/lro"
)

// Wire constants of the FSx API (awsJson1_1, API version 2018-03-01).
const (
	// SigningName is the SigV4 service name.
	SigningName = "fsx"
	// ServiceID names the service in *smithy.OperationError values.
	ServiceID = "FSx"
	// TargetPrefix prefixes the operation name in the X-Amz-Target header.
	TargetPrefix = "AWSSimbaAPIService_v20180301."
	// ContentType is the Content-Type of every request and response body.
	ContentType = "application/x-amz-json-1.1"
	// RequestIDHeader carries the request id of every answer.
	RequestIDHeader = "X-Amzn-RequestId"
)

// service prefixes this package's errors.
const service = "fsx"

// Environment variables read by NewClient, as the AWS SDKs name them.
const (
	EnvRegion          = "AWS_REGION"
	EnvDefaultRegion   = "AWS_DEFAULT_REGION"
	EnvProfile         = "AWS_PROFILE"
	EnvEndpointFSx     = "AWS_ENDPOINT_URL_FSX"
	EnvEndpoint        = "AWS_ENDPOINT_URL"
	EnvIgnoreEndpoints = "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"
	EnvUseFIPSEndpoint = "AWS_USE_FIPS_ENDPOINT"
)

// Poll schedule of CopyBackupOperation.Wait: the first DescribeBackups after
// about DefaultPollInitial, then doubling (with jitter) up to DefaultPollMax.
// Copies take minutes to hours; lro.WithPollInterval overrides both.
const (
	DefaultPollInitial = 2 * time.Second
	DefaultPollMax     = 30 * time.Second
)

const (
	// clockSkewThreshold is how far a signature error's Date must be from
	// the local clock for the request to be signed again with the server's
	// time (the AWS SDKs' threshold).
	clockSkewThreshold = 4 * time.Minute
	maxRegionLength    = 64
)

// ErrClosed is returned by calls made after Close.
var ErrClosed = rest.Sentinel(backupcopy.InvalidInput, "fsx: the client is closed")

// Option configures a Client.
type Option func(*clientopt.Settings)

// WithEndpoint sets the endpoint as scheme://host[:port] (a trailing '/' is
// fine); requests go to POST {endpoint}/. The default is AWS_ENDPOINT_URL_FSX,
// else AWS_ENDPOINT_URL, else https://fsx.{region}.amazonaws.com
// (.amazonaws.com.cn in China regions; fsx-fips.{region}... with WithFIPS).
// http:// is accepted for loopback hosts only (fakes, tests). Requests are
// still signed for the client's region.
func WithEndpoint(url string) Option { return Option(clientopt.Endpoint(url)) }

// WithHTTPClient sets the base HTTP client (transport, proxy, timeouts). The
// client still signs every request itself and never follows a redirect to
// another host.
func WithHTTPClient(c *http.Client) Option { return Option(clientopt.HTTPClient(c)) }

// WithUserAgent appends ua to the User-Agent header.
func WithUserAgent(ua string) Option { return Option(clientopt.UserAgent(ua)) }

// WithLogger logs each attempt at Debug level and each retry at Info level:
// operation, status, attempt, request id and error kind. No credential is
// logged.
func WithLogger(l *slog.Logger) Option { return Option(clientopt.Logger(l)) }

// WithRegion sets the client's region: the destination region of copies, the
// region of the default endpoint and the SigV4 signing region. Without it the
// region comes from AWS_REGION, AWS_DEFAULT_REGION, or the region of the
// shared config file's profile (AWS_PROFILE, else "default").
func WithRegion(region string) Option { return Option(clientopt.Region(region)) }

type credentialsChoice struct{ p auth.AWSCredentialsProvider }

func (credentialsChoice) String() string { return "AWS credentials provider" }

// WithCredentials signs requests with credentials from p, for example
// auth.StaticAWSCredentials. Without it the client uses
// auth.DefaultAWSCredentials: the environment (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), then the shared credentials and
// config files for AWS_PROFILE (else "default").
func WithCredentials(p auth.AWSCredentialsProvider) Option {
	return func(s *clientopt.Settings) { s.Auth = credentialsChoice{p: p} }
}

const fipsKey = "fsx.fips"

// WithFIPS makes the default endpoint the FIPS one,
// https://fsx-fips.{region}.amazonaws.com (AWS_USE_FIPS_ENDPOINT=true does the
// same). It has no effect when an endpoint is given.
func WithFIPS() Option {
	return func(s *clientopt.Settings) { s.Extra[fipsKey] = true }
}

const (
	clockKey  = "fsx.clock"
	policyKey = "fsx.policy"
)

// withClock is for tests.
func withClock(c clock.Clock) Option {
	return func(s *clientopt.Settings) { s.Extra[clockKey] = c }
}

// withPolicy is for tests.
func withPolicy(p rest.Policy) Option {
	return func(s *clientopt.Settings) { s.Policy = p }
}

// Client calls the FSx API of one region. It is safe for concurrent use.
type Client struct {
	rest     *rest.Client
	region   string
	endpoint string
	clock    clock.Clock
	lroCfg   lro.Config
	batch    *batcher
	closed   atomic.Bool
}

// regionOK reports whether region matches ^[a-z0-9]([a-z0-9-]*[a-z0-9])?$.
// (Written out rather than with regexp, which would add a quarter of a
// megabyte to every program that imports fsx.)
func regionOK(region string) bool {
	if region == "" || region[0] == '-' || region[len(region)-1] == '-' {
		return false
	}
	for i := 0; i < len(region); i++ {
		c := region[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// NewClient returns a client. It makes no request and reads no credential
// yet. A region is required (WithRegion, AWS_REGION, AWS_DEFAULT_REGION or
// the profile's region); without one NewClient fails.
func NewClient(ctx context.Context, opts ...Option) (*Client, error) {
	s := clientopt.Apply(opts)
	region := s.Region
	if region == "" {
		region = auth.AWSRegion("")
	}
	if region == "" {
		return nil, errors.New("fsx: NewClient: no region: use WithRegion, or set " + EnvRegion + " (or " + EnvDefaultRegion +
			", or a region in the shared config file's profile)")
	}
	if len(region) > maxRegionLength || !regionOK(region) {
		return nil, rest.Prefixed(service, "NewClient", rest.Invalid("Region", "must be an AWS region such as us-east-1 (lower-case letters, digits and '-')", region))
	}
	fips, _ := s.Extra[fipsKey].(bool)
	if strings.EqualFold(os.Getenv(EnvUseFIPSEndpoint), "true") {
		fips = true
	}
	if s.Endpoint == "" && !strings.EqualFold(os.Getenv(EnvIgnoreEndpoints), "true") {
		if e := os.Getenv(EnvEndpointFSx); e != "" {
			s.Endpoint = e
		} else if e := os.Getenv(EnvEndpoint); e != "" {
			s.Endpoint = e
		}
	}
	cfg, err := s.RESTConfig(service, DefaultEndpoint(region, fips))
	if err != nil {
		return nil, err
	}
	var creds auth.AWSCredentialsProvider
	switch c := s.Auth.(type) {
	case credentialsChoice:
		if c.p == nil {
			return nil, errors.New("fsx: NewClient: WithCredentials: nil provider")
		}
		creds = c.p
	default:
		creds = auth.DefaultAWSCredentials()
	}
	clk := clock.Real
	if c, ok := s.Extra[clockKey].(clock.Clock); ok {
		clk = c
	}
	cfg.Auth = sigv4.New(creds, SigningName, region)
	cfg.DecodeAPIError = decodeError
	cfg.Hint = func(resp *rest.Response, apiErr error) rest.Hint { return hint(resp, apiErr, clk.Now()) }
	cfg.RequestIDHeaders = []string{RequestIDHeader, "X-Amz-Request-Id"}
	cfg.Clock = clk
	rc, err := rest.New(cfg)
	if err != nil {
		return nil, err
	}
	c := &Client{
		rest:     rc,
		region:   region,
		endpoint: cfg.Endpoint.String(),
		clock:    clk,
		lroCfg: lro.Config{
			IsTransient:     rest.RetryPoll,
			InitialInterval: DefaultPollInitial,
			MaxInterval:     DefaultPollMax,
			Clock:           clk,
		},
	}
	c.batch = &batcher{c: c}
	return c, nil
}

// DefaultEndpoint returns the FSx endpoint of region:
// https://fsx.{region}.amazonaws.com, .amazonaws.com.cn for China regions
// (cn-*), and fsx-fips.{region}... when fips is set.
func DefaultEndpoint(region string, fips bool) string {
	host := "fsx."
	if fips {
		host = "fsx-fips."
	}
	suffix := "amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		suffix = "amazonaws.com.cn"
	}
	return "https://" + host + region + "." + suffix
}

// Close releases the client. Calls made afterwards fail with ErrClosed;
// operation handles made earlier keep working. Close never fails.
func (c *Client) Close() error {
	c.closed.Store(true)
	return nil
}

// Region returns the client's region (the destination of copies and the
// signing region).
func (c *Client) Region() string { return c.region }

// Endpoint returns the endpoint the client sends requests to.
func (c *Client) Endpoint() string { return c.endpoint }

func (c *Client) check() error {
	if c.closed.Load() {
		return ErrClosed
	}
	return nil
}

// call sends one awsJson1_1 request: POST / with X-Amz-Target
// AWSSimbaAPIService_v20180301.{op}; writes is set for a request that
// changes something. An error answer's error has the
// *smithy.OperationError -> *ResponseError -> typed error chain inside the
// *backupcopy.CallError; other failures read "fsx: {op}: ...".
func (c *Client) call(ctx context.Context, op string, body []byte, writes bool, out any) (*rest.Request, *rest.Response, error) {
	req := &rest.Request{
		Op:          op,
		Method:      http.MethodPost,
		Writes:      writes,
		Path:        rest.NewPath(),
		Header:      http.Header{"X-Amz-Target": {TargetPrefix + op}},
		Body:        body,
		ContentType: ContentType,
		Mode:        rest.Idempotent, // every call carries a ClientRequestToken or only reads
		Out:         out,
	}
	resp, err := c.rest.Do(ctx, req)
	return req, resp, err
}
