package cbr

import (
	"context"
	"errors"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/auth"
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
var ErrClosed error = errClosed

var errClosed = rest.Sentinel(backupcopy.InvalidInput, "cbr: the client is closed")

// Client calls the CBR v3 API of one region and project. It is safe for
// concurrent use.
type Client struct {
	rest        *rest.Client
	projectID   string
	region      string
	regionCheck bool
	clock       clock.Clock
	lroCfg      lro.Config
	polls       *polls // shared replication polls
	closed      atomic.Bool
}

// NewClient returns a client. It makes no request. Credentials come from
// WithAKSK, WithToken or WithAuthenticator, else from HUAWEICLOUD_SDK_AK and
// HUAWEICLOUD_SDK_SK (with HUAWEICLOUD_SDK_SECURITY_TOKEN for temporary keys);
// the project from WithProjectID, else HUAWEICLOUD_SDK_PROJECT_ID; the
// endpoint from WithEndpoint, else the region's.
func NewClient(ctx context.Context, opts ...Option) (*Client, error) {
	s := apply(ctx, opts)
	project := s.projectID
	if project == "" {
		project = os.Getenv(EnvProjectID)
	}
	if project == "" {
		return nil, errors.New("cbr: NewClient: no project ID: use WithProjectID or set " + EnvProjectID)
	}
	if err := rest.CheckSegment("ProjectID", project); err != nil {
		return nil, rest.Prefixed(service, "NewClient", err)
	}
	if err := checkRegion("Region", s.region, false); err != nil {
		return nil, rest.Prefixed(service, "NewClient", err)
	}
	if s.Endpoint == "" && s.region == "" {
		return nil, errors.New("cbr: NewClient: no region: use WithRegion (or WithEndpoint)")
	}
	cfg, err := s.RESTConfig(service, "https://cbr."+s.region+".myhuaweicloud.com")
	if err != nil {
		return nil, err
	}
	a, err := authenticator(s.auth, project)
	if err != nil {
		return nil, err
	}
	clk := clock.Real
	if s.clock != nil {
		clk = s.clock
	}
	cfg.Auth = a
	cfg.DecodeAPIError = decodeError
	cfg.Hint = hint
	cfg.RequestIDHeaders = []string{"X-Request-Id"}
	cfg.Clock = clk
	cfg.Budget = s.Budget(cfg.Endpoint, DefaultRequestRate, clk)
	rc, err := rest.New(cfg)
	if err != nil {
		return nil, err
	}
	c := &Client{
		rest:        rc,
		projectID:   project,
		region:      s.region,
		regionCheck: s.regionCheck,
		clock:       clk,
		lroCfg: lro.Config{
			IsTransient:     rest.RetryPoll,
			InitialInterval: DefaultPollInitial,
			MaxInterval:     DefaultPollMax,
			Clock:           clk,
		},
	}
	c.polls = c.newPolls()
	c.lroCfg.Watch = c.polls.watch
	return c, nil
}

func authenticator(choice authChoice, project string) (rest.Authenticator, error) {
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
