package spanner

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/clock"
	"github.com/backupcopy/backupcopy/internal/gapi"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/lro"
)

const service = "spanner"

// Client is a Cloud Spanner backup client. It is safe for concurrent use.
type Client struct {
	rest   *rest.Client
	clock  clock.Clock
	lroCfg lro.Config
	polls  *gapi.OperationPolls // shared polls of the operations
	closed atomic.Bool
}

// ErrClosed is returned by calls made after Close.
var ErrClosed error = errClosed

var errClosed = rest.Sentinel(backupcopy.InvalidInput, "spanner: the client is closed")

// NewClient returns a client. Unless WithTokenSource or
// WithoutAuthentication is given, it authenticates with Application Default
// Credentials and the cloud-platform scope, and fails if none are found.
func NewClient(ctx context.Context, opts ...Option) (*Client, error) {
	s := apply(ctx, opts)
	cfg, err := s.RESTConfig(service, DefaultEndpoint)
	if err != nil {
		return nil, err
	}
	clk := clock.Real
	if s.clock != nil {
		clk = s.clock
	}
	if err := gapi.Configure(ctx, service, &cfg, s.auth, clk); err != nil {
		return nil, err
	}
	cfg.Budget = s.Budget(cfg.Endpoint, DefaultRequestRate, clk)
	rc, err := rest.New(cfg)
	if err != nil {
		return nil, err
	}
	polls := newPolls(rc, clk)
	return &Client{rest: rc, clock: clk, polls: polls, lroCfg: lro.Config{
		IsTransient:     rest.RetryPoll,
		InitialInterval: DefaultPollInitial,
		MaxInterval:     DefaultPollMax,
		Clock:           clk,
		Watch:           polls.Watch,
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
	return c.rest.Do(ctx, req)
}

func (c *Client) now() time.Time { return c.clock.Now() }
