package main

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/lro"
	"github.com/backupcopy/backupcopy/planfile"
	"github.com/backupcopy/backupcopy/spanner"
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

// clientOptions are the options of every client the tool makes: the
// counter of sent requests, and the tool's user agent.
func clientOptions(counter *sendCounter) planfile.ClientOptions {
	return planfile.ClientOptions{HTTPClient: &http.Client{Transport: counter}, UserAgent: userAgent}
}

// configErr turns an error of planfile's Settings.Clients into a usage
// error: nothing was sent, and the fix is the caller's. Library option names
// become what the caller can set: the command's flags, or, for a plan
// (fromPlan), the plan's clouds section; both also take the variables.
func configErr(err error, fromPlan bool) error {
	var ce *planfile.ClientError
	if !errors.As(err, &ce) {
		return usagef("%s", oneLine(err.Error()))
	}
	cloud, msg := ce.Cloud, oneLine(ce.Error())
	switch {
	case (cloud == planfile.Bigtable || cloud == planfile.Spanner) && strings.Contains(msg, "Application Default Credentials"):
		msg = cloud + ": no usable Application Default Credentials: run `gcloud auth application-default login` or set " +
			"GOOGLE_APPLICATION_CREDENTIALS to a service account key file, or point BACKUPCOPY_" + strings.ToUpper(cloud) +
			"_ENDPOINT at an emulator"
	case cloud == planfile.CBR && strings.Contains(msg, "no credentials"):
		msg = "cbr: no credentials: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK"
	}
	msg = strings.Replace(msg, cloud+": NewClient: ", cloud+": ", 1)
	if fromPlan {
		section := "clouds." + cloud
		msg = strings.NewReplacer("use WithProjectID or set", "set "+section+".project_id in the plan or set",
			"use WithRegion", "set "+section+".region in the plan",
			"WithEndpoint", section+".endpoint in the plan").Replace(msg)
	} else {
		msg = strings.NewReplacer("use WithProjectID or set", "use --project-id or set", "use WithRegion", "use --region",
			"WithEndpoint", "--endpoint",
			"set clouds.cbr.region or "+planfile.EnvCBRRegion, "use --region or set "+planfile.EnvCBRRegion+" (or clouds.cbr.region in a plan)").Replace(msg)
	}
	return usagef("%s", msg)
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
	if !slices.Contains(planfile.Clouds(), cloud) {
		return nil, usagef("unknown cloud %q: use one of %s", cloud, strings.Join(planfile.Clouds(), ", "))
	}
	counter := newSendCounter()
	cs, err := ps.Clients(ctx, clientOptions(counter), cloud)
	if err != nil {
		return nil, configErr(err, false)
	}
	cl := &client{cloud: cloud, counter: counter, close: cs.Close}
	switch cloud {
	case planfile.Bigtable:
		c := cs.Bigtable
		cl.start = func(ctx context.Context, cp planfile.Copy) (handle, error) {
			op, err := c.CopyBackup(ctx, cp.Bigtable)
			if err != nil {
				return nil, err
			}
			return bigtableHandle{op}, nil
		}
		cl.resume = func(name string) handle { return bigtableHandle{c.CopyBackupOperation(name)} }
	case planfile.Spanner:
		c := cs.Spanner
		cl.start = func(ctx context.Context, cp planfile.Copy) (handle, error) {
			op, err := c.CopyBackup(ctx, cp.Spanner)
			if err != nil {
				return nil, err
			}
			return spannerHandle{op}, nil
		}
		cl.resume = func(name string) handle { return spannerHandle{c.CopyBackupOperation(name)} }
	case planfile.CBR:
		c := cs.CBR
		cl.start = func(ctx context.Context, cp planfile.Copy) (handle, error) {
			op, err := c.CopyBackup(ctx, cp.CBR)
			if err != nil {
				return nil, err
			}
			return cbrHandle{op}, nil
		}
		cl.resume = func(name string) handle { return cbrHandle{c.CopyBackupOperation(name)} }
	case planfile.FSx:
		c := cs.FSx
		cl.start = func(ctx context.Context, cp planfile.Copy) (handle, error) {
			op, err := c.CopyBackup(ctx, cp.FSx)
			if err != nil {
				return nil, err
			}
			return fsxHandle{op}, nil
		}
		cl.resume = func(name string) handle { return fsxHandle{c.CopyBackupOperation(name)} }
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
	// The name is the new backup's id, unless FSx says there is no such
	// backup: then there is nothing to name.
	id := h.op.Name()
	switch {
	case b != nil:
		id = b.BackupID
	case backupcopy.KindOf(err) == backupcopy.NotFound:
		id = ""
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
