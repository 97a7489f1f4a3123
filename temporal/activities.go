package temporal

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	sdktemporal "go.temporal.io/sdk/temporal"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/fleet"
	"github.com/backupcopy/backupcopy/lro"
	"github.com/backupcopy/backupcopy/planfile"
)

// The names the workflow and activities are registered under (Register)
// and that a client starts and queries them by.
const (
	// WorkflowName is the workflow that runs a plan (RunPlan).
	WorkflowName = "backupcopy.RunPlan"
	// CheckPlanActivity, StartCopyActivity and AwaitCopyActivity are the
	// activities (Activities.CheckPlan, StartCopy and AwaitCopy).
	CheckPlanActivity = "backupcopy.CheckPlan"
	StartCopyActivity = "backupcopy.StartCopy"
	AwaitCopyActivity = "backupcopy.AwaitCopy"
	// ProgressQuery is the query that returns a running plan's Progress.
	ProgressQuery = "progress"
)

// Activities make the copies. A worker registers one value (Register) with
// the clients it holds; the workflow sends each activity a CopySpec, and the
// activity rebuilds the copy's fleet adapter from it, so a copy is started,
// found and followed through the same exactly-once paths as in a fleet run.
type Activities struct {
	// Clients are the clients copies are made with, one per cloud (build
	// them with planfile's Settings.Clients); a cloud the worker does not
	// serve may be left nil, and a copy of it fails with an error naming the
	// missing client. Every worker of a task queue should hold clients of
	// the same regions and endpoints: a copy's activities may run on any of
	// them, and an FSx copy's limit group and destination are its client's
	// region. FSxSource, if set, gives the clients of cross-region FSx
	// copies' source regions, for the check that the source is AVAILABLE.
	Clients planfile.Clients
	// Adapter, if set, builds a copy's fleet adapter instead of Clients (for
	// adapters of your own, or clients chosen per copy).
	Adapter func(CopySpec) (fleet.Adapter, error)
	// WaitOptions are passed to every adapter's Wait (for example
	// lro.WithPollInterval). AwaitCopy caps the poll interval at a third of
	// the activity's heartbeat timeout unless these set one.
	WaitOptions []lro.WaitOption
	// PreflightConcurrency bounds CheckPlan's reads in flight. Zero: 8.
	PreflightConcurrency int
}

func (a *Activities) adapter(s CopySpec) (fleet.Adapter, error) {
	if a.Adapter != nil {
		return a.Adapter(s)
	}
	return adapter(&a.Clients, s)
}

// CheckInput is what CheckPlan checks.
type CheckInput struct {
	// Name is the plan's name.
	Name string
	// Copies are the plan's copies.
	Copies []CopySpec
	// Limits override the adapters' default limits by group.
	Limits map[string]int
	// SkipPreflight skips the reads (the checks without I/O still run).
	SkipPreflight bool
}

// CheckResult is the plan's limit groups: Groups lists each group once, in
// the order of the copies, and GroupOf[i] is the index in Groups of the group
// of Copies[i].
type CheckResult struct {
	// Groups are the plan's limit groups, each once.
	Groups []fleet.Limit
	// GroupOf indexes Groups, one per copy.
	GroupOf []int
}

// CheckPlan checks a plan before anything starts, as fleet.Preflight does:
// unique keys, valid requests, no source copied twice to one destination,
// and (unless SkipPreflight) each copy's preflight reads through its client.
// A bad plan is a non-retryable error that names every bad copy. It returns
// the copies' limit groups with their default limits (overridden by Limits).
func (a *Activities) CheckPlan(ctx context.Context, in CheckInput) (CheckResult, error) {
	plan := fleet.Plan{Name: in.Name}
	var problems []fleet.Problem
	for i, s := range in.Copies {
		ad, err := a.adapter(s)
		if err != nil {
			key := s.Key
			if key == "" {
				key = fmt.Sprintf("#%d", i+1)
			}
			problems = append(problems, fleet.Problem{Key: key, Err: err})
			continue
		}
		plan.Copies = append(plan.Copies, fleet.Copy{Key: s.Key, Adapter: ad})
	}
	if len(problems) > 0 {
		return CheckResult{}, applicationError(&fleet.PlanError{Problems: problems})
	}
	err := fleet.Preflight(ctx, plan, fleet.Options{Limits: in.Limits, SkipPreflight: in.SkipPreflight, PreflightConcurrency: a.PreflightConcurrency})
	if err != nil {
		return CheckResult{}, applicationError(err)
	}
	res := CheckResult{GroupOf: make([]int, len(plan.Copies))}
	index := map[string]int{}
	for i, c := range plan.Copies {
		l := c.Adapter.Limit()
		j, ok := index[l.Group]
		if !ok {
			if n, ok := in.Limits[l.Group]; ok {
				l.Max, l.Source = n, "set by the plan's Limits"
			}
			j = len(res.Groups)
			index[l.Group] = j
			res.Groups = append(res.Groups, l)
		}
		res.GroupOf[i] = j
	}
	return res, nil
}

// StartInput is the copy StartCopy starts.
type StartInput struct {
	// RunID is the run the copy belongs to (the workflow id): the copy's
	// token derives from it and the key (fleet.Token).
	RunID string
	// Copy is the copy.
	Copy CopySpec
	// Since is when the copy was first started, the same on every attempt
	// (fleet.Attempt.Since).
	Since time.Time
	// Retry says an earlier activity may have sent the request already: the
	// copy is looked for (the adapter's Find) before anything is sent.
	Retry bool
}

// StartResult is a started copy.
type StartResult struct {
	// Name is the copy's operation (its resume token).
	Name string
	// Found is true when the copy was found started by an earlier attempt
	// rather than started now.
	Found bool
}

// StartCopy starts a copy and returns its operation's name. It is
// idempotent for the same run and key: the token or id the request carries
// derives from them, and a retried attempt (or Retry) looks for the copy
// with the adapter's Find before sending anything, so an attempt whose
// answer was lost does not make a second copy.
func (a *Activities) StartCopy(ctx context.Context, in StartInput) (StartResult, error) {
	ad, err := a.adapter(in.Copy)
	if err != nil {
		return StartResult{}, applicationError(err)
	}
	if err := ad.Validate(); err != nil {
		return StartResult{}, applicationError(err)
	}
	at := fleet.Attempt{RunID: in.RunID, Key: in.Copy.Key, Token: fleet.Token(in.RunID, in.Copy.Key), Since: in.Since}
	if in.Retry || activity.GetInfo(ctx).Attempt > 1 {
		name, err := ad.Find(ctx, at)
		if err != nil {
			return StartResult{}, applicationError(err)
		}
		if name != "" {
			return StartResult{Name: name, Found: true}, nil
		}
	}
	name, err := ad.Start(ctx, at)
	if err != nil {
		return StartResult{}, applicationError(err)
	}
	return StartResult{Name: name}, nil
}

// AwaitInput is the copy AwaitCopy follows.
type AwaitInput struct {
	// Copy is the copy.
	Copy CopySpec
	// Name is its operation (StartResult.Name).
	Name string
}

// AwaitResult is a finished copy.
type AwaitResult struct {
	// Result names the new backup (Google: its name; FSx, CBR: its id).
	Result string
	// Name is the operation that was followed.
	Name string
	// Resumed is true when the activity resumed the operation named in an
	// earlier attempt's heartbeat.
	Resumed bool
}

// Heartbeat is what AwaitCopy records as its heartbeat details: the
// operation it follows and the last progress seen.
type Heartbeat struct {
	// Name is the operation followed.
	Name string
	// Percent is 0-100, or -1 when the cloud reports none.
	Percent int
}

// AwaitCopy follows a started copy to its end through the client, and
// heartbeats its operation's name and progress after every poll. A retried
// attempt (after a failure or a heartbeat timeout) reads the last heartbeat
// and resumes that operation: it never starts anything.
func (a *Activities) AwaitCopy(ctx context.Context, in AwaitInput) (AwaitResult, error) {
	name, resumed := in.Name, false
	last := Heartbeat{Name: name, Percent: -1}
	if activity.HasHeartbeatDetails(ctx) {
		var hb Heartbeat
		if err := activity.GetHeartbeatDetails(ctx, &hb); err == nil && hb.Name != "" {
			name, resumed, last = hb.Name, true, hb
		}
	}
	if name == "" {
		return AwaitResult{}, applicationError(fleet.Errorf(backupcopy.InvalidInput, "temporal: AwaitCopy: copy %q has no operation name: start it with StartCopy first", in.Copy.Key))
	}
	ad, err := a.adapter(in.Copy)
	if err != nil {
		return AwaitResult{}, applicationError(err)
	}
	activity.RecordHeartbeat(ctx, last)
	var opts []lro.WaitOption
	if hb := activity.GetInfo(ctx).HeartbeatTimeout; hb > 0 {
		opts = append(opts, lro.WithPollInterval(min(lro.DefaultInitialInterval, hb/3), min(lro.DefaultMaxInterval, hb/3)))
	}
	opts = append(opts, a.WaitOptions...)
	opts = append(opts, lro.WithProgress(func(p lro.Progress) {
		activity.RecordHeartbeat(ctx, Heartbeat{Name: name, Percent: p.Percent})
	}))
	res, err := ad.Wait(ctx, name, opts...)
	if err != nil {
		return AwaitResult{}, applicationError(err)
	}
	return AwaitResult{Result: res, Name: name, Resumed: resumed}, nil
}

// ErrorType returns the type of the application errors the activities return
// for errors of kind k: "backupcopy." and the kind's name, for example
// "backupcopy.at-limit" (and "backupcopy.unknown" for errors of no known
// kind). Retry policies and workflows match on it.
func ErrorType(k backupcopy.Kind) string { return "backupcopy." + k.String() }

// applicationError maps an error to Temporal's application errors by its
// class: GiveUp (bad input, not found, permission, conflict, a failed copy)
// is non-retryable; RetryLater (limit, throttling, transient) and
// CheckFirst (an answer lost) are retryable, with the kind in the type.
func applicationError(err error) error {
	if err == nil {
		return nil
	}
	var ae *sdktemporal.ApplicationError
	if errors.As(err, &ae) {
		return err
	}
	k := backupcopy.KindOf(err)
	// The message is the error's own one line; its Go type does not cross
	// the wire, its kind does (in the type).
	return sdktemporal.NewApplicationErrorWithOptions(err.Error(), ErrorType(k),
		sdktemporal.ApplicationErrorOptions{NonRetryable: k.Class() == backupcopy.GiveUp})
}
