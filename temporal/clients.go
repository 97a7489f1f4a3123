package temporal

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/planfile"
	"github.com/backupcopy/backupcopy/spanner"
)

// The environment variables ClientsFromEnv reads besides the libraries' own
// (the same as the backupcopy command's).
const (
	EnvBigtableEndpoint = "BACKUPCOPY_BIGTABLE_ENDPOINT"
	EnvSpannerEndpoint  = "BACKUPCOPY_SPANNER_ENDPOINT"
	EnvCBREndpoint      = "BACKUPCOPY_CBR_ENDPOINT"
	EnvFSxEndpoint      = "BACKUPCOPY_FSX_ENDPOINT"
	EnvCBRRegion        = "HUAWEICLOUD_SDK_REGION"
)

// ClientsFromEnv builds a worker's clients the way the backupcopy command
// does: endpoints from s (a plan file's clouds: section) or else the
// BACKUPCOPY_<CLOUD>_ENDPOINT variables (a loopback http:// Google endpoint
// means no authentication, as for an emulator), credentials from the
// libraries' usual sources (Application Default Credentials, the AWS chain,
// HUAWEICLOUD_SDK_*), the CBR source region from s or HUAWEICLOUD_SDK_REGION.
// A cloud whose client cannot be built (no credentials, no region) is left
// nil and its reason returned in skipped, so a worker can serve the clouds
// it has; copies of a skipped cloud fail with an error naming the client.
// Close the clients with Close.
func ClientsFromEnv(ctx context.Context, s planfile.Settings) (c Clients, skipped []error) {
	env := func(v, name string) string {
		if v != "" {
			return v
		}
		return os.Getenv(name)
	}
	var err error
	var btOpts []bigtable.Option
	if ep := env(s.Bigtable.Endpoint, EnvBigtableEndpoint); ep != "" {
		btOpts = append(btOpts, bigtable.WithEndpoint(ep))
		if noAuth(ep) {
			btOpts = append(btOpts, bigtable.WithoutAuthentication())
		}
	}
	if c.Bigtable, err = bigtable.NewClient(ctx, btOpts...); err != nil {
		skipped = append(skipped, fmt.Errorf("bigtable: %w", err))
	}
	var spOpts []spanner.Option
	if ep := env(s.Spanner.Endpoint, EnvSpannerEndpoint); ep != "" {
		spOpts = append(spOpts, spanner.WithEndpoint(ep))
		if noAuth(ep) {
			spOpts = append(spOpts, spanner.WithoutAuthentication())
		}
	}
	if c.Spanner, err = spanner.NewClient(ctx, spOpts...); err != nil {
		skipped = append(skipped, fmt.Errorf("spanner: %w", err))
	}
	if region := env(s.CBR.Region, EnvCBRRegion); region == "" {
		skipped = append(skipped, fmt.Errorf("cbr: no source region: set %s or clouds.cbr.region", EnvCBRRegion))
	} else {
		opts := []cbr.Option{cbr.WithRegion(region)}
		if s.CBR.ProjectID != "" {
			opts = append(opts, cbr.WithProjectID(s.CBR.ProjectID))
		}
		if ep := env(s.CBR.Endpoint, EnvCBREndpoint); ep != "" {
			opts = append(opts, cbr.WithEndpoint(ep))
		}
		if c.CBR, err = cbr.NewClient(ctx, opts...); err != nil {
			skipped = append(skipped, fmt.Errorf("cbr: %w", err))
		}
	}
	creds := auth.DefaultAWSCredentials()
	if _, err := creds.Retrieve(ctx); err != nil {
		skipped = append(skipped, fmt.Errorf("fsx: %w", err))
	} else {
		opts := []fsx.Option{fsx.WithCredentials(creds)}
		if s.FSx.Region != "" {
			opts = append(opts, fsx.WithRegion(s.FSx.Region))
		}
		if ep := env(s.FSx.Endpoint, EnvFSxEndpoint); ep != "" {
			opts = append(opts, fsx.WithEndpoint(ep))
		}
		if c.FSx, err = fsx.NewClient(ctx, opts...); err != nil {
			skipped = append(skipped, fmt.Errorf("fsx: %w", err))
		}
	}
	return c, skipped
}

// Close closes the clients that are set.
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
	for _, v := range c.FSxSources {
		if v != nil {
			errs = append(errs, v.Close())
		}
	}
	return errors.Join(errs...)
}

// noAuth reports whether endpoint is a plain http:// loopback address (an
// emulator), which Google clients reach without credentials.
func noAuth(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "http" {
		return false
	}
	h := u.Hostname()
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
