package peertest

// Waiting at fleet scale: n copies of 10 minutes to 2 hours (durations drawn
// from a seeded spread by the fake), started at once (through a client of
// their own, with the clock standing still) and waited on at once by name
// through one measured client per cloud, on a clock that runs benchFleetScale times
// faster than the wall clock and that the client and the fake share
// (benchClock: lro.ScaledClock's idea, but standing still while the fake
// works on a request). The fakes are served in process (no sockets), with
// the client's request budget set to its DefaultRequestRate.
//
//	go test -run '^$' -bench 'WaitFleet' -benchtime 1x
//
// Reported per run, in simulated time:
//   - req/s: poll requests (gets, lists, DescribeBackups) per second over
//     the run (from the first start to the last end); req/s-worst: the most
//     in any one second; budget-req/s: the client's budget (its sustained
//     rate; bursts of up to 10 come on top).
//   - delay-p50-s, delay-p99-s: from the moment the fake finishes a copy
//     (its start plus its drawn duration) to the moment its Wait returns.
//   - B/waiting-op: (HeapInuse+StackInuse) once every copy has started and
//     every Wait runs, minus the same before the first copy, divided by n
//     (it includes the fake's record of each copy).
//   - cpu-ms/sim-min: process CPU per simulated minute of the run (it
//     includes the fake's work: a bound, not the client's share).
//
// perop-req/s, perop-req/s-worst, perop-delay-p50-s and perop-delay-p99-s
// are the same figures for per-operation polling (each Wait polling on its
// own, as the official clients and our code before shared polls do) on the
// same start times and durations: simulated with the documented schedule
// (first poll after the initial interval, sleeps uniform in [d/4, d), d
// doubling to the maximum), not run, so they cost no time.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/bigtable/bigtabletest"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/cbr/cbrtest"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/fsx/fsxtest"
	"github.com/backupcopy/backupcopy/internal/fakesrv"
	"github.com/backupcopy/backupcopy/spanner"
	"github.com/backupcopy/backupcopy/spanner/spannertest"
)

const (
	// benchFleetScale is the default number of simulated seconds per wall
	// second (BACKUPCOPY_BENCH_FLEET_SCALE sets another). The client's own
	// work (decoding a list, scheduling thousands of goroutines) is scaled
	// with it, so a high scale inflates delays: 3600 keeps CI fast; the
	// figures in BENCHMARKS.md are at a lower scale, as stated there.
	benchFleetScale = 3600
	// benchFleetLargeScale is the default for 10,000 waits: 2 simulated
	// hours take 2 minutes of wall time.
	benchFleetLargeScale = 60
	benchFleetMin        = 10 * time.Minute
	benchFleetMax        = 2 * time.Hour
	benchFleetSeed       = 16
	benchFleetLoopURL    = "http://127.0.0.1:9" // never dialled: the transport serves in process
)

var benchFleetT0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// benchClock is a scaled clock (benchFleetScale simulated seconds per wall
// second) that stands still while a request is inside the fake: the fakes
// do O(operations) work under one lock per request, which at this scale
// would otherwise add minutes of simulated latency that a real service
// does not have. Round trips are therefore free in simulated time; the
// client's own work is not.
type benchClock struct {
	scale float64
	start time.Time // wall

	mu       sync.Mutex
	paused   time.Duration // wall time spent with a request in the fake
	inFake   int
	pausedAt time.Time
}

// newBenchClock returns the clock of a run of n waits: at benchFleetScale
// (BACKUPCOPY_BENCH_FLEET_SCALE), or for more than 1,000 waits at
// benchFleetLargeScale (BACKUPCOPY_BENCH_FLEET_LARGE_SCALE), since the
// client's work per round grows with the waits and is scaled too.
func newBenchClock(n int) *benchClock {
	scale, env := float64(benchFleetScale), "BACKUPCOPY_BENCH_FLEET_SCALE"
	if n > 1000 {
		scale, env = benchFleetLargeScale, "BACKUPCOPY_BENCH_FLEET_LARGE_SCALE"
	}
	if v, err := strconv.ParseFloat(os.Getenv(env), 64); err == nil && v > 0 {
		scale = v
	}
	return &benchClock{scale: scale, start: time.Now()}
}

func (c *benchClock) Now() time.Time {
	c.mu.Lock()
	el := time.Since(c.start) - c.paused
	if c.inFake > 0 {
		el -= time.Since(c.pausedAt)
	}
	c.mu.Unlock()
	return benchFleetT0.Add(time.Duration(float64(el) * c.scale))
}

func (c *benchClock) Sleep(ctx context.Context, d time.Duration) error {
	target := c.Now().Add(d)
	for {
		rem := target.Sub(c.Now())
		if rem <= 0 {
			return ctx.Err()
		}
		t := time.NewTimer(max(time.Duration(float64(rem)/c.scale), time.Microsecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (c *benchClock) enter() {
	c.mu.Lock()
	if c.inFake == 0 {
		c.pausedAt = time.Now()
	}
	c.inFake++
	c.mu.Unlock()
}

func (c *benchClock) leave() {
	c.mu.Lock()
	if c.inFake--; c.inFake == 0 {
		c.paused += time.Since(c.pausedAt)
	}
	c.mu.Unlock()
}

// inProcess serves requests with a handler, without sockets, and records
// the simulated time of each poll request.
type inProcess struct {
	h      http.Handler
	clk    *benchClock
	isPoll func(*http.Request) bool

	mu    sync.Mutex
	polls []time.Duration // since benchFleetT0
	kinds map[string]int  // poll requests by kind, for the log
}

func (t *inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.isPoll(r) {
		at := t.clk.Now().Sub(benchFleetT0)
		t.mu.Lock()
		t.polls = append(t.polls, at)
		if t.kinds == nil {
			t.kinds = map[string]int{}
		}
		k := "get"
		if r.URL.RawQuery != "" || strings.HasSuffix(r.URL.Path, "/backups") || strings.HasSuffix(r.URL.Path, "/backupOperations") || strings.HasSuffix(r.URL.Path, "/operations") {
			k = "list"
		}
		t.kinds[k]++
		t.mu.Unlock()
	}
	srv := r.Clone(r.Context()) // as a server sees it
	if srv.Body == nil {
		srv.Body = http.NoBody
	}
	srv.RequestURI = r.URL.RequestURI()
	rec := httptest.NewRecorder()
	t.clk.enter()
	t.h.ServeHTTP(rec, srv)
	t.clk.leave()
	if r.Body != nil {
		r.Body.Close()
	}
	return rec.Result(), nil
}

// benchFleetCloud starts copy i through a client of the cloud and returns
// its Wait.
type benchFleetCloud struct {
	name    string
	initial time.Duration // the client's poll schedule, for the per-op model
	max     time.Duration
	rate    float64
	setup   func(b *testing.B, n int, clk *benchClock, tr *inProcess) (start func(i int) (func(context.Context) error, error), cleanup func())
}

func benchFleetClouds() []benchFleetCloud {
	spread := func() fakesrvOpt { return fakesrvOpt{benchFleetMin, benchFleetMax, benchFleetSeed} }
	return []benchFleetCloud{
		{name: "bigtable", initial: bigtable.DefaultPollInitial, max: bigtable.DefaultPollMax, rate: bigtable.DefaultRequestRate,
			setup: func(b *testing.B, n int, clk *benchClock, tr *inProcess) (func(int) (func(context.Context) error, error), func()) {
				o := spread()
				fake := bigtabletest.NewServer(bigtabletest.WithoutListener(), bigtabletest.WithoutAuthentication(),
					bigtabletest.WithOperationDurations(o.min, o.max, o.seed))
				fake.SetClock(clk.Now)
				fake.AddBackup(bigtable.Backup{Name: btSrc, SourceTable: btTable, SizeBytes: 1 << 30})
				fake.AddCluster(btDst)
				tr.h = fake.Handler()
				tr.isPoll = func(r *http.Request) bool {
					return r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v2/operations/")
				}
				client := func(budget ...bigtable.Option) *bigtable.Client {
					c, err := bigtable.NewClient(context.Background(), append([]bigtable.Option{bigtable.WithEndpoint(benchFleetLoopURL), bigtable.WithoutAuthentication(),
						bigtable.WithHTTPClient(&http.Client{Transport: tr}), bigtable.WithClock(clk)}, budget...)...)
					if err != nil {
						b.Fatal(err)
					}
					return c
				}
				starter, c := client(), client(bigtable.WithRequestBudget(bigtable.DefaultRequestRate, 0))
				return func(i int) (func(context.Context) error, error) {
					op, err := starter.CopyBackup(context.Background(), &bigtable.CopyBackupRequest{Parent: btDst, BackupID: fmt.Sprintf("c%d", i),
						SourceBackup: btSrc, ExpireTime: clk.Now().Add(7 * 24 * time.Hour)})
					if err != nil {
						return nil, err
					}
					w := c.CopyBackupOperation(op.Name())
					return func(ctx context.Context) error { _, err := w.Wait(ctx); return err }, nil
				}, func() { starter.Close(); c.Close(); fake.Close() }
			}},
		{name: "spanner", initial: spanner.DefaultPollInitial, max: spanner.DefaultPollMax, rate: spanner.DefaultRequestRate,
			setup: func(b *testing.B, n int, clk *benchClock, tr *inProcess) (func(int) (func(context.Context) error, error), func()) {
				o := spread()
				fake := spannertest.NewServer(spannertest.WithoutListener(), spannertest.WithoutAuthentication(),
					spannertest.WithOperationDurations(o.min, o.max, o.seed))
				fake.SetClock(clk.Now)
				const inst, dst = "projects/p/instances/src", "projects/p/instances/dst"
				fake.AddDatabase(inst + "/databases/db")
				fake.AddInstance(dst)
				src := fake.AddBackup(spanner.Backup{Name: inst + "/backups/source", Database: inst + "/databases/db", CreateTime: clk.Now().Add(-time.Hour)})
				tr.h = fake.Handler()
				tr.isPoll = func(r *http.Request) bool {
					return r.Method == http.MethodGet && (strings.Contains(r.URL.Path, "/operations/") || strings.HasSuffix(r.URL.Path, "/backupOperations"))
				}
				client := func(budget ...spanner.Option) *spanner.Client {
					c, err := spanner.NewClient(context.Background(), append([]spanner.Option{spanner.WithEndpoint(benchFleetLoopURL), spanner.WithoutAuthentication(),
						spanner.WithHTTPClient(&http.Client{Transport: tr}), spanner.WithClock(clk)}, budget...)...)
					if err != nil {
						b.Fatal(err)
					}
					return c
				}
				starter, c := client(), client(spanner.WithRequestBudget(spanner.DefaultRequestRate, 0))
				return func(i int) (func(context.Context) error, error) {
					op, err := starter.CopyBackup(context.Background(), &spanner.CopyBackupRequest{Parent: dst, BackupID: fmt.Sprintf("c%d", i),
						SourceBackup: src.Name, ExpireTime: clk.Now().Add(30 * 24 * time.Hour)})
					if err != nil {
						return nil, err
					}
					w := c.CopyBackupOperation(op.Name())
					return func(ctx context.Context) error { _, err := w.Wait(ctx); return err }, nil
				}, func() { starter.Close(); c.Close(); fake.Close() }
			}},
		{name: "cbr", initial: cbr.DefaultPollInitial, max: cbr.DefaultPollMax, rate: cbr.DefaultRequestRate,
			setup: func(b *testing.B, n int, clk *benchClock, tr *inProcess) (func(int) (func(context.Context) error, error), func()) {
				o := spread()
				fake := cbrtest.NewServer(cbrtest.WithoutListener(), cbrtest.WithoutAuthentication(),
					cbrtest.WithOperationDurations(o.min, o.max, o.seed))
				fake.SetClock(clk.Now)
				dst := fake.AddVault(cbrtest.Vault{Region: cbrtest.DestinationRegion})
				vault := fake.AddBackup(cbr.Backup{}).VaultID
				ids := make([]string, n)
				for i := range ids {
					ids[i] = fake.AddBackup(cbr.Backup{VaultID: vault}).ID
				}
				tr.h = fake.Handler()
				tr.isPoll = func(r *http.Request) bool {
					return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/backups")
				}
				client := func(budget ...cbr.Option) *cbr.Client {
					c, err := cbr.NewClient(context.Background(), append([]cbr.Option{cbr.WithEndpoint(benchFleetLoopURL), cbr.WithRegion(cbrtest.Region),
						cbr.WithProjectID(cbrtest.ProjectID), cbr.WithAKSK(cbrtest.AccessKey, cbrtest.SecretKey),
						cbr.WithHTTPClient(&http.Client{Transport: tr}), cbr.WithClock(clk)}, budget...)...)
					if err != nil {
						b.Fatal(err)
					}
					return c
				}
				starter, c := client(), client(cbr.WithRequestBudget(cbr.DefaultRequestRate, 0))
				return func(i int) (func(context.Context) error, error) {
					op, err := starter.CopyBackup(context.Background(), &cbr.CopyBackupRequest{BackupID: ids[i], DestinationProjectID: "dest",
						DestinationRegion: cbrtest.DestinationRegion, DestinationVaultID: dst.ID})
					if err != nil {
						return nil, err
					}
					w := c.CopyBackupOperation(op.Name())
					return func(ctx context.Context) error { _, err := w.Wait(ctx); return err }, nil
				}, func() { starter.Close(); c.Close(); fake.Close() }
			}},
		{name: "fsx", initial: fsx.DefaultPollInitial, max: fsx.DefaultPollMax, rate: fsx.DefaultRequestRate,
			setup: func(b *testing.B, n int, clk *benchClock, tr *inProcess) (func(int) (func(context.Context) error, error), func()) {
				o := spread()
				fake := fsxtest.NewServer(fsxtest.WithoutListener(), fsxtest.WithoutAuthentication(),
					fsxtest.WithOperationDurations(o.min, o.max, o.seed))
				fake.SetClock(clk.Now)
				fake.SetMaxInProgressCopies(n + 1)
				src := fake.AddBackupIn(fsxtest.SourceRegion, fsx.Backup{})
				tr.h = fake.Handler()
				tr.isPoll = benchFSxPoll
				client := func(budget ...fsx.Option) *fsx.Client {
					c, err := fsx.NewClient(context.Background(), append([]fsx.Option{fsx.WithEndpoint(benchFleetLoopURL), fsx.WithRegion(fsxtest.Region),
						fsx.WithCredentials(auth.StaticAWSCredentials(fsxtest.AccessKeyID, fsxtest.SecretAccessKey, "")),
						fsx.WithHTTPClient(&http.Client{Transport: tr}), fsx.WithClock(clk)}, budget...)...)
					if err != nil {
						b.Fatal(err)
					}
					return c
				}
				starter, c := client(), client(fsx.WithRequestBudget(fsx.DefaultRequestRate, 0))
				return func(i int) (func(context.Context) error, error) {
					op, err := starter.CopyBackup(context.Background(), &fsx.CopyBackupRequest{SourceBackupID: src.BackupID, SourceRegion: fsxtest.SourceRegion})
					if err != nil {
						return nil, err
					}
					w := c.CopyBackupOperation(op.Name())
					return func(ctx context.Context) error { _, err := w.Wait(ctx); return err }, nil
				}, func() { starter.Close(); c.Close(); fake.Close() }
			}},
	}
}

type fakesrvOpt struct {
	min, max time.Duration
	seed     uint64
}

// BenchmarkWaitFleet runs 1,000 waits per cloud; with
// BACKUPCOPY_BENCH_FLEET_LARGE=1 also 10,000 (at benchFleetLargeScale,
// over 2 minutes of wall time each, so not in CI).
func BenchmarkWaitFleet(b *testing.B) {
	sizes := []int{1000}
	if os.Getenv("BACKUPCOPY_BENCH_FLEET_LARGE") == "1" {
		sizes = append(sizes, 10000)
	}
	for _, cloud := range benchFleetClouds() {
		for _, n := range sizes {
			b.Run(fmt.Sprintf("%s/%d", cloud.name, n), func(b *testing.B) {
				for b.Loop() {
					benchWaitFleet(b, cloud, n)
				}
			})
		}
	}
}

func benchWaitFleet(b *testing.B, cloud benchFleetCloud, n int) {
	clk := newBenchClock(n)
	tr := &inProcess{clk: clk}
	start, cleanup := cloud.setup(b, n, clk, tr)
	defer cleanup()

	// The fake draws the durations in creation order from the same spread.
	// Each Wait starts as soon as its copy has started, as a fleet's would.
	durations := fakesrv.NewDurations(benchFleetMin, benchFleetMax, benchFleetSeed)
	ends := make([]time.Duration, n)
	starts := make([]time.Duration, n)
	returned := make([]time.Duration, n)
	errs := make([]error, n)
	runtime.GC()
	var before, during runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0u, cpu0s := benchCPUTime()
	// The copies start through a client of their own with the clock
	// standing still, so all n run from t0 (as copies a fleet or another
	// process started, waited on here by name), and the measured client's
	// budget is spent on polls alone: starting 10,000 copies through a
	// 5 req/s budget would take over half an hour of polls held back.
	waits := make([]func(context.Context) error, n)
	clk.enter()
	for i := range n {
		wait, err := start(i)
		if err != nil {
			clk.leave()
			b.Fatalf("copy %d: %v", i, err)
		}
		waits[i] = wait
	}
	clk.leave()
	t0 := clk.Now().Sub(benchFleetT0)
	var wg sync.WaitGroup
	for i, wait := range waits {
		starts[i] = t0
		ends[i] = t0 + durations.Next()
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = wait(context.Background())
			returned[i] = clk.Now().Sub(benchFleetT0)
		}()
	}
	runtime.ReadMemStats(&during) // every Wait running
	wg.Wait()
	cpu1u, cpu1s := benchCPUTime()
	t1 := clk.Now().Sub(benchFleetT0)
	for i, err := range errs {
		if err != nil {
			b.Fatalf("wait %d: %v", i, err)
		}
	}

	delays := make([]float64, n)
	for i := range n {
		delays[i] = max(returned[i]-ends[i], 0).Seconds()
	}
	tr.mu.Lock()
	polls := slices.Clone(tr.polls)
	tr.mu.Unlock()
	b.Logf("%s/%d: poll requests %v over %v simulated", cloud.name, n, tr.kinds, (t1 - t0).Round(time.Second))
	sustained, worst := benchRates(polls, t0, t1)
	b.ReportMetric(sustained, "req/s")
	b.ReportMetric(worst, "req/s-worst")
	b.ReportMetric(cloud.rate, "budget-req/s")
	b.ReportMetric(benchPercentile(delays, 50), "delay-p50-s")
	b.ReportMetric(benchPercentile(delays, 99), "delay-p99-s")
	held := int64(during.HeapInuse+during.StackInuse) - int64(before.HeapInuse+before.StackInuse)
	b.ReportMetric(float64(held)/float64(n), "B/waiting-op")
	b.ReportMetric(float64((cpu1u+cpu1s-cpu0u-cpu0s).Milliseconds())/(t1-t0).Minutes(), "cpu-ms/sim-min")

	// Per-operation polling on the same starts and ends.
	r := rand.New(rand.NewPCG(benchFleetSeed, 1))
	var perop []time.Duration
	for i := range n {
		t, d := starts[i], cloud.initial
		for {
			floor := max(d/4, min(d, time.Millisecond))
			t += floor + time.Duration(r.Float64()*float64(d-floor))
			perop = append(perop, t)
			if t >= ends[i] {
				delays[i] = (t - ends[i]).Seconds()
				break
			}
			d = min(2*d, cloud.max)
		}
	}
	slices.Sort(perop)
	ps, pw := benchRates(perop, t0, t1)
	b.ReportMetric(ps, "perop-req/s")
	b.ReportMetric(pw, "perop-req/s-worst")
	b.ReportMetric(benchPercentile(delays, 50), "perop-delay-p50-s")
	b.ReportMetric(benchPercentile(delays, 99), "perop-delay-p99-s")
}

// benchRates returns the requests per second over [from, to) and the most
// in one second.
func benchRates(at []time.Duration, from, to time.Duration) (sustained, worst float64) {
	per := map[int64]int{}
	total := 0
	for _, t := range at {
		if t < from || t >= to {
			continue
		}
		total++
		per[int64(t/time.Second)]++
	}
	for _, v := range per {
		worst = max(worst, float64(v))
	}
	return float64(total) / (to - from).Seconds(), worst
}

// benchPercentile returns the p-th percentile of v (sorted in place).
func benchPercentile(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	i := int(float64(len(v)-1) * p / 100)
	return v[i]
}
