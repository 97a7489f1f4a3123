package temporal_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/bigtable/bigtabletest"
	"github.com/backupcopy/backupcopy/cbr/cbrtest"
	"github.com/backupcopy/backupcopy/fsx/fsxtest"
	"github.com/backupcopy/backupcopy/lro"
	"github.com/backupcopy/backupcopy/temporal"
)

func checkDone(t *testing.T, res temporal.Result, n int) {
	t.Helper()
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if res.Totals.Done != n || res.Totals.All() != n {
		t.Fatalf("totals %+v, want %d done", res.Totals, n)
	}
}

// A plan on the four clouds, preflight included, completes with one copy
// of each in the fakes, and no group ever has more in progress than its
// limit.
func TestRunPlanFourClouds(t *testing.T) {
	f := startFakes(t, 50*time.Millisecond)
	plan := f.seed(counts{bigtable: 4, spannerCopy: 3, spannerCreate: 2, cbr: 3, fsx: 8})
	res, runs, env := run(t, f.activities(), plan, nil)
	checkDone(t, res, len(plan.Copies))
	var progress temporal.Progress
	if v, err := env.QueryWorkflow(temporal.ProgressQuery); err != nil {
		t.Errorf("query: %v", err)
	} else if err := v.Get(&progress); err != nil {
		t.Errorf("query result: %v", err)
	}
	if len(progress.Copies) != len(plan.Copies) {
		t.Errorf("progress lists %d copies, want %d", len(progress.Copies), len(plan.Copies))
	}
	for _, c := range progress.Copies {
		if c.State != "done" || c.Name == "" || c.Result == "" {
			t.Errorf("progress of %s: %+v, want done with a name and a result", c.Key, c)
		}
	}
	if runs != 1 {
		t.Errorf("runs = %d, want 1", runs)
	}
	exactlyOnce(t, f, plan)
	if progress.Totals.All() != len(plan.Copies) {
		t.Errorf("progress totals %+v, want %d copies", progress.Totals, len(plan.Copies))
	}
	for _, g := range res.Groups {
		if g.HighWater > g.Max || g.HighWater == 0 {
			t.Errorf("group %s: high water %d, limit %d", g.Group, g.HighWater, g.Max)
		}
		if strings.HasPrefix(g.Group, "spanner-create/") && g.HighWater != 1 {
			t.Errorf("group %s: %d creations at once, want 1", g.Group, g.HighWater)
		}
	}
}

// 12 FSx copies into one region: never more than 5 in progress, and when
// the fake allows only 3 (copies made outside the run count too), its limit
// answers send copies back to the queue: the plan still completes.
func TestRunPlanFSxLimit(t *testing.T) {
	f := startFakes(t, 100*time.Millisecond)
	f.fsx.SetMaxInProgressCopies(3)
	plan := f.seed(counts{fsx: 12})
	plan.Options.SkipPreflight = true
	limited := 0
	res, _, _ := run(t, f.activities(), plan, func(env *testsuite.TestWorkflowEnvironment) {
		env.SetOnActivityCompletedListener(func(info *activity.Info, _ converter.EncodedValue, err error) {
			if info.ActivityType.Name == temporal.StartCopyActivity && err != nil && strings.Contains(err.Error(), temporal.ErrorType(backupcopy.AtLimit)) {
				limited++
			}
		})
	})
	checkDone(t, res, 12)
	if limited == 0 {
		t.Error("no StartCopy came back to the workflow at a limit: the test proves nothing")
	}
	exactlyOnce(t, f, plan)
	if len(res.Groups) != 1 || res.Groups[0].Group != "fsx/"+fsxtest.Region {
		t.Fatalf("groups %+v, want one fsx/%s", res.Groups, fsxtest.Region)
	}
	g := res.Groups[0]
	if g.HighWater > 5 {
		t.Errorf("%d FSx copies in progress at once, limit 5", g.HighWater)
	}
	if n := f.fsx.CountRequests("CopyBackup"); n <= 12 {
		t.Errorf("the fake saw %d CopyBackup requests: its limit answers were never met (the test proves nothing)", n)
	}
}

// Bigtable copies throttled by RESOURCE_EXHAUSTED are retried, not failed.
// The client absorbs at most 3 answers per call (4 tries), so 16 throttling
// answers for 4 copies bring at least one back to the workflow.
func TestRunPlanThrottled(t *testing.T) {
	f := startFakes(t, 20*time.Millisecond)
	plan := f.seed(counts{bigtable: 4})
	plan.Options.SkipPreflight = true
	if err := f.bigtable.InjectFault(bigtabletest.Fault{Operation: "CopyBackup", Kind: bigtabletest.Throttle, Times: 16}); err != nil {
		t.Fatal(err)
	}
	throttled := 0
	res, _, _ := run(t, f.activities(), plan, func(env *testsuite.TestWorkflowEnvironment) {
		env.SetOnActivityCompletedListener(func(info *activity.Info, _ converter.EncodedValue, err error) {
			if info.ActivityType.Name == temporal.StartCopyActivity && err != nil && strings.Contains(err.Error(), temporal.ErrorType(backupcopy.Throttled)) {
				throttled++
			}
		})
	})
	checkDone(t, res, 4)
	exactlyOnce(t, f, plan)
	if throttled == 0 {
		t.Error("no StartCopy came back to the workflow throttled: the test proves nothing")
	}
	if n := f.bigtable.CountRequests("CopyBackup"); n <= 16 {
		t.Errorf("%d CopyBackup requests: the throttling answers were not all met", n)
	}
}

// An AwaitCopy attempt that fails mid-wait is retried, and the retry
// resumes the operation named in its heartbeat: still one copy.
func TestAwaitRetryResumes(t *testing.T) {
	f := startFakes(t, 300*time.Millisecond)
	plan := f.seed(counts{fsx: 1})
	plan.Options.SkipPreflight = true
	plan.Options.Backoff = 10 * time.Millisecond
	a := f.activities()
	// One poll error ends an attempt; every try of one poll fails.
	a.WaitOptions = append(a.WaitOptions, lro.WithMaxPollErrors(1, 0))
	if err := f.fsx.InjectFault(fsxtest.Fault{Operation: "DescribeBackups", Kind: fsxtest.ServerError, Times: 4}); err != nil {
		t.Fatal(err)
	}
	var awaits []temporal.AwaitResult
	var attempts []int32
	res, _, _ := run(t, a, plan, func(env *testsuite.TestWorkflowEnvironment) {
		env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
			if info.ActivityType.Name == temporal.AwaitCopyActivity {
				attempts = append(attempts, info.Attempt)
			}
		})
		env.SetOnActivityCompletedListener(func(info *activity.Info, v converter.EncodedValue, err error) {
			var ar temporal.AwaitResult
			if info.ActivityType.Name == temporal.AwaitCopyActivity && err == nil && v.Get(&ar) == nil {
				awaits = append(awaits, ar)
			}
		})
	})
	checkDone(t, res, 1)
	exactlyOnce(t, f, plan)
	if n := f.fsx.CountRequests("CopyBackup"); n != 1 {
		t.Errorf("%d CopyBackup requests, want 1", n)
	}
	if len(attempts) < 2 {
		t.Fatalf("AwaitCopy attempts %v: the fault did not make it retry", attempts)
	}
	if len(awaits) != 1 || !awaits[0].Resumed {
		t.Fatalf("AwaitCopy results %+v, want one that resumed from its heartbeat", awaits)
	}
}

// An AwaitCopy attempt that timed out (its heartbeat stopped) is retried by
// the server with the last heartbeat's details: the attempt resumes that
// operation and starts nothing. (The SDK's workflow test environment does
// not retry timed-out activities, so this runs the activity as the server
// would run its next attempt.)
func TestAwaitAfterTimeoutResumes(t *testing.T) {
	f := startFakes(t, 100*time.Millisecond)
	plan := f.seed(counts{fsx: 1})
	op, err := f.clients.FSx.CopyBackup(context.Background(), plan.Copies[0].FSx)
	if err != nil {
		t.Fatal(err)
	}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivityWithOptions(f.activities().AwaitCopy, activity.RegisterOptions{Name: temporal.AwaitCopyActivity})
	env.SetHeartbeatDetails(temporal.Heartbeat{Name: op.Name(), Percent: 40})
	v, err := env.ExecuteActivity(temporal.AwaitCopyActivity, temporal.AwaitInput{Copy: plan.Copies[0], Name: op.Name()})
	if err != nil {
		t.Fatal(err)
	}
	var ar temporal.AwaitResult
	if err := v.Get(&ar); err != nil {
		t.Fatal(err)
	}
	if !ar.Resumed || ar.Name != op.Name() || ar.Result == "" {
		t.Errorf("AwaitCopy = %+v, want the operation %s resumed to its end", ar, op.Name())
	}
	if n := f.fsx.CountRequests("CopyBackup"); n != 1 {
		t.Errorf("%d CopyBackup requests, want 1", n)
	}
	exactlyOnce(t, f, plan)
}

// A StartCopy attempt whose answer was lost is retried, and the retry finds
// the copy the first made (or asks for it with the same token): one copy.
func TestStartAnswerLost(t *testing.T) {
	t.Run("fsx", func(t *testing.T) {
		f := startFakes(t, 50*time.Millisecond)
		plan := f.seed(counts{fsx: 1})
		plan.Options.SkipPreflight = true
		plan.Options.Backoff = 10 * time.Millisecond
		// Every try of the client's first call loses its answer.
		if err := f.fsx.InjectFault(fsxtest.Fault{Operation: "CopyBackup", Kind: fsxtest.LoseResponse, Times: 4}); err != nil {
			t.Fatal(err)
		}
		res, _, _ := run(t, f.activities(), plan, nil)
		checkDone(t, res, 1)
		exactlyOnce(t, f, plan)
	})
	t.Run("cbr", func(t *testing.T) {
		f := startFakes(t, 50*time.Millisecond)
		plan := f.seed(counts{cbr: 1})
		plan.Options.SkipPreflight = true
		plan.Options.Backoff = 10 * time.Millisecond
		// The replication is made and its answer lost; every try of the
		// client's own look-up fails, so the attempt ends not knowing.
		if err := f.cbr.InjectFault(cbrtest.Fault{Operation: "CopyBackup", Kind: cbrtest.LoseResponse}); err != nil {
			t.Fatal(err)
		}
		if err := f.cbr.InjectFault(cbrtest.Fault{Operation: "GetBackup", Kind: cbrtest.ServerError, Times: 4}); err != nil {
			t.Fatal(err)
		}
		var starts []int32
		res, _, _ := run(t, f.activities(), plan, func(env *testsuite.TestWorkflowEnvironment) {
			env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
				if info.ActivityType.Name == temporal.StartCopyActivity {
					starts = append(starts, info.Attempt)
				}
			})
		})
		checkDone(t, res, 1)
		exactlyOnce(t, f, plan)
		if len(starts) < 2 {
			t.Errorf("StartCopy attempts %v: the lost answer did not make it retry", starts)
		}
		if n := f.cbr.CountRequests("CopyBackup"); n != 1 {
			t.Errorf("%d replicate requests, want 1", n)
		}
	})
}

// A copy that fails for good is reported and does not stop the others.
func TestRunPlanCopyFails(t *testing.T) {
	f := startFakes(t, 20*time.Millisecond)
	plan := f.seed(counts{fsx: 3})
	plan.Options.SkipPreflight = true
	f.fsx.FailNextCopy("the source file system was deleted")
	res, _, _ := run(t, f.activities(), plan, nil)
	if res.Totals.Done != 2 || res.Totals.Failed != 1 || len(res.Failed) != 1 {
		t.Fatalf("totals %+v, failed %+v: want 2 done and 1 failed", res.Totals, res.Failed)
	}
	if !strings.Contains(res.Failed[0].Error, "the source file system was deleted") || res.Failed[0].Name == "" {
		t.Errorf("failed copy %+v: want the cloud's reason and the operation", res.Failed[0])
	}
	if err := res.Err(); err == nil || !strings.Contains(err.Error(), res.Failed[0].Key) {
		t.Errorf("Result.Err() = %v, want it to name %s", err, res.Failed[0].Key)
	}
}

// A bad plan fails the workflow, naming the bad copy, and starts nothing.
func TestRunPlanBadPlan(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		spoil      func(p *temporal.Plan)
	}{
		{"duplicate key", `"bigtable-00": key used by copies #1 and #4`, func(p *temporal.Plan) { p.Copies = append(p.Copies, p.Copies[0]) }},
		{"missing source", "fsx-01", func(p *temporal.Plan) { p.Copies[2].FSx.SourceBackupID = "backup-0000000000000dead" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startFakes(t, 20*time.Millisecond)
			plan := f.seed(counts{bigtable: 1, fsx: 2})
			tc.spoil(&plan)
			env := newEnv(t, f.activities())
			env.ExecuteWorkflow(temporal.WorkflowName, plan)
			err := env.GetWorkflowError()
			if err == nil {
				t.Fatal("the workflow succeeded")
			}
			for _, want := range []string{tc.want, "backupcopy.invalid-input", "retryable: false"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %s", err, want)
				}
			}
			if n := f.fsx.CountRequests("CopyBackup") + f.bigtable.CountRequests("CopyBackup"); n != 0 {
				t.Errorf("%d copy requests sent, want none", n)
			}
		})
	}
}
