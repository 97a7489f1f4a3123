package sharedpoll

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/internal/clock"
)

// gateClock sleeps until the test opens the gate, and records each sleep.
type gateClock struct {
	gate   chan struct{}
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *gateClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *gateClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.mu.Unlock()
	select {
	case <-c.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return nil
}

func (b *Batcher[T]) queued(key string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if g := b.groups[key]; g != nil {
		return len(g.queue)
	}
	return 0
}

// The polls gathered in one window are answered by fetches of at most Max
// distinct ids, once per id even when asked twice; a poll whose context
// ended is not fetched; an id the fetch leaves out gets a transient error.
func TestBatcherGathersPolls(t *testing.T) {
	clk := &gateClock{gate: make(chan struct{})}
	var mu sync.Mutex
	var fetches [][]string
	b := New(Config[string]{Clock: clk, Window: time.Second, Max: 2, Fetch: func(_ context.Context, key string, ids []string) map[string]Result[string] {
		mu.Lock()
		fetches = append(fetches, slices.Clone(ids))
		mu.Unlock()
		out := map[string]Result[string]{}
		for _, id := range ids {
			if id != "lost" {
				out[id] = Result[string]{Value: key + "/" + id}
			}
		}
		return out
	}})
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	ids := []string{"a", "b", "a", "lost"}
	results := make([]string, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := b.Get(context.Background(), "g", id)
			results[i] = fmt.Sprintf("%s %v", v, err)
		}()
		for b.queued("g") != i+1 { // in the queue before the next
			time.Sleep(time.Millisecond)
		}
	}
	if _, err := b.Get(gone, "g", "never"); !errors.Is(err, context.Canceled) {
		t.Fatalf("ended context: %v", err)
	}
	close(clk.gate)
	wg.Wait()
	want := []string{"g/a <nil>", "g/b <nil>", "g/a <nil>", " " + ErrNoAnswer.Error()}
	if !slices.Equal(results, want) {
		t.Errorf("results %q, want %q", results, want)
	}
	slices.SortFunc(fetches, func(x, y []string) int { return slices.Compare(x, y) })
	if fmt.Sprint(fetches) != "[[a b] [lost]]" {
		t.Errorf("fetches %v, want [[a b] [lost]]", fetches)
	}
	if backupcopy.KindOf(ErrNoAnswer) != backupcopy.Transient {
		t.Errorf("ErrNoAnswer kind %v", backupcopy.KindOf(ErrNoAnswer))
	}
}

// A round comes no sooner than Gap after the previous one, or the shortest
// interval its polls were made at (WithInterval) if that is shorter.
func TestBatcherGap(t *testing.T) {
	for _, tc := range []struct {
		interval, want time.Duration
	}{{0, time.Second}, {time.Minute, time.Second}, {10 * time.Millisecond, 10 * time.Millisecond}} {
		clk := &gateClock{gate: make(chan struct{})}
		close(clk.gate)
		b := New(Config[int]{Clock: clk, Gap: time.Second, Fetch: func(_ context.Context, _ string, ids []string) map[string]Result[int] {
			return map[string]Result[int]{ids[0]: {Value: 1}}
		}})
		// Two rounds in a row: hold the group open by queueing the second
		// poll before the first round's goroutine drains it.
		b.mu.Lock()
		b.groups["g"] = &group[int]{last: clk.Now(), had: true, running: true}
		b.mu.Unlock()
		ctx := context.Background()
		if tc.interval > 0 {
			ctx = WithInterval(ctx, tc.interval)
		}
		done := make(chan struct{})
		go func() {
			b.Get(ctx, "g", "x")
			close(done)
		}()
		for b.queued("g") != 1 {
			time.Sleep(time.Millisecond)
		}
		go b.run("g", b.groups["g"])
		<-done
		clk.mu.Lock()
		sleeps := slices.Clone(clk.sleeps)
		clk.mu.Unlock()
		if len(sleeps) == 0 || sleeps[0] != tc.want {
			t.Errorf("interval %v: sleeps %v, want first %v", tc.interval, sleeps, tc.want)
		}
	}
}

// A watch is woken by a value its check accepts or by Absent, once, and not
// after stop; Watched lists the watched ids; the value that woke a wait
// answers its next poll.
func TestBatcherWatch(t *testing.T) {
	b := New(Config[int]{Fetch: func(context.Context, string, []string) map[string]Result[int] {
		t.Error("a fetch for a woken wait's poll")
		return nil
	}})
	woken := map[string]int{}
	var stops []func()
	for _, id := range []string{"a", "b", "c"} {
		stops = append(stops, b.Watch("g", id, func(v int) bool { return v == 100 }, func() { woken[id]++ }))
	}
	ids := b.Watched("g")
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"a", "b", "c"}) {
		t.Fatalf("watched %v", ids)
	}
	b.Seen("g", "a", 50)  // still running: no wake
	b.Seen("g", "a", 100) // finished
	b.Seen("g", "a", 100) // already woken and removed
	b.Absent("g", "b")
	stops[2]()
	b.Absent("g", "c")
	stops[0]()
	stops[1]()
	if woken["a"] != 1 || woken["b"] != 1 || woken["c"] != 0 {
		t.Errorf("woken %v, want a and b once", woken)
	}
	if ids := b.Watched("g"); len(ids) != 0 {
		t.Errorf("watched after stop: %v", ids)
	}
	// The value that woke a's wait answers its next poll without a round,
	// once; Absent (b) and a stopped watch (c) leave nothing to answer with.
	b.mu.Lock()
	ready := len(b.groups["g"].ready)
	b.mu.Unlock()
	if v, err := b.Get(context.Background(), "g", "a"); v != 100 || err != nil || ready != 1 {
		t.Errorf("poll of a woken wait: %v, %v (%d ready), want 100 without a fetch", v, err, ready)
	}
}

// Groups nothing waits on or watches are forgotten once there are many.
func TestBatcherForgetsIdleGroups(t *testing.T) {
	b := New(Config[int]{Fetch: func(_ context.Context, _ string, ids []string) map[string]Result[int] {
		return map[string]Result[int]{ids[0]: {Value: 1}}
	}})
	stop := b.Watch("watched", "x", nil, func() {})
	defer stop()
	for i := range 10 * minSweep {
		if _, err := b.Get(context.Background(), fmt.Sprint("backup-", i), "x"); err != nil {
			t.Fatal(err)
		}
	}
	b.mu.Lock()
	n, watched := len(b.groups), b.groups["watched"] != nil
	b.mu.Unlock()
	if n > 2*minSweep || !watched {
		t.Errorf("%d groups after %d one-off polls (watched group kept: %v)", n, 10*minSweep, watched)
	}
}

// A round comes no sooner than Gap times the requests the previous round's
// fetch made, counted as it makes them (Spent), even when the fetch reports
// its pages after the next round's wait has begun: a list of ten pages
// puts the next round ten seconds later.
func TestBatcherSpentSpacesRounds(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	firstDone := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	at := map[string]time.Duration{}
	var b *Batcher[int]
	clk.OnSleep = func(time.Duration) { // the fetch before ends during each sleep
		<-firstDone
		b.mu.Lock()
		f := b.groups["g"].fetching
		b.mu.Unlock()
		if f != nil {
			<-f.Done()
		}
	}
	b = New(Config[int]{Clock: clk, Gap: time.Second, Max: 1, Fetch: func(_ context.Context, key string, ids []string) map[string]Result[int] {
		b.mu.Lock()
		began := b.groups[key].last // the round's start (the fake clock may have moved on)
		b.mu.Unlock()
		mu.Lock()
		at[ids[0]] = began.Sub(time.Unix(0, 0))
		mu.Unlock()
		for range 10 { // ten pages
			b.Spent(key, 1)
		}
		once.Do(func() { close(firstDone) })
		return map[string]Result[int]{ids[0]: {Value: 1}}
	}})
	b.mu.Lock()
	b.groups["g"] = &group[int]{running: true}
	b.mu.Unlock()
	var wg sync.WaitGroup
	for i, id := range []string{"a", "b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := b.Get(context.Background(), "g", id); err != nil {
				t.Error(err)
			}
		}()
		for b.queued("g") != i+1 {
			time.Sleep(time.Millisecond)
		}
	}
	go b.run("g", b.groups["g"])
	wg.Wait()
	if at["a"] != 0 || at["b"] != 10*time.Second {
		t.Errorf("rounds at %v, want a at 0s and b at 10s", at)
	}
}

// When a group's polls name more ids than one fetch may, a round takes
// Max of them, those due first (queued at once here, so the shortest
// intervals first, a poll without one first of all), and leaves the rest
// for the next rounds.
func TestBatcherShortIntervalsFirst(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	var mu sync.Mutex
	var fetches [][]string
	var b *Batcher[int]
	clk.OnSleep = func(time.Duration) { // a round's fetch ends before the next round
		b.mu.Lock()
		f := b.groups["g"].fetching
		b.mu.Unlock()
		if f != nil {
			<-f.Done()
		}
	}
	b = New(Config[int]{Clock: clk, Gap: time.Second, Max: 2, Fetch: func(_ context.Context, _ string, ids []string) map[string]Result[int] {
		mu.Lock()
		fetches = append(fetches, slices.Clone(ids))
		mu.Unlock()
		out := map[string]Result[int]{}
		for _, id := range ids {
			out[id] = Result[int]{Value: 1}
		}
		return out
	}})
	b.mu.Lock()
	b.groups["g"] = &group[int]{running: true}
	b.mu.Unlock()
	var wg sync.WaitGroup
	polls := []struct {
		id       string
		interval time.Duration
	}{{"x", 30 * time.Second}, {"y", 5 * time.Second}, {"z", time.Second}, {"w", 0}}
	for i, p := range polls {
		ctx := context.Background()
		if p.interval > 0 {
			ctx = WithInterval(ctx, p.interval)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.Get(ctx, "g", p.id)
		}()
		for b.queued("g") != i+1 {
			time.Sleep(time.Millisecond)
		}
	}
	go b.run("g", b.groups["g"])
	wg.Wait()
	if fmt.Sprint(fetches) != "[[w z] [y x]]" {
		t.Errorf("fetches %v, want [[w z] [y x]]", fetches)
	}
}

// A poll due long ago goes before a newer one on a shorter interval: no
// poll waits in the queue much longer than its own interval.
func TestBatcherLongWaitingPollFirst(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	b := New(Config[int]{Clock: clk, Max: 1})
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	queue := []waiter[int]{
		{ctx: context.Background(), id: "new", interval: time.Second, due: clk.Now().Add(41 * time.Second)},
		{ctx: context.Background(), id: "old", interval: 30 * time.Second, due: clk.Now().Add(30 * time.Second)},
		{ctx: gone, id: "gone", due: clk.Now()},
	}
	batch, left := b.pick(queue)
	if len(batch) != 1 || batch[0].id != "old" || len(left) != 1 || left[0].id != "new" {
		t.Errorf("batch %v, left %v: want old first, new left, gone dropped", batch, left)
	}
}

// A group's next round waits for the fetch before it: the polls that came
// meanwhile share one round once it ends. A fetch that runs past
// StuckAfter (a hung request) no longer holds the next round back.
func TestBatcherOneFetchAtATime(t *testing.T) {
	for _, stuck := range []bool{false, true} {
		clk := &gateClock{gate: make(chan struct{})}
		release := make(chan struct{})
		var mu sync.Mutex
		var fetches [][]string
		fetched := make(chan struct{}, 3)
		b := New(Config[int]{Clock: clk, Fetch: func(_ context.Context, _ string, ids []string) map[string]Result[int] {
			mu.Lock()
			fetches = append(fetches, slices.Clone(ids))
			mu.Unlock()
			fetched <- struct{}{}
			if ids[0] == "a" {
				<-release
			}
			out := map[string]Result[int]{}
			for _, id := range ids {
				out[id] = Result[int]{Value: 1}
			}
			return out
		}})
		var wg sync.WaitGroup
		get := func(id string) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b.Get(context.Background(), "g", id)
			}()
		}
		get("a")
		<-fetched // a's fetch runs, and hangs
		get("b")
		get("c")
		for b.queued("g") != 2 {
			time.Sleep(time.Millisecond)
		}
		if stuck {
			close(clk.gate) // StuckAfter passes
			<-fetched       // b and c are read beside the hung fetch
			close(release)
		} else {
			time.Sleep(10 * time.Millisecond) // room for a wrong second fetch
			mu.Lock()
			early := len(fetches)
			mu.Unlock()
			if early != 1 {
				t.Errorf("%d fetches while the first runs, want 1", early)
			}
			close(release)
			<-fetched
		}
		wg.Wait()
		mu.Lock()
		got := fmt.Sprint(fetches)
		mu.Unlock()
		if got != "[[a] [b c]]" && got != "[[a] [c b]]" {
			t.Errorf("stuck %v: fetches %s, want [[a] [b c]]", stuck, got)
		}
	}
}
