package temporal

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	sdktemporal "go.temporal.io/sdk/temporal"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/fleet"
)

// Plan is the input of the workflow RunPlan: the copies to make, with the
// run's settings, and the state an earlier run of the same workflow carried
// over by continue-as-new.
type Plan struct {
	// Name names the plan (for CheckPlan's errors).
	Name string `json:"name,omitempty"`
	// Copies are the plan's copies, each with a key unique in the plan.
	Copies []CopySpec `json:"copies,omitempty"`
	// Limits override the default limit of groups by name (fleet.Limit.Group),
	// as fleet.Options.Limits does.
	Limits map[string]int `json:"limits,omitempty"`
	// Options tune the run.
	Options Options `json:"options"`
	// Carry is the state of the runs before this one; nil for a new plan.
	// The workflow sets it when it continues as new: leave it nil.
	Carry *Carry `json:"carry,omitempty"`
}

// Options tune a run of RunPlan; the zero value is usable.
type Options struct {
	// SkipPreflight skips CheckPlan's reads (its checks without I/O run).
	SkipPreflight bool `json:"skip_preflight,omitempty"`
	// CheckTimeout bounds one CheckPlan attempt. Zero: 10 minutes.
	CheckTimeout time.Duration `json:"check_timeout,omitempty"`
	// StartTimeout bounds one StartCopy attempt. Zero: 5 minutes.
	StartTimeout time.Duration `json:"start_timeout,omitempty"`
	// AwaitTimeout bounds one AwaitCopy attempt; a retried attempt resumes
	// the same operation. Zero: 24 hours.
	AwaitTimeout time.Duration `json:"await_timeout,omitempty"`
	// HeartbeatTimeout is AwaitCopy's heartbeat timeout: an attempt that
	// has not polled successfully for this long is retried. Zero: 2 minutes.
	HeartbeatTimeout time.Duration `json:"heartbeat_timeout,omitempty"`
	// Backoff is the first delay of activity retries and of a group paused
	// by a limit or throttling answer, doubled on every further one up to
	// MaxBackoff. Zero: 2 s and 2 minutes.
	Backoff    time.Duration `json:"backoff,omitempty"`
	MaxBackoff time.Duration `json:"max_backoff,omitempty"`
	// MaxAttempts bounds the attempts of each activity (limit answers do
	// not count: they send the copy back to its queue). Zero: 8.
	MaxAttempts int `json:"max_attempts,omitempty"`
	// ContinueAfter is how many copies one run finishes before it continues
	// as new. Zero: 1000.
	ContinueAfter int `json:"continue_after,omitempty"`
	// MaxHistoryLength is the history length (events) past which a run
	// continues as new, well below Temporal's limit of 51,200. Zero: 20,000.
	// A run also continues as new when the server suggests it.
	MaxHistoryLength int `json:"max_history_length,omitempty"`
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.CheckTimeout, 10*time.Minute)
	def(&o.StartTimeout, 5*time.Minute)
	def(&o.AwaitTimeout, 24*time.Hour)
	def(&o.HeartbeatTimeout, 2*time.Minute)
	def(&o.Backoff, 2*time.Second)
	def(&o.MaxBackoff, 2*time.Minute)
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.ContinueAfter <= 0 {
		o.ContinueAfter = 1000
	}
	if o.MaxHistoryLength <= 0 {
		o.MaxHistoryLength = 20000
	}
	return o
}

// Carry is the state one run of RunPlan hands to the next when it continues
// as new: the groups as learned, the copies not yet started, the copies in
// progress (followed again by name, never started again), and the counts.
type Carry struct {
	// Runs counts the runs so far.
	Runs int `json:"runs"`
	// Groups are the limit groups; Entry.Group indexes them.
	Groups []GroupState `json:"groups"`
	// Queued are the copies not started, in queue order per group.
	Queued []Entry `json:"queued,omitempty"`
	// Running are the copies started and not finished, with their
	// operations' names.
	Running []Entry `json:"running,omitempty"`
	// Done counts the copies done.
	Done int `json:"done"`
	// Failed are the copies that failed for good.
	Failed []CopyStatus `json:"failed,omitempty"`
}

// GroupState is a limit group as a run has learned it.
type GroupState struct {
	// Limit is the group and its limit (the adapter's default, or
	// Plan.Limits).
	Limit fleet.Limit `json:"limit"`
	// Current is the limit now: lowered by limit and throttling answers,
	// raised by one by every copy that finishes, up to Limit.Max.
	Current int `json:"current"`
	// Pauses counts the limit answers since the group's last finished copy
	// (the backoff doubles with each); PausedUntil is when it may start
	// copies again.
	Pauses      int       `json:"pauses,omitempty"`
	PausedUntil time.Time `json:"paused_until,omitempty"`
	// HighWater is the most copies of the group ever in progress at once.
	HighWater int `json:"high_water,omitempty"`
}

// Entry is one copy in a run's state.
type Entry struct {
	// Copy is the copy.
	Copy CopySpec `json:"copy"`
	// Group indexes Carry.Groups.
	Group int `json:"group"`
	// Name is the copy's operation once started.
	Name string `json:"name,omitempty"`
	// Since is when the copy was first started (fleet.Attempt.Since).
	Since time.Time `json:"since,omitzero"`
	// Retry says a start was tried before: look for the copy first.
	Retry bool `json:"retry,omitempty"`
	// Limited counts the limit answers the copy met.
	Limited int `json:"limited,omitempty"`
}

// CopyStatus is where one copy stands.
type CopyStatus struct {
	// Key, Cloud and Group name the copy, its cloud and its limit group.
	Key   string `json:"key"`
	Cloud string `json:"cloud"`
	Group string `json:"group"`
	// State is "starting", "running", "done" or "failed".
	State string `json:"state"`
	// Name is the copy's operation (its resume token), once started.
	Name string `json:"name,omitempty"`
	// Result names the new backup once done.
	Result string `json:"result,omitempty"`
	// Error is why the copy failed.
	Error string `json:"error,omitempty"`
	// Limited counts the limit answers the copy met.
	Limited int `json:"limited,omitempty"`
}

// GroupStatus is where a limit group stands.
type GroupStatus struct {
	// Group names the limit group (fleet.Limit.Group).
	Group string `json:"group"`
	// Max is the group's limit (its default, or Plan.Limits); Current the
	// limit as lowered by limit answers; InProgress the copies started and
	// not finished; HighWater the most ever in progress at once.
	Max        int `json:"max"`
	Current    int `json:"current"`
	InProgress int `json:"in_progress"`
	HighWater  int `json:"high_water"`
	// Queued counts the copies waiting to start.
	Queued int `json:"queued"`
}

// Progress is the answer to the ProgressQuery: the counts, the groups, and
// every copy that is starting, running, or failed, plus those done in the
// current run (copies done in earlier runs are counted, not listed).
type Progress struct {
	// Totals count the plan's copies by state.
	Totals fleet.Totals `json:"totals"`
	// Groups are the limit groups.
	Groups []GroupStatus `json:"groups"`
	// Copies are the copies starting and running (by key), then those done
	// in this run, then those failed.
	Copies []CopyStatus `json:"copies"`
	// Runs counts the runs of the workflow so far (continue-as-new).
	Runs int `json:"runs"`
}

// Result is the outcome of RunPlan: the counts, the groups, and every copy
// that failed. The names of the new backups are in the results of the
// AwaitCopy activities.
type Result struct {
	// Totals count the plan's copies by state (Done and Failed at the end).
	Totals fleet.Totals `json:"totals"`
	// Groups are the limit groups, with the most copies ever in progress.
	Groups []GroupStatus `json:"groups"`
	// Failed are the copies that failed for good, with their reasons.
	Failed []CopyStatus `json:"failed,omitempty"`
	// Runs counts the workflow's runs (1 plus its continue-as-new).
	Runs int `json:"runs"`
}

// Err returns nil if every copy is done, else an error naming the copies
// that failed.
func (r *Result) Err() error {
	if len(r.Failed) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "temporal: %d of %d copies failed:", len(r.Failed), r.Totals.All())
	for i, f := range r.Failed {
		if i == 5 {
			fmt.Fprintf(&b, " and %d more", len(r.Failed)-5)
			break
		}
		fmt.Fprintf(&b, " %s (%s);", f.Key, f.Error)
	}
	return errors.New(strings.TrimSuffix(b.String(), ";"))
}

// group is a limit group while a run holds it.
type group struct {
	GroupState
	queue      []*Entry
	inProgress int
}

// run is one run of RunPlan.
type run struct {
	opts     Options
	runID    string
	groups   []*group
	active   map[string]*Entry // starting and running copies, by key
	state    map[string]string // "starting" or "running", by key
	done     []CopyStatus      // copies done in this run
	failed   []CopyStatus
	doneN    int
	runs     int
	starting int
	running  int
	finished int // copies finished (done or failed) in this run
	tick     int
	// unchecked counts the plan's copies while CheckPlan runs (queued).
	unchecked int
}

// RunPlan is the workflow that makes a plan's copies: it checks the plan
// (CheckPlanActivity), starts the copies (StartCopyActivity) as their limit
// groups allow, follows them (AwaitCopyActivity), and answers ProgressQuery.
// An answer that a limit was reached or that the cloud throttles puts the
// copy back at the head of its group's queue, lowers the group's limit and
// pauses it with backoff; each copy that finishes raises the limit by one
// again. A copy that fails for good does not stop the others. Before its
// history grows past Options.ContinueAfter copies or
// Options.MaxHistoryLength events, it waits for the starts in flight and
// continues as new with the rest, so plans of any length run; copies in
// progress are followed again by name in the next run. Register it with
// Register (its name is WorkflowName).
func RunPlan(ctx workflow.Context, plan Plan) (Result, error) {
	r := &run{opts: plan.Options.withDefaults(), runID: workflow.GetInfo(ctx).WorkflowExecution.ID, active: map[string]*Entry{}, state: map[string]string{}}
	var running []*Entry
	if err := workflow.SetQueryHandler(ctx, ProgressQuery, func() (Progress, error) { return r.progress(), nil }); err != nil {
		return Result{}, err
	}
	if c := plan.Carry; c != nil {
		r.runs, r.doneN, r.failed = c.Runs, c.Done, c.Failed
		for _, g := range c.Groups {
			r.groups = append(r.groups, &group{GroupState: g})
		}
		for i := range c.Queued {
			e := &c.Queued[i]
			if e.Group < 0 || e.Group >= len(r.groups) {
				return Result{}, badCarry(e)
			}
			g := r.groups[e.Group]
			g.queue = append(g.queue, e)
		}
		for i := range c.Running {
			e := &c.Running[i]
			if e.Group < 0 || e.Group >= len(r.groups) || e.Name == "" {
				return Result{}, badCarry(e)
			}
			running = append(running, e)
		}
	} else {
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: r.opts.CheckTimeout,
			RetryPolicy:         r.retryPolicy(),
		})
		var chk CheckResult
		r.unchecked = len(plan.Copies)
		in := CheckInput{Name: plan.Name, Copies: plan.Copies, Limits: plan.Limits, SkipPreflight: plan.Options.SkipPreflight}
		if err := workflow.ExecuteActivity(actx, CheckPlanActivity, in).Get(ctx, &chk); err != nil {
			return Result{}, err
		}
		r.unchecked = 0
		if len(chk.GroupOf) != len(plan.Copies) || slices.ContainsFunc(chk.GroupOf, func(j int) bool { return j < 0 || j >= len(chk.Groups) }) {
			return Result{}, sdktemporal.NewNonRetryableApplicationError("temporal: CheckPlan returned groups for another plan: check that every worker runs this version",
				ErrorType(backupcopy.InvalidInput), nil)
		}
		for _, l := range chk.Groups {
			r.groups = append(r.groups, &group{GroupState: GroupState{Limit: l, Current: l.Max}})
		}
		for i, s := range plan.Copies {
			g := r.groups[chk.GroupOf[i]]
			g.queue = append(g.queue, &Entry{Copy: s, Group: chk.GroupOf[i]})
		}
	}
	r.runs++
	// Groups paused by an earlier run wake when their pause ends.
	now := workflow.Now(ctx)
	for _, g := range r.groups {
		if d := g.PausedUntil.Sub(now); d > 0 {
			r.wakeAfter(ctx, d)
		}
	}
	for _, e := range running {
		g := r.groups[e.Group]
		g.inProgress++
		g.HighWater = max(g.HighWater, g.inProgress)
		r.running++
		r.setActive(e, "running")
		workflow.Go(ctx, func(ctx workflow.Context) { r.follow(ctx, e) })
	}

	draining := false
	for {
		if !draining {
			for r.startNext(ctx) {
			}
		}
		if r.queued() == 0 && r.starting == 0 && r.running == 0 {
			break
		}
		if !draining && r.shouldContinue(ctx) {
			draining = true
		}
		if draining && r.starting == 0 {
			return Result{}, workflow.NewContinueAsNewError(ctx, WorkflowName, r.carry(plan))
		}
		tick := r.tick
		err := workflow.Await(ctx, func() bool {
			return r.tick != tick || (!draining && r.canStart(ctx))
		})
		if err != nil {
			return Result{}, err
		}
	}
	return r.result(), nil
}

func (r *run) retryPolicy(nonRetryable ...string) *sdktemporal.RetryPolicy {
	return &sdktemporal.RetryPolicy{
		InitialInterval:        r.opts.Backoff,
		BackoffCoefficient:     2,
		MaximumInterval:        r.opts.MaxBackoff,
		MaximumAttempts:        int32(r.opts.MaxAttempts),
		NonRetryableErrorTypes: nonRetryable,
	}
}

func (r *run) queued() int {
	n := 0
	for _, g := range r.groups {
		n += len(g.queue)
	}
	return n
}

func (g *group) startable(now time.Time) bool {
	return len(g.queue) > 0 && g.inProgress < g.Current && !now.Before(g.PausedUntil)
}

func (r *run) canStart(ctx workflow.Context) bool {
	now := workflow.Now(ctx)
	for _, g := range r.groups {
		if g.startable(now) {
			return true
		}
	}
	return false
}

func (r *run) shouldContinue(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	return r.finished >= r.opts.ContinueAfter || info.GetCurrentHistoryLength() >= r.opts.MaxHistoryLength || info.GetContinueAsNewSuggested()
}

// startNext starts the next copy of the first group that may start one.
func (r *run) startNext(ctx workflow.Context) bool {
	now := workflow.Now(ctx)
	for _, g := range r.groups {
		if !g.startable(now) {
			continue
		}
		e := g.queue[0]
		g.queue[0] = nil
		g.queue = g.queue[1:]
		g.inProgress++
		g.HighWater = max(g.HighWater, g.inProgress)
		r.starting++
		if e.Since.IsZero() {
			e.Since = now
		}
		r.setActive(e, "starting")
		workflow.Go(ctx, func(ctx workflow.Context) { r.start(ctx, e) })
		return true
	}
	return false
}

func (r *run) status(e *Entry, state string) *CopyStatus {
	return &CopyStatus{Key: e.Copy.Key, Cloud: e.Copy.Cloud, Group: r.groups[e.Group].Limit.Group, State: state, Name: e.Name, Limited: e.Limited}
}

// start runs StartCopy for e, then follows it.
func (r *run) start(ctx workflow.Context, e *Entry) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: r.opts.StartTimeout,
		// Limit answers come back to the workflow, which holds the group.
		RetryPolicy: r.retryPolicy(ErrorType(backupcopy.AtLimit), ErrorType(backupcopy.Throttled)),
	})
	var sr StartResult
	err := workflow.ExecuteActivity(actx, StartCopyActivity, StartInput{RunID: r.runID, Copy: e.Copy, Since: e.Since, Retry: e.Retry}).Get(ctx, &sr)
	r.starting--
	r.tick++
	g := r.groups[e.Group]
	if err != nil {
		if k := errorKind(err); k == backupcopy.AtLimit || k == backupcopy.Throttled {
			r.limited(ctx, g, e, k)
			return
		}
		r.fail(g, e, err)
		return
	}
	e.Name = sr.Name
	r.running++
	r.setActive(e, "running")
	r.follow(ctx, e)
}

// follow runs AwaitCopy for the started copy e.
func (r *run) follow(ctx workflow.Context, e *Entry) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: r.opts.AwaitTimeout,
		HeartbeatTimeout:    r.opts.HeartbeatTimeout,
		RetryPolicy:         r.retryPolicy(),
	})
	var ar AwaitResult
	err := workflow.ExecuteActivity(actx, AwaitCopyActivity, AwaitInput{Copy: e.Copy, Name: e.Name}).Get(ctx, &ar)
	r.running--
	r.tick++
	g := r.groups[e.Group]
	if err != nil {
		r.fail(g, e, err)
		return
	}
	g.inProgress--
	g.Current = min(g.Limit.Max, g.Current+1)
	g.Pauses = 0
	r.doneN++
	r.finished++
	r.clearActive(e)
	st := r.status(e, "done")
	st.Result = ar.Result
	r.done = append(r.done, *st)
}

func (r *run) setActive(e *Entry, state string) {
	r.active[e.Copy.Key] = e
	r.state[e.Copy.Key] = state
}

func (r *run) clearActive(e *Entry) {
	delete(r.active, e.Copy.Key)
	delete(r.state, e.Copy.Key)
}

func (r *run) fail(g *group, e *Entry, err error) {
	g.inProgress--
	r.finished++
	r.clearActive(e)
	st := r.status(e, "failed")
	st.Error = errorMessage(err)
	r.failed = append(r.failed, *st)
}

// limited puts e back at the head of its group's queue after a limit or
// throttling answer, lowers the group's limit and pauses it with backoff.
func (r *run) limited(ctx workflow.Context, g *group, e *Entry, k backupcopy.Kind) {
	g.inProgress--
	r.clearActive(e)
	e.Limited++
	e.Retry = true
	if k == backupcopy.AtLimit {
		g.Current = max(1, g.inProgress)
	} else {
		g.Current = max(1, g.Current/2)
	}
	g.Pauses++
	d := r.backoff(e.Copy.Key, g.Pauses)
	g.PausedUntil = workflow.Now(ctx).Add(d)
	g.queue = append([]*Entry{e}, g.queue...)
	r.wakeAfter(ctx, d)
}

// wakeAfter makes the run look again at its groups after d.
func (r *run) wakeAfter(ctx workflow.Context, d time.Duration) {
	workflow.Go(ctx, func(ctx workflow.Context) {
		_ = workflow.Sleep(ctx, d)
		r.tick++
	})
}

// backoff is Backoff doubled for each pause after the first, capped at
// MaxBackoff, drawn from [d/2, d) by a hash of the key and the pause count
// (the workflow must be deterministic: no random numbers).
func (r *run) backoff(key string, pauses int) time.Duration {
	d := r.opts.Backoff
	for i := 1; i < pauses && d < r.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, r.opts.MaxBackoff)
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%d", key, pauses)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + time.Duration(h.Sum64()%uint64(half))
}

func (r *run) totals() fleet.Totals {
	return fleet.Totals{Queued: r.queued() + r.unchecked, Starting: r.starting, Running: r.running, Done: r.doneN, Failed: len(r.failed)}
}

func (r *run) groupStatus() []GroupStatus {
	out := make([]GroupStatus, 0, len(r.groups))
	for _, g := range r.groups {
		out = append(out, GroupStatus{Group: g.Limit.Group, Max: g.Limit.Max, Current: g.Current, InProgress: g.inProgress, HighWater: g.HighWater, Queued: len(g.queue)})
	}
	return out
}

func (r *run) progress() Progress {
	p := Progress{Totals: r.totals(), Groups: r.groupStatus(), Runs: r.runs}
	for k, e := range r.active {
		p.Copies = append(p.Copies, *r.status(e, r.state[k]))
	}
	slices.SortFunc(p.Copies, func(a, b CopyStatus) int { return strings.Compare(a.Key, b.Key) })
	p.Copies = append(p.Copies, r.done...)
	p.Copies = append(p.Copies, r.failed...)
	return p
}

func (r *run) result() Result {
	return Result{Totals: r.totals(), Groups: r.groupStatus(), Failed: r.failed, Runs: r.runs}
}

// carry returns the input of the next run: no start is in flight, so every
// copy is either queued or running with its operation's name.
func (r *run) carry(plan Plan) Plan {
	c := &Carry{Runs: r.runs, Done: r.doneN, Failed: r.failed}
	for _, g := range r.groups {
		c.Groups = append(c.Groups, g.GroupState)
		for _, e := range g.queue {
			c.Queued = append(c.Queued, *e)
		}
	}
	// The running copies, in the order they were started (by key for a
	// stable input).
	keys := make([]string, 0, len(r.active))
	for k := range r.active {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		c.Running = append(c.Running, *r.active[k])
	}
	return Plan{Name: plan.Name, Limits: plan.Limits, Options: plan.Options, Carry: c}
}

// errorKind returns the kind named by an activity's application error type
// (see ErrorType), or KindUnknown.
func errorKind(err error) backupcopy.Kind {
	var ae *sdktemporal.ApplicationError
	if !errors.As(err, &ae) {
		return backupcopy.KindUnknown
	}
	for k := backupcopy.KindUnknown; k <= backupcopy.OutcomeUnknown; k++ {
		if ErrorType(k) == ae.Type() {
			return k
		}
	}
	return backupcopy.KindUnknown
}

// errorMessage is the one line a failed copy reports: the activity's own
// message rather than Temporal's wrapping of it.
func errorMessage(err error) string {
	var ae *sdktemporal.ApplicationError
	if errors.As(err, &ae) {
		return ae.Message()
	}
	var te *sdktemporal.TimeoutError
	if errors.As(err, &te) {
		return "temporal: the activity timed out (" + te.TimeoutType().String() + ") and its retries ran out"
	}
	return err.Error()
}

// badCarry is the error of a run whose carried state does not hold
// together (it was edited, or made by another version).
func badCarry(e *Entry) error {
	return sdktemporal.NewNonRetryableApplicationError(fmt.Sprintf("temporal: the carried state of copy %q names no group of the run or, running, no operation: continue-as-new input is the workflow's own, leave Plan.Carry nil", e.Copy.Key),
		ErrorType(backupcopy.InvalidInput), nil)
}
