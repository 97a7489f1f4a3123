package lro

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy/internal/clock"
)

type result struct{ ID string }
type meta struct{ Step int }

var errTransient = errors.New("503 unavailable")
var errFatal = errors.New("403 permission denied")
var errOpFailed = errors.New("operation failed: source deleted")

// script returns a PollFunc that answers from steps, one per call.
type step struct {
	st  State[result, meta]
	err error
}

func script(steps ...step) (PollFunc[result, meta], *atomic.Int32) {
	var n atomic.Int32
	return func(ctx context.Context, name string) (State[result, meta], error) {
		i := int(n.Add(1)) - 1
		if i >= len(steps) {
			i = len(steps) - 1
		}
		return steps[i].st, steps[i].err
	}, &n
}

func running(pct int) step {
	return step{st: State[result, meta]{Percent: pct, Metadata: &meta{Step: pct}}}
}
func succeeded(id string) step {
	return step{st: State[result, meta]{Done: true, Result: &result{ID: id}, Percent: 100}}
}
func failed(err error) step      { return step{st: State[result, meta]{Done: true, Err: err}} }
func pollErr(err error) step     { return step{err: err} }
func isTransient(err error) bool { return errors.Is(err, errTransient) }

func fakeCfg() (Config, *clock.Fake) {
	clk := clock.NewFake(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC))
	return Config{IsTransient: isTransient, Clock: clk, Rand: func() float64 { return 0.5 }}, clk
}

func TestWait(t *testing.T) {
	tests := []struct {
		name      string
		steps     []step
		wantID    string
		wantErr   error
		wantPolls int32
	}{
		{"success after polls", []step{running(10), running(50), succeeded("b1")}, "b1", nil, 3},
		{"operation failure returned as is", []step{running(10), failed(errOpFailed)}, "", errOpFailed, 2},
		{"transient poll errors retried", []step{pollErr(errTransient), running(40), pollErr(errTransient), succeeded("b2")}, "b2", nil, 4},
		{"non-transient poll error ends wait", []step{running(10), pollErr(errFatal)}, "", errFatal, 2},
		{"too many transient errors in a row", []step{pollErr(errTransient)}, "", errTransient, DefaultMaxPollErrors},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			poll, n := script(tt.steps...)
			cfg, _ := fakeCfg()
			op := New("op-1", poll, cfg)
			res, err := op.Wait(context.Background())
			assert.Equal(t, tt.wantPolls, n.Load())
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, res)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantID, res.ID)
			assert.True(t, op.Done())
			assert.Equal(t, 100, op.Progress().Percent)
		})
	}
}

func TestPollLeavesHandleUnchangedOnError(t *testing.T) {
	poll, _ := script(running(30), pollErr(errTransient), running(60))
	cfg, _ := fakeCfg()
	op := New("op", poll, cfg)
	res, err := op.Poll(context.Background())
	require.NoError(t, err)
	assert.Nil(t, res)
	before := *op.Metadata()
	beforeProgress := op.Progress()

	_, err = op.Poll(context.Background())
	require.ErrorIs(t, err, errTransient)
	assert.Equal(t, before, *op.Metadata())
	assert.Equal(t, beforeProgress, op.Progress())
	assert.False(t, op.Done())

	_, err = op.Poll(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 60, op.Metadata().Step)
}

func TestPollAfterDoneMakesNoRoundTrip(t *testing.T) {
	poll, n := script(failed(errOpFailed))
	cfg, _ := fakeCfg()
	op := New("op", poll, cfg)
	_, err := op.Poll(context.Background())
	require.ErrorIs(t, err, errOpFailed)
	assert.True(t, op.Done())
	_, err = op.Poll(context.Background())
	require.ErrorIs(t, err, errOpFailed)
	_, err = op.Wait(context.Background())
	require.ErrorIs(t, err, errOpFailed)
	assert.Equal(t, int32(1), n.Load())
	assert.ErrorIs(t, op.Progress().Err, errOpFailed)
}

func TestDoneWithoutResultIsAnError(t *testing.T) {
	poll, _ := script(step{st: State[result, meta]{Done: true}})
	cfg, _ := fakeCfg()
	op := New("op", poll, cfg)
	_, err := op.Poll(context.Background())
	assert.ErrorContains(t, err, "neither result nor error")
	assert.False(t, op.Done())
}

func TestBackoffSchedule(t *testing.T) {
	steps := make([]step, 0, 12)
	for i := 0; i < 11; i++ {
		steps = append(steps, running(i))
	}
	steps = append(steps, succeeded("x"))
	for _, r := range []float64{0, 0.5, 0.999999} {
		poll, _ := script(steps...)
		cfg, clk := fakeCfg()
		cfg.Rand = func() float64 { return r }
		op := NewWithState("op", State[result, meta]{Percent: 0}, poll, cfg)
		_, err := op.Wait(context.Background(), WithPollInterval(time.Second, 10*time.Second))
		require.NoError(t, err)
		sleeps := clk.Sleeps()
		require.Len(t, sleeps, 12)
		caps := []time.Duration{1, 1, 2, 4, 8, 10, 10, 10, 10, 10, 10, 10}
		for i, s := range sleeps {
			c := caps[i] * time.Second
			assert.GreaterOrEqual(t, s, c/4, "poll %d floor", i)
			assert.Less(t, s, c+1, "poll %d cap", i)
		}
		if r == 0 {
			assert.Equal(t, 250*time.Millisecond, sleeps[0])
			assert.Equal(t, 2500*time.Millisecond, sleeps[11])
		}
	}
}

func TestResumedHandlePollsAtOnce(t *testing.T) {
	poll, _ := script(succeeded("r"))
	cfg, clk := fakeCfg()
	op := New("projects/p/operations/o", poll, cfg)
	assert.False(t, op.Done())
	assert.Nil(t, op.Metadata())
	assert.Equal(t, -1, op.Progress().Percent)
	res, err := op.Wait(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "r", res.ID)
	assert.Empty(t, clk.Sleeps())
	assert.Equal(t, "projects/p/operations/o", op.Name())
}

func TestProgressReports(t *testing.T) {
	poll, _ := script(running(10), pollErr(errTransient), running(70), succeeded("p"))
	cfg, _ := fakeCfg()
	op := NewWithState("op", State[result, meta]{Percent: 0}, poll, cfg)
	var got []Progress
	_, err := op.Wait(context.Background(), WithProgress(func(p Progress) { got = append(got, p) }))
	require.NoError(t, err)
	require.Len(t, got, 3, "one per successful poll, the last one final")
	assert.Equal(t, 10, got[0].Percent)
	assert.Equal(t, 70, got[1].Percent)
	assert.Equal(t, Progress{Percent: 100, Done: true, Polls: 3, Elapsed: got[2].Elapsed}, got[2])
	assert.Greater(t, got[2].Elapsed, time.Duration(0))
}

func TestFailureReportedInFinalProgress(t *testing.T) {
	poll, _ := script(failed(errOpFailed))
	cfg, _ := fakeCfg()
	var last Progress
	_, err := New("op", poll, cfg).Wait(context.Background(), WithProgress(func(p Progress) { last = p }))
	require.ErrorIs(t, err, errOpFailed)
	assert.True(t, last.Done)
	assert.ErrorIs(t, last.Err, errOpFailed)
}

func TestCancelReturnsPromptlyWithoutGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	var polls atomic.Int32
	op := New("op", func(ctx context.Context, name string) (State[result, meta], error) {
		polls.Add(1)
		return State[result, meta]{Percent: 5}, nil
	}, Config{InitialInterval: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := op.Wait(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 150*time.Millisecond)
	assert.Equal(t, int32(1), polls.Load())
	time.Sleep(20 * time.Millisecond)
	assert.LessOrEqual(t, runtime.NumGoroutine(), before)
}

func TestCancelKeepsLastPollError(t *testing.T) {
	poll, _ := script(pollErr(errTransient))
	cfg, clk := fakeCfg()
	ctx, cancel := context.WithCancel(context.Background())
	clk.OnSleep = func(time.Duration) {
		if len(clk.Sleeps()) == 3 {
			cancel()
		}
	}
	_, err := New("op", poll, cfg).Wait(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, errTransient)
	assert.Contains(t, err.Error(), "503")
}

func TestConcurrentUse(t *testing.T) {
	var n atomic.Int32
	op := New("op", func(ctx context.Context, name string) (State[result, meta], error) {
		i := n.Add(1)
		if i >= 20 {
			return State[result, meta]{Done: true, Result: &result{ID: "c"}}, nil
		}
		return State[result, meta]{Percent: int(i), Metadata: &meta{Step: int(i)}}, nil
	}, Config{InitialInterval: time.Millisecond, MaxInterval: 2 * time.Millisecond})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			res, err := op.Wait(context.Background())
			assert.NoError(t, err)
			assert.Equal(t, "c", res.ID)
		}()
		go func() {
			defer wg.Done()
			for !op.Done() {
				_ = op.Metadata()
				_ = op.Progress()
				time.Sleep(100 * time.Microsecond)
			}
		}()
	}
	wg.Wait()
}
