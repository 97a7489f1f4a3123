// Package sharedpoll answers the concurrent polls of one client with as few
// requests as the API allows: polls are gathered by group (an FSx region, a
// Google instance) into rounds, and each round is answered by one fetch per
// group that reads many operations at once (DescribeBackups with 50 ids, an
// operations list). The FSx client's DescribeBackups batching was its first
// user; the Google clients' operation lists use the same design.
//
// A round starts Window after its first poll arrived (to gather the polls
// of waits that woke together) and no sooner than Gap times the requests
// the group's previous round made (Spent) after that round began, so
// thousands of waits on their own schedules cost the group about one
// request per Gap: a list of ten pages puts the next round ten Gaps later,
// and polls beyond one fetch's Max ids wait for later rounds, the waits
// nearest their end first. While at most one other wait watches the group,
// a round comes no later than the shortest poll interval among the waits in
// it (see WithInterval), so a single fast-polling Wait is not slowed. Each
// fetch runs on its own goroutine with a context that ends when the last of
// its waiters has left, so a hung request neither holds up later rounds nor
// outlives its callers.
package sharedpoll

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/clock"
)

// Result is one operation's answer from a fetch.
type Result[T any] struct {
	Value T
	Err   error
}

// Fetch reads the operations ids of group in as few requests as it can and
// returns an answer for each id (a missing one is answered with an error).
type Fetch[T any] func(ctx context.Context, group string, ids []string) map[string]Result[T]

// Config says how a Batcher gathers polls.
type Config[T any] struct {
	// Clock paces the rounds. Nil: the wall clock.
	Clock clock.Clock
	// Window is how long a round gathers polls after its first one.
	Window time.Duration
	// Gap is the least time between two rounds of one group (lowered to the
	// shortest interval the round's waits poll at).
	Gap time.Duration
	// Max bounds the distinct ids per fetch (0: no bound); more are split
	// into several fetches of one round.
	Max int
	// Fetch answers one batch.
	Fetch Fetch[T]
}

// Batcher gathers polls into shared fetches. It is safe for concurrent use.
type Batcher[T any] struct {
	cfg Config[T]

	mu      sync.Mutex
	groups  map[string]*group[T]
	sweepAt int // sweep the groups when there are this many
}

type waiter[T any] struct {
	ctx      context.Context
	id       string
	interval time.Duration // from WithInterval; 0 if none
	due      time.Time     // when queued plus interval: who goes first when not all fit
	ch       chan Result[T]
}

type group[T any] struct {
	queue   []waiter[T]
	running bool      // a goroutine makes this group's rounds
	last    time.Time // start of the previous round
	had     bool      // a previous round exists
	cost    int       // requests the previous round's fetches made (Spent)
	// fetching ends when the previous round's fetch has (nil before the
	// first round).
	fetching context.Context
	watches  map[string][]*watch[T]
	ready    map[string]T // values Seen that woke a watch, for its wait's next poll
}

// watch is a Wait asleep between polls that a round may wake.
type watch[T any] struct {
	check func(T) bool // reports whether a value seen means "poll now"
	wake  func()
}

// New returns a Batcher for cfg.
func New[T any](cfg Config[T]) *Batcher[T] {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real
	}
	return &Batcher[T]{cfg: cfg, groups: map[string]*group[T]{}, sweepAt: minSweep}
}

// ErrNoAnswer is the error of a poll its batch's fetch did not answer (a
// Fetch bug guard): transient, so a Wait polls again.
var ErrNoAnswer error = noAnswer{}

type noAnswer struct{}

func (noAnswer) Error() string {
	return "sharedpoll: the shared request did not answer for this operation; poll again"
}

// ErrorKind is Transient: the next poll asks again.
func (noAnswer) ErrorKind() backupcopy.Kind { return backupcopy.Transient }

// Get returns operation id of group as the next round reads it. It returns
// when the answer arrives or ctx ends.
func (b *Batcher[T]) Get(ctx context.Context, key, id string) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	iv, _ := ctx.Value(intervalKey{}).(time.Duration)
	w := waiter[T]{ctx: ctx, id: id, interval: iv, due: b.cfg.Clock.Now().Add(iv), ch: make(chan Result[T], 1)}
	b.mu.Lock()
	if len(b.groups) >= b.sweepAt {
		b.sweepLocked()
	}
	g := b.groups[key]
	if g == nil {
		g = &group[T]{}
		b.groups[key] = g
	}
	if v, ok := g.ready[id]; ok { // a round saw it end and woke this wait
		delete(g.ready, id)
		b.mu.Unlock()
		return v, nil
	}
	g.queue = append(g.queue, w)
	start := !g.running
	g.running = true
	b.mu.Unlock()
	if start {
		go b.run(key, g)
	}
	select {
	case r := <-w.ch:
		return r.Value, r.Err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// run makes the rounds of one group until its queue stays empty.
func (b *Batcher[T]) run(name string, g *group[T]) {
	clk := b.cfg.Clock
	for {
		if b.cfg.Window > 0 {
			_ = clk.Sleep(context.Background(), b.cfg.Window)
		}
		// One fetch of a group at a time: the previous round's may still
		// be making requests (the pages of a long list, waiting for the
		// request budget), and reports them with Spent, which pushes this
		// round later. Sleep until it has ended (or has run for
		// StuckAfter, so a hung request does not hold up the polls behind
		// it) and the gap holds.
		for {
			b.mu.Lock()
			wait := b.untilRoundLocked(g)
			fetching, stuck, queued := g.fetching, g.last.Add(StuckAfter).Sub(clk.Now()), len(g.queue) > 0
			b.mu.Unlock()
			if queued && fetching != nil && fetching.Err() == nil && stuck > 0 {
				// Ends early when the fetch does; looked at again at
				// least every Gap.
				_ = clk.Sleep(fetching, min(stuck, max(wait, b.cfg.Gap, time.Millisecond)))
				continue
			}
			if wait <= 0 {
				break
			}
			_ = clk.Sleep(context.Background(), wait)
		}
		b.mu.Lock()
		batch, left := b.pick(g.queue)
		g.queue = left
		if len(batch) == 0 && len(left) == 0 {
			g.running = false // the group keeps its last round's time for the gap
			b.mu.Unlock()
			return
		}
		g.last, g.had, g.cost = clk.Now(), true, 0
		fetching, ended := context.WithCancel(context.Background())
		g.fetching = fetching
		b.mu.Unlock()
		go b.send(name, batch, ended)
	}
}

// untilRoundLocked returns how long group g's next round must wait: until
// Gap times the requests its previous round made (Spent) has passed since
// that round began, or the shortest interval of the queued polls while at
// most one other wait watches the group.
func (b *Batcher[T]) untilRoundLocked(g *group[T]) time.Duration {
	if !g.had || len(g.queue) == 0 {
		return 0
	}
	gap := b.cfg.Gap * time.Duration(max(g.cost, 1))
	if len(g.watches) <= 1 { // a lone wait keeps its own schedule
		for _, w := range g.queue {
			if w.interval > 0 && w.interval < gap {
				gap = w.interval
			}
		}
	}
	return g.last.Add(gap).Sub(b.cfg.Clock.Now())
}

// pick splits queue into one round's batch (at most Max distinct ids) and
// the polls left for later rounds. Polls gone before their round are
// dropped. When the queue holds more ids than a fetch can name, the polls
// of the waits with the shortest intervals go first (progress puts a copy
// near its end on a short interval, and a poll without one, a caller's own
// Poll, counts as the shortest); the rest keep their order.
func (b *Batcher[T]) pick(queue []waiter[T]) (batch, left []waiter[T]) {
	live := queue[:0:0]
	for _, w := range queue {
		if w.ctx.Err() == nil {
			live = append(live, w)
		}
	}
	if b.cfg.Max <= 0 {
		return live, nil
	}
	ids := map[string]bool{}
	for _, w := range live {
		ids[w.id] = true
	}
	if len(ids) <= b.cfg.Max {
		return live, nil
	}
	slices.SortStableFunc(live, func(x, y waiter[T]) int { return x.due.Compare(y.due) })
	clear(ids)
	for _, w := range live {
		if ids[w.id] || len(ids) < b.cfg.Max {
			ids[w.id] = true
			batch = append(batch, w)
		} else {
			left = append(left, w)
		}
	}
	return batch, left
}

// send answers one batch with one fetch, and calls ended when the fetch
// has returned, before the answers go out (so a wait that polls again at
// once finds the group free).
func (b *Batcher[T]) send(name string, batch []waiter[T], ended func()) {
	defer ended()
	// Values (such as a signing time) come from the first waiter's context;
	// the requests end when every waiter has gone.
	ctx, cancel := context.WithCancel(context.WithoutCancel(batch[0].ctx))
	defer cancel()
	var live atomic.Int64
	live.Store(int64(len(batch)))
	for _, w := range batch {
		stop := context.AfterFunc(w.ctx, func() {
			if live.Add(-1) == 0 {
				cancel()
			}
		})
		defer stop()
	}
	var order []string
	seen := map[string]bool{}
	for _, w := range batch {
		if !seen[w.id] {
			seen[w.id] = true
			order = append(order, w.id)
		}
	}
	results := b.cfg.Fetch(ctx, name, order)
	ended()
	for _, w := range batch {
		r, ok := results[w.id]
		if !ok {
			r = Result[T]{Err: ErrNoAnswer}
		}
		w.ch <- r
	}
}

// Watch registers a Wait asleep until its next poll of id in group key: a
// round that sees a value for id (Seen) for which check reports true, or
// that finds id absent where it would be listed (Absent), calls wake (once)
// so the Wait polls at once rather than at the end of its sleep. Call stop
// when the sleep ends.
func (b *Batcher[T]) Watch(key, id string, check func(T) bool, wake func()) (stop func()) {
	w := &watch[T]{check: check, wake: wake}
	b.mu.Lock()
	g := b.groups[key]
	if g == nil {
		g = &group[T]{}
		b.groups[key] = g
	}
	if g.watches == nil {
		g.watches = map[string][]*watch[T]{}
	}
	g.watches[id] = append(g.watches[id], w)
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		ws := g.watches[id]
		for i, x := range ws {
			if x == w {
				ws = append(ws[:i], ws[i+1:]...)
				break
			}
		}
		if len(ws) == 0 {
			delete(g.watches, id)
		} else {
			g.watches[id] = ws
		}
	}
}

// sweepLocked forgets the groups nothing waits on or watches whose gap has
// passed, so groups do not pile up (CBR has one per backup for first
// polls). It runs when the number of groups has doubled since the last
// sweep, so its cost per poll stays constant.
func (b *Batcher[T]) sweepLocked() {
	now := b.cfg.Clock.Now()
	for key, g := range b.groups {
		if !g.running && len(g.queue) == 0 && len(g.watches) == 0 && len(g.ready) == 0 &&
			!now.Before(g.last.Add(b.cfg.Gap*time.Duration(max(g.cost, 1)))) {
			delete(b.groups, key)
		}
	}
	b.sweepAt = max(minSweep, 2*len(b.groups))
}

// StuckAfter is how long a group's fetch may run before the group's next
// round starts beside it: rounds wait for the fetch before them (so lists
// never overlap, and rounds that pile up behind a busy request budget
// become one), but a hung request must not hold up the polls behind it.
const StuckAfter = time.Minute

// minSweep is the number of groups below which none is forgotten.
const minSweep = 64

// Watched returns the ids of group key that sleeping Waits watch.
func (b *Batcher[T]) Watched(key string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	g := b.groups[key]
	if g == nil {
		return nil
	}
	ids := make([]string, 0, len(g.watches))
	for id := range g.watches {
		ids = append(ids, id)
	}
	return ids
}

// Seen tells the watches of id in group key about a value a fetch read;
// those whose check holds are woken and removed, and the value answers
// the next poll of id at once (a check holds for a final state, which a
// later request cannot change), so a woken wait needs no round of its own.
func (b *Batcher[T]) Seen(key, id string, v T) {
	b.wake(key, id, &v, func(w *watch[T]) bool { return w.check != nil && w.check(v) })
}

// Absent wakes the watches of id in group key: a complete list did not
// show it, so its state has changed (for example it finished).
func (b *Batcher[T]) Absent(key, id string) {
	b.wake(key, id, nil, func(*watch[T]) bool { return true })
}

// wake wakes the watches of id that pick holds for and, if any woke and v
// is not nil, keeps *v for the next poll of id.
func (b *Batcher[T]) wake(key, id string, v *T, pick func(*watch[T]) bool) {
	var fire []func()
	b.mu.Lock()
	if g := b.groups[key]; g != nil {
		ws := g.watches[id]
		keep := ws[:0]
		for _, w := range ws {
			if pick(w) {
				fire = append(fire, w.wake)
			} else {
				keep = append(keep, w)
			}
		}
		if len(keep) == 0 {
			delete(g.watches, id)
		} else {
			g.watches[id] = keep
		}
		if len(fire) > 0 && v != nil {
			if g.ready == nil {
				g.ready = map[string]T{}
			}
			g.ready[id] = *v
		}
	}
	b.mu.Unlock()
	for _, f := range fire {
		f()
	}
}

// Spent records that a fetch of group key made n requests (call it as they
// are made): the group's next round comes no sooner than Gap times the
// requests made since this round began (so a list of many pages is made
// less often, and a group makes about one request per Gap however many
// polls it answers), unless a lone wait's interval is shorter. A fetch that
// reports none counts as one request.
func (b *Batcher[T]) Spent(key string, n int) {
	b.mu.Lock()
	if g := b.groups[key]; g != nil {
		g.cost += n
	}
	b.mu.Unlock()
}

type intervalKey struct{}

// WithInterval returns a context telling the Batcher that the poll made with
// it comes from a wait polling about every d, so no round holds it back
// longer than d after the previous one (lro's Wait sets it).
func WithInterval(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, intervalKey{}, d)
}

// PageLost returns the answer for the polls a shared list did not reach
// because one of its later pages failed with err: transient whatever err
// is (an INVALID_ARGUMENT for a page token or offset that the list, changing
// while it was read, no longer has says nothing about an operation), so each
// wait polls again, and the list is not taken as refused.
func PageLost(err error) error { return &pageLost{err: err} }

type pageLost struct{ err error }

func (e *pageLost) Error() string {
	return "a later page of the shared list failed, so this operation was not read; polling again: " + e.err.Error()
}

// ErrorKind is Transient.
func (e *pageLost) ErrorKind() backupcopy.Kind { return backupcopy.Transient }

func (e *pageLost) Unwrap() error { return e.err }
