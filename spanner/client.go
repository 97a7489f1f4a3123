// Package spanner is a small, typed client for the Cloud Spanner backup API
// (Spanner Database Admin v1 over REST): create a backup of a database, copy a
// backup to another instance, watch, resume and cancel those long-running
// operations, and get, list and delete backups.
//
// Calls return at once with an operation handle; nothing blocks until Wait:
//
//	c, err := spanner.NewClient(ctx)
//	op, err := c.CopyBackup(ctx, &spanner.CopyBackupRequest{
//		Parent:       "projects/p/instances/dest",
//		BackupID:     "nightly-copy",
//		SourceBackup: "projects/p/instances/src/backups/nightly",
//		ExpireTime:   time.Now().Add(30 * 24 * time.Hour),
//	})
//	backup, err := op.Wait(ctx)
//
// Requests are checked against the documented rules before anything is sent
// (a *ValidationError names the field and the rule). API errors are *Error
// values: status.Code(err) is the canonical code from the response body and
// errors.As(err, &ae) with ae *apierror.APIError gives gax-go's view.
//
// Retries: reads, deletes, polls and cancels are retried on transient
// failures (connection errors, 429, 500, 502, 503, 504, RESOURCE_EXHAUSTED,
// UNAVAILABLE, honouring Retry-After and RetryInfo), up to 4 attempts with
// full-jitter exponential backoff from 250ms. CreateBackup and CopyBackup are
// retried the same way because a replay cannot make a second backup: the
// backup id is the key. When a replay is refused with ALREADY_EXISTS (or
// FAILED_PRECONDITION, one creation per database) after an earlier attempt's
// answer was lost, the client looks up the operation that attempt started
// (GET .../backupOperations with a filter) and returns it, or, when that
// operation is gone and the backup is READY, a finished handle on the backup.
//
// Polling: Wait checks after 1s, then backs off ×2 with jitter to 60s
// (lro's defaults); a handle resumed by name checks at once.
package spanner

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/backupcopy/backupcopy/internal/clientopt"
	"github.com/backupcopy/backupcopy/internal/clock"
	"github.com/backupcopy/backupcopy/internal/gapi"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/lro"
)

// DefaultEndpoint is the Cloud Spanner API endpoint.
const DefaultEndpoint = "https://spanner.googleapis.com"

const service = "spanner"

// ValidationError reports a request value that breaks a documented rule,
// before any I/O.
type ValidationError = rest.ValidationError

// Error is an API error: the HTTP status, the canonical code, the message,
// the request id and the error details the service sent.
type Error = gapi.Error

// Option configures a Client.
type Option func(*clientopt.Settings)

// WithEndpoint sets the API endpoint, scheme://host[:port] (http only for
// loopback hosts). The client adds /v1/ itself.
func WithEndpoint(url string) Option { return Option(clientopt.Endpoint(url)) }

// WithHTTPClient sets the base HTTP client. Requests are still authenticated
// from the client's own options, and no request follows a redirect to
// another host.
func WithHTTPClient(c *http.Client) Option { return Option(clientopt.HTTPClient(c)) }

// WithUserAgent appends ua to the User-Agent header.
func WithUserAgent(ua string) Option { return Option(clientopt.UserAgent(ua)) }

// WithLogger logs each attempt (Debug) and each retry (Info) to l. No
// credential is ever logged.
func WithLogger(l *slog.Logger) Option { return Option(clientopt.Logger(l)) }

// WithTokenSource authenticates with OAuth2 tokens from ts instead of
// Application Default Credentials.
func WithTokenSource(ts oauth2.TokenSource) Option { return Option(gapi.TokenSource(ts)) }

// WithoutAuthentication sends requests without credentials (for fakes and
// tests).
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
var ErrClosed = errors.New("spanner: client is closed")

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
	cfg.DecodeError = gapi.DecodeError(service)
	cfg.Classify = gapi.Classify
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
	return &Client{rest: rc, clock: clk, lro: lro.Config{IsTransient: gapi.IsTransient, Clock: clk}}, nil
}

// Close closes the client: later calls, including polls of its operation
// handles, fail with ErrClosed. Operations already started on the service
// keep running and can be resumed by name from another client.
func (c *Client) Close() error {
	c.closed.Store(true)
	return nil
}

// do sends one logical call through the shared call path.
func (c *Client) do(ctx context.Context, req *rest.Request) (*rest.Response, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
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
