// Package lro is the long-running-operation handle every backupcopy client
// returns. A copy or create call returns an *Operation at once; nothing blocks
// until Wait.
//
// Every backupcopy client returns its copy and create operations as
// Operation values (for example bigtable.CopyBackupOperation embeds an
// *Operation[bigtable.Backup, bigtable.CopyBackupMetadata]), so Name, Done,
// Poll, Wait, Metadata and Progress, and the WaitOptions below, work the same
// for every cloud:
//
//	backup, err := op.Wait(ctx,
//		lro.WithPollInterval(5*time.Second, time.Minute),
//		lro.WithProgress(func(p lro.Progress) { log.Printf("%s: %d%%", op.Name(), p.Percent) }))
//
// The same handle serves any API that has long-running operations: give New
// a PollFunc that makes one round trip. A complete program that follows a
// job of a hypothetical REST service:
//
//	package main
//
//	import (
//		"context"
//		"encoding/json"
//		"errors"
//		"fmt"
//		"log"
//		"net/http"
//		"time"
//
//		"github.com/backupcopy/backupcopy/lro"
//	)
//
//	// job is the service's answer to GET /v1/jobs/{id}.
//	type job struct {
//		Done    bool   `json:"done"`
//		Percent int    `json:"percent"`
//		Result  string `json:"result"`
//		Error   string `json:"error"`
//	}
//
//	func pollJob(ctx context.Context, name string) (lro.State[string, job], error) {
//		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://jobs.example.com/v1/"+name, nil)
//		if err != nil {
//			return lro.State[string, job]{}, err
//		}
//		resp, err := http.DefaultClient.Do(req)
//		if err != nil {
//			return lro.State[string, job]{}, err // a failed poll: the handle is unchanged
//		}
//		defer resp.Body.Close()
//		var j job
//		if err := json.NewDecoder(resp.Body).Decode(&j); err != nil {
//			return lro.State[string, job]{}, err
//		}
//		st := lro.State[string, job]{Done: j.Done, Metadata: &j, Percent: j.Percent}
//		switch {
//		case j.Done && j.Error != "":
//			st.Err = errors.New(j.Error) // the operation failed
//		case j.Done:
//			st.Result = &j.Result
//		}
//		return st, nil
//	}
//
//	func main() {
//		ctx := context.Background()
//		op := lro.New("jobs/42", pollJob, lro.Config{
//			IsTransient: func(err error) bool { return !errors.Is(err, context.Canceled) },
//		})
//		result, err := op.Wait(ctx,
//			lro.WithPollInterval(time.Second, 30*time.Second),
//			lro.WithMaxPollErrors(5, time.Minute),
//			lro.WithProgress(func(p lro.Progress) { fmt.Printf("%s: %d%% after %v\n", op.Name(), p.Percent, p.Elapsed) }))
//		if err != nil {
//			log.Fatal(err)
//		}
//		fmt.Println("result:", *result)
//	}
//
// # States
//
// An Operation is built from a name and a PollFunc that makes one round trip
// to the service. Its state moves like this:
//
//	New(name)                 -> unknown
//	NewWithState(name, s)     -> running (or done, if s.Done)
//	unknown, running --poll, not done--> running (latest Metadata and Percent)
//	unknown, running --poll, done------> done (Result, or the operation's Err)
//	any --poll fails-------------------> unchanged; Poll returns the poll error
//	done --Poll, Wait------------------> done; the cached outcome, no round trip
//
// A poll that fails (network, 5xx, permission, ctx) is not a transition: the
// handle is exactly as it was. Done is final.
//
// # Waiting
//
// Wait polls until the operation is done or ctx ends. A handle whose state
// is unknown is polled at once; a handle with a state (from the response of
// the call that started the operation) is first polled after about the
// initial interval. The interval then doubles after every sleep up to the
// maximum. Each sleep is drawn uniformly from [d/4, d), where d is the
// current interval ("full jitter" with a floor, so that many waiters spread
// out yet none polls back to back; the floor is never below 1ms, or d if d is
// smaller). The defaults are DefaultInitialInterval (1s) and
// DefaultMaxInterval (60s); a client may set its own in Config (the
// backupcopy clients export theirs as DefaultPollInitial and DefaultPollMax),
// and WithPollInterval overrides both for one Wait.
//
// Where the operation reports progress (a Percent above zero), Wait
// estimates its end from the rate of the latest step in the percent (from
// the poll that first saw the previous percent to now), and when that end
// comes before the next poll, the interval becomes the time left (at least
// the initial interval): polls come about when the copy should end, never
// later than the schedule above. While the percent stands still the
// estimate grows, so a copy stuck at 99% is polled on a growing interval,
// not every initial interval. A client that shares polls
// (Config.Watch) may also wake a sleeping Wait when a shared request shows
// its operation ended.
//
// A poll error that the client's Config.IsTransient accepts is retried on
// the same schedule; Wait gives up on it only after DefaultMaxPollErrors (10)
// polls in a row have failed over at least DefaultPollErrorSpan (5 minutes),
// see WithMaxPollErrors. Any other poll error ends Wait at once and is
// returned as is. An operation that failed ends Wait with State.Err exactly as
// the client reported it, so errors.Is and errors.As on the client's error
// types keep working. When ctx ends, Wait returns at once with an error for
// which errors.Is(err, ctx.Err()) holds, and which also wraps the last poll
// error if the last poll failed. Poll starts no goroutine; Wait makes each
// poll on a short-lived goroutine of its own, so that the caller's goroutine,
// parked between polls, keeps a small stack (a panic in the poll is raised
// again in the caller's goroutine).
//
// # Resuming
//
// Name returns a token that identifies the operation on the service. To
// resume in another process (after a restart, or from a different job),
// store Name() and pass it to the client's ...Operation(name) method, for
// example (*bigtable.Client).CopyBackupOperation: it returns a handle built
// with New, whose state is unknown until its first Poll or Wait.
//
// # Hours of waiting in a test
//
// Every client has a WithClock option and every fake a SetClock method. Give
// both one [ScaledClock] (NewScaledClock(start, 3600) runs an hour a second)
// and the client's retries and poll sleeps, and the fake's operation
// progress, run on one simulated time line; the fakes'
// WithOperationDurations(min, max, seed) gives each operation its own
// duration (for example 10 minutes to 2 hours), and their progress follows
// an S-curve, not a straight line. Requests are signed with the client's
// clock: a fake that checks signature dates (fsxtest, cbrtest with AK/SK)
// then needs its WithoutAuthentication option. See the fsxtest package's
// ExampleWithOperationDurations.
//
// # Dependencies
//
// Besides the standard library this package imports only an internal clock
// and the internal shared-poll scheduler's context key: importing it links
// no client and no cloud's code.
package lro
