package fsx

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/auth/sigv4"
	"github.com/backupcopy/backupcopy/internal/clock"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/internal/sharedpoll"
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
var ErrClosed error = errClosed

var errClosed = rest.Sentinel(backupcopy.InvalidInput, "fsx: the client is closed")

// Client calls the FSx API of one region. It is safe for concurrent use.
type Client struct {
	rest     *rest.Client
	region   string
	endpoint string
	clock    clock.Clock
	lroCfg   lro.Config
	polls    *sharedpoll.Batcher[*Backup]
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
	s := apply(ctx, opts)
	region := s.region
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
	fips := s.fips
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
	creds := auth.AWSCredentialsProvider(auth.DefaultAWSCredentials())
	if s.credsSet {
		if s.creds == nil {
			return nil, errors.New("fsx: NewClient: WithCredentials: nil provider")
		}
		creds = s.creds
	}
	clk := clock.Real
	if s.clock != nil {
		clk = s.clock
	}
	cfg.Auth = sigv4.New(creds, SigningName, region)
	cfg.DecodeAPIError = decodeError
	cfg.Hint = func(resp *rest.Response, apiErr error) rest.Hint { return hint(resp, apiErr, clk.Now()) }
	cfg.RequestIDHeaders = []string{RequestIDHeader, "X-Amz-Request-Id"}
	cfg.Clock = clk
	cfg.Budget = s.Budget(cfg.Endpoint, DefaultRequestRate, clk)
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
	c.polls = c.newPolls()
	c.lroCfg.Watch = c.watch
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
