package fleet_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/fleet"
)

func fast(o fleet.Options) fleet.Options {
	o.Backoff = time.Millisecond
	o.MaxBackoff = 5 * time.Millisecond
	return o
}

// recorder collects events.
type recorder struct {
	mu     sync.Mutex
	events []fleet.Event
}

func (r *recorder) on(e fleet.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) count(t fleet.EventType) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if e.Type == t {
			n++
		}
	}
	return n
}

func mustAllDone(t *testing.T, res *fleet.Result, n int) {
	t.Helper()
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if res.Totals.Done != n || len(res.Copies) != n {
		t.Fatalf("totals %+v, %d results, want %d done", res.Totals, len(res.Copies), n)
	}
}

func TestRunMakesEveryCopyOnce(t *testing.T) {
	c := newCloud(2 * time.Millisecond)
	plan := simPlan(c, 30, 3, 4)
	rec := &recorder{}
	res, err := fleet.Run(context.Background(), plan, fast(fleet.Options{OnEvent: rec.on}))
	if err != nil {
		t.Fatal(err)
	}
	mustAllDone(t, res, 30)
	for i, cr := range res.Copies {
		if cr.Key != plan.Copies[i].Key || cr.Result != cr.Key+"/backup" || cr.Name != cr.Key+"/op" || cr.Attempts != 1 {
			t.Errorf("result %d: %+v", i, cr)
		}
	}
	if n, dup := c.made(); n != 30 || dup {
		t.Errorf("%d copies made (dup %v), want 30", n, dup)
	}
	for _, g := range []string{"g0", "g1", "g2"} {
		if m := c.most(g); m > 4 {
			t.Errorf("group %s had %d copies in progress at once, limit 4", g, m)
		}
	}
	if q, s, d := rec.count(fleet.EventQueued), rec.count(fleet.EventStarted), rec.count(fleet.EventDone); q != 30 || s != 30 || d != 30 {
		t.Errorf("events: %d queued, %d started, %d done; want 30 each", q, s, d)
	}
	last := rec.events[len(rec.events)-1]
	if last.Totals.Done != 30 || last.Totals.All() != 30 {
		t.Errorf("last event totals %+v", last.Totals)
	}
}

func TestLimitOverride(t *testing.T) {
	c := newCloud(2 * time.Millisecond)
	plan := simPlan(c, 12, 1, 5)
	res, err := fleet.Run(context.Background(), plan, fast(fleet.Options{Limits: map[string]int{"g0": 2}}))
	if err != nil {
		t.Fatal(err)
	}
	mustAllDone(t, res, 12)
	if m := c.most("g0"); m > 2 {
		t.Errorf("%d copies in progress at once, limit overridden to 2", m)
	}
}

// The cloud allows fewer copies than the runner's limit: the runner learns it
// from AtLimit answers, and the run still completes with no failure.
func TestAtLimitAnswersLowerTheGroupAndTheRunCompletes(t *testing.T) {
	c := newCloud(3 * time.Millisecond)
	c.limit["g0"] = 2
	plan := simPlan(c, 20, 1, 5)
	rec := &recorder{}
	res, err := fleet.Run(context.Background(), plan, fast(fleet.Options{OnEvent: rec.on}))
	if err != nil {
		t.Fatal(err)
	}
	mustAllDone(t, res, 20)
	_, _, atLimit := c.stats()
	if atLimit == 0 {
		t.Fatal("the cloud never answered AtLimit: the test did not test anything")
	}
	lowered := false
	for _, e := range rec.events {
		if e.Type == fleet.EventRetried {
			if !e.AtLimit || e.Delay <= 0 || backupcopy.KindOf(e.Err) != backupcopy.AtLimit {
				t.Errorf("retried event %+v", e)
			}
			if e.Limit <= 2 {
				lowered = true
			}
		}
	}
	if !lowered {
		t.Error("no retried event shows the group's limit lowered to 2 or less")
	}
	if n, dup := c.made(); n != 20 || dup {
		t.Errorf("%d copies made (dup %v), want 20", n, dup)
	}
}

func TestThrottledForAWhileSlowsTheGroup(t *testing.T) {
	c := newCloud(time.Millisecond)
	c.throttle = 6
	plan := simPlan(c, 10, 1, 4)
	rec := &recorder{}
	res, err := fleet.Run(context.Background(), plan, fast(fleet.Options{OnEvent: rec.on}))
	if err != nil {
		t.Fatal(err)
	}
	mustAllDone(t, res, 10)
	if n := rec.count(fleet.EventRetried); n != 6 {
		t.Errorf("%d retried events, want 6 (one per throttled answer)", n)
	}
	minLimit := 4
	for _, e := range rec.events {
		if e.Type == fleet.EventRetried {
			minLimit = min(minLimit, e.Limit)
		}
	}
	if minLimit != 1 {
		t.Errorf("the group's limit went down to %d, want 1 after six throttled answers", minLimit)
	}
}

func TestGiveUpFailsOneCopyOnly(t *testing.T) {
	c := newCloud(time.Millisecond)
	c.fail["copy-003"] = backupcopy.NotFound
	c.fail["copy-007"] = backupcopy.PermissionDenied
	plan := simPlan(c, 10, 2, 3)
	rec := &recorder{}
	res, err := fleet.Run(context.Background(), plan, fast(fleet.Options{OnEvent: rec.on}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Totals.Done != 8 || res.Totals.Failed != 2 {
		t.Fatalf("totals %+v, want 8 done, 2 failed", res.Totals)
	}
	for _, k := range []int{3, 7} {
		cr := res.Copies[k]
		if cr.State != fleet.Failed || backupcopy.ClassOf(cr.Err) != backupcopy.GiveUp || cr.Attempts != 1 {
			t.Errorf("copy %s: %+v", cr.Key, cr)
		}
	}
	msg := res.Err().Error()
	if !strings.Contains(msg, `"copy-003"`) || !strings.Contains(msg, `"copy-007"`) || strings.Contains(msg, "\n") {
		t.Errorf("Result.Err: %q", msg)
	}
	if n := rec.count(fleet.EventFailed); n != 2 {
		t.Errorf("%d failed events, want 2", n)
	}
}

// A start whose answer is lost is looked for before anything is sent again.
func TestOutcomeUnknownIsFoundNotSentAgain(t *testing.T) {
	c := newCloud(time.Millisecond)
	c.lose["copy-001"] = 1
	c.lose["copy-002"] = 1
	plan := simPlan(c, 4, 1, 4)
	res, err := fleet.Run(context.Background(), plan, fast(fleet.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	mustAllDone(t, res, 4)
	starts, finds, _ := c.stats()
	if starts != 4 || finds != 2 {
		t.Errorf("%d starts, %d finds; want 4 starts (one per copy) and 2 finds", starts, finds)
	}
	if n, dup := c.made(); n != 4 || dup {
		t.Errorf("%d copies made (dup %v), want 4", n, dup)
	}
}

func TestTransientStartsGiveUpAfterMaxAttempts(t *testing.T) {
	c := newCloud(time.Millisecond)
	c.fail["copy-000"] = backupcopy.Transient
	plan := simPlan(c, 2, 1, 2)
	res, err := fleet.Run(context.Background(), plan, fast(fleet.Options{MaxAttempts: 3}))
	if err != nil {
		t.Fatal(err)
	}
	cr := res.Copies[0]
	if cr.State != fleet.Failed || cr.Attempts != 3 || !strings.Contains(cr.Err.Error(), "gave up after 3") {
		t.Errorf("copy-000: %+v", cr)
	}
	if res.Copies[1].State != fleet.Done {
		t.Errorf("copy-001: %+v", res.Copies[1])
	}
}

func TestBadPlanStartsNothingAndNamesEveryBadCopy(t *testing.T) {
	c := newCloud(time.Millisecond)
	plan := simPlan(c, 6, 1, 2)
	plan.Copies[1].Key = plan.Copies[0].Key                                                                            // duplicate key
	plan.Copies[2].Adapter.(*simAdapter).invalid = true                                                                // invalid request
	plan.Copies[4].Adapter.(*simAdapter).source = "src/shared"                                                         // same source ...
	plan.Copies[5].Adapter.(*simAdapter).source = "src/shared"                                                         // ... to the same destination
	plan.Copies = append(plan.Copies, fleet.Copy{Key: "", Adapter: &simAdapter{cl: c, key: "x", group: "g0", max: 2}}) // no key
	_, err := fleet.Run(context.Background(), plan, fast(fleet.Options{}))
	var pe *fleet.PlanError
	if !errors.As(err, &pe) {
		t.Fatalf("err %v, want a *PlanError", err)
	}
	if len(pe.Problems) != 4 {
		t.Errorf("%d problems, want 4: %v", len(pe.Problems), err)
	}
	for _, want := range []string{`"copy-000": key used by copies #1 and #2`, `"copy-002": sim: the request is invalid`, `"copy-005": copies src/shared to dst0, as copy "copy-004"`, `"#7": the copy has no key`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "\n") || backupcopy.ClassOf(err) != backupcopy.GiveUp {
		t.Errorf("error %q: want one line of class give-up", err)
	}
	if starts, _, _ := c.stats(); starts != 0 {
		t.Errorf("%d copies started by a bad plan", starts)
	}
}

func TestPreflightFailureStartsNothing(t *testing.T) {
	c := newCloud(time.Millisecond)
	c.bad["copy-002"] = errSimPreflight
	c.bad["copy-005"] = errSimPreflight
	plan := simPlan(c, 8, 2, 2)
	_, err := fleet.Run(context.Background(), plan, fast(fleet.Options{}))
	var pe *fleet.PlanError
	if !errors.As(err, &pe) || len(pe.Problems) != 2 || pe.Problems[0].Key != "copy-002" || pe.Problems[1].Key != "copy-005" {
		t.Fatalf("err %v, want a *PlanError naming copy-002 and copy-005", err)
	}
	if !errors.Is(err, errSimPreflight) {
		t.Error("the PlanError does not unwrap to the preflight errors")
	}
	if starts, _, _ := c.stats(); starts != 0 {
		t.Errorf("%d copies started after a failed preflight", starts)
	}
	if err := fleet.Preflight(context.Background(), plan, fleet.Options{}); !errors.As(err, &pe) || len(pe.Problems) != 2 {
		t.Errorf("Preflight: %v", err)
	}
}

func TestCancelReturnsPromptlyAndTheSameStoreResumes(t *testing.T) {
	c := newCloud(time.Millisecond)
	c.gate = make(chan struct{})
	plan := simPlan(c, 20, 2, 3)
	store := fleet.NewMemoryStore()
	ctx, cancel := context.WithCancel(context.Background())
	started := 0
	res, err := fleet.Run(ctx, plan, fast(fleet.Options{Store: store, OnEvent: func(e fleet.Event) {
		if e.Type == fleet.EventStarted {
			if started++; started == 6 {
				cancel() // every slot is taken and no copy can finish: stop here
			}
		}
	}}))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if res.Totals.Running != 6 || res.Totals.Queued != 14 {
		t.Fatalf("totals after cancel %+v, want 6 running, 14 queued", res.Totals)
	}
	close(c.gate)
	rec := &recorder{}
	res, err = fleet.Run(context.Background(), plan, fast(fleet.Options{Store: store, OnEvent: rec.on}))
	if err != nil {
		t.Fatal(err)
	}
	mustAllDone(t, res, 20)
	if n, dup := c.made(); n != 20 || dup {
		t.Errorf("%d copies made (dup %v), want 20", n, dup)
	}
	resumed := 0
	for _, e := range rec.events {
		if e.Type == fleet.EventStarted && e.Resumed {
			resumed++
		}
	}
	if resumed != 6 {
		t.Errorf("%d copies resumed, want 6", resumed)
	}
	// A third run has nothing to do.
	starts, _, _ := c.stats()
	res, err = fleet.Run(context.Background(), plan, fast(fleet.Options{Store: store}))
	if err != nil || res.Totals.Done != 20 {
		t.Fatalf("third run: %v, %+v", err, res.Totals)
	}
	if s, _, _ := c.stats(); s != starts {
		t.Errorf("a finished run sent %d more starts", s-starts)
	}
}

// A copy recorded as starting is looked for, not sent blindly.
func TestStartingCopyIsReconciled(t *testing.T) {
	c := newCloud(time.Millisecond)
	plan := simPlan(c, 2, 1, 2)
	store := fleet.NewMemoryStore()
	run := fleet.RunInfo{ID: "run1", Plan: "sim", Created: time.Now()}
	var recs []fleet.Record
	for _, cp := range plan.Copies {
		recs = append(recs, fleet.Record{Key: cp.Key, Cloud: "sim", Digest: cp.Adapter.Digest(), State: fleet.Starting, Token: fleet.Token("run1", cp.Key), Attempts: 1, Since: time.Now()})
	}
	if err := store.Init(run, recs); err != nil {
		t.Fatal(err)
	}
	// copy-000's request reached the cloud before the crash; copy-001's did not.
	c.mu.Lock()
	c.make(plan.Copies[0].Adapter.(*simAdapter), fleet.Token("run1", "copy-000"))
	c.mu.Unlock()
	res, err := fleet.Run(context.Background(), plan, fast(fleet.Options{Store: store}))
	if err != nil {
		t.Fatal(err)
	}
	mustAllDone(t, res, 2)
	starts, finds, _ := c.stats()
	if starts != 1 || finds != 2 {
		t.Errorf("%d starts, %d finds; want 1 start (copy-001 only) and 2 finds", starts, finds)
	}
	if res.Copies[0].Attempts != 1 || res.Copies[1].Attempts != 2 {
		t.Errorf("attempts %d, %d; want 1, 2", res.Copies[0].Attempts, res.Copies[1].Attempts)
	}
	if n, dup := c.made(); n != 2 || dup {
		t.Errorf("%d copies made (dup %v), want 2", n, dup)
	}
}

func TestStateOfAnotherPlanOrAChangedPlanIsRefused(t *testing.T) {
	c := newCloud(time.Millisecond)
	plan := simPlan(c, 3, 1, 3)
	store := fleet.NewMemoryStore()
	if _, err := fleet.Run(context.Background(), plan, fast(fleet.Options{Store: store})); err != nil {
		t.Fatal(err)
	}
	before, _ := store.Load()
	other := plan
	other.Name = "other"
	changed := simPlan(c, 3, 1, 3)
	changed.Copies[1].Adapter.(*simAdapter).dest = "elsewhere"
	dropped := simPlan(c, 2, 1, 3)
	grown := simPlan(c, 4, 1, 3)
	for _, tc := range []struct {
		name string
		plan fleet.Plan
		want string
	}{
		{"other plan", other, `the state holds plan "sim"`},
		{"changed", changed, `the plan changed under key "copy-001"`},
		{"dropped", dropped, `recorded key "copy-002", which the plan no longer has`},
	} {
		_, err := fleet.Run(context.Background(), tc.plan, fast(fleet.Options{Store: store}))
		var se *fleet.StateError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err %v, want a one-line *StateError with %q", tc.name, err, tc.want)
		}
	}
	after, _ := store.Load()
	if len(after.Records) != len(before.Records) {
		t.Error("a refused plan changed the store")
	}
	res, err := fleet.Run(context.Background(), grown, fast(fleet.Options{Store: store}))
	if err != nil {
		t.Fatalf("a plan with a new key: %v", err)
	}
	mustAllDone(t, res, 4)
	if starts, _, _ := c.stats(); starts != 4 {
		t.Errorf("%d starts, want 4", starts)
	}
}

func TestToken(t *testing.T) {
	long := strings.Repeat("k", 80)
	seen := map[string]string{}
	for _, key := range []string{"a", "nightly-1", "with space", "ünï", long, long + "x", "h0123", "h0124", "x.y_z-1"} {
		tok := fleet.Token("0123456789abcdef", key)
		if tok != fleet.Token("0123456789abcdef", key) {
			t.Errorf("Token(%q) is not stable", key)
		}
		if len(tok) > fleet.MaxTokenLength || len(tok) == 0 {
			t.Errorf("Token(%q) = %q: %d characters", key, tok, len(tok))
		}
		for _, r := range tok {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
				t.Errorf("Token(%q) = %q has %q", key, tok, r)
			}
		}
		if k, dup := seen[tok]; dup {
			t.Errorf("keys %q and %q share token %q", k, key, tok)
		}
		seen[tok] = key
	}
	if fleet.Token("run-a", "k") == fleet.Token("run-b", "k") {
		t.Error("two runs share a token")
	}
	if got := fleet.Token(strings.Repeat("r", 40), "k"); len(got) > fleet.MaxTokenLength {
		t.Errorf("long run id: %q", got)
	}
}

// failingStore fails every Put after the first n.
type failingStore struct {
	*fleet.MemoryStore
	mu   sync.Mutex
	left int
}

var errDiskFull = errors.New("disk full")

func (s *failingStore) Put(r *fleet.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.left == 0 {
		return errDiskFull
	}
	s.left--
	return s.MemoryStore.Put(r)
}

// A store that cannot record stops the run at once, even with copies in
// progress, and no copy is started without its record.
func TestStoreFailureStopsTheRun(t *testing.T) {
	c := newCloud(time.Millisecond)
	c.gate = make(chan struct{}) // copies never finish during the test
	defer close(c.gate)
	plan := simPlan(c, 10, 1, 10)
	st := &failingStore{MemoryStore: fleet.NewMemoryStore(), left: 5}
	res, err := fleet.Run(context.Background(), plan, fast(fleet.Options{Store: st}))
	if !errors.Is(err, errDiskFull) || !strings.Contains(err.Error(), "run again to resume") {
		t.Fatalf("err %v, want the store's error", err)
	}
	if res == nil || res.Totals.Done != 0 {
		t.Fatalf("result %+v", res)
	}
	starts, _, _ := c.stats()
	snap, _ := st.Load()
	recorded := 0
	for _, r := range snap.Records {
		if r.State != fleet.Queued {
			recorded++
		}
	}
	if starts > recorded {
		t.Errorf("%d starts sent, only %d copies recorded as starting or running", starts, recorded)
	}
}

func TestLimitOverrideBelowOneIsABadPlan(t *testing.T) {
	c := newCloud(time.Millisecond)
	_, err := fleet.Run(context.Background(), simPlan(c, 2, 1, 2), fast(fleet.Options{Limits: map[string]int{"g0": 0}}))
	var pe *fleet.PlanError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), `"limit g0": limit 0 is below 1`) {
		t.Errorf("err %v, want a PlanError naming the limit", err)
	}
	if starts, _, _ := c.stats(); starts != 0 {
		t.Errorf("%d starts", starts)
	}
}
