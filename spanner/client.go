package spanner

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/clientopt"
	"github.com/backupcopy/backupcopy/internal/clock"
	"github.com/backupcopy/backupcopy/internal/gapi"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/lro"
)

// DefaultEndpoint is the Cloud Spanner API endpoint.
const DefaultEndpoint = "https://spanner.googleapis.com"

const service = "spanner"

// ValidationError reports a request value that breaks a documented rule. It
// is returned before any network I/O and names the field and the rule.
type ValidationError = rest.ValidationError

// Error is an error reported by the Spanner Database Admin API, either for a
// call or as a failed operation's result: the HTTP status, the canonical
// code, the message, the request id and the error details the service sent.
// status.Code(err) is its canonical code (a 409 ALREADY_EXISTS is
// codes.AlreadyExists), and errors.As(err, &ae) with ae *apierror.APIError
// finds gax-go's view with Reason, Details and HTTPCode.
type Error = gapi.Error

// Option configures a Client.
type Option func(*clientopt.Settings)

// WithEndpoint sets the endpoint as scheme://host[:port] (the client adds
// /v1/ itself). http:// is accepted for loopback hosts only (emulators,
// fakes, tests); any other endpoint must be https://.
func WithEndpoint(url string) Option { return Option(clientopt.Endpoint(url)) }

// WithHTTPClient sets the base HTTP client (transport, proxy, timeouts). The
// client still authenticates every request from its own auth options and
// never follows a redirect to another host.
func WithHTTPClient(c *http.Client) Option { return Option(clientopt.HTTPClient(c)) }

// WithUserAgent appends ua to the User-Agent header.
func WithUserAgent(ua string) Option { return Option(clientopt.UserAgent(ua)) }

// WithLogger logs each attempt at Debug level and each retry at Info level:
// operation, method, path, status, attempt, request id, error kind. No
// credential is logged.
func WithLogger(l *slog.Logger) Option { return Option(clientopt.Logger(l)) }

// WithTokenSource authenticates with OAuth2 bearer tokens from ts instead of
// Application Default Credentials. Tokens are cached until shortly before
// they expire, and dropped when the service answers UNAUTHENTICATED.
func WithTokenSource(ts oauth2.TokenSource) Option { return Option(gapi.TokenSource(ts)) }

// WithoutAuthentication sends requests without credentials (fakes, local
// proxies that add credentials themselves).
func WithoutAuthentication() Option { return Option(gapi.NoAuthentication()) }

const clockKey = "spanner.clock"

// withClock makes the client and its operations read and sleep on c (tests).
func withClock(c clock.Clock) Option {
	return func(s *clientopt.Settings) { s.Extra[clockKey] = c }
}

// Client is a Cloud Spanner backup client. It is safe for concurrent use.
type Client struct {
	rest   *rest.Client
	clock  clock.Clock
	lro    lro.Config
	closed atomic.Bool
}

// ErrClosed is returned by calls made after Close.
var ErrClosed = rest.Sentinel(backupcopy.InvalidInput, "spanner: the client is closed")

// NewClient returns a client. Unless WithTokenSource or
// WithoutAuthentication is given, it authenticates with Application Default
// Credentials and the cloud-platform scope, and fails if none are found.
func NewClient(ctx context.Context, opts ...Option) (*Client, error) {
	s := clientopt.Apply(opts)
	cfg, err := s.RESTConfig(service, DefaultEndpoint)
	if err != nil {
		return nil, err
	}
	a, err := gapi.Authenticator(ctx, service, s)
	if err != nil {
		return nil, err
	}
	if a != nil {
		cfg.Auth = a
	}
	cfg.DecodeAPIError = gapi.DecodeAPIError(service)
	cfg.Hint = gapi.Hint
	cfg.RequestIDHeaders = []string{"X-Request-Id"}
	clk := clock.Real
	if c, ok := s.Extra[clockKey].(clock.Clock); ok && c != nil {
		clk = c
	}
	cfg.Clock = clk
	rc, err := rest.New(cfg)
	if err != nil {
		return nil, err
	}
	return &Client{rest: rc, clock: clk, lro: lro.Config{
		IsTransient:     rest.RetryPoll,
		InitialInterval: DefaultPollInitial,
		MaxInterval:     DefaultPollMax,
		Clock:           clk,
	}}, nil
}

// Close releases the client. Calls made afterwards fail with ErrClosed;
// operation handles made earlier keep working (Poll, Wait and Cancel), and
// operations already started on the service keep running either way. Close
// never fails.
func (c *Client) Close() error {
	c.closed.Store(true)
	return nil
}

func (c *Client) check() error {
	if c.closed.Load() {
		return ErrClosed
	}
	return nil
}

// do sends one logical call through the shared call path, unless the client
// is closed.
func (c *Client) do(ctx context.Context, req *rest.Request) (*rest.Response, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	return c.send(ctx, req)
}

// send is do for operation handles, which keep working after Close.
func (c *Client) send(ctx context.Context, req *rest.Request) (*rest.Response, error) {
	resp, err := c.rest.Do(ctx, req)
	return resp, withOp(req.Op, err)
}

// withOp sets the operation name on an API error.
func withOp(op string, err error) error {
	var ge *gapi.Error
	if errors.As(err, &ge) && ge.Op == "" {
		ge.Op = op
	}
	return err
}

func (c *Client) now() time.Time { return c.clock.Now() }
