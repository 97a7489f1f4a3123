// Package fleet makes many backup copies as one run: within each API's
// limits, with one view of progress, and resumable after a crash with every
// copy made exactly once.
//
// A Plan is a set of copies, each a stable Key (unique in the plan) and an
// Adapter: one service's copy request, as its package offers it
// (bigtable.FleetCopy, spanner.FleetCopy, spanner.FleetCreate, cbr.FleetCopy,
// fsx.FleetCopy). Run checks the plan, starts the copies as their limits
// allow, waits on them and returns a CopyResult per copy. A complete program
// that copies the FSx backups named on its command line from us-east-1 into
// eu-west-1, and that resumes when run again after Ctrl-C, a crash or a
// reboot:
//
//	package main
//
//	import (
//		"context"
//		"log"
//		"os"
//		"os/signal"
//
//		"github.com/backupcopy/backupcopy/fleet"
//		"github.com/backupcopy/backupcopy/fleet/journal"
//		"github.com/backupcopy/backupcopy/fsx"
//	)
//
//	func main() {
//		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
//		defer stop()
//		dst, err := fsx.NewClient(ctx, fsx.WithRegion("eu-west-1"))
//		if err != nil {
//			log.Fatal(err)
//		}
//		src, err := fsx.NewClient(ctx, fsx.WithRegion("us-east-1")) // reads the sources for the preflight check
//		if err != nil {
//			log.Fatal(err)
//		}
//		// One file holds the run's state; a second run on it fails at once.
//		st, err := journal.Open("nightly.state")
//		if err != nil {
//			log.Fatal(err) // corrupt, locked or not a state file: one line, the file is left alone
//		}
//		defer st.Close()
//
//		plan := fleet.Plan{Name: "nightly"}
//		for _, id := range os.Args[1:] {
//			plan.Copies = append(plan.Copies, fleet.Copy{Key: id, Adapter: &fsx.FleetCopy{
//				Client:       dst,
//				SourceClient: src,
//				Request:      fsx.CopyBackupRequest{SourceBackupID: id, SourceRegion: "us-east-1", CopyTags: true},
//			}})
//		}
//		res, err := fleet.Run(ctx, plan, fleet.Options{
//			Store: st,
//			OnEvent: func(e fleet.Event) {
//				log.Printf("%s %s %s %d%% (%d/%d done)", e.Key, e.Type, e.Name, e.Percent, e.Totals.Done, e.Totals.All())
//			},
//		})
//		if err != nil {
//			log.Print(err) // a bad plan (nothing started), another plan's state file, or Ctrl-C (run again to resume)
//			return
//		}
//		if err := res.Err(); err != nil {
//			log.Print(err) // some copies failed for good; the others were made
//		}
//	}
//
// The package imports lro and the root package backupcopy, and no service
// package: each service package imports fleet to offer its adapter, so a
// program that copies FSx backups only links no Google or Huawei code.
//
// # Exactly once
//
// The token or id a copy uses comes from the run and its key (see Token):
// FSx sends Token as its ClientRequestToken; Bigtable and Spanner requests
// carry their backup id; CBR finds its replication in the source backup's
// replication records. A Store records each copy as Starting before its
// request is sent and as Running, with its operation's name, after. When a
// run resumes, a copy found Starting is looked for with the adapter's Find
// and followed if it exists; only if it does not is the request sent, with
// the same token or id. A copy found Running is followed by name. The
// package journal stores runs in one bbolt file; MemoryStore keeps them in
// memory (no resume across processes); other stores (a workflow engine's
// history) implement Store.
//
// A copy that failed for good stays Failed in its store, and a rerun
// reports it again rather than retrying it; a copy given up on after
// Options.MaxAttempts transient failures stays Starting or Running in the
// store, so a rerun looks for it and follows it. To try failed copies again,
// run the plan with a new store.
//
// A store holds one run of one plan: a plan of another name is refused, as
// is a plan that changed the request under a key the store holds, or that
// dropped a key (a *StateError naming the keys). Keys added to the plan are
// welcome.
//
// # Limits
//
// Every copy counts against one limit group while it is in progress
// (Adapter.Limit): FSx copies per destination region (5, documented),
// Spanner backup creations per database (1, documented), and, where the
// API documents no number, a conservative default per destination (see each
// adapter's doc). Options.Limits overrides a group's limit. When a cloud
// answers that a limit is reached or that it throttles anyway
// (backupcopy.AtLimit, backupcopy.Throttled), the copy goes back to the head
// of its queue, the group pauses with backoff and its limit is lowered (to
// the copies known to be in progress for a limit, by half for throttling);
// it grows by one again each time a limit's worth of copies has finished, up
// to the group's limit. A limit is never
// a failure of the run.
//
// Errors are decided by their class (backupcopy.ClassOf): GiveUp fails the
// copy and the others go on; CheckFirst, Transient and errors of no known
// class make the copy wait with backoff and look for itself with Find
// before it sends again (at most Options.MaxAttempts times).
//
// # Preflight
//
// Before anything starts, Run checks that keys are unique, that every
// request is valid (Adapter.Validate), that no source goes twice to the same
// destination and no target is made twice, and then runs every unstarted
// copy's Adapter.Preflight reads through its client (a Bigtable source must
// be READY and not a copy, an FSx source AVAILABLE, a CBR source available
// and not a replica, Google expiry times in their windows). A bad plan
// starts nothing and returns a *PlanError that names every bad copy at once.
// Preflight runs the same checks alone.
//
// # Progress and control
//
// Options.OnEvent receives an Event for every copy queued, started (with its
// operation's name), progressing (percent), retried at a limit, done or
// failed, with the run's Totals; calls are serialized. Cancelling ctx stops
// starting copies, stops waiting, and makes Run return promptly with the
// result so far and an error wrapping ctx.Err(); the store then holds a
// state that the same plan resumes.
package fleet
