package lro

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/backupcopy/backupcopy/internal/clock"
)

// wakingWatch is a Config.Watch that wakes every sleep at once (from
// another goroutine, as a client's shared poll does) and counts the
// watches and their stops.
type wakingWatch struct {
	mu             sync.Mutex
	watches, stops int
	names          []string
}

func (w *wakingWatch) watch(name string, wake func()) (stop func()) {
	w.mu.Lock()
	w.watches++
	w.names = append(w.names, name)
	w.mu.Unlock()
	go wake()
	return func() {
		w.mu.Lock()
		w.stops++
		w.mu.Unlock()
	}
}

// TestWaitWatchWakes checks that a client's wake ends a sleep of an hour
// at once, on the wall clock (one channel for the timer and the wake) and
// on another clock (a context the wake cancels), and that every watch is
// stopped.
func TestWaitWatchWakes(t *testing.T) {
	for _, tt := range []struct {
		name  string
		clock Clock // nil: the wall clock
	}{
		{name: "wall clock"},
		{name: "fake clock", clock: waitingClock{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{steps: []step{running(10), running(20), succeeded("b1")}}
			w := &wakingWatch{}
			op := NewWithState("operations/op-1", State[result, meta]{Percent: 0}, r.poll, Config{Clock: tt.clock, Watch: w.watch})
			// If a wake were lost, the sleep of an hour would end by this
			// deadline, and Wait with an error.
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := op.Wait(ctx, WithPollInterval(time.Hour, time.Hour))
			require.NoError(t, err)
			assert.Equal(t, "b1", res.ID)
			assert.Equal(t, 3, r.calls())
			w.mu.Lock()
			defer w.mu.Unlock()
			assert.Equal(t, 3, w.watches)
			assert.Equal(t, w.watches, w.stops)
			assert.Equal(t, []string{"operations/op-1", "operations/op-1", "operations/op-1"}, w.names)
		})
	}
}

// waitingClock sleeps until ctx ends, whatever d is: only a wake (or the
// caller's context) ends its sleeps.
type waitingClock struct{}

func (waitingClock) Now() time.Time { return t0 }

func (waitingClock) Sleep(ctx context.Context, _ time.Duration) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestWaitWatchedCancel checks that a Wait asleep with a Watch on the wall
// clock ends when its context does, with an error wrapping ctx.Err().
func TestWaitWatchedCancel(t *testing.T) {
	r := &recorder{steps: []step{running(10)}}
	stopped := make(chan struct{}, 1)
	watch := func(string, func()) func() { return func() { stopped <- struct{}{} } }
	op := NewWithState("operations/op-1", State[result, meta]{Percent: 0}, r.poll, Config{Watch: watch})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := op.Wait(ctx, WithPollInterval(time.Hour, time.Hour))
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 0, r.calls())
	<-stopped
}

// TestWaitPollPanics checks that a panic in the poll, which Wait runs on a
// goroutine of its own, reaches the caller of Wait with its value.
func TestWaitPollPanics(t *testing.T) {
	poll := func(context.Context, string) (State[result, meta], error) { panic("poll broke") }
	op := New("operations/op-1", poll, Config{Clock: clock.NewFake(t0)})
	assert.PanicsWithValue(t, "poll broke", func() { _, _ = op.Wait(context.Background()) })
}
