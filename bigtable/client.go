package bigtable

import (
	"context"
	"sync/atomic"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/clock"
	"github.com/backupcopy/backupcopy/internal/gapi"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/lro"
)

// ErrClosed is returned by calls made after Close.
var ErrClosed error = errClosed

var errClosed = rest.Sentinel(backupcopy.InvalidInput, "bigtable: the client is closed")

// Client calls the Bigtable Admin API v2. It is safe for concurrent use.
type Client struct {
	rest   *rest.Client
	clock  clock.Clock
	lroCfg lro.Config
	polls  *gapi.OperationPolls // shared polls of the operations
	closed atomic.Bool
}

// NewClient returns a client for the Bigtable Admin API. Without
// WithTokenSource or WithoutAuthentication it uses Application Default
// Credentials with the cloud-platform scope, and fails if none are found.
func NewClient(ctx context.Context, opts ...Option) (*Client, error) {
	return newClient(ctx, clock.Real, opts...)
}

func newClient(ctx context.Context, clk clock.Clock, opts ...Option) (*Client, error) {
	s := apply(ctx, opts)
	if s.clock != nil {
		clk = s.clock
	}
	cfg, err := s.RESTConfig(service, DefaultEndpoint)
	if err != nil {
		return nil, err
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
	return &Client{
		rest:  rc,
		clock: clk,
		polls: polls,
		lroCfg: lro.Config{
			IsTransient:     rest.RetryPoll,
			InitialInterval: DefaultPollInitial,
			MaxInterval:     DefaultPollMax,
			Clock:           clk,
			Watch:           polls.Watch,
		},
	}, nil
}

// Close releases the client. Calls made afterwards fail with ErrClosed;
// operation handles made earlier keep working. Close never fails.
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
