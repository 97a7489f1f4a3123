package fleetsuite_test

import (
	"context"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/backupcopy/backupcopy/fleet"
	"github.com/backupcopy/backupcopy/internal/fleetsuite"
	"github.com/backupcopy/backupcopy/lro"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFSxMakespan50 copies 50 FSx backups into one region through
// fsxtest, whose copies take d: the limit of 5 allows 10 d at best;
// "x-ideal" is the run's time (preflight included) over 10 d.
func BenchmarkFSxMakespan50(b *testing.B) {
	const d = 300 * time.Millisecond
	var worst float64
	for i := 0; i < b.N; i++ {
		f := fleetsuite.Start(fleetsuite.Counts{FSx: 50}, d)
		c, err := fleetsuite.NewClients(context.Background(), &f.Env)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		res, err := fleet.Run(context.Background(), fleetsuite.Plan(&f.Env, c), fleet.Options{
			WaitOptions: []lro.WaitOption{lro.WithPollInterval(5*time.Millisecond, 10*time.Millisecond)}})
		if err != nil || res.Err() != nil {
			b.Fatal(err, res.Err())
		}
		worst = max(worst, float64(time.Since(start))/float64(10*d))
		c.Close()
		f.Close()
	}
	b.ReportMetric(worst, "x-ideal")
}

// BenchmarkFakes1000 runs 1,000 copies on the four fakes (250 each of
// Bigtable, Spanner, CBR and FSx, operations of 10 ms, default limits, an
// in-memory store) and reports the process CPU time per copy: runner,
// clients and fakes together.
func BenchmarkFakes1000(b *testing.B) {
	n := fleetsuite.Counts{Bigtable: 250, SpannerCopy: 250, CBR: 250, FSx: 250}
	var cpu time.Duration
	for i := 0; i < b.N; i++ {
		f := fleetsuite.Start(n, 10*time.Millisecond)
		c, err := fleetsuite.NewClients(context.Background(), &f.Env)
		if err != nil {
			b.Fatal(err)
		}
		cpu0 := cpuTime()
		res, err := fleet.Run(context.Background(), fleetsuite.Plan(&f.Env, c), fleet.Options{
			WaitOptions: []lro.WaitOption{lro.WithPollInterval(5*time.Millisecond, 10*time.Millisecond)}})
		cpu += cpuTime() - cpu0
		if err != nil || res.Err() != nil {
			b.Fatal(err, res.Err())
		}
		c.Close()
		f.Close()
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*n.All()), "cpu-us/copy")
}

// BenchmarkHeapInProgressBigtable1000 holds 1,000 Bigtable copies in
// progress at once (limits raised to 500 per cluster, operations of a
// minute) and reports the heap and stacks held per copy: runner, client
// handles, polls in flight, and the fake's own operation state (an upper
// bound for the library side).
func BenchmarkHeapInProgressBigtable1000(b *testing.B) {
	const n = 1000
	var perCopy float64
	for i := 0; i < b.N; i++ {
		f := fleetsuite.Start(fleetsuite.Counts{Bigtable: n}, time.Minute)
		c, err := fleetsuite.NewClients(context.Background(), &f.Env)
		if err != nil {
			b.Fatal(err)
		}
		plan := fleetsuite.Plan(&f.Env, c)
		limits := map[string]int{}
		for _, cl := range f.Env.BigtableClusters {
			limits["bigtable/"+cl] = n
		}
		base := heapNow()
		ctx, cancel := context.WithCancel(context.Background())
		all := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = fleet.Run(ctx, plan, fleet.Options{Limits: limits, SkipPreflight: true,
				WaitOptions: []lro.WaitOption{lro.WithPollInterval(time.Second, 2*time.Second)},
				OnEvent: func(e fleet.Event) {
					if e.Type == fleet.EventStarted && e.Totals.Running == n {
						close(all)
					}
				}})
		}()
		<-all
		time.Sleep(3 * time.Second) // every copy has polled at least once
		perCopy = float64(int64(heapNow())-int64(base)) / n
		cancel()
		<-done
		c.Close()
		f.Close()
	}
	b.ReportMetric(perCopy, "B/copy")
}

func heapNow() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}
