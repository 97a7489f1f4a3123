package lro

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/clock"
	"github.com/backupcopy/backupcopy/internal/sharedpoll"
)

// State is what one poll learned.
type State[R, M any] struct {
	// Done reports that the operation has finished, well or badly.
	Done bool
	// Result is set when Done and the operation succeeded.
	Result *R
	// Err is set when Done and the operation failed: the operation's own
	// error (for example a Google Operation.error, or an FSx FAILED
	// lifecycle), not a failure to poll. It is returned unchanged. A done
	// state with neither Result nor Err counts as failed, with an lro error.
	Err error
	// Metadata is the latest metadata, or nil. A poll that reports none
	// keeps the previous metadata.
	Metadata *M
	// Percent is the progress, 0-100, or -1 when the API reports none.
	Percent int
}

// PollFunc makes one round trip for the operation called name. A non-nil
// error means the poll itself failed (network, 5xx, permission, ...); an
// operation that failed is reported with Done and Err set and a nil error.
type PollFunc[R, M any] func(ctx context.Context, name string) (State[R, M], error)

// Config is how a client builds its operations. The zero value is usable.
type Config struct {
	// IsTransient reports whether a poll error is worth retrying during Wait
	// (the client's classifier). Nil: no poll error is.
	IsTransient func(error) bool
	// InitialInterval and MaxInterval are this API's poll schedule. Zero:
	// DefaultInitialInterval and DefaultMaxInterval. WithPollInterval
	// overrides them for one Wait.
	InitialInterval, MaxInterval time.Duration
	// Clock reads the time and sleeps between polls. Nil: the wall clock.
	Clock Clock
	// Rand returns a number in [0, 1) for jitter. Nil: math/rand/v2's
	// Float64. It must be safe for concurrent use if Waits run concurrently.
	Rand func() float64
	// Watch, if set, is called by Wait before each sleep between polls of
	// the operation called name; the client calls wake (at most once, from
	// any goroutine) when it learns, for example from a poll it shared with
	// other operations, that this one may have finished, and Wait then polls
	// at once instead of at the end of its sleep. Wait calls the returned
	// stop when the sleep ends. Nil: every sleep runs its course.
	Watch func(name string, wake func()) (stop func())
}

// Clock reads the time and sleeps: Wait's schedule runs on it, so a test
// can drive hours of polling in microseconds.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits for d or until ctx ends, whichever is first, and returns
	// ctx.Err() in the second case.
	Sleep(ctx context.Context, d time.Duration) error
}

// Progress is a snapshot of an operation's progress.
type Progress struct {
	// Percent is 0-100, or -1 when the API reports no progress. It is 100
	// once the operation has succeeded.
	Percent int
	// Done reports that the operation has finished.
	Done bool
	// Err is the operation's error once it has failed.
	Err error
	// Polls counts the successful polls made through this handle.
	Polls int
	// Elapsed is the time since the current Wait began, in WithProgress
	// callbacks; it is zero in the value Operation.Progress returns.
	Elapsed time.Duration
}

// Operation is a handle on a long-running operation. It is safe for
// concurrent use: Name, Done, Metadata and Progress may be called while Wait
// or Poll run, and several Waits may run at once (their round trips take
// turns, so a late answer never overwrites a newer one).
type Operation[R, M any] struct {
	name string
	poll PollFunc[R, M]
	cfg  Config
	turn chan struct{} // holds a token during a round trip

	mu    sync.Mutex
	known bool // polled successfully, or built with a state
	state State[R, M]
	polls int
}

// New returns a handle on the operation called name whose state is unknown
// until polled: this is how a client resumes an operation by name. It panics
// if poll is nil.
func New[R, M any](name string, poll PollFunc[R, M], cfg Config) *Operation[R, M] {
	if poll == nil {
		panic("lro: New with a nil PollFunc")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	return &Operation[R, M]{
		name:  name,
		poll:  poll,
		cfg:   cfg,
		turn:  make(chan struct{}, 1),
		state: State[R, M]{Percent: -1},
	}
}

// NewWithState returns a handle whose state is already known, typically from
// the response of the call that started the operation. Wait then makes its
// first poll after about the initial interval rather than at once.
func NewWithState[R, M any](name string, initial State[R, M], poll PollFunc[R, M], cfg Config) *Operation[R, M] {
	o := New(name, poll, cfg)
	o.state = o.sanitize(initial)
	o.known = true
	return o
}

// sanitize makes a reported state consistent: Err wins over Result, a done
// state has one of them, and Percent is within [-1, 100].
func (o *Operation[R, M]) sanitize(st State[R, M]) State[R, M] {
	if st.Done && st.Err != nil {
		st.Result = nil
	}
	if st.Done && st.Err == nil && st.Result == nil {
		st.Err = &emptyResultError{name: o.name}
	}
	st.Percent = max(-1, min(st.Percent, 100))
	return st
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

// Metadata returns the latest metadata, or nil if none is known yet. The
// caller must not modify it.
func (o *Operation[R, M]) Metadata() *M {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.state.Metadata
}

// Progress returns the latest progress (with a zero Elapsed).
func (o *Operation[R, M]) Progress() Progress {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.progressLocked()
}

func (o *Operation[R, M]) progressLocked() Progress {
	p := Progress{Percent: o.state.Percent, Done: o.state.Done, Polls: o.polls}
	if o.state.Done {
		p.Err = o.state.Err
		if p.Err == nil {
			p.Percent = 100
		}
	}
	return p
}

// outcome returns the cached outcome and whether the operation is done.
func (o *Operation[R, M]) outcome() (res *R, err error, done bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.state.Done {
		return nil, nil, false
	}
	return o.state.Result, o.state.Err, true
}

// Poll makes one round trip and returns the result if the operation has
// succeeded, the operation's error (State.Err, unchanged) if it has failed,
// and (nil, nil) if it is still running. Once the operation is done, Poll
// returns the cached outcome without a round trip. If the round trip itself
// fails, or ctx ends while another Poll or Wait of this handle has its round
// trip in flight, Poll returns that error and leaves the handle unchanged.
func (o *Operation[R, M]) Poll(ctx context.Context) (*R, error) {
	if res, err, done := o.outcome(); done {
		return res, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case o.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-o.turn }()
	if res, err, done := o.outcome(); done { // finished by the round trip we waited for
		return res, err
	}

	st, err := o.poll(ctx, o.name)
	if err != nil {
		return nil, err
	}
	st = o.sanitize(st)
	o.mu.Lock()
	defer o.mu.Unlock()
	if st.Metadata == nil {
		st.Metadata = o.state.Metadata
	}
	o.state = st
	o.known = true
	o.polls++
	if st.Done {
		return st.Result, st.Err
	}
	return nil, nil
}

// Wait polls until the operation is done, a poll fails for good, or ctx
// ends (see the package documentation for the schedule). It returns the
// result, the operation's error unchanged, the poll error that ended the
// wait, or an error that wraps ctx.Err() (and the last poll error, if the
// last poll failed). If the operation is already done, Wait returns at once.
//
// A program may wait on thousands of operations at once, each Wait holding
// its caller's goroutine while it sleeps, so Wait keeps that goroutine's
// stack small: its loop holds little, and each poll (the request's call
// path, the decoding of the answer) runs on a short-lived goroutine of its
// own (pollAside), whose deeper stack is gone once the poll returns.
func (o *Operation[R, M]) Wait(ctx context.Context, opts ...WaitOption) (*R, error) {
	var w waitState // filled in place: a composite literal would take a second copy in the frame
	o.waitSettings(&w.settings, opts)
	w.start = o.cfg.Clock.Now()
	if res, err, done := o.outcome(); done {
		o.report(&w)
		return res, err
	}
	o.mu.Lock()
	sleepFirst := o.known
	o.mu.Unlock()
	w.interval = w.settings.initial
	for {
		slept := minSleep
		if sleepFirst {
			slept = jitter(w.interval, o.cfg.Rand())
			if err := o.sleep(ctx, slept); err != nil {
				return nil, o.ctxError(err, w.lastErr)
			}
			w.interval = grow(w.interval, w.settings.max)
		} else if err := ctx.Err(); err != nil {
			return nil, o.ctxError(err, w.lastErr)
		}
		sleepFirst = true

		// A client that shares polls among its waits (internal/sharedpoll)
		// holds this poll back no longer than the sleep before it, so a
		// single Wait polls on its own schedule.
		err := o.pollAside(ctx, max(slept, minSleep))
		if res, opErr, done := o.outcome(); done {
			o.report(&w)
			return res, opErr
		}
		if err == nil {
			o.polled(&w)
			continue
		}
		if err := o.pollFailed(ctx, &w, err); err != nil {
			return nil, err
		}
	}
}

// waitState is what one Wait keeps between polls.
type waitState struct {
	settings     waitSettings
	start        time.Time     // when the Wait began
	interval     time.Duration // the current poll interval
	lastErr      error         // the last poll's error, nil after a good poll
	failures     int           // polls failed in a row
	firstFailure time.Time     // when the first of them failed
	eta          etaTracker
}

// report calls the WithProgress callback, if any, with the latest progress.
func (o *Operation[R, M]) report(w *waitState) {
	if w.settings.progress == nil {
		return
	}
	p := o.Progress()
	p.Elapsed = o.cfg.Clock.Now().Sub(w.start)
	w.settings.progress(p)
}

// polled updates w after a good poll of an operation still running.
func (o *Operation[R, M]) polled(w *waitState) {
	w.lastErr, w.failures = nil, 0
	// Timed by progress: when the reported percent predicts the end sooner
	// than the next poll, poll about then instead (never sooner than the
	// initial interval; never later than the schedule).
	if left, ok := w.eta.observe(o.cfg.Clock.Now(), o.Progress().Percent); ok && left < w.interval {
		w.interval = max(left, w.settings.initial)
	}
	o.report(w)
}

// pollFailed records the failed poll err in w and returns the error that
// ends the Wait, or nil to poll again.
func (o *Operation[R, M]) pollFailed(ctx context.Context, w *waitState, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return o.ctxError(ctxErr, err)
	}
	if o.cfg.IsTransient == nil || !o.cfg.IsTransient(err) {
		return err
	}
	now := o.cfg.Clock.Now()
	if w.failures == 0 {
		w.firstFailure = now
	}
	w.failures++
	w.lastErr = err
	if span := now.Sub(w.firstFailure); w.settings.maxErrors > 0 && w.failures >= w.settings.maxErrors && span >= w.settings.errorSpan {
		return fmt.Errorf("lro: operation %s: giving up after %d failed polls in a row over %v: %w",
			o.name, w.failures, span.Round(time.Millisecond), err)
	}
	return nil
}

// pollAside makes one Poll for Wait on a goroutine of its own, telling a
// client that shares polls the Wait's interval (sharedpoll.WithInterval),
// and returns its error. A panic (or runtime.Goexit) in the poll is carried
// over to the calling goroutine, as if the poll had run there.
func (o *Operation[R, M]) pollAside(ctx context.Context, interval time.Duration) error {
	done := make(chan pollOutcome, 1)
	go func() {
		var out pollOutcome
		defer func() {
			if !out.returned {
				out.panicked = recover()
			}
			done <- out
		}()
		_, out.err = o.Poll(sharedpoll.WithInterval(ctx, interval))
		out.returned = true
	}()
	out := <-done
	if !out.returned {
		if out.panicked != nil {
			panic(out.panicked)
		}
		runtime.Goexit()
	}
	return out.err
}

// pollOutcome is how pollAside's goroutine ended.
type pollOutcome struct {
	err      error
	returned bool // Poll returned (else it panicked or called runtime.Goexit)
	panicked any  // the value it panicked with
}

// sleep sleeps d on the clock, or until the client wakes the wait
// (Config.Watch) or ctx ends; only the last is an error.
//
// On the wall clock, the timer and the client's wake both signal one
// channel, waited on with ctx.Done(): no context is derived from ctx, whose
// registration with ctx (an entry in its map of children, made on a deep
// call path) would cost every sleeping Wait heap and stack.
func (o *Operation[R, M]) sleep(ctx context.Context, d time.Duration) error {
	switch {
	case o.cfg.Watch == nil:
		return o.cfg.Clock.Sleep(ctx, d)
	case !clock.IsReal(o.cfg.Clock):
		return o.sleepOn(ctx, d)
	}
	woken := make(chan struct{}, 1)
	wake := func() {
		select {
		case woken <- struct{}{}:
		default: // already woken
		}
	}
	stop := o.cfg.Watch(o.name, wake)
	t := time.AfterFunc(d, wake)
	select {
	case <-ctx.Done():
	case <-woken: // the timer, or the client: poll now
	}
	t.Stop()
	stop()
	return ctx.Err()
}

// sleepOn is sleep with a Watch on another clock than the wall clock, which
// only a context can end early.
func (o *Operation[R, M]) sleepOn(ctx context.Context, d time.Duration) error {
	sctx, wake := context.WithCancel(ctx)
	stop := o.cfg.Watch(o.name, wake)
	err := o.cfg.Clock.Sleep(sctx, d)
	stop()
	wake()
	if err != nil && ctx.Err() == nil {
		return nil // woken early: poll now
	}
	return err
}

// etaTracker estimates an operation's end from its reported progress: the
// rate of its latest step, from the first time the previous percent was
// seen to now. A copy's progress is seldom a straight line (slow to start
// and to finish): the latest step follows the rate as it changes, and while
// the percent stands still (a copy stuck at 99%) the time left it gives
// grows with the time stood still, so polls back off rather than come at
// the initial interval until the end.
type etaTracker struct {
	prevT, curT time.Time // when prevP and curP were first seen
	prevP, curP int
}

// observe records percent p at now and returns the time left to 100% at
// the latest step's rate, if there is one.
func (e *etaTracker) observe(now time.Time, p int) (time.Duration, bool) {
	if p <= 0 || p >= 100 {
		return 0, false
	}
	switch {
	case e.curT.IsZero():
		e.curT, e.curP = now, p
		return 0, false
	case p > e.curP:
		e.prevT, e.prevP = e.curT, e.curP
		e.curT, e.curP = now, p
	case p < e.curP: // went back: start again from here
		*e = etaTracker{curT: now, curP: p}
		return 0, false
	}
	el := now.Sub(e.prevT)
	if e.prevT.IsZero() || el <= 0 {
		return 0, false
	}
	return time.Duration(float64(el) * float64(100-p) / float64(p-e.prevP)), true
}

// minSleep is the smallest sleep between polls (unless the interval itself
// is smaller).
const minSleep = time.Millisecond

// jitter picks a sleep for interval d: uniform in [floor, d) with floor
// d/4, but at least min(d, minSleep).
func jitter(d time.Duration, r float64) time.Duration {
	if d <= 0 {
		return 0
	}
	if !(r >= 0) { // also NaN
		r = 0
	}
	r = min(r, 1)
	floor := max(d/4, min(d, minSleep))
	return floor + time.Duration(r*float64(d-floor))
}

// grow doubles d without passing limit (or overflowing).
func grow(d, limit time.Duration) time.Duration {
	if d > limit/2 {
		return limit
	}
	return d * 2
}

// waitError is what Wait returns when ctx ends.
type waitError struct {
	name   string
	ctxErr error
	last   error // the last poll's error, or nil
}

func (e *waitError) Error() string {
	if e.last == nil {
		return fmt.Sprintf("lro: wait for operation %s: %v", e.name, e.ctxErr)
	}
	return fmt.Sprintf("lro: wait for operation %s: %v; last poll error: %v", e.name, e.ctxErr, e.last)
}

// ErrorKind is Canceled: the wait ended, not the operation, which can be
// resumed by name.
func (e *waitError) ErrorKind() backupcopy.Kind { return backupcopy.Canceled }

func (e *waitError) Unwrap() []error {
	if e.last == nil {
		return []error{e.ctxErr}
	}
	return []error{e.ctxErr, e.last}
}

func (o *Operation[R, M]) ctxError(ctxErr, last error) error {
	if last != nil && errors.Is(last, ctxErr) {
		last = nil // the poll only echoed the cancellation
	}
	return &waitError{name: o.name, ctxErr: ctxErr, last: last}
}

// emptyResultError is the error of an operation reported done with neither
// a result nor an error.
type emptyResultError struct{ name string }

func (e *emptyResultError) Error() string {
	return fmt.Sprintf("lro: operation %s reported done with neither result nor error", e.name)
}

// ErrorKind is OutcomeUnknown: whether the copy exists must be checked.
func (e *emptyResultError) ErrorKind() backupcopy.Kind { return backupcopy.OutcomeUnknown }
