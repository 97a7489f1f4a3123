package planfile

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/spanner"
)

// The environment variables Settings.Clients reads for a setting left empty,
// besides the libraries' own (Application Default Credentials, the AWS
// chain, HUAWEICLOUD_SDK_*). The backupcopy command and the Temporal worker
// read the same ones.
const (
	// EnvBigtableEndpoint is the Bigtable endpoint when Bigtable.Endpoint is empty.
	EnvBigtableEndpoint = "BACKUPCOPY_BIGTABLE_ENDPOINT"
	// EnvSpannerEndpoint is the Spanner endpoint when Spanner.Endpoint is empty.
	EnvSpannerEndpoint = "BACKUPCOPY_SPANNER_ENDPOINT"
	// EnvCBREndpoint is the CBR endpoint when CBR.Endpoint is empty.
	EnvCBREndpoint = "BACKUPCOPY_CBR_ENDPOINT"
	// EnvFSxEndpoint is the FSx endpoint when FSx.Endpoint is empty (else
	// the fsx package's own variables apply, such as AWS_ENDPOINT_URL_FSX).
	EnvFSxEndpoint = "BACKUPCOPY_FSX_ENDPOINT"
	// EnvCBRRegion is the CBR source region when CBR.Region is empty.
	EnvCBRRegion = "HUAWEICLOUD_SDK_REGION"
)

// ClientOptions are what Settings.Clients gives every client besides the
// settings.
type ClientOptions struct {
	// HTTPClient is every client's base HTTP client (WithHTTPClient); nil
	// leaves the libraries' default.
	HTTPClient *http.Client
	// UserAgent is every client's user agent (WithUserAgent); empty leaves
	// the libraries' default.
	UserAgent string
}

// ClientError says why the client of one cloud could not be built. Nothing
// was sent; the fix is in the settings, the environment or the credentials.
type ClientError struct {
	// Cloud is the cloud whose client is missing (Bigtable, Spanner, CBR, FSx).
	Cloud string
	// Err is the reason.
	Err error
}

// Error returns the reason, led by the cloud's name.
func (e *ClientError) Error() string {
	msg := strings.TrimPrefix(e.Err.Error(), "auth: ")
	if strings.HasPrefix(msg, e.Cloud+":") {
		return msg
	}
	return e.Cloud + ": " + msg
}

// Unwrap returns Err.
func (e *ClientError) Unwrap() error { return e.Err }

// Clients builds the clients of clouds (all four when none is named) from
// the settings, and from the environment where a setting is empty:
//   - an endpoint from the setting or else BACKUPCOPY_<CLOUD>_ENDPOINT (none:
//     the service's own); a Google endpoint that is plain http:// on a
//     loopback address is an emulator, reached without authentication;
//   - credentials from the libraries' usual sources (Application Default
//     Credentials, the AWS chain, HUAWEICLOUD_SDK_*); AWS credentials are
//     resolved here, so missing ones fail now rather than at the first call;
//   - the CBR source region from CBR.Region or else HUAWEICLOUD_SDK_REGION
//     (required).
//
// A name not in Clouds is an error before any client is built. A cloud
// whose client cannot be built is left nil and a *ClientError for
// it is joined into the error, in the order of Clouds, so that a caller can
// serve the clouds it has (a Temporal worker) or stop at the first (the
// backupcopy command). When FSx is built, FSxSource builds a client of a
// source region on first use (the FSx settings with that region) and keeps
// it. Close the clients with Close.
func (s Settings) Clients(ctx context.Context, o ClientOptions, clouds ...string) (Clients, error) {
	if len(clouds) == 0 {
		clouds = Clouds()
	}
	want := map[string]bool{}
	for _, name := range clouds {
		if !slices.Contains(Clouds(), name) {
			return Clients{}, fmt.Errorf("planfile: unknown cloud %q: use one of %s", name, strings.Join(Clouds(), ", "))
		}
		want[name] = true
	}
	var c Clients
	var errs []error
	fail := func(cloud string, err error) { errs = append(errs, &ClientError{Cloud: cloud, Err: err}) }
	var err error
	if want[Bigtable] {
		if c.Bigtable, err = s.bigtableClient(ctx, o); err != nil {
			fail(Bigtable, err)
		}
	}
	if want[Spanner] {
		if c.Spanner, err = s.spannerClient(ctx, o); err != nil {
			fail(Spanner, err)
		}
	}
	if want[CBR] {
		if c.CBR, err = s.cbrClient(ctx, o); err != nil {
			fail(CBR, err)
		}
	}
	if want[FSx] {
		if c.FSx, err = s.FSx.client(ctx, o); err != nil {
			fail(FSx, err)
		} else {
			src := &fsxSources{settings: s.FSx, opts: o, clients: map[string]*fsx.Client{c.FSx.Region(): c.FSx}}
			c.sources = src
			c.FSxSource = func(region string) (*fsx.Client, error) { return src.client(ctx, region) }
		}
	}
	return c, errors.Join(errs...)
}

// Close closes the clients that are set, and the source clients FSxSource
// made.
func (c *Clients) Close() error {
	var errs []error
	if c.Bigtable != nil {
		errs = append(errs, c.Bigtable.Close())
	}
	if c.Spanner != nil {
		errs = append(errs, c.Spanner.Close())
	}
	if c.CBR != nil {
		errs = append(errs, c.CBR.Close())
	}
	if c.FSx != nil {
		errs = append(errs, c.FSx.Close())
	}
	if c.sources != nil {
		errs = append(errs, c.sources.close(c.FSx))
	}
	return errors.Join(errs...)
}

// orEnv is v, or else the environment variable env.
func orEnv(v, env string) string {
	if v != "" {
		return v
	}
	return os.Getenv(env)
}

// emulator reports whether a Google endpoint is a plain http:// loopback
// address (an emulator), which Google clients reach without credentials.
func emulator(endpoint string) bool {
	u, err := url.Parse(endpoint)
	return err == nil && u.Scheme == "http" && rest.IsLoopback(u.Hostname())
}

func (s Settings) bigtableClient(ctx context.Context, o ClientOptions) (*bigtable.Client, error) {
	var opts []bigtable.Option
	if o.HTTPClient != nil {
		opts = append(opts, bigtable.WithHTTPClient(o.HTTPClient))
	}
	if o.UserAgent != "" {
		opts = append(opts, bigtable.WithUserAgent(o.UserAgent))
	}
	if ep := orEnv(s.Bigtable.Endpoint, EnvBigtableEndpoint); ep != "" {
		opts = append(opts, bigtable.WithEndpoint(ep))
		if emulator(ep) {
			opts = append(opts, bigtable.WithoutAuthentication())
		}
	}
	return bigtable.NewClient(ctx, opts...)
}

func (s Settings) spannerClient(ctx context.Context, o ClientOptions) (*spanner.Client, error) {
	var opts []spanner.Option
	if o.HTTPClient != nil {
		opts = append(opts, spanner.WithHTTPClient(o.HTTPClient))
	}
	if o.UserAgent != "" {
		opts = append(opts, spanner.WithUserAgent(o.UserAgent))
	}
	if ep := orEnv(s.Spanner.Endpoint, EnvSpannerEndpoint); ep != "" {
		opts = append(opts, spanner.WithEndpoint(ep))
		if emulator(ep) {
			opts = append(opts, spanner.WithoutAuthentication())
		}
	}
	return spanner.NewClient(ctx, opts...)
}

func (s Settings) cbrClient(ctx context.Context, o ClientOptions) (*cbr.Client, error) {
	region := orEnv(s.CBR.Region, EnvCBRRegion)
	if region == "" {
		return nil, fmt.Errorf("cbr: no source region: set clouds.cbr.region or %s", EnvCBRRegion)
	}
	opts := []cbr.Option{cbr.WithRegion(region)}
	if o.HTTPClient != nil {
		opts = append(opts, cbr.WithHTTPClient(o.HTTPClient))
	}
	if o.UserAgent != "" {
		opts = append(opts, cbr.WithUserAgent(o.UserAgent))
	}
	if s.CBR.ProjectID != "" {
		opts = append(opts, cbr.WithProjectID(s.CBR.ProjectID))
	}
	if ep := orEnv(s.CBR.Endpoint, EnvCBREndpoint); ep != "" {
		opts = append(opts, cbr.WithEndpoint(ep))
	}
	return cbr.NewClient(ctx, opts...)
}

func (s FSxSettings) client(ctx context.Context, o ClientOptions) (*fsx.Client, error) {
	var opts []fsx.Option
	if o.HTTPClient != nil {
		opts = append(opts, fsx.WithHTTPClient(o.HTTPClient))
	}
	if o.UserAgent != "" {
		opts = append(opts, fsx.WithUserAgent(o.UserAgent))
	}
	if s.Region != "" {
		opts = append(opts, fsx.WithRegion(s.Region))
	}
	if ep := orEnv(s.Endpoint, EnvFSxEndpoint); ep != "" {
		opts = append(opts, fsx.WithEndpoint(ep))
	}
	creds := auth.DefaultAWSCredentials()
	if _, err := creds.Retrieve(ctx); err != nil {
		return nil, err
	}
	opts = append(opts, fsx.WithCredentials(creds))
	return fsx.NewClient(ctx, opts...)
}

// fsxSources are the FSx clients of source regions, made on first use.
type fsxSources struct {
	settings FSxSettings
	opts     ClientOptions
	mu       sync.Mutex
	clients  map[string]*fsx.Client
}

func (f *fsxSources) client(ctx context.Context, region string) (*fsx.Client, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.clients[region]; ok {
		return c, nil
	}
	s := f.settings
	s.Region = region
	c, err := s.client(ctx, f.opts)
	if err != nil {
		return nil, &ClientError{Cloud: FSx, Err: err}
	}
	f.clients[region] = c
	return c, nil
}

// close closes the source clients other than dst.
func (f *fsxSources) close(dst *fsx.Client) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var errs []error
	for _, c := range f.clients {
		if c != dst {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}
