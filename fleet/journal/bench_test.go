package journal_test

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/backupcopy/backupcopy/fleet"
	"github.com/backupcopy/backupcopy/fleet/journal"
	"github.com/backupcopy/backupcopy/lro"
)

// nopAdapter is a copy whose cloud costs nothing.
type nopAdapter struct{ key, group string }

func (a *nopAdapter) Cloud() string                   { return "nop" }
func (a *nopAdapter) Limit() fleet.Limit              { return fleet.Limit{Group: a.group, Max: 50} }
func (a *nopAdapter) Route() fleet.Route              { return fleet.Route{Source: a.key, Destination: a.group} }
func (a *nopAdapter) Digest() string                  { return a.key }
func (a *nopAdapter) Validate() error                 { return nil }
func (a *nopAdapter) Preflight(context.Context) error { return nil }
func (a *nopAdapter) Start(context.Context, fleet.Attempt) (string, error) {
	return a.key, nil
}
func (a *nopAdapter) Find(context.Context, fleet.Attempt) (string, error) { return "", nil }
func (a *nopAdapter) Wait(_ context.Context, name string, _ ...lro.WaitOption) (string, error) {
	return name, nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRunWithJournal10000 runs a 10,000-copy plan (20 groups of limit
// 50) of copies that cost nothing outside the runner, recording every step
// in a state file: three durable writes per copy (starting, running, done),
// batched across copies.
func BenchmarkRunWithJournal10000(b *testing.B) {
	const n = 10000
	plan := fleet.Plan{Name: "bench"}
	for i := range n {
		key := fmt.Sprintf("copy-%05d", i)
		plan.Copies = append(plan.Copies, fleet.Copy{Key: key, Adapter: &nopAdapter{key: key, group: fmt.Sprintf("g%d", i%20)}})
	}
	dir := b.TempDir()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		st, err := journal.Open(filepath.Join(dir, fmt.Sprintf("run-%d.state", i)))
		if err != nil {
			b.Fatal(err)
		}
		res, err := fleet.Run(context.Background(), plan, fleet.Options{Store: st, SkipPreflight: true})
		st.Close()
		if err != nil || res.Totals.Done != n {
			b.Fatal(err)
		}
	}
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*n), "cpu-us/copy")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "wall-us/copy")
}
