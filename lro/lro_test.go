package lro

import (
	"context"
	"errors"
	"fmt"
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

var (
	errTransient = errors.New("503 unavailable")
	errFatal     = errors.New("403 permission denied")
	errOpFailed  = errors.New("operation failed: source deleted")
)

// opError is a service-style error type, to check errors.As through Wait.
type opError struct{ Code int }

func (e *opError) Error() string { return fmt.Sprintf("operation error %d", e.Code) }

type step struct {
	st  State[result, meta]
	err error
}

func running(pct int) step {
	return step{st: State[result, meta]{Percent: pct, Metadata: &meta{Step: pct}}}
}
func succeeded(id string) step {
	return step{st: State[result, meta]{Done: true, Result: &result{ID: id}, Percent: 100}}
}
func failed(err error) step  { return step{st: State[result, meta]{Done: true, Err: err}} }
func pollErr(err error) step { return step{err: err} }

func isTransient(err error) bool { return errors.Is(err, errTransient) }

// recorder is a scripted PollFunc that answers from steps (repeating the
// last one) and records each call's name and fake time.
type recorder struct {
	steps []step
	clk   *clock.Fake

	mu    sync.Mutex
	names []string
	times []time.Time
}

func (r *recorder) poll(ctx context.Context, name string) (State[result, meta], error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := min(len(r.names), len(r.steps)-1)
	r.names = append(r.names, name)
	if r.clk != nil {
		r.times = append(r.times, r.clk.Now())
	}
	return r.steps[i].st, r.steps[i].err
}

func (r *recorder) calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.names)
}

var t0 = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

// fake returns a recorder for steps and a Config on a fake clock with a
// fixed Rand of 0.5.
func fake(steps ...step) (*recorder, Config, *clock.Fake) {
	clk := clock.NewFake(t0)
	r := &recorder{steps: steps, clk: clk}
	return r, Config{IsTransient: isTransient, Clock: clk, Rand: func() float64 { return 0.5 }}, clk
}

func TestWait(t *testing.T) {
	opErr := &opError{Code: 9}
	tests := []struct {
		name      string
		steps     []step
		opts      []WaitOption
		wantID    string
		wantErr   error // errors.Is
		wantSame  bool  // the error is wantErr itself, unwrapped
		wantPolls int
	}{
		{name: "success after polls", steps: []step{running(10), running(50), succeeded("b1")}, wantID: "b1", wantPolls: 3},
		{name: "success at first poll", steps: []step{succeeded("b0")}, wantID: "b0", wantPolls: 1},
		{name: "operation failure returned unchanged", steps: []step{running(10), failed(errOpFailed)}, wantErr: errOpFailed, wantSame: true, wantPolls: 2},
		{name: "operation failure of a typed error", steps: []step{failed(opErr)}, wantErr: opErr, wantSame: true, wantPolls: 1},
		{name: "transient poll errors retried", steps: []step{pollErr(errTransient), running(40), pollErr(errTransient), pollErr(errTransient), succeeded("b2")}, wantID: "b2", wantPolls: 5},
		{name: "non-transient poll error ends wait", steps: []step{running(10), pollErr(errFatal), succeeded("never")}, wantErr: errFatal, wantSame: true, wantPolls: 2},
		{name: "transient error limit by count", steps: []step{running(1), pollErr(errTransient)}, opts: []WaitOption{WithMaxPollErrors(3, 0)}, wantErr: errTransient, wantPolls: 4},
		{name: "failure count resets after a good poll", steps: []step{pollErr(errTransient), pollErr(errTransient), running(5), pollErr(errTransient), pollErr(errTransient), succeeded("b3")}, opts: []WaitOption{WithMaxPollErrors(3, 0)}, wantID: "b3", wantPolls: 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, cfg, _ := fake(tt.steps...)
			op := New("operations/op-1", r.poll, cfg)
			res, err := op.Wait(context.Background(), tt.opts...)
			assert.Equal(t, tt.wantPolls, r.calls())
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				if tt.wantSame {
					assert.Same(t, tt.wantErr, err)
				}
				assert.Nil(t, res)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantID, res.ID)
			assert.True(t, op.Done())
			assert.Equal(t, 100, op.Progress().Percent)
			for _, n := range r.names {
				assert.Equal(t, "operations/op-1", n)
			}
		})
	}
}

func TestWaitOperationErrorAs(t *testing.T) {
	r, cfg, _ := fake(running(3), failed(fmt.Errorf("copy: %w", &opError{Code: 5})))
	_, err := New("op", r.poll, cfg).Wait(context.Background())
	var oe *opError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, 5, oe.Code)
}

func TestTransientErrorsDefaultLimit(t *testing.T) {
	r, cfg, clk := fake(pollErr(errTransient))
	op := NewWithState("op", State[result, meta]{Percent: 0}, r.poll, cfg)
	_, err := op.Wait(context.Background())
	require.ErrorIs(t, err, errTransient)
	assert.ErrorContains(t, err, "giving up")
	assert.ErrorContains(t, err, "op")
	n := r.calls()
	assert.GreaterOrEqual(t, n, DefaultMaxPollErrors)
	span := r.times[n-1].Sub(r.times[0])
	assert.GreaterOrEqual(t, span, DefaultPollErrorSpan)
	// It gave up at the first poll that met both bounds.
	assert.Less(t, r.times[n-2].Sub(r.times[0]), DefaultPollErrorSpan)
	assert.Equal(t, clk.Now(), r.times[n-1])
	assert.False(t, op.Done())
}

func TestTransientErrorsUnlimitedUntilCtx(t *testing.T) {
	r, cfg, clk := fake(pollErr(errTransient))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk.OnSleep = func(time.Duration) {
		if len(clk.Sleeps()) == 100 {
			cancel()
		}
	}
	_, err := New("op", r.poll, cfg).Wait(ctx, WithMaxPollErrors(0, 0))
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, errTransient)
	assert.Equal(t, 100, r.calls())
}

func TestPollLeavesHandleUnchangedOnError(t *testing.T) {
	for _, e := range []error{errTransient, errFatal, context.DeadlineExceeded} {
		t.Run(e.Error(), func(t *testing.T) {
			r, cfg, _ := fake(running(30), pollErr(e), running(60))
			op := New("op", r.poll, cfg)
			res, err := op.Poll(context.Background())
			require.NoError(t, err)
			assert.Nil(t, res)
			md, prog := op.Metadata(), op.Progress()

			res, err = op.Poll(context.Background())
			require.ErrorIs(t, err, e)
			assert.Nil(t, res)
			assert.Same(t, md, op.Metadata())
			assert.Equal(t, prog, op.Progress())
			assert.False(t, op.Done())

			_, err = op.Poll(context.Background())
			require.NoError(t, err)
			assert.Equal(t, 60, op.Metadata().Step)
			assert.Equal(t, 2, op.Progress().Polls)
		})
	}
}

func TestPollUnknownHandleErrorStaysUnknown(t *testing.T) {
	r, cfg, _ := fake(pollErr(errFatal), running(5))
	op := New("op", r.poll, cfg)
	_, err := op.Poll(context.Background())
	require.ErrorIs(t, err, errFatal)
	assert.Equal(t, Progress{Percent: -1}, op.Progress())
	assert.Nil(t, op.Metadata())
	// Still unknown: Wait polls at once rather than sleeping first.
	r.steps = []step{succeeded("x")}
	_, err = op.Wait(context.Background())
	require.NoError(t, err)
}

func TestPollWithEndedContext(t *testing.T) {
	r, cfg, _ := fake(running(5))
	op := New("op", r.poll, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := op.Poll(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, r.calls())
}

func TestDoneIsFinal(t *testing.T) {
	r, cfg, clk := fake(failed(errOpFailed), succeeded("late"))
	op := New("op", r.poll, cfg)
	_, err := op.Poll(context.Background())
	require.ErrorIs(t, err, errOpFailed)
	assert.True(t, op.Done())
	for range 3 {
		res, err := op.Poll(context.Background())
		assert.Nil(t, res)
		assert.Same(t, errOpFailed, err)
	}
	var reports []Progress
	_, err = op.Wait(context.Background(), WithProgress(func(p Progress) { reports = append(reports, p) }))
	assert.Same(t, errOpFailed, err)
	assert.Equal(t, 1, r.calls(), "no round trip once done")
	assert.Empty(t, clk.Sleeps())
	require.Len(t, reports, 1)
	assert.True(t, reports[0].Done)
	assert.Same(t, errOpFailed, reports[0].Err)
}

func TestNewWithDoneState(t *testing.T) {
	r, cfg, clk := fake(running(1))
	op := NewWithState("op", State[result, meta]{Done: true, Result: &result{ID: "now"}}, r.poll, cfg)
	res, err := op.Wait(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "now", res.ID)
	assert.Zero(t, r.calls())
	assert.Empty(t, clk.Sleeps())
}

func TestDoneWithoutResultIsAFailure(t *testing.T) {
	r, cfg, _ := fake(step{st: State[result, meta]{Done: true}})
	op := New("op", r.poll, cfg)
	res, err := op.Poll(context.Background())
	assert.Nil(t, res)
	assert.ErrorContains(t, err, "neither result nor error")
	assert.True(t, op.Done())
}

func TestStateEvolution(t *testing.T) {
	m10 := &meta{Step: 10}
	r, cfg, _ := fake(
		step{st: State[result, meta]{Percent: 10, Metadata: m10}},
		step{st: State[result, meta]{Percent: -1}},  // no metadata this time
		step{st: State[result, meta]{Percent: 150}}, // out of range
		step{st: State[result, meta]{Percent: -7}},  // out of range
		step{st: State[result, meta]{Done: true, Result: &result{ID: "e"}, Percent: 90}},
	)
	op := New("op", r.poll, cfg)
	assert.False(t, op.Done())
	assert.Nil(t, op.Metadata())
	assert.Equal(t, Progress{Percent: -1}, op.Progress())

	want := []struct {
		done    bool
		percent int
	}{{false, 10}, {false, -1}, {false, 100}, {false, -1}, {true, 100}}
	for i, w := range want {
		res, err := op.Poll(context.Background())
		require.NoError(t, err)
		assert.Equal(t, w.done, res != nil, "poll %d", i)
		assert.Equal(t, w.done, op.Done(), "poll %d", i)
		assert.Same(t, m10, op.Metadata(), "poll %d keeps the latest metadata", i)
		assert.Equal(t, Progress{Percent: w.percent, Done: w.done, Polls: i + 1}, op.Progress(), "poll %d", i)
	}
}

func TestProgressReports(t *testing.T) {
	r, cfg, _ := fake(running(10), pollErr(errTransient), running(70), succeeded("p"))
	op := NewWithState("op", State[result, meta]{Percent: 0}, r.poll, cfg)
	var got []Progress
	_, err := op.Wait(context.Background(), WithProgress(func(p Progress) { got = append(got, p) }))
	require.NoError(t, err)
	require.Len(t, got, 3, "one per successful poll, the last one final")
	assert.Equal(t, []int{10, 70, 100}, []int{got[0].Percent, got[1].Percent, got[2].Percent})
	assert.Equal(t, []bool{false, false, true}, []bool{got[0].Done, got[1].Done, got[2].Done})
	assert.Equal(t, []int{1, 2, 3}, []int{got[0].Polls, got[1].Polls, got[2].Polls})
	assert.Greater(t, got[0].Elapsed, time.Duration(0))
	assert.Greater(t, got[2].Elapsed, got[1].Elapsed)
	assert.Zero(t, op.Progress().Elapsed)
}

// One call per successful poll: seven polls, seven calls, the last (and only
// the last) with Done true; a handle already done gets one Done call.
func TestProgressOncePerPollLastDone(t *testing.T) {
	for _, tt := range []struct {
		name  string
		final step
	}{
		{"success", succeeded("x")},
		{"failure", failed(errOpFailed)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			steps := append(runningThen(6)[:6], tt.final)
			r, cfg, _ := fake(steps...)
			op := New("op", r.poll, cfg)
			var got []Progress
			_, _ = op.Wait(context.Background(), WithProgress(func(p Progress) { got = append(got, p) }))
			require.Equal(t, 7, r.calls(), "polls")
			require.Len(t, got, 7, "one call per poll")
			for i, p := range got {
				assert.Equal(t, i+1, p.Polls, "call %d", i)
				assert.Equal(t, i == 6, p.Done, "call %d: Done only on the last", i)
			}
			if tt.final.st.Err != nil {
				assert.Same(t, errOpFailed, got[6].Err)
			}

			got = nil
			_, _ = op.Wait(context.Background(), WithProgress(func(p Progress) { got = append(got, p) }))
			assert.Equal(t, 7, r.calls(), "no poll once done")
			require.Len(t, got, 1)
			assert.True(t, got[0].Done)
		})
	}
}

func TestProgressNotCalledOnFailedWait(t *testing.T) {
	r, cfg, _ := fake(pollErr(errFatal))
	calls := 0
	_, err := New("op", r.poll, cfg).Wait(context.Background(), WithProgress(func(Progress) { calls++ }))
	require.ErrorIs(t, err, errFatal)
	assert.Zero(t, calls)
}

func TestFailureReportedInFinalProgress(t *testing.T) {
	r, cfg, _ := fake(failed(errOpFailed))
	var last Progress
	_, err := New("op", r.poll, cfg).Wait(context.Background(), WithProgress(func(p Progress) { last = p }))
	require.ErrorIs(t, err, errOpFailed)
	assert.True(t, last.Done)
	assert.Same(t, errOpFailed, last.Err)
}

// runningThen returns n running steps followed by a success.
func runningThen(n int) []step {
	steps := make([]step, 0, n+1)
	for i := range n {
		steps = append(steps, running(i))
	}
	return append(steps, succeeded("x"))
}

func TestBackoffSchedule(t *testing.T) {
	s := time.Second
	tests := []struct {
		name      string
		cfg       Config
		resumed   bool // New instead of NewWithState
		steps     []step
		opts      []WaitOption
		intervals []time.Duration // the interval d of each sleep
	}{
		{name: "package defaults", steps: runningThen(9),
			intervals: []time.Duration{1 * s, 2 * s, 4 * s, 8 * s, 16 * s, 32 * s, 60 * s, 60 * s, 60 * s, 60 * s}},
		{name: "resumed handle polls at once", resumed: true, steps: runningThen(4),
			intervals: []time.Duration{1 * s, 2 * s, 4 * s, 8 * s}},
		{name: "client config", cfg: Config{InitialInterval: 5 * s, MaxInterval: 20 * s}, steps: runningThen(4),
			intervals: []time.Duration{5 * s, 10 * s, 20 * s, 20 * s, 20 * s}},
		{name: "WithPollInterval overrides client config", cfg: Config{InitialInterval: 5 * s, MaxInterval: 20 * s},
			opts: []WaitOption{WithPollInterval(s, 10*s)}, steps: runningThen(11),
			intervals: []time.Duration{1 * s, 2 * s, 4 * s, 8 * s, 10 * s, 10 * s, 10 * s, 10 * s, 10 * s, 10 * s, 10 * s, 10 * s}},
		{name: "WithPollInterval zero keeps defaults", opts: []WaitOption{WithPollInterval(0, 0)}, steps: runningThen(2),
			intervals: []time.Duration{1 * s, 2 * s, 4 * s}},
		{name: "max below initial", opts: []WaitOption{WithPollInterval(3*s, s)}, steps: runningThen(2),
			intervals: []time.Duration{3 * s, 3 * s, 3 * s}},
		{name: "transient errors keep the schedule", steps: []step{pollErr(errTransient), running(1), pollErr(errTransient), succeeded("t")},
			intervals: []time.Duration{1 * s, 2 * s, 4 * s, 8 * s}},
		{name: "huge max does not overflow", opts: []WaitOption{WithPollInterval(time.Duration(1<<61), time.Duration(1<<62))}, steps: runningThen(2),
			intervals: []time.Duration{1 << 61, 1 << 62, 1 << 62}},
	}
	for _, tt := range tests {
		for _, rnd := range []float64{0, 0.5, 0.999999} {
			t.Run(fmt.Sprintf("%s/rand=%v", tt.name, rnd), func(t *testing.T) {
				r, cfg, clk := fake(tt.steps...)
				cfg.InitialInterval, cfg.MaxInterval = tt.cfg.InitialInterval, tt.cfg.MaxInterval
				cfg.Rand = func() float64 { return rnd }
				var op *Operation[result, meta]
				if tt.resumed {
					op = New("op", r.poll, cfg)
				} else {
					op = NewWithState("op", State[result, meta]{Percent: 0}, r.poll, cfg)
				}
				_, err := op.Wait(context.Background(), tt.opts...)
				require.NoError(t, err)
				sleeps := clk.Sleeps()
				require.Len(t, sleeps, len(tt.intervals))
				for i, d := range tt.intervals {
					lo := d / 4
					assert.GreaterOrEqual(t, sleeps[i], lo, "sleep %d: floor of [d/4, d)", i)
					assert.Less(t, sleeps[i], d, "sleep %d: below the interval", i)
					want := lo + time.Duration(rnd*float64(d-lo))
					assert.Equal(t, want, sleeps[i], "sleep %d", i)
				}
				if tt.resumed {
					assert.Equal(t, t0, r.times[0], "first poll before any sleep")
				}
			})
		}
	}
}

func TestJitter(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		d    time.Duration
		r    float64
		want time.Duration
	}{
		{4 * time.Second, 0, time.Second},
		{4 * time.Second, 0.5, 2500 * ms},
		{4 * time.Second, 1, 4 * time.Second}, // a Rand out of [0, 1) is clamped
		{4 * time.Second, -3, time.Second},
		{2 * ms, 0, 1 * ms},                                 // floor never below 1ms...
		{500 * time.Microsecond, 0, 500 * time.Microsecond}, // ...or d if smaller
		{0, 0.5, 0},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, jitter(tt.d, tt.r), "jitter(%v, %v)", tt.d, tt.r)
	}
}

func TestDefaultRandSpreadsSleeps(t *testing.T) {
	clk := clock.NewFake(t0)
	r := &recorder{steps: runningThen(200), clk: clk}
	op := NewWithState("op", State[result, meta]{}, r.poll, Config{Clock: clk})
	_, err := op.Wait(context.Background(), WithPollInterval(time.Second, time.Second))
	require.NoError(t, err)
	seen := map[time.Duration]bool{}
	for _, d := range clk.Sleeps() {
		require.GreaterOrEqual(t, d, 250*time.Millisecond)
		require.Less(t, d, time.Second)
		seen[d] = true
	}
	assert.Greater(t, len(seen), 100, "sleeps are jittered")
}

func TestCancelReturnsPromptlyWithoutGoroutines(t *testing.T) {
	for _, resumed := range []bool{false, true} {
		t.Run(fmt.Sprintf("resumed=%v", resumed), func(t *testing.T) {
			before := runtime.NumGoroutine()
			var polls atomic.Int32
			poll := func(ctx context.Context, name string) (State[result, meta], error) {
				polls.Add(1)
				return State[result, meta]{Percent: 5}, nil
			}
			op := NewWithState("op", State[result, meta]{Percent: 0}, poll, Config{InitialInterval: time.Hour})
			if resumed {
				op = New("op", poll, Config{InitialInterval: time.Hour})
			}
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := op.Wait(ctx)
			elapsed := time.Since(start)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			assert.ErrorContains(t, err, "op")
			assert.Less(t, elapsed, 100*time.Millisecond)
			if resumed {
				assert.Equal(t, int32(1), polls.Load())
			} else {
				assert.Zero(t, polls.Load())
			}
			// (Not assert.Eventually: it runs its condition on goroutines of its own.)
			deadline := time.Now().Add(time.Second)
			for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			assert.LessOrEqual(t, runtime.NumGoroutine(), before, "a goroutine outlived Wait")
		})
	}
}

func TestCancelKeepsLastPollError(t *testing.T) {
	r, cfg, clk := fake(pollErr(errTransient))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk.OnSleep = func(time.Duration) {
		if len(clk.Sleeps()) == 3 {
			cancel()
		}
	}
	_, err := New("op", r.poll, cfg).Wait(ctx)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, err, errTransient)
	assert.Contains(t, err.Error(), "503")
}

func TestCancelDuringPoll(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	poll := func(ctx context.Context, name string) (State[result, meta], error) {
		cancel()
		<-ctx.Done()
		return State[result, meta]{}, fmt.Errorf("Get %q: %w", name, ctx.Err())
	}
	_, err := New("op", poll, Config{IsTransient: func(error) bool { return true }}).Wait(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, "lro: wait for operation op: context canceled", err.Error(), "an echo of the cancellation is not repeated")
}

func TestCancelWhileAnotherRoundTripIsInFlight(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var first atomic.Bool
	op := New("op", func(ctx context.Context, name string) (State[result, meta], error) {
		if first.CompareAndSwap(false, true) {
			close(entered)
			<-release
		}
		return State[result, meta]{Percent: 1}, nil
	}, Config{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = op.Poll(context.Background())
	}()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := op.Wait(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 100*time.Millisecond)
	_, err = op.Poll(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Zero(t, op.Progress().Polls, "handle unchanged")
	close(release)
	<-done
	assert.Equal(t, 1, op.Progress().Polls)
}

func TestResumeByName(t *testing.T) {
	// Process 1 starts the operation and keeps its name.
	server := map[string]int{"operations/copy-42": 0}
	var mu sync.Mutex
	poll := func(ctx context.Context, name string) (State[result, meta], error) {
		mu.Lock()
		defer mu.Unlock()
		n, ok := server[name]
		if !ok {
			return State[result, meta]{}, errFatal
		}
		server[name] = n + 25
		if n+25 >= 100 {
			return State[result, meta]{Done: true, Result: &result{ID: "backups/b42"}}, nil
		}
		return State[result, meta]{Percent: n + 25, Metadata: &meta{Step: n + 25}}, nil
	}
	_, cfg, clk := fake()
	started := NewWithState("operations/copy-42", State[result, meta]{Percent: 0}, poll, cfg)
	saved := started.Name()

	// Process 2 resumes it by name.
	op := New(saved, poll, cfg)
	assert.False(t, op.Done())
	assert.Equal(t, -1, op.Progress().Percent)
	res, err := op.Wait(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "backups/b42", res.ID)
	assert.Equal(t, saved, op.Name())
	assert.Equal(t, 75, op.Metadata().Step)
	assert.Len(t, clk.Sleeps(), 3, "first poll at once, then three sleeps")

	_, err = New("operations/unknown", poll, cfg).Wait(context.Background())
	assert.Same(t, errFatal, err)
}

func TestConcurrentUse(t *testing.T) {
	var n, inflight atomic.Int32
	op := New("op", func(ctx context.Context, name string) (State[result, meta], error) {
		if inflight.Add(1) > 1 {
			t.Error("two round trips of one handle in flight")
		}
		defer inflight.Add(-1)
		time.Sleep(50 * time.Microsecond)
		i := n.Add(1)
		if i >= 40 {
			return State[result, meta]{Done: true, Result: &result{ID: "c"}}, nil
		}
		return State[result, meta]{Percent: int(i), Metadata: &meta{Step: int(i)}}, nil
	}, Config{InitialInterval: time.Millisecond, MaxInterval: 2 * time.Millisecond})
	var wg sync.WaitGroup
	for range 4 {
		var inCallback atomic.Bool
		var lastPercent int
		wg.Go(func() {
			res, err := op.Wait(context.Background(), WithProgress(func(p Progress) {
				if !inCallback.CompareAndSwap(false, true) {
					t.Error("progress callback called concurrently with itself")
				}
				defer inCallback.Store(false)
				if p.Percent < lastPercent {
					t.Errorf("progress went back from %d to %d", lastPercent, p.Percent)
				}
				lastPercent = p.Percent
			}))
			assert.NoError(t, err)
			assert.Equal(t, "c", res.ID)
		})
		wg.Go(func() {
			_, _ = op.Poll(context.Background())
		})
		wg.Go(func() {
			for !op.Done() {
				_ = op.Name()
				if m := op.Metadata(); m != nil {
					_ = m.Step
				}
				_ = op.Progress()
				time.Sleep(100 * time.Microsecond)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(40), n.Load(), "no poll after done")
	assert.Equal(t, 40, op.Progress().Polls)
}

func TestNilPollFuncPanics(t *testing.T) {
	assert.Panics(t, func() { New[result, meta]("op", nil, Config{}) })
}

// Polls timed by progress: an operation that reports 1% a second is polled
// about when its percent says it ends, not at the end of the doubling
// schedule (which would find it at 114.4 s with this Rand, 14.4 s late);
// one that reports no progress keeps the schedule.
func TestWaitTimedByProgress(t *testing.T) {
	for _, tc := range []struct {
		name      string
		progress  bool
		notBefore time.Duration // when Wait finds it done, at the earliest
		before    time.Duration // and before this
	}{
		{"progress", true, 100 * time.Second, 102 * time.Second},
		{"no progress", false, 114 * time.Second, 115 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := clock.NewFake(t0)
			poll := func(context.Context, string) (State[result, meta], error) {
				el := clk.Now().Sub(t0)
				if el >= 100*time.Second {
					return State[result, meta]{Done: true, Result: &result{ID: "x"}, Percent: 100}, nil
				}
				pct := -1
				if tc.progress {
					pct = int(el / time.Second)
				}
				return State[result, meta]{Percent: pct}, nil
			}
			op := NewWithState("op", State[result, meta]{Percent: -1}, poll, Config{Clock: clk, Rand: func() float64 { return 0.5 }})
			_, err := op.Wait(context.Background(), WithPollInterval(time.Second, time.Minute))
			require.NoError(t, err)
			took := clk.Now().Sub(t0)
			assert.GreaterOrEqual(t, took, tc.notBefore)
			assert.Less(t, took, tc.before, "found done at %v", took)
		})
	}
}

// A copy whose percent stands still near the end (99% from 100 s until it
// ends at 400 s, as a copy that slows down while it finishes) is polled on
// a growing interval, not every initial interval until its end; one whose
// percent keeps moving at a steady rate is still found about when it ends.
func TestWaitProgressStalledBacksOff(t *testing.T) {
	clk := clock.NewFake(t0)
	var stalledPolls int
	poll := func(context.Context, string) (State[result, meta], error) {
		el := clk.Now().Sub(t0)
		switch {
		case el >= 400*time.Second:
			return State[result, meta]{Done: true, Result: &result{ID: "x"}, Percent: 100}, nil
		case el >= 99*time.Second:
			stalledPolls++
			return State[result, meta]{Percent: 99}, nil
		}
		return State[result, meta]{Percent: max(int(el/time.Second), 1)}, nil
	}
	op := NewWithState("op", State[result, meta]{Percent: -1}, poll, Config{Clock: clk, Rand: func() float64 { return 0.5 }})
	_, err := op.Wait(context.Background(), WithPollInterval(time.Second, time.Minute))
	require.NoError(t, err)
	// The time left grows with the time stood still (each sleep about 1.2
	// times the one before with this Rand: 25 polls over the 300 s); an
	// estimate from the first report (1%/s) would say "1 s left" at every
	// poll, about 300 polls.
	assert.Less(t, stalledPolls, 40, "polls while stalled at 99%")
	assert.Less(t, clk.Now().Sub(t0), 400*time.Second+time.Minute)
}
