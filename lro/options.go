package lro

import "time"

// Package defaults for Wait. A client may set its own intervals in Config;
// the WaitOptions override both for one Wait.
const (
	// DefaultInitialInterval is the first interval between polls: backup
	// copies take minutes to hours, so a first look after about a second
	// catches quick failures (a bad source, a missing permission) early
	// without hammering the service.
	DefaultInitialInterval = time.Second
	// DefaultMaxInterval caps the doubling interval: one poll a minute at
	// most keeps the polls of a long copy (or of many copies in flight)
	// cheap, while Wait still returns within about a minute of the end.
	DefaultMaxInterval = 60 * time.Second
	// DefaultMaxPollErrors and DefaultPollErrorSpan bound how long Wait
	// retries transient poll errors: it gives up once this many polls in a
	// row have failed AND the first of them failed at least
	// DefaultPollErrorSpan ago. The client's call path has already retried
	// every failed poll, so this is an outage, not a blip; the operation
	// itself goes on, and can be resumed by name later.
	DefaultMaxPollErrors = 10
	// DefaultPollErrorSpan: see DefaultMaxPollErrors.
	DefaultPollErrorSpan = 5 * time.Minute
)

// WaitOption changes how one Wait polls.
type WaitOption func(*waitSettings)

type waitSettings struct {
	initial, max time.Duration
	maxErrors    int
	errorSpan    time.Duration
	progress     func(Progress)
}

// waitSettings sets ws from the client's Config and opts.
func (o *Operation[R, M]) waitSettings(ws *waitSettings, opts []WaitOption) {
	*ws = waitSettings{
		initial:   o.cfg.InitialInterval,
		max:       o.cfg.MaxInterval,
		maxErrors: DefaultMaxPollErrors,
		errorSpan: DefaultPollErrorSpan,
	}
	if ws.initial <= 0 {
		ws.initial = DefaultInitialInterval
	}
	if ws.max <= 0 {
		ws.max = DefaultMaxInterval
	}
	for _, opt := range opts {
		if opt != nil {
			opt(ws)
		}
	}
	ws.max = max(ws.max, ws.initial)
}

// WithPollInterval sets the first interval between polls and the cap that
// the doubling interval never passes. A value that is not positive keeps the
// client's (or the package's) default; a max below initial is raised to
// initial. Each sleep is drawn from [d/4, d) of the current interval d.
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

// WithProgress calls fn once after every successful poll that Wait makes,
// so n polls make n calls; the poll that finds the operation finished makes
// the last call, with Done true (and Err set if the operation failed). A Wait
// on a handle that is already done makes no poll and calls fn once, with Done
// true. So whenever Wait returns the operation's outcome, the last call fn
// saw has Done true, and no state is reported twice. A failed poll makes no
// call, and Wait makes none when it ends on a poll error or on ctx. A Wait
// never calls fn concurrently with itself; fn runs on the goroutine that
// called Wait, so it should return quickly.
func WithProgress(fn func(Progress)) WaitOption {
	return func(s *waitSettings) { s.progress = fn }
}

// WithMaxPollErrors sets when Wait gives up on transient poll errors: once n
// polls in a row have failed and the first of them failed at least span ago
// (span 0: after n failures). It then returns the last poll error, wrapped.
// n <= 0 removes the limit: transient poll errors are retried until ctx
// ends. The defaults are DefaultMaxPollErrors and DefaultPollErrorSpan.
func WithMaxPollErrors(n int, span time.Duration) WaitOption {
	return func(s *waitSettings) {
		s.maxErrors = n
		s.errorSpan = max(span, 0)
	}
}
