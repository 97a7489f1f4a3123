// Package lro is the long-running-operation handle every backupcopy client
// returns. A copy or create call returns an *Operation at once; nothing blocks
// until Wait.
//
// An Operation is built from a name and a poll function that makes one round
// trip to the service. Its state is: unknown (resumed by name, not yet polled),
// running (with the latest metadata and progress), or done (with a result or
// the operation's own error). Poll makes exactly one round trip and leaves the
// handle unchanged when the round trip itself fails. Wait polls until the
// operation is done or ctx ends: the first check comes soon, later ones back
// off exponentially (×2) with full jitter up to a cap, transient poll errors
// are retried on the same schedule, and a failed operation's error is returned
// as the service reported it, so errors.As and errors.Is keep working.
//
// Defaults: first check after 1s (at once for a handle resumed by name), cap
// 60s, at least 1/4 of the current interval between polls (so jitter never
// spins), and at most 10 consecutive transient poll failures. Wait starts no
// goroutine; it returns as soon as ctx ends.
//
// To resume in another process, keep Name() and give it to the client's
// ...Operation(name) method, which returns a handle for the same operation.
package lro

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/backupcopy/backupcopy/internal/clock"
)

// Default poll schedule.
const (
	DefaultInitialInterval = time.Second
	DefaultMaxInterval     = 60 * time.Second
	// DefaultMaxPollErrors is how many transient poll failures in a row Wait
	// tolerates before it returns the last one.
	DefaultMaxPollErrors = 10
)

// State is what one poll learned.
type State[R, M any] struct {
	// Done reports that the operation has finished, well or badly.
	Done bool
	// Result is set when the operation finished successfully.
	Result *R
	// Err is the operation's own failure (not a failure to poll).
	Err error
	// Metadata is the latest metadata, if the API reports any.
	Metadata *M
	// Percent is the progress, 0-100, or -1 when the API reports none.
	Percent int
}

// PollFunc makes one round trip for the operation called name. A non-nil
// error means the poll itself failed; an operation that failed is reported in
// State.Err.
type PollFunc[R, M any] func(ctx context.Context, name string) (State[R, M], error)

// Config is what a client gives its operations.
type Config struct {
	// IsTransient reports whether a poll error is worth retrying in Wait. Nil:
	// no poll error is.
	IsTransient func(error) bool
	// InitialInterval and MaxInterval override the package defaults for this
	// API; a WaitOption overrides them again.
	InitialInterval, MaxInterval time.Duration
	// MaxPollErrors overrides DefaultMaxPollErrors.
	MaxPollErrors int
	// Clock and Rand are for tests.
	Clock clock.Clock
	Rand  func() float64
}

// Progress is a snapshot of an operation's progress.
type Progress struct {
	// Percent is 0-100, or -1 when the API reports no progress.
	Percent int
	// Done is true on the final report.
	Done bool
	// Err is the operation's error on a final report of a failure.
	Err error
	// Polls counts the polls made by this handle so far.
	Polls int
	// Elapsed is the time since Wait began (zero outside Wait).
	Elapsed time.Duration
}

// Operation is a handle on a long-running operation. It is safe for
// concurrent use.
type Operation[R, M any] struct {
	name string
	poll PollFunc[R, M]
	cfg  Config

	mu     sync.Mutex
	known  bool // polled at least once, or built with a state
	state  State[R, M]
	polls  int
	pollMu sync.Mutex // one round trip at a time per handle
}

// New returns a handle for the operation called name whose state is unknown
// until polled: use it to resume an operation by name.
func New[R, M any](name string, poll PollFunc[R, M], cfg Config) *Operation[R, M] {
	return &Operation[R, M]{name: name, poll: poll, cfg: withDefaults(cfg), state: State[R, M]{Percent: -1}}
}

// NewWithState returns a handle whose state is already known, typically from
// the response of the call that started the operation.
func NewWithState[R, M any](name string, initial State[R, M], poll PollFunc[R, M], cfg Config) *Operation[R, M] {
	op := New(name, poll, cfg)
	op.state = initial
	op.known = true
	return op
}

func withDefaults(c Config) Config {
	if c.InitialInterval <= 0 {
		c.InitialInterval = DefaultInitialInterval
	}
	if c.MaxInterval <= 0 {
		c.MaxInterval = DefaultMaxInterval
	}
	if c.MaxInterval < c.InitialInterval {
		c.MaxInterval = c.InitialInterval
	}
	if c.MaxPollErrors <= 0 {
		c.MaxPollErrors = DefaultMaxPollErrors
	}
	if c.Clock == nil {
		c.Clock = clock.Real
	}
	if c.Rand == nil {
		c.Rand = rand.Float64
	}
	return c
}

// Name returns the operation's name: a token that resumes it, even in
// another process, through the client that made it.
func (o *Operation[R, M]) Name() string { return o.name }

// Done reports whether the operation is known to have finished.
func (o *Operation[R, M]) Done() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.state.Done
}

// Metadata returns the latest metadata, or nil if none is known yet.
func (o *Operation[R, M]) Metadata() *M {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.state.Metadata
}

// Progress returns the latest progress.
func (o *Operation[R, M]) Progress() Progress {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.progressLocked()
}

func (o *Operation[R, M]) progressLocked() Progress {
	p := Progress{Percent: o.state.Percent, Done: o.state.Done, Polls: o.polls}
	if o.state.Done {
		p.Err = o.state.Err
		if o.state.Err == nil {
			p.Percent = 100
		}
	}
	return p
}

// result returns the cached outcome of a finished operation.
func (o *Operation[R, M]) resultLocked() (*R, error) {
	if o.state.Err != nil {
		return nil, o.state.Err
	}
	return o.state.Result, nil
}

// Poll makes one round trip (none if the operation is already done) and
// returns the result if the operation succeeded, its error if it failed, and
// (nil, nil) if it is still running. If the round trip fails, Poll returns
// that error and the handle is unchanged.
func (o *Operation[R, M]) Poll(ctx context.Context) (*R, error) {
	o.pollMu.Lock()
	defer o.pollMu.Unlock()
	o.mu.Lock()
	if o.state.Done {
		defer o.mu.Unlock()
		return o.resultLocked()
	}
	o.mu.Unlock()

	st, err := o.poll(ctx, o.name)
	if err != nil {
		return nil, err
	}
	if st.Done && st.Err == nil && st.Result == nil {
		return nil, fmt.Errorf("lro: operation %s reported done with neither result nor error", o.name)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if st.Metadata == nil {
		st.Metadata = o.state.Metadata // keep the last known metadata
	}
	o.state = st
	o.known = true
	o.polls++
	if st.Done {
		return o.resultLocked()
	}
	return nil, nil
}

// WaitOption changes how Wait polls.
type WaitOption func(*waitSettings)

type waitSettings struct {
	initial, max time.Duration
	progress     func(Progress)
}

// WithPollInterval sets the first interval between polls and the cap that
// the doubling interval never passes.
func WithPollInterval(initial, max time.Duration) WaitOption {
	return func(s *waitSettings) {
		if initial > 0 {
			s.initial = initial
		}
		if max > 0 {
			s.max = max
		}
	}
}

// WithProgress calls fn after every successful poll and once more when the
// operation ends. fn is never called concurrently with itself by one Wait.
func WithProgress(fn func(Progress)) WaitOption {
	return func(s *waitSettings) { s.progress = fn }
}

// Wait polls until the operation is done or ctx ends, and returns the
// result, or the operation's error, or the poll error that ended the wait.
// When ctx ends first, the error satisfies errors.Is(err, ctx.Err()) and also
// wraps the last poll failure, if any.
func (o *Operation[R, M]) Wait(ctx context.Context, opts ...WaitOption) (*R, error) {
	ws := waitSettings{initial: o.cfg.InitialInterval, max: o.cfg.MaxInterval}
	for _, opt := range opts {
		if opt != nil {
			opt(&ws)
		}
	}
	if ws.max < ws.initial {
		ws.max = ws.initial
	}
	start := o.cfg.Clock.Now()
	report := func() {
		if ws.progress == nil {
			return
		}
		o.mu.Lock()
		p := o.progressLocked()
		o.mu.Unlock()
		p.Elapsed = o.cfg.Clock.Now().Sub(start)
		ws.progress(p)
	}

	o.mu.Lock()
	done, known := o.state.Done, o.known
	o.mu.Unlock()
	if done {
		report()
		o.mu.Lock()
		defer o.mu.Unlock()
		return o.resultLocked()
	}

	interval := ws.initial
	delay := jitter(interval, o.cfg.Rand())
	if !known {
		delay = 0 // resumed by name: look at once
	}
	var lastErr error
	pollErrs := 0
	for {
		if delay > 0 {
			if err := o.cfg.Clock.Sleep(ctx, delay); err != nil {
				return nil, ctxError(err, lastErr)
			}
		} else if err := ctx.Err(); err != nil {
			return nil, ctxError(err, lastErr)
		}
		res, err := o.Poll(ctx)
		o.mu.Lock()
		done = o.state.Done
		o.mu.Unlock()
		switch {
		case done:
			report()
			return res, err
		case err != nil:
			if ctx.Err() != nil {
				return nil, ctxError(ctx.Err(), err)
			}
			pollErrs++
			if o.cfg.IsTransient == nil || !o.cfg.IsTransient(err) || pollErrs >= o.cfg.MaxPollErrors {
				return nil, err
			}
			lastErr = err
		default:
			pollErrs = 0
			lastErr = nil
			report()
		}
		delay = jitter(interval, o.cfg.Rand())
		interval = min(interval*2, ws.max)
	}
}

// jitter picks a delay in [d/4, d): full jitter with a floor, so polls spread
// out across many waiters yet never come back to back.
func jitter(d time.Duration, r float64) time.Duration {
	floor := d / 4
	return floor + time.Duration(r*float64(d-floor))
}

type waitError struct {
	ctxErr, last error
}

func (e *waitError) Error() string {
	return fmt.Sprintf("lro: wait ended: %v (last poll error: %v)", e.ctxErr, e.last)
}

func (e *waitError) Unwrap() []error { return []error{e.ctxErr, e.last} }

func ctxError(ctxErr, last error) error {
	if last == nil || errors.Is(last, ctxErr) {
		return ctxErr
	}
	return &waitError{ctxErr: ctxErr, last: last}
}
