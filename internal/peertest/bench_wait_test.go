package peertest

// Waiting at scale: 10,000 concurrent Waits on copy operations held by one
// client, each Wait with lro.WithPollInterval(4s, 16s), counted over an 8 s
// window. Bigtable against its fake and against a cheap server (see
// BenchmarkWaitAtScale), and FSx against fsxtest, where the Waits of one
// client share DescribeBackups requests of up to 50 ids:
//
//	go test -run '^$' -bench 'WaitAtScale' -benchtime 1x -count 3
//
// Reported per run:
//   - bytes/waiting-op: (HeapInuse+StackInuse) with every Wait parked in its
//     first sleep, minus the same before the Waits started (the handles, the
//     client and the fake's state exist in both), divided by the number of
//     Waits: the cost of waiting itself (goroutine, timer, context).
//   - idle-cpu-ms/s: process CPU (user+system, getrusage) per second of wall
//     time in a window in which no poll is due (the first poll of a Wait
//     comes no earlier than a quarter of the initial interval);
//     idle-sys-ms/s is the system part of it.
//   - poll-requests and polls-predicted: poll requests (Bigtable: GETs of an
//     operation; FSx: DescribeBackups) started during the window
//     [0, benchWaitWindow) vs the mean of 20 simulations of the documented
//     schedule (sleep uniform in [d/4, d), d doubling up to the maximum), one
//     request per poll. For FSx the difference is what sharing saves;
//     polled-ops counts the operations the poll requests asked about (FSx:
//     BackupIds; Bigtable: one per request), i.e. the polls made.
//   - max-polls/100ms and max-polls/100ms-predicted: the largest number of
//     poll requests started in any 100 ms bucket vs the largest such bucket over the
//     same simulations; the same over 200 ms (two adjacent buckets), which
//     a short stall of the process (polls due in one bucket run in the next)
//     cannot inflate.
//   - gc-in-idle: garbage collections during the idle window (each costs
//     CPU there); poll-ms: mean round trip of a poll request (a poll's
//     latency delays that Wait's next sleep, so slow polls mean fewer polls).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/bigtable/bigtabletest"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/fsx/fsxtest"
	"github.com/backupcopy/backupcopy/lro"
)

const (
	benchWaitOps      = 10000
	benchWaitInitial  = 4 * time.Second
	benchWaitMax      = 16 * time.Second
	benchWaitWindow   = 8 * time.Second
	benchWaitBucket   = 100 * time.Millisecond
	benchWaitIdleFrom = 400 * time.Millisecond
	benchWaitIdleTo   = 900 * time.Millisecond // < benchWaitInitial/4
)

// benchPollCounter counts poll requests by the 100 ms bucket of their
// start, from the moment start is set.
type benchPollCounter struct {
	base    http.RoundTripper
	isPoll  func(*http.Request) bool
	ids     func(body []byte) int // operations one poll request asks about; nil: 1
	polled  atomic.Int64          // sum of ids over the counted requests
	start   atomic.Int64          // UnixNano of t0; 0 while not counting
	buckets [benchWaitWindow / benchWaitBucket]atomic.Int32
	late    atomic.Int64
	rtNanos atomic.Int64 // summed round-trip time of the counted polls
}

func (c *benchPollCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	t0 := c.start.Load()
	if t0 == 0 || !c.isPoll(r) {
		return c.base.RoundTrip(r)
	}
	now := time.Now()
	i := (now.UnixNano() - t0) / int64(benchWaitBucket)
	if i >= 0 && i < int64(len(c.buckets)) {
		c.buckets[i].Add(1)
		k := 1
		if c.ids != nil && r.Body != nil {
			body, err := io.ReadAll(r.Body)
			r.Body.Close()
			if err != nil {
				return nil, err
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			k = c.ids(body)
		}
		c.polled.Add(int64(k))
	} else {
		c.late.Add(1)
	}
	resp, err := c.base.RoundTrip(r)
	c.rtNanos.Add(int64(time.Since(now)))
	return resp, err
}

// benchCPUTime returns the process's user and system CPU time so far.
func benchCPUTime() (user, sys time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

// benchSimulatePolls simulates n waiters on the documented schedule and
// returns the polls started before window and the largest 100 ms bucket.
func benchSimulatePolls(r *rand.Rand, n int, initial, maxInterval, window time.Duration) (total, maxBucket, max200 int) {
	buckets := make([]int, window/benchWaitBucket)
	for range n {
		benchPollSchedule(r, initial, maxInterval, window, func(t time.Duration) {
			buckets[t/benchWaitBucket]++
			total++
		})
	}
	for i, v := range buckets {
		maxBucket = max(maxBucket, v)
		if i > 0 {
			max200 = max(max200, v+buckets[i-1])
		}
	}
	return total, maxBucket, max200
}

// BenchmarkWaitAtScale runs the scenario against three servers:
//   - fake: bigtabletest, which does O(operations) work under one lock on
//     every request, so with 10,000 operations its answers queue (see
//     poll-ms) and the waits poll less often than the schedule alone would;
//   - cheap: a stateless server answering every copy and every poll at once
//     with a running operation of the right name, so that what is measured
//     is the client's schedule;
//   - fsx-shared: fsxtest, with FSx copies, whose Waits share polls.
func BenchmarkWaitAtScale(b *testing.B) {
	b.Run("fake", func(b *testing.B) {
		for b.Loop() {
			fake := bigtabletest.NewServer()
			fake.SetOperationDuration(time.Hour)
			fake.AddBackup(bigtable.Backup{Name: btSrc, SourceTable: btTable, SizeBytes: 1 << 40})
			fake.AddCluster(btDst)
			fake.AddTable(btTable)
			benchWaitAtScale(b, benchWaitOps, benchBigtablePoll, nil, func(rt http.RoundTripper) ([]benchWaiter, func()) {
				return benchBigtableWaiters(b, fake.URL(), rt, benchWaitOps)
			})
			fake.Close()
		}
	})
	b.Run("cheap", func(b *testing.B) {
		srv := httptest.NewServer(http.HandlerFunc(benchCheapOperations))
		defer srv.Close()
		for b.Loop() {
			benchWaitAtScale(b, benchWaitOps, benchBigtablePoll, nil, func(rt http.RoundTripper) ([]benchWaiter, func()) {
				return benchBigtableWaiters(b, srv.URL, rt, benchWaitOps)
			})
		}
	})
	b.Run("fsx-shared", func(b *testing.B) {
		for b.Loop() {
			fake := fsxtest.NewServer()
			fake.SetOperationDuration(time.Hour)
			fake.SetMaxInProgressCopies(benchWaitOps + 1)
			src := fake.AddBackupIn(fsxtest.SourceRegion, fsx.Backup{})
			benchWaitAtScale(b, benchWaitOps, benchFSxPoll, benchFSxIDs, func(rt http.RoundTripper) ([]benchWaiter, func()) {
				return benchFSxWaiters(b, fake.URL(), src.BackupID, rt, benchWaitOps)
			})
			fake.Close()
		}
	})
}

// benchCheapOperations answers a Bigtable copy with a new running operation
// and a poll of any operation with that operation, still running.
func benchCheapOperations(w http.ResponseWriter, r *http.Request) {
	var backup, opName string
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/backups:copy"):
		var req struct {
			BackupID string `json:"backupId"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		backup = btDst + "/backups/" + req.BackupID
		opName = "operations/" + backup + "/operations/" + strconv.FormatInt(benchCheapSeq.Add(1), 10)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v2/operations/"):
		opName = strings.TrimPrefix(r.URL.Path, "/v2/")
		backup, _, _ = strings.Cut(strings.TrimPrefix(opName, "operations/"), "/operations/")
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"name":%q,"metadata":{"@type":"type.googleapis.com/google.bigtable.admin.v2.CopyBackupMetadata","name":%q,`+
		`"sourceBackupInfo":{"backup":%q,"sourceTable":%q,"startTime":"2026-12-01T01:24:12.423706Z","endTime":"2026-12-01T01:54:12.423706Z"},`+
		`"progress":{"startTime":"2026-12-01T02:24:12.424341Z","progressPercent":10}}}`, opName, backup, btSrc, btTable)
}

var benchCheapSeq atomic.Int64

// benchWaiter waits on one operation with the benchmark's poll schedule.
type benchWaiter func(ctx context.Context) error

// benchStartCopies calls start(i) for i in [0, n), 4 at a time, and returns
// the waiters.
func benchStartCopies(b *testing.B, n int, start func(i int) (benchWaiter, error)) []benchWaiter {
	ws := make([]benchWaiter, n)
	var next atomic.Int64
	var cwg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				w, err := start(i)
				if err != nil {
					errs <- err
					return
				}
				ws[i] = w
			}
		}()
	}
	cwg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	return ws
}

// benchBigtableWaiters starts n Bigtable copies through one client.
func benchBigtableWaiters(b *testing.B, endpoint string, rt http.RoundTripper, n int) (ws []benchWaiter, cleanup func()) {
	ctx := context.Background()
	c, err := bigtable.NewClient(ctx, bigtable.WithEndpoint(endpoint),
		bigtable.WithHTTPClient(&http.Client{Transport: rt}), bigtable.WithTokenSource(benchToken()))
	if err != nil {
		b.Fatal(err)
	}
	expire := time.Now().Add(48 * time.Hour)
	ws = benchStartCopies(b, n, func(i int) (benchWaiter, error) {
		op, err := c.CopyBackup(ctx, &bigtable.CopyBackupRequest{Parent: btDst, BackupID: fmt.Sprintf("w%05d", i), SourceBackup: btSrc, ExpireTime: expire})
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error {
			_, err := op.Wait(ctx, lro.WithPollInterval(benchWaitInitial, benchWaitMax))
			return err
		}, nil
	})
	return ws, func() { c.Close() }
}

// benchBigtablePoll tells a Bigtable poll (GET of an operation).
func benchBigtablePoll(r *http.Request) bool { return r.Method == http.MethodGet }

// benchFSxWaiters starts n FSx copies through one client (whose Waits share
// DescribeBackups requests).
func benchFSxWaiters(b *testing.B, endpoint, sourceID string, rt http.RoundTripper, n int) (ws []benchWaiter, cleanup func()) {
	ctx := context.Background()
	c, err := fsx.NewClient(ctx, fsx.WithEndpoint(endpoint), fsx.WithRegion(fsxtest.Region),
		fsx.WithCredentials(auth.StaticAWSCredentials(fsxtest.AccessKeyID, fsxtest.SecretAccessKey, "")),
		fsx.WithHTTPClient(&http.Client{Transport: rt}))
	if err != nil {
		b.Fatal(err)
	}
	ws = benchStartCopies(b, n, func(i int) (benchWaiter, error) {
		op, err := c.CopyBackup(ctx, &fsx.CopyBackupRequest{SourceBackupID: sourceID, SourceRegion: fsxtest.SourceRegion})
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error {
			_, err := op.Wait(ctx, lro.WithPollInterval(benchWaitInitial, benchWaitMax))
			return err
		}, nil
	})
	return ws, func() { c.Close() }
}

// benchFSxIDs counts the backups a DescribeBackups request asks about.
func benchFSxIDs(body []byte) int {
	var in struct{ BackupIds []string }
	if json.Unmarshal(body, &in) != nil {
		return 0
	}
	return len(in.BackupIds)
}

// benchFSxPoll tells an FSx poll (DescribeBackups).
func benchFSxPoll(r *http.Request) bool {
	return strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".DescribeBackups")
}

// benchWaitAtScale starts n copies with newWaiters, waits on all of them
// at once and reports the figures described at the top of this file; isPoll
// tells the poll requests.
func benchWaitAtScale(b *testing.B, n int, isPoll func(*http.Request) bool, ids func([]byte) int,
	newWaiters func(rt http.RoundTripper) ([]benchWaiter, func())) {
	tr := benchTransport()
	tr.MaxIdleConnsPerHost = 64 // a program waiting on thousands of operations keeps a few connections warm
	counter := &benchPollCounter{base: tr, isPoll: isPoll, ids: ids}
	ctx := context.Background()
	ops, cleanup := newWaiters(counter)
	defer cleanup()

	// FreeOSMemory collects and returns freed pages to the OS now, so that
	// the background scavenger has nothing left to do in the idle window.
	debug.FreeOSMemory()
	var before, during runtime.MemStats
	runtime.ReadMemStats(&before)

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var unexpected atomic.Int64
	t0 := time.Now()
	counter.start.Store(t0.UnixNano())
	for _, op := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := op(wctx); err == nil || wctx.Err() == nil {
				unexpected.Add(1)
			}
		}()
	}

	time.Sleep(time.Until(t0.Add(benchWaitIdleFrom / 2)))
	debug.FreeOSMemory()
	runtime.ReadMemStats(&during)
	perOp := float64(int64(during.HeapInuse+during.StackInuse)-int64(before.HeapInuse+before.StackInuse)) / float64(n)

	time.Sleep(time.Until(t0.Add(benchWaitIdleFrom)))
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	u0, s0 := benchCPUTime()
	w0 := time.Now()
	time.Sleep(time.Until(t0.Add(benchWaitIdleTo)))
	u1, s1 := benchCPUTime()
	w1 := time.Now()
	runtime.ReadMemStats(&ms1)
	perSec := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / w1.Sub(w0).Seconds() }
	idleCPU, idleSys := perSec(u1-u0+s1-s0), perSec(s1-s0)

	time.Sleep(time.Until(t0.Add(benchWaitWindow)))
	cancel()
	wg.Wait()
	if u := unexpected.Load(); u > 0 {
		b.Fatalf("%d Waits ended other than by cancellation", u)
	}

	var polls, maxBucket, max200, idlePolls int
	for i := range counter.buckets {
		v := int(counter.buckets[i].Load())
		polls += v
		maxBucket = max(maxBucket, v)
		if i > 0 {
			max200 = max(max200, v+int(counter.buckets[i-1].Load()))
		}
		if time.Duration(i)*benchWaitBucket < benchWaitIdleTo {
			idlePolls += v
		}
	}
	if idlePolls > 0 {
		b.Errorf("%d polls before %v, when none is due", idlePolls, benchWaitIdleTo)
	}

	r := rand.New(rand.NewPCG(1, 2))
	const sims = 20
	var simTotal, simMax, simMax200 int
	for range sims {
		t, m, m2 := benchSimulatePolls(r, n, benchWaitInitial, benchWaitMax, benchWaitWindow)
		simTotal += t
		simMax = max(simMax, m)
		simMax200 = max(simMax200, m2)
	}

	b.ReportMetric(perOp, "bytes/waiting-op")
	b.ReportMetric(idleCPU, "idle-cpu-ms/s")
	b.ReportMetric(idleSys, "idle-sys-ms/s")
	b.ReportMetric(float64(polls), "poll-requests")
	b.ReportMetric(float64(counter.polled.Load()), "polled-ops")
	b.ReportMetric(float64(simTotal)/sims, "polls-predicted")
	b.ReportMetric(float64(maxBucket), "max-polls/100ms")
	b.ReportMetric(float64(simMax), "max-polls/100ms-predicted")
	b.ReportMetric(float64(max200), "max-polls/200ms")
	b.ReportMetric(float64(simMax200), "max-polls/200ms-predicted")
	b.ReportMetric(float64(ms1.NumGC-ms0.NumGC), "gc-in-idle")
	if polls > 0 {
		b.ReportMetric(float64(counter.rtNanos.Load())/float64(polls)/1e6, "poll-ms")
	}
}
