package fleet_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/backupcopy/backupcopy/fleet"
	"github.com/backupcopy/backupcopy/lro"
)

// nopAdapter is a copy whose cloud costs nothing: the runner's own cost is
// all that is measured. Wait returns when gate is closed (nil: at once) after
// dur.
type nopAdapter struct {
	key, group string
	max        int
	gate       chan struct{}
	dur        time.Duration
	inWait     *atomic.Int64
}

func (a *nopAdapter) Cloud() string      { return "nop" }
func (a *nopAdapter) Limit() fleet.Limit { return fleet.Limit{Group: a.group, Max: a.max} }
func (a *nopAdapter) Route() fleet.Route {
	return fleet.Route{Source: a.key, Destination: a.group}
}
func (a *nopAdapter) Digest() string                  { return a.key }
func (a *nopAdapter) Validate() error                 { return nil }
func (a *nopAdapter) Preflight(context.Context) error { return nil }
func (a *nopAdapter) Start(ctx context.Context, at fleet.Attempt) (string, error) {
	return a.key, nil
}
func (a *nopAdapter) Find(context.Context, fleet.Attempt) (string, error) { return "", nil }
func (a *nopAdapter) Wait(ctx context.Context, name string, _ ...lro.WaitOption) (string, error) {
	if a.inWait != nil {
		a.inWait.Add(1)
	}
	if a.gate != nil {
		select {
		case <-a.gate:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	if a.dur > 0 {
		time.Sleep(a.dur)
	}
	return name, nil
}

func nopPlan(n, groups, limit int, gate chan struct{}, dur time.Duration, inWait *atomic.Int64) fleet.Plan {
	p := fleet.Plan{Name: "bench", Copies: make([]fleet.Copy, n)}
	for i := range p.Copies {
		key := fmt.Sprintf("copy-%05d", i)
		p.Copies[i] = fleet.Copy{Key: key, Adapter: &nopAdapter{key: key, group: fmt.Sprintf("g%d", i%groups), max: limit, gate: gate, dur: dur, inWait: inWait}}
	}
	return p
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRunner10000 runs a 10,000-copy plan (20 groups of limit 50) of
// copies that cost nothing outside the runner, with the in-memory store and
// an event handler, and reports the process CPU time per copy.
func BenchmarkRunner10000(b *testing.B) {
	const n = 10000
	plans := make([]fleet.Plan, b.N)
	for i := range plans {
		plans[i] = nopPlan(n, 20, 50, nil, 0, nil)
	}
	var events atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		res, err := fleet.Run(context.Background(), plans[i], fleet.Options{SkipPreflight: true, OnEvent: func(fleet.Event) { events.Add(1) }})
		if err != nil || res.Totals.Done != n {
			b.Fatal(err, res.Totals)
		}
	}
	cpu := cpuTime() - cpu0
	b.StopTimer()
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*n), "cpu-us/copy")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "wall-us/copy")
}

// heapNow returns the live heap and the goroutine stacks after a GC.
func heapNow() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}

// BenchmarkHeapPerCopy measures what a run of 10,000 copies holds beyond
// its plan: with one group of limit 1 and its one copy held in Wait, 9,999
// copies are queued ("queued-B/copy"); with one group of limit 10,000 and
// every copy held in Wait, all are in progress ("inprogress-B/copy": heap
// and goroutine stacks).
func BenchmarkHeapPerCopy(b *testing.B) {
	const n = 10000
	for _, tc := range []struct {
		name  string
		limit int
		want  int64 // copies in Wait when measured
	}{
		{"queued", 1, 1},
		{"inprogress", n, n},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var perCopy float64
			for i := 0; i < b.N; i++ {
				gate := make(chan struct{})
				var inWait atomic.Int64
				plan := nopPlan(n, 1, tc.limit, gate, 0, &inWait)
				base := heapNow()
				done := make(chan error, 1)
				go func() {
					_, err := fleet.Run(context.Background(), plan, fleet.Options{SkipPreflight: true})
					done <- err
				}()
				for inWait.Load() < tc.want {
					time.Sleep(time.Millisecond)
				}
				held := heapNow()
				close(gate)
				if err := <-done; err != nil {
					b.Fatal(err)
				}
				perCopy = float64(int64(held)-int64(base)) / n
				runtime.KeepAlive(plan)
			}
			b.ReportMetric(perCopy, "B/copy")
		})
	}
}

// BenchmarkMakespan runs 50 copies of duration d in one group of limit 5:
// the limits allow 10 d at best; "x-ideal" is the run's time over 10 d.
func BenchmarkMakespan(b *testing.B) {
	const d = 20 * time.Millisecond
	var worst float64
	for i := 0; i < b.N; i++ {
		plan := nopPlan(50, 1, 5, nil, d, nil)
		start := time.Now()
		res, err := fleet.Run(context.Background(), plan, fleet.Options{SkipPreflight: true})
		if err != nil || res.Totals.Done != 50 {
			b.Fatal(err)
		}
		worst = max(worst, float64(time.Since(start))/float64(10*d))
	}
	b.ReportMetric(worst, "x-ideal")
}
