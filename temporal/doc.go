// Package temporal runs backup copies as Temporal workflows and activities:
// the copies of package fleet, for users who run such jobs on a durable
// workflow engine rather than on one machine with a state file. It is its
// own module (github.com/backupcopy/backupcopy/temporal), so programs that
// do not use Temporal never download its SDK.
//
// A worker registers the workflow and the activities with the clients it
// holds (one per cloud), and anyone starts a plan by the workflow's name:
//
//	clients, _ := planfile.Settings{}.Clients(ctx, planfile.ClientOptions{})
//	w := worker.New(tc, "backupcopy", worker.Options{})
//	temporal.Register(w, &temporal.Activities{Clients: clients})
//	_ = w.Start()
//
//	p, _ := planfile.ParseFile("nightly.yaml")
//	run, _ := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "nightly-2026-12-02", TaskQueue: "backupcopy"},
//		temporal.WorkflowName, temporal.PlanOf("nightly", p))
//	var res temporal.Result
//	err := run.Get(ctx, &res)
//
// The command in the example directory does this, and follows the plan's
// progress.
//
// # Exactly once
//
// The workflow sends each activity a CopySpec (a key, a cloud and its
// request, no client); the worker rebuilds the copy's fleet adapter
// (bigtable.FleetCopy, spanner.FleetCopy or FleetCreate, cbr.FleetCopy,
// fsx.FleetCopy) with its clients, so a copy is started, found and followed
// through the same paths as in a fleet run. StartCopyActivity derives the
// copy's token from the workflow id and the key (fleet.Token): a retried
// attempt, or a start after one that failed, first looks for the copy with
// the adapter's Find, and sends the request only if there is none, with the
// same token or backup id. AwaitCopyActivity follows the operation through
// the client, heartbeating its name and progress after every poll; a retried
// attempt (after a failure or a heartbeat timeout) resumes the operation
// named in the last heartbeat and starts nothing.
//
// # Errors
//
// Activities return Temporal application errors whose type names the
// error's kind (ErrorType: "backupcopy.at-limit", "backupcopy.not-found",
// ...). Kinds of class GiveUp (bad input, not found, permission, conflict, a
// copy that failed) are non-retryable; RetryLater (limit, throttling,
// transient) and CheckFirst (an answer lost) are retryable with backoff.
//
// # The workflow
//
// RunPlan checks the plan (CheckPlanActivity: keys, requests, routes and the
// preflight reads of fleet.Preflight; a bad plan fails the workflow and
// starts nothing), then starts copies as their limit groups allow
// (fleet.Limit, overridable with Plan.Limits). Limit and throttling answers
// come back to the workflow, which puts the copy back at the head of its
// group's queue, lowers the group's limit and pauses it with backoff (a
// limit is never a failure); every copy that finishes raises the limit by
// one again. ProgressQuery returns the counts, the groups and the copies in
// progress, failed, or done in the current run. After Options.ContinueAfter
// finished copies, or past Options.MaxHistoryLength history events, or when
// the server suggests it, the workflow waits for the starts in flight and
// continues as new with the rest: copies not started, copies in progress (followed
// again by name), the groups as learned, and the counts, so plans of any
// length run within Temporal's history limits. A plan's copies travel in
// the workflow's input, which Temporal limits to 2 MB by default: in plain
// JSON (a request's zero fields left out) a 10,000-copy FSx plan takes about
// 1 MB, a Google or CBR plan 250 to 290 bytes a copy; DataConverter
// compresses payloads (a 10,000-copy Bigtable plan to about 115 KB) for
// clients and workers that all use it.
package temporal
