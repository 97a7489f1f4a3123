package fleet

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/lro"
)

// Result is the outcome of a run.
type Result struct {
	// Run is the run's id, plan and creation time.
	Run RunInfo
	// Copies has one entry per copy of the plan, in plan order.
	Copies []CopyResult
	// Totals counts the copies by state.
	Totals Totals
}

// CopyResult is where one copy stands at the end of a run.
type CopyResult struct {
	// Key is the copy's key.
	Key string
	// Cloud is its adapter's Cloud().
	Cloud string
	// Group is the copy's limit group.
	Group string
	// State is Done or Failed for a copy that finished; a run stopped by its
	// context leaves copies Queued, Starting or Running, to be resumed.
	State State
	// Name is the copy's operation (its resume token), once started.
	Name string
	// Result names the new backup once done.
	Result string
	// Attempts counts the start requests sent for the copy.
	Attempts int
	// Err is why the copy failed (or, for a copy left unfinished, the last
	// error it met, if any).
	Err error
}

// Err returns nil if every copy is Done, else one line naming the copies
// that failed or did not finish.
func (r *Result) Err() error {
	if r.Totals.Done == len(r.Copies) {
		return nil
	}
	var failed, open []string
	for i := range r.Copies {
		c := &r.Copies[i]
		switch c.State {
		case Done:
		case Failed:
			failed = append(failed, fmt.Sprintf("%q: %v", c.Key, c.Err))
		default:
			open = append(open, fmt.Sprintf("%q", c.Key))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "fleet: %d of %d copies done", r.Totals.Done, len(r.Copies))
	if len(failed) > 0 {
		fmt.Fprintf(&b, "; %d failed: %s", len(failed), oneLine(listSome(failed, 10)))
	}
	if len(open) > 0 {
		fmt.Fprintf(&b, "; %d not finished (run again with the same store to resume): %s", len(open), listSome(open, 10))
	}
	return errors.New(b.String())
}

func listSome(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, "; ")
	}
	return strings.Join(s[:n], "; ") + fmt.Sprintf("; and %d more", len(s)-n)
}

// Run makes the plan's copies and returns a result per copy.
//
// Before anything starts it checks the plan (keys, requests, routes; a
// *PlanError names every bad copy), compares it with the store (a
// *StateError if the store holds another plan, or this plan changed under a
// key it holds), and runs the adapters' Preflight reads for the copies not
// yet started (unless opts.SkipPreflight). Then it starts copies as their
// limit groups allow, waits on them, and records every step in the store: a
// copy is recorded as starting before its request is sent and as running,
// with its operation's name, after. A copy found starting when a run
// resumes is looked for with the adapter's Find before anything is sent
// again.
//
// An answer that a limit was reached or that the service throttles
// (backupcopy.AtLimit, backupcopy.Throttled) puts the copy back at the head
// of its group's queue, pauses the group with backoff and lowers its limit;
// it grows by one again each time a limit's worth of copies has finished,
// up to the group's limit.
// A copy that fails for good (backupcopy.GiveUp) does not stop the others.
//
// The error is nil when the run has gone through every copy, even if some
// failed (see Result.Err). When ctx ends, Run stops starting copies, stops
// waiting, and returns promptly the result so far with an error wrapping
// ctx.Err(); running the same plan with the same store resumes. A store
// that fails to record ends the run the same way.
func Run(ctx context.Context, plan Plan, opts Options) (*Result, error) {
	if plan.Name == "" {
		plan.Name = "fleet"
	}
	if pe := checkPlan(&plan, &opts); pe != nil {
		return nil, pe
	}
	store := opts.Store
	if store == nil {
		store = NewMemoryStore()
	}
	snap, err := store.Load()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	var info RunInfo
	byKey := map[string]*Record{}
	if snap == nil {
		info = RunInfo{ID: opts.RunID, Plan: plan.Name, Created: now}
		if info.ID == "" {
			info.ID = newRunID()
		}
	} else {
		info = snap.Run
		if info.Plan != plan.Name {
			return nil, &StateError{Reason: fmt.Sprintf("the state holds plan %q (run %s), not %q: use another state file", info.Plan, info.ID, plan.Name)}
		}
		for i := range snap.Records {
			byKey[snap.Records[i].Key] = &snap.Records[i]
		}
	}
	items := make([]item, len(plan.Copies))
	var fresh []Record
	var changed []string
	inPlan := make(map[string]bool, len(plan.Copies))
	for i := range plan.Copies {
		c := &plan.Copies[i]
		inPlan[c.Key] = true
		it := &items[i]
		it.c = c
		if r, ok := byKey[c.Key]; ok {
			if r.Digest != c.Adapter.Digest() {
				changed = append(changed, c.Key)
			}
			it.rec = *r
			if it.rec.Token == "" {
				it.rec.Token = Token(info.ID, c.Key)
			}
			continue
		}
		it.rec = Record{Key: c.Key, Cloud: c.Adapter.Cloud(), Digest: c.Adapter.Digest(), State: Queued, Token: Token(info.ID, c.Key), Updated: now}
		fresh = append(fresh, it.rec)
	}
	if len(changed) > 0 {
		return nil, &StateError{Keys: changed, Reason: fmt.Sprintf("the plan changed under %s since run %s recorded %s: restore the plan or use another state file", quoteKeys(changed), info.ID, pronoun(changed))}
	}
	if snap != nil {
		var gone []string
		for i := range snap.Records {
			if !inPlan[snap.Records[i].Key] {
				gone = append(gone, snap.Records[i].Key)
			}
		}
		if len(gone) > 0 {
			return nil, &StateError{Keys: gone, Reason: fmt.Sprintf("run %s recorded %s, which the plan no longer has: restore the plan or use another state file", info.ID, quoteKeys(gone))}
		}
	}
	if !opts.SkipPreflight {
		var idx []int
		for i := range items {
			if items[i].rec.State == Queued {
				idx = append(idx, i)
			}
		}
		pe := preflight(ctx, &plan, idx, opts.preflightConcurrency())
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("fleet: preflight stopped, nothing started: %w", err)
		}
		if pe != nil {
			return nil, pe
		}
	}
	if snap == nil || len(fresh) > 0 {
		if err := store.Init(info, fresh); err != nil {
			return nil, err
		}
	}
	r := newRunner(&opts, store, info, items)
	return r.run(ctx)
}

func quoteKeys(keys []string) string {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = fmt.Sprintf("%q", k)
	}
	word := "key "
	if len(keys) > 1 {
		word = "keys "
	}
	return word + listSome(q, 10)
}

func pronoun(keys []string) string {
	if len(keys) > 1 {
		return "them"
	}
	return "it"
}

// item is one copy during a run. The scheduler owns it, except while a
// worker runs it (between launch and the worker's last message).
type item struct {
	c     *Copy
	g     *group
	rec   Record
	tries int   // failures other than limits, in this process
	err   error // the last error met
}

// group is a limit group: copies in progress at once are at most cur, which
// moves between 1 and max.
type group struct {
	name      string
	max, cur  int
	curA      atomic.Int64 // cur, for workers' events
	inflight  int
	queue     []*item
	head      int
	notBefore time.Time
	streak    int          // limit answers in a row
	okSince   int          // copies done since the limit last changed
	running   atomic.Int64 // copies known started and not ended (workers count them)
	inReady   bool
	timerAt   time.Time
}

func (g *group) setCur(n int) {
	g.cur = n
	g.curA.Store(int64(n))
}

func (g *group) qlen() int { return len(g.queue) - g.head }

func (g *group) pop() *item {
	it := g.queue[g.head]
	g.queue[g.head] = nil
	g.head++
	if g.head == len(g.queue) {
		g.queue, g.head = g.queue[:0], 0
	}
	return it
}

func (g *group) pushFront(it *item) {
	if g.head > 0 {
		g.head--
		g.queue[g.head] = it
		return
	}
	g.queue = append([]*item{it}, g.queue...)
}

type msgKind int

const (
	msgLimit   msgKind = iota // refused at a limit or throttled: nothing started
	msgRetry                  // transient or unknown failure: try again later (Find first)
	msgDone                   // the copy finished well
	msgFailed                 // the copy failed for good
	msgStopped                // the context ended
	msgFatal                  // the store failed
)

type msg struct {
	it        *item
	kind      msgKind
	rec       Record
	err       error
	throttled bool
}

type timerEntry struct {
	at time.Time
	it *item  // a copy to queue again
	g  *group // or a group to look at again
}

type timerHeap []timerEntry

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timerEntry)) }
func (h *timerHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

type runner struct {
	opts   *Options
	store  Store
	info   RunInfo
	items  []item
	groups map[string]*group
	ready  []*group
	timers timerHeap
	msgs   chan msg

	active, pending int
	stopping        bool
	fatal           error

	emu    sync.Mutex // serializes events and guards totals
	totals Totals

	cancel context.CancelFunc // stops the workers
}

func newRunner(opts *Options, store Store, info RunInfo, items []item) *runner {
	r := &runner{opts: opts, store: store, info: info, items: items, groups: map[string]*group{}}
	for i := range items {
		it := &items[i]
		l := it.c.Adapter.Limit()
		g := r.groups[l.Group]
		if g == nil {
			n := l.Max
			if v, ok := opts.Limits[l.Group]; ok {
				n = v
			}
			n = max(n, 1)
			g = &group{name: l.Group, max: n}
			g.setCur(n)
			r.groups[l.Group] = g
		}
		it.g = g
		r.totals.add(it.rec.State, 1)
		if it.rec.Error != "" {
			it.err = errors.New(it.rec.Error)
		}
	}
	r.msgs = make(chan msg, 64)
	return r
}

func (r *runner) run(ctx context.Context) (*Result, error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r.cancel = cancel
	// Copies already running are followed at once: they hold their
	// group's slots whatever the limit.
	for i := range r.items {
		it := &r.items[i]
		switch it.rec.State {
		case Done, Failed:
			continue
		case Running:
			r.pending++
			r.launch(wctx, it)
		default:
			r.pending++
			it.g.queue = append(it.g.queue, it)
			r.kick(it.g)
			if it.rec.State == Queued {
				r.emit(Event{Type: EventQueued, Key: it.rec.Key, Cloud: it.rec.Cloud, Group: it.g.name, Limit: it.g.cur, Percent: -1, Attempt: it.rec.Attempts})
			}
		}
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	done := ctx.Done()
	for {
		if !r.stopping {
			r.dispatch(wctx)
		}
		if r.active == 0 && (r.pending == 0 || r.stopping) {
			break
		}
		var timerC <-chan time.Time
		if len(r.timers) > 0 && !r.stopping {
			timer.Reset(time.Until(r.timers[0].at))
			timerC = timer.C
		}
		select {
		case m := <-r.msgs:
			r.handle(wctx, m)
		case <-timerC:
			r.fireTimers()
		case <-done:
			r.stopping = true
			done = nil
		}
		timer.Stop()
	}
	res := r.result()
	switch {
	case r.fatal != nil:
		return res, fmt.Errorf("fleet: run %s stopped, recording a copy's state failed (fix the store, then run again to resume): %w", r.info.ID, r.fatal)
	case r.pending > 0 && ctx.Err() != nil:
		return res, fmt.Errorf("fleet: run %s stopped with %d of %d copies not finished (run again with the same store to resume): %w", r.info.ID, r.pending, len(r.items), ctx.Err())
	}
	return res, nil
}

func (r *runner) result() *Result {
	res := &Result{Run: r.info, Copies: make([]CopyResult, len(r.items))}
	for i := range r.items {
		it := &r.items[i]
		res.Copies[i] = CopyResult{Key: it.rec.Key, Cloud: it.rec.Cloud, Group: it.g.name, State: it.rec.State, Name: it.rec.Operation, Result: it.rec.Result, Attempts: it.rec.Attempts, Err: it.err}
		res.Totals.add(it.rec.State, 1)
	}
	return res
}

// kick marks g to be looked at by the next dispatch.
func (r *runner) kick(g *group) {
	if !g.inReady {
		g.inReady = true
		r.ready = append(r.ready, g)
	}
}

// dispatch starts what the ready groups allow.
func (r *runner) dispatch(ctx context.Context) {
	if len(r.ready) == 0 {
		return
	}
	now := time.Now()
	for len(r.ready) > 0 {
		g := r.ready[len(r.ready)-1]
		r.ready = r.ready[:len(r.ready)-1]
		g.inReady = false
		if g.qlen() == 0 {
			continue
		}
		if now.Before(g.notBefore) {
			if !g.timerAt.Equal(g.notBefore) {
				g.timerAt = g.notBefore
				heap.Push(&r.timers, timerEntry{at: g.notBefore, g: g})
			}
			continue
		}
		for g.inflight < g.cur && g.qlen() > 0 {
			r.launch(ctx, g.pop())
		}
	}
}

func (r *runner) launch(ctx context.Context, it *item) {
	it.g.inflight++
	r.active++
	go r.work(ctx, it, it.rec)
}

func (r *runner) fireTimers() {
	now := time.Now()
	for len(r.timers) > 0 && !r.timers[0].at.After(now) {
		e := heap.Pop(&r.timers).(timerEntry)
		if e.it != nil {
			e.it.g.queue = append(e.it.g.queue, e.it)
			r.kick(e.it.g)
			continue
		}
		if e.g.timerAt.Equal(e.at) {
			e.g.timerAt = time.Time{}
		}
		r.kick(e.g)
	}
}

// handle applies a worker's message.
func (r *runner) handle(ctx context.Context, m msg) {
	it, g := m.it, m.it.g
	it.rec = m.rec
	if m.err != nil {
		it.err = m.err
	}
	g.inflight--
	r.active--
	switch m.kind {
	case msgDone:
		it.err = nil
		r.pending--
		// Additive increase: one more once a limit's worth of copies
		// has finished since the limit last changed.
		g.streak = 0
		if g.okSince++; g.cur < g.max && g.okSince >= g.cur {
			g.setCur(g.cur + 1)
			g.okSince = 0
		}
		r.kick(g)
	case msgFailed:
		r.pending--
		r.kick(g)
	case msgStopped:
	case msgFatal:
		if r.fatal == nil {
			r.fatal = m.err
		}
		r.stopping = true
		r.cancel()
	case msgLimit:
		// The cloud refused the start: what is known to be in progress is
		// what fits (AtLimit); a throttled group halves.
		if m.throttled {
			g.setCur(max(1, g.cur/2))
		} else {
			g.setCur(max(1, min(g.cur-1, int(g.running.Load()))))
		}
		g.okSince = 0
		g.streak++
		delay := r.backoff(g.streak)
		g.notBefore = time.Now().Add(delay)
		g.pushFront(it)
		r.kick(g)
		r.emitMove(it, Starting, Queued, Event{Type: EventRetried, Key: it.rec.Key, Cloud: it.rec.Cloud, Group: g.name, Limit: g.cur, Percent: -1, Err: m.err, AtLimit: true, Delay: delay, Attempt: it.rec.Attempts})
	case msgRetry:
		it.tries++
		if it.tries >= r.opts.maxAttempts() {
			r.pending--
			it.err = fmt.Errorf("gave up after %s: %w", plural(it.tries, "failed attempt"), m.err)
			from := it.rec.State
			// The store keeps the copy Starting: a later run looks for it
			// before sending anything.
			it.rec.State = Failed
			r.emitMove(it, from, Failed, Event{Type: EventFailed, Key: it.rec.Key, Cloud: it.rec.Cloud, Group: g.name, Limit: g.cur, Percent: -1, Err: it.err, Attempt: it.rec.Attempts})
			r.kick(g)
			return
		}
		delay := r.backoff(it.tries)
		heap.Push(&r.timers, timerEntry{at: time.Now().Add(delay), it: it})
		r.emit(Event{Type: EventRetried, Key: it.rec.Key, Cloud: it.rec.Cloud, Group: g.name, Limit: g.cur, Percent: -1, Err: m.err, Delay: delay, Attempt: it.rec.Attempts})
		r.kick(g)
	}
}

// backoff returns the n-th delay (n >= 1): Backoff doubled n-1 times,
// capped at MaxBackoff, drawn from [d/2, d).
func (r *runner) backoff(n int) time.Duration {
	d, ceil := r.opts.backoff(), r.opts.maxBackoff()
	for i := 1; i < n && d < ceil; i++ {
		d *= 2
	}
	d = min(d, ceil)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func (r *runner) emit(ev Event) {
	r.emu.Lock()
	defer r.emu.Unlock()
	ev.Totals = r.totals
	if r.opts.OnEvent != nil {
		r.opts.OnEvent(ev)
	}
}

// emitMove counts a copy moving between states and sends ev (if its Type is
// not -1).
func (r *runner) emitMove(it *item, from, to State, ev Event) {
	r.emu.Lock()
	defer r.emu.Unlock()
	r.totals.add(from, -1)
	r.totals.add(to, 1)
	if ev.Type < 0 {
		return
	}
	ev.Totals = r.totals
	if r.opts.OnEvent != nil {
		r.opts.OnEvent(ev)
	}
}

const noEvent EventType = -1

// work runs one copy: finds or starts it, then waits for it. It reports to
// the scheduler with exactly one message.
func (r *runner) work(ctx context.Context, it *item, rec Record) {
	ad := it.c.Adapter
	g := it.g
	ev := func(t EventType) Event {
		return Event{Type: t, Key: rec.Key, Cloud: rec.Cloud, Group: g.name, Limit: int(g.curA.Load()), Name: rec.Operation, Percent: -1, Attempt: rec.Attempts}
	}
	send := func(kind msgKind, err error) { r.msgs <- msg{it: it, kind: kind, rec: rec, err: err} }
	att := Attempt{RunID: r.info.ID, Key: rec.Key, Token: rec.Token, Since: rec.Since}
	if rec.State == Running {
		e := ev(EventStarted)
		e.Resumed = true
		r.emit(e)
	}
	if rec.State == Starting {
		// An earlier attempt (or run) may have started the copy: look for
		// it before sending anything.
		name, err := ad.Find(ctx, att)
		if err != nil {
			r.startFailed(ctx, it, &rec, err, true)
			return
		}
		if name != "" {
			rec.State, rec.Operation, rec.Started, rec.Updated = Running, name, time.Now(), time.Now()
			if err := r.store.Put(&rec); err != nil {
				send(msgFatal, err)
				return
			}
			e := ev(EventStarted)
			e.Resumed = true
			r.emitMove(it, Starting, Running, e)
		}
	}
	if rec.State != Running {
		from := rec.State
		now := time.Now()
		rec.State, rec.Attempts, rec.Updated = Starting, rec.Attempts+1, now
		if rec.Since.IsZero() {
			rec.Since = now
			att.Since = now
		}
		if err := r.store.Put(&rec); err != nil {
			send(msgFatal, err)
			return
		}
		r.emitMove(it, from, Starting, Event{Type: noEvent})
		name, err := ad.Start(ctx, att)
		if err != nil {
			r.startFailed(ctx, it, &rec, err, false)
			return
		}
		rec.State, rec.Operation, rec.Error = Running, name, ""
		rec.Started, rec.Updated = time.Now(), time.Now()
		if err := r.store.Put(&rec); err != nil {
			send(msgFatal, err)
			return
		}
		r.emitMove(it, Starting, Running, ev(EventStarted))
	}

	g.running.Add(1)
	defer g.running.Add(-1)
	opts := make([]lro.WaitOption, 0, len(r.opts.WaitOptions)+1)
	opts = append(opts, r.opts.WaitOptions...)
	opts = append(opts, lro.WithProgress(func(p lro.Progress) {
		if p.Done {
			return
		}
		e := ev(EventProgress)
		e.Percent = p.Percent
		r.emit(e)
	}))
	tries := 0
	for {
		res, err := ad.Wait(ctx, rec.Operation, opts...)
		if err == nil {
			rec.State, rec.Result, rec.Error = Done, res, ""
			rec.Finished, rec.Updated = time.Now(), time.Now()
			if err := r.store.Put(&rec); err != nil {
				send(msgFatal, err)
				return
			}
			e := ev(EventDone)
			e.Result, e.Percent = res, 100
			r.emitMove(it, Running, Done, e)
			send(msgDone, nil)
			return
		}
		if ctx.Err() != nil {
			send(msgStopped, nil)
			return
		}
		if backupcopy.ClassOf(err) == backupcopy.GiveUp {
			rec.State, rec.Error = Failed, oneLine(err.Error())
			rec.Finished, rec.Updated = time.Now(), time.Now()
			if perr := r.store.Put(&rec); perr != nil {
				send(msgFatal, perr)
				return
			}
			e := ev(EventFailed)
			e.Err = err
			r.emitMove(it, Running, Failed, e)
			send(msgFailed, err)
			return
		}
		// The copy runs on in the cloud; following it failed (an outage).
		tries++
		if tries >= r.opts.maxAttempts() {
			// Reported failed here; the store keeps it Running, so a later
			// run follows it again.
			ferr := fmt.Errorf("following operation %s failed %d times: %w", rec.Operation, tries, err)
			e := ev(EventFailed)
			e.Err = ferr
			res := rec
			res.State = Failed
			r.emitMove(it, Running, Failed, e)
			r.msgs <- msg{it: it, kind: msgFailed, rec: res, err: ferr}
			return
		}
		delay := r.backoff(tries)
		e := ev(EventRetried)
		e.Err, e.Delay = err, delay
		r.emit(e)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			send(msgStopped, nil)
			return
		case <-t.C:
		}
	}
}

// startFailed decides on an error from Start or Find.
func (r *runner) startFailed(ctx context.Context, it *item, rec *Record, err error, fromFind bool) {
	send := func(kind msgKind, throttled bool) {
		r.msgs <- msg{it: it, kind: kind, rec: *rec, err: err, throttled: throttled}
	}
	kind := backupcopy.KindOf(err)
	if ctx.Err() != nil && (kind == backupcopy.Canceled || kind == backupcopy.KindUnknown || errors.Is(err, ctx.Err())) {
		// Stopped: the copy stays as recorded (Starting if a request may
		// have been sent), to be looked for when the run resumes.
		send(msgStopped, false)
		return
	}
	rec.Error, rec.Updated = oneLine(err.Error()), time.Now()
	switch {
	case (kind == backupcopy.AtLimit || kind == backupcopy.Throttled) && !fromFind:
		// The cloud refused the request: nothing started.
		rec.State = Queued
		if perr := r.store.Put(rec); perr != nil {
			r.msgs <- msg{it: it, kind: msgFatal, rec: *rec, err: perr}
			return
		}
		send(msgLimit, kind == backupcopy.Throttled)
	case kind.Class() == backupcopy.GiveUp:
		from := rec.State
		rec.State, rec.Finished = Failed, time.Now()
		if perr := r.store.Put(rec); perr != nil {
			r.msgs <- msg{it: it, kind: msgFatal, rec: *rec, err: perr}
			return
		}
		r.emitMove(it, from, Failed, Event{Type: EventFailed, Key: rec.Key, Cloud: rec.Cloud, Group: it.g.name, Limit: int(it.g.curA.Load()), Percent: -1, Err: err, Attempt: rec.Attempts})
		send(msgFailed, false)
	default:
		// Transient, outcome unknown or unclassified: the copy may have
		// started, so it stays Starting and the next attempt looks for it
		// first. A limit answer to Find is retried the same way.
		if perr := r.store.Put(rec); perr != nil {
			r.msgs <- msg{it: it, kind: msgFatal, rec: *rec, err: perr}
			return
		}
		send(msgRetry, false)
	}
}

// plural returns "1 thing" or "n things".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
