package lro

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkWaitAtScale starts b.N concurrent Waits on operations that stay
// running until released, and reports heap bytes per waiting operation and
// polls per operation. Run with: go test -run '^$' -bench WaitAtScale -benchtime 10000x ./lro
func BenchmarkWaitAtScale(b *testing.B) {
	var polls atomic.Int64
	var done atomic.Bool
	poll := func(ctx context.Context, name string) (State[struct{}, struct{}], error) {
		polls.Add(1)
		if done.Load() {
			return State[struct{}, struct{}]{Done: true, Result: &struct{}{}}, nil
		}
		return State[struct{}, struct{}]{Percent: 10}, nil
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		op := NewWithState("op", State[struct{}, struct{}]{Percent: 0}, poll, Config{InitialInterval: 200 * time.Millisecond, MaxInterval: time.Second})
		wg.Add(1)
		go func() {
			defer wg.Done()
			op.Wait(ctx)
		}()
	}
	time.Sleep(100 * time.Millisecond) // everyone is parked in its first sleep
	runtime.GC()
	var during runtime.MemStats
	runtime.ReadMemStats(&during)
	b.StopTimer()
	perOp := float64(int64(during.HeapInuse+during.StackInuse)-int64(before.HeapInuse+before.StackInuse)) / float64(b.N)
	done.Store(true)
	wg.Wait()
	b.ReportMetric(perOp, "bytes/waiting-op")
	b.ReportMetric(float64(polls.Load())/float64(b.N), "polls/op")
}
