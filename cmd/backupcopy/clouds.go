package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/internal/rest"
	"github.com/backupcopy/backupcopy/lro"
	"github.com/backupcopy/backupcopy/planfile"
	"github.com/backupcopy/backupcopy/spanner"
)

// Environment variables the tool reads besides the libraries' own.
const (
	envBigtableEndpoint = "BACKUPCOPY_BIGTABLE_ENDPOINT"
	envSpannerEndpoint  = "BACKUPCOPY_SPANNER_ENDPOINT"
	envCBREndpoint      = "BACKUPCOPY_CBR_ENDPOINT"
	envFSxEndpoint      = "BACKUPCOPY_FSX_ENDPOINT"
	envCBRRegion        = "HUAWEICLOUD_SDK_REGION"
)

const userAgent = "backupcopy-cli/" + version

// sendCounter is the base transport of every client: it counts requests
// that left the process, so an error with none sent is the caller's to fix
// (exit 2) and one after a request is the service's (exit 1).
type sendCounter struct {
	n    atomic.Int64
	base http.RoundTripper
}

func (s *sendCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	s.n.Add(1)
	return s.base.RoundTrip(r)
}

// sent reports whether any request was sent.
func (s *sendCounter) sent() bool { return s.n.Load() > 0 }

func newSendCounter() *sendCounter { return &sendCounter{base: http.DefaultTransport} }

// result is a finished or running copy as the tool reports it.
type result struct {
	Cloud string `json:"cloud"`
	// Name is the operation's resume token.
	Name string `json:"name"`
	// State is running, done or failed.
	State string `json:"state"`
	// Backup is the new backup (its name, or id on FSx and CBR) once known.
	Backup string `json:"backup,omitempty"`
	// Percent is the last progress seen (-1: none reported).
	Percent int `json:"percent"`
	// Error is the copy's error, if it failed.
	Error string `json:"error,omitempty"`
}

// handle is a started or resumed copy of any cloud.
type handle interface {
	Name() string
	// wait follows the copy to its end, reporting progress.
	wait(ctx context.Context, progress func(lro.Progress)) (result, error)
}

// settings are the client settings a command line or a plan gives.
type settings struct {
	planfile.Settings
	counter *sendCounter
}

func (a *app) endpoint(flagValue, env string) string {
	if flagValue != "" {
		return flagValue
	}
	return a.getenv(env)
}

// googleAuth says how to authenticate to a Google endpoint: none for a
// loopback http:// one (an emulator), else Application Default Credentials.
func googleNoAuth(endpoint string) bool {
	u, err := url.Parse(endpoint)
	return err == nil && u.Scheme == "http" && rest.IsLoopback(u.Hostname())
}

// configErr turns a client construction error into a usage error: nothing
// was sent, and the fix is the caller's. Library option names become the
// tool's flags and variables.
func configErr(cloud string, err error) error {
	msg := oneLine(err.Error())
	switch {
	case (cloud == planfile.Bigtable || cloud == planfile.Spanner) && strings.Contains(msg, "Application Default Credentials"):
		msg = cloud + ": no usable Application Default Credentials: run `gcloud auth application-default login` or set " +
			"GOOGLE_APPLICATION_CREDENTIALS to a service account key file, or point BACKUPCOPY_" + strings.ToUpper(cloud) +
			"_ENDPOINT at an emulator"
	case cloud == planfile.CBR && strings.Contains(msg, "no credentials"):
		msg = "cbr: no credentials: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK"
	}
	msg = strings.NewReplacer("use WithProjectID or set", "use --project-id or set", "use WithRegion", "use --region",
		"WithEndpoint", "--endpoint").Replace(msg)
	return usagef("%s", msg)
}

func (a *app) bigtableClient(ctx context.Context, s settings) (*bigtable.Client, error) {
	ep := a.endpoint(s.Bigtable.Endpoint, envBigtableEndpoint)
	opts := []bigtable.Option{bigtable.WithHTTPClient(&http.Client{Transport: s.counter}), bigtable.WithUserAgent(userAgent)}
	if ep != "" {
		opts = append(opts, bigtable.WithEndpoint(ep))
		if googleNoAuth(ep) {
			opts = append(opts, bigtable.WithoutAuthentication())
		}
	}
	c, err := bigtable.NewClient(ctx, opts...)
	if err != nil {
		return nil, configErr(planfile.Bigtable, err)
	}
	return c, nil
}

func (a *app) spannerClient(ctx context.Context, s settings) (*spanner.Client, error) {
	ep := a.endpoint(s.Spanner.Endpoint, envSpannerEndpoint)
	opts := []spanner.Option{spanner.WithHTTPClient(&http.Client{Transport: s.counter}), spanner.WithUserAgent(userAgent)}
	if ep != "" {
		opts = append(opts, spanner.WithEndpoint(ep))
		if googleNoAuth(ep) {
			opts = append(opts, spanner.WithoutAuthentication())
		}
	}
	c, err := spanner.NewClient(ctx, opts...)
	if err != nil {
		return nil, configErr(planfile.Spanner, err)
	}
	return c, nil
}

func (a *app) cbrClient(ctx context.Context, s settings) (*cbr.Client, error) {
	opts := []cbr.Option{cbr.WithHTTPClient(&http.Client{Transport: s.counter}), cbr.WithUserAgent(userAgent)}
	region := s.CBR.Region
	if region == "" {
		region = a.getenv(envCBRRegion)
	}
	if region == "" {
		return nil, usagef("cbr: no source region: use --region or set %s (or clouds.cbr.region in a plan)", envCBRRegion)
	}
	opts = append(opts, cbr.WithRegion(region))
	if s.CBR.ProjectID != "" {
		opts = append(opts, cbr.WithProjectID(s.CBR.ProjectID))
	}
	if ep := a.endpoint(s.CBR.Endpoint, envCBREndpoint); ep != "" {
		opts = append(opts, cbr.WithEndpoint(ep))
	}
	c, err := cbr.NewClient(ctx, opts...)
	if err != nil {
		return nil, configErr(planfile.CBR, err)
	}
	return c, nil
}

func (a *app) fsxClient(ctx context.Context, s settings) (*fsx.Client, error) {
	opts := []fsx.Option{fsx.WithHTTPClient(&http.Client{Transport: s.counter}), fsx.WithUserAgent(userAgent)}
	if s.FSx.Region != "" {
		opts = append(opts, fsx.WithRegion(s.FSx.Region))
	}
	if ep := a.endpoint(s.FSx.Endpoint, envFSxEndpoint); ep != "" {
		opts = append(opts, fsx.WithEndpoint(ep))
	}
	// Credentials are resolved now, so that missing ones are a usage error
	// before anything is sent.
	creds := auth.DefaultAWSCredentials()
	if _, err := creds.Retrieve(ctx); err != nil {
		return nil, usagef("fsx: %s", strings.TrimPrefix(oneLine(err.Error()), "auth: "))
	}
	opts = append(opts, fsx.WithCredentials(creds))
	c, err := fsx.NewClient(ctx, opts...)
	if err != nil {
		return nil, configErr(planfile.FSx, err)
	}
	return c, nil
}

// client is a connected client of one cloud.
type client struct {
	cloud   string
	counter *sendCounter
	close   func() error
	// start starts copy c; resume returns a handle on the copy called name.
	start  func(ctx context.Context, c planfile.Copy) (handle, error)
	resume func(name string) handle
}

// connect makes the client of cloud from the settings and the environment.
func (a *app) connect(ctx context.Context, cloud string, ps planfile.Settings) (*client, error) {
	s := settings{Settings: ps, counter: newSendCounter()}
	cl := &client{cloud: cloud, counter: s.counter}
	switch cloud {
	case planfile.Bigtable:
		c, err := a.bigtableClient(ctx, s)
		if err != nil {
			return nil, err
		}
		cl.close = c.Close
		cl.start = func(ctx context.Context, cp planfile.Copy) (handle, error) {
			op, err := c.CopyBackup(ctx, cp.Bigtable)
			if err != nil {
				return nil, err
			}
			return bigtableHandle{op}, nil
		}
		cl.resume = func(name string) handle { return bigtableHandle{c.CopyBackupOperation(name)} }
	case planfile.Spanner:
		c, err := a.spannerClient(ctx, s)
		if err != nil {
			return nil, err
		}
		cl.close = c.Close
		cl.start = func(ctx context.Context, cp planfile.Copy) (handle, error) {
			op, err := c.CopyBackup(ctx, cp.Spanner)
			if err != nil {
				return nil, err
			}
			return spannerHandle{op}, nil
		}
		cl.resume = func(name string) handle { return spannerHandle{c.CopyBackupOperation(name)} }
	case planfile.CBR:
		c, err := a.cbrClient(ctx, s)
		if err != nil {
			return nil, err
		}
		cl.close = c.Close
		cl.start = func(ctx context.Context, cp planfile.Copy) (handle, error) {
			op, err := c.CopyBackup(ctx, cp.CBR)
			if err != nil {
				return nil, err
			}
			return cbrHandle{op}, nil
		}
		cl.resume = func(name string) handle { return cbrHandle{c.CopyBackupOperation(name)} }
	case planfile.FSx:
		c, err := a.fsxClient(ctx, s)
		if err != nil {
			return nil, err
		}
		cl.close = c.Close
		cl.start = func(ctx context.Context, cp planfile.Copy) (handle, error) {
			op, err := c.CopyBackup(ctx, cp.FSx)
			if err != nil {
				return nil, err
			}
			return fsxHandle{op}, nil
		}
		cl.resume = func(name string) handle { return fsxHandle{c.CopyBackupOperation(name)} }
	default:
		return nil, usagef("unknown cloud %q: use one of %s", cloud, strings.Join(planfile.Clouds(), ", "))
	}
	return cl, nil
}

// callErr classifies an error from a call: nothing sent means the input or
// the set-up was wrong (exit 2); otherwise it is the service's answer.
func (cl *client) callErr(err error) error {
	var ue *usageError
	if errors.As(err, &ue) || errors.Is(err, context.Canceled) {
		return err
	}
	if !cl.counter.sent() {
		return usagef("%s", oneLine(err.Error()))
	}
	return err
}

func waitOpts(progress func(lro.Progress)) []lro.WaitOption {
	if progress == nil {
		return nil
	}
	return []lro.WaitOption{lro.WithProgress(progress)}
}

func finish(cloud, name string, backup string, pct int, err error) (result, error) {
	r := result{Cloud: cloud, Name: name, State: "done", Backup: backup, Percent: pct}
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			r.State = "running"
			return r, err
		}
		r.State, r.Error = "failed", oneLine(err.Error())
	}
	return r, err
}

type bigtableHandle struct{ op *bigtable.CopyBackupOperation }

func (h bigtableHandle) Name() string { return h.op.Name() }
func (h bigtableHandle) wait(ctx context.Context, p func(lro.Progress)) (result, error) {
	b, err := h.op.Wait(ctx, waitOpts(p)...)
	name := ""
	if b != nil {
		name = b.Name
	}
	return finish(planfile.Bigtable, h.op.Name(), name, h.op.Progress().Percent, err)
}

type spannerHandle struct{ op *spanner.CopyBackupOperation }

func (h spannerHandle) Name() string { return h.op.Name() }
func (h spannerHandle) wait(ctx context.Context, p func(lro.Progress)) (result, error) {
	b, err := h.op.Wait(ctx, waitOpts(p)...)
	name := ""
	if b != nil {
		name = b.Name
	}
	return finish(planfile.Spanner, h.op.Name(), name, h.op.Progress().Percent, err)
}

type cbrHandle struct{ op *cbr.CopyBackupOperation }

func (h cbrHandle) Name() string { return h.op.Name() }
func (h cbrHandle) wait(ctx context.Context, p func(lro.Progress)) (result, error) {
	r, err := h.op.Wait(ctx, waitOpts(p)...)
	id := ""
	if r != nil {
		id = r.DestinationBackupID
	}
	return finish(planfile.CBR, h.op.Name(), id, h.op.Progress().Percent, err)
}

type fsxHandle struct{ op *fsx.CopyBackupOperation }

func (h fsxHandle) Name() string { return h.op.Name() }
func (h fsxHandle) wait(ctx context.Context, p func(lro.Progress)) (result, error) {
	b, err := h.op.Wait(ctx, waitOpts(p)...)
	id := h.op.Name()
	if b != nil {
		id = b.BackupID
	}
	return finish(planfile.FSx, h.op.Name(), id, h.op.Progress().Percent, err)
}

// describeErr is the one line printed for an API error: the cloud's code,
// message and request id are in the libraries' error text already.
func describeErr(cloud string, err error) string {
	msg := oneLine(err.Error())
	if !strings.HasPrefix(msg, cloud+":") && !strings.HasPrefix(msg, "operation error") {
		msg = cloud + ": " + msg
	}
	return msg
}
