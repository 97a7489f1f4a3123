package fleetsuite_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/fleet"
	"github.com/backupcopy/backupcopy/fleet/journal"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/internal/faultproxy"
	"github.com/backupcopy/backupcopy/internal/fleetsuite"
	"github.com/backupcopy/backupcopy/lro"
	"github.com/backupcopy/backupcopy/spanner"
	"github.com/backupcopy/backupcopy/spanner/spannertest"
)

// quick makes the runner poll and back off fast against fakes whose
// operations last tens of milliseconds.
func quick(o fleet.Options) fleet.Options {
	o.WaitOptions = append(o.WaitOptions, lro.WithPollInterval(5*time.Millisecond, 20*time.Millisecond))
	o.Backoff, o.MaxBackoff = 5*time.Millisecond, 50*time.Millisecond
	return o
}

func setup(t *testing.T, n fleetsuite.Counts, d time.Duration) (*fleetsuite.Fakes, *fleetsuite.Clients) {
	t.Helper()
	f := fleetsuite.Start(n, d)
	t.Cleanup(f.Close)
	c, err := fleetsuite.NewClients(context.Background(), &f.Env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return f, c
}

func checkExactlyOnce(t *testing.T, f *fleetsuite.Fakes) {
	t.Helper()
	for key, n := range f.Made() {
		if n != 1 {
			t.Errorf("%s: %d copies in the fakes, want exactly 1", key, n)
		}
	}
}

func TestFortyCopiesOnFourClouds(t *testing.T) {
	f, c := setup(t, fleetsuite.Forty, 150*time.Millisecond)
	st, err := journal.Open(filepath.Join(t.TempDir(), "run.state"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var mu sync.Mutex
	progress := map[string]bool{} // clouds that reported a percent below 100
	res, err := fleet.Run(context.Background(), fleetsuite.Plan(&f.Env, c), quick(fleet.Options{Store: st, OnEvent: func(e fleet.Event) {
		if e.Type == fleet.EventProgress && e.Percent >= 0 && e.Percent < 100 {
			mu.Lock()
			progress[e.Cloud] = true
			mu.Unlock()
		}
	}}))
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	for _, cloud := range []string{"bigtable", "cbr", "fsx"} { // Spanner's fake may finish between two polls
		if !progress[cloud] {
			t.Errorf("no progress event from %s", cloud)
		}
	}
	if res.Totals.Done != 40 {
		t.Errorf("totals %+v", res.Totals)
	}
	checkExactlyOnce(t, f)
	for _, cr := range res.Copies {
		if cr.Result == "" || cr.Name == "" || cr.Attempts != 1 {
			t.Errorf("%s: %+v", cr.Key, cr)
		}
	}
	if n := f.CopyRequests(); n != 40 {
		t.Errorf("the fakes saw %d copy requests, want 40", n)
	}
}

// inProgress samples fsxtest's copies in progress while the run goes.
func watchFSx(f *fleetsuite.Fakes, stop <-chan struct{}) (most func() int) {
	var mu sync.Mutex
	peak := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			n := 0
			for _, b := range f.FSx.Backups() {
				if b.SourceBackupID != "" && b.Lifecycle != fsx.LifecycleAvailable && b.Lifecycle != fsx.LifecycleFailed {
					n++
				}
			}
			mu.Lock()
			peak = max(peak, n)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	return func() int { <-done; mu.Lock(); defer mu.Unlock(); return peak }
}

// Twelve FSx copies into one region never have six in progress at once:
// fsxtest refuses a sixth with ServiceLimitExceeded, and it saw exactly
// twelve CopyBackup requests, so none was refused.
func TestTwelveFSxCopiesStayWithinFive(t *testing.T) {
	f, c := setup(t, fleetsuite.Counts{FSx: 12}, 40*time.Millisecond)
	stop := make(chan struct{})
	most := watchFSx(f, stop)
	res, err := fleet.Run(context.Background(), fleetsuite.Plan(&f.Env, c), quick(fleet.Options{}))
	close(stop)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if n := f.FSx.CountRequests("CopyBackup"); n != 12 {
		t.Errorf("fsxtest saw %d CopyBackup requests, want 12 (a refused one means 6 were in progress)", n)
	}
	if m := most(); m > 5 || m < 2 {
		t.Errorf("at most %d copies were seen in progress at once, want 2..5", m)
	}
	checkExactlyOnce(t, f)
}

func TestBadPlansStartNothing(t *testing.T) {
	f, c := setup(t, fleetsuite.Counts{Bigtable: 3, SpannerCopy: 1, CBR: 2, FSx: 2}, 20*time.Millisecond)
	e := &f.Env
	// A source that is not READY, a copy of a copy, an FSx source that is
	// not AVAILABLE, a CBR replica.
	f.Bigtable.AddBackup(bigtable.Backup{Name: "projects/demo/instances/prod/clusters/prod-c1/backups/creating", State: bigtable.BackupCreating})
	f.Bigtable.AddBackup(bigtable.Backup{Name: "projects/demo/instances/prod/clusters/prod-c1/backups/a-copy", SourceBackup: e.BigtableSources[0]})
	pending := f.FSx.AddBackup(fsx.Backup{BackupID: "backup-00000000000abcdef", Lifecycle: fsx.LifecycleCreating})
	replica := f.CBR.AddBackup(cbr.Backup{Name: "replica", ImageType: cbr.ImageTypeReplication})

	base := fleetsuite.Plan(e, c)
	bt := func(key, src, id string) fleet.Copy {
		return fleet.Copy{Key: key, Adapter: &bigtable.FleetCopy{Client: c.Bigtable, ExpireAfter: 48 * time.Hour, Request: bigtable.CopyBackupRequest{Parent: e.BigtableClusters[0], BackupID: id, SourceBackup: src}}}
	}
	dup := base.Copies[0]
	badExpire := base.Copies[3] // the spanner copy, asking for a copy that outlives 366 days
	badExpire.Adapter = &spanner.FleetCopy{Client: c.Spanner, ExpireAfter: 400 * 24 * time.Hour, Request: badExpire.Adapter.(*spanner.FleetCopy).Request}
	tests := []struct {
		name  string
		add   []fleet.Copy
		wants []string
	}{
		{"duplicate key", []fleet.Copy{dup}, []string{`"bigtable-00": key used by copies #1 and #9`}},
		{"invalid request", []fleet.Copy{bt("bad-id", e.BigtableSources[1], "-starts-with-dash")}, []string{`"bad-id": bigtable: CopyBackup: invalid CopyBackupRequest.BackupID`}},
		{"same source twice", []fleet.Copy{bt("again", e.BigtableSources[0], "other-id")}, []string{`"again": copies ` + e.BigtableSources[0]}},
		{"not ready, copy of a copy, not available, replica, expire window", []fleet.Copy{
			bt("creating", "projects/demo/instances/prod/clusters/prod-c1/backups/creating", "c1"),
			bt("copy-of-copy", "projects/demo/instances/prod/clusters/prod-c1/backups/a-copy", "c2"),
			{Key: "fsx-pending", Adapter: &fsx.FleetCopy{Client: c.FSx, Request: fsx.CopyBackupRequest{SourceBackupID: pending.BackupID}}},
			{Key: "cbr-replica", Adapter: &cbr.FleetCopy{Client: c.CBR, Request: cbr.CopyBackupRequest{BackupID: replica.ID, DestinationProjectID: "0f1e2d3c4b5a69788796a5b4c3d2e1f0", DestinationRegion: "cn-east-3", DestinationVaultID: e.CBRVault}}},
		}, []string{`"creating": bigtable: source backup`, "not READY", `"copy-of-copy": bigtable: source backup`, "copying a copied backup is not allowed", `"fsx-pending": fsx: source backup`, "not AVAILABLE", `"cbr-replica": cbr: source backup`, "a replica cannot be replicated"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan := base
			plan.Copies = append(append([]fleet.Copy(nil), base.Copies...), tc.add...)
			_, err := fleet.Run(context.Background(), plan, quick(fleet.Options{}))
			var pe *fleet.PlanError
			if !errors.As(err, &pe) {
				t.Fatalf("err %v, want a *PlanError", err)
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			if n := f.CopyRequests(); n != 0 {
				t.Errorf("the fakes saw %d copy requests", n)
			}
		})
	}
	// The Spanner expiry window is checked against the source.
	plan := fleet.Plan{Name: "x", Copies: []fleet.Copy{badExpire}}
	if _, err := fleet.Run(context.Background(), plan, quick(fleet.Options{})); err == nil || !strings.Contains(err.Error(), "366 days") {
		t.Errorf("a Spanner copy expiring after 400 days: %v", err)
	}
	if n := f.CopyRequests(); n != 0 {
		t.Errorf("the fakes saw %d copy requests", n)
	}
}

// A fake that answers RESOURCE_EXHAUSTED (Spanner) or 429 (CBR, through a
// fault proxy) for a while slows its group down (the copies go back in the
// queue, the group's limit is lowered), and the run still completes with
// every copy made once.
func TestThrottlingSlowsTheGroupAndTheRunCompletes(t *testing.T) {
	f := fleetsuite.Start(fleetsuite.Counts{SpannerCopy: 6, CBR: 6}, 20*time.Millisecond)
	t.Cleanup(f.Close)
	f.Spanner.InjectFault(spannertest.Fault{Operation: "CopyBackup", Kind: spannertest.Throttle, Times: 30})
	proxy, err := faultproxy.New(f.Env.CBR)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	throttled := faultproxy.Fault{Kind: faultproxy.Status, Status: 429, Header: faultproxy.JSONHeader(), Body: faultproxy.HuaweiError("APIGW.0308", "The throttling threshold has been reached", "req-1")}
	faults := make([]faultproxy.Fault, 30)
	for i := range faults {
		faults[i] = throttled
	}
	proxy.Add(faultproxy.Rule{Match: faultproxy.PathSuffix("/replicate"), Faults: faults})
	env := f.Env
	env.CBR = proxy.URL()
	c, err := fleetsuite.NewClients(context.Background(), &env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)

	var mu sync.Mutex
	var retried []fleet.Event
	res, err := fleet.Run(context.Background(), fleetsuite.Plan(&env, c), quick(fleet.Options{OnEvent: func(e fleet.Event) {
		if e.Type == fleet.EventRetried {
			mu.Lock()
			retried = append(retried, e)
			mu.Unlock()
		}
	}}))
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	checkExactlyOnce(t, f)
	if len(retried) == 0 {
		t.Fatal("no copy was retried: the faults did not reach the runner")
	}
	seen := map[string]bool{}
	for _, e := range retried {
		if backupcopy.KindOf(e.Err) == backupcopy.KindUnknown {
			t.Errorf("retried event %s: %v is not classified", e.Key, e.Err)
		}
		if !e.AtLimit || e.Limit >= fleetsuite.DefaultLimit(e.Group) {
			t.Errorf("retried event %s in %s: AtLimit %v, limit %d: want a lowered limit", e.Key, e.Group, e.AtLimit, e.Limit)
		}
		seen[e.Cloud] = true
	}
	if !seen["spanner"] || !seen["cbr"] {
		t.Errorf("throttled clouds seen: %v, want spanner and cbr", seen)
	}
}

// Copies made outside the run fill FSx's limit: fsxtest allows 3 in progress
// while the runner's default is 5. The runner learns the lower limit from
// ServiceLimitExceeded answers; no ServiceLimitExceeded reaches the result.
func TestFSxLimitLearnedFromServiceLimitExceeded(t *testing.T) {
	f, c := setup(t, fleetsuite.Counts{FSx: 12}, 30*time.Millisecond)
	f.FSx.SetMaxInProgressCopies(3)
	var mu sync.Mutex
	var retried []fleet.Event
	opts := quick(fleet.Options{MaxAttempts: 100, OnEvent: func(e fleet.Event) {
		if e.Type == fleet.EventRetried {
			mu.Lock()
			retried = append(retried, e)
			mu.Unlock()
		}
	}})
	res, err := fleet.Run(context.Background(), fleetsuite.Plan(&f.Env, c), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	checkExactlyOnce(t, f)
	if len(retried) == 0 {
		t.Fatal("fsxtest never refused a copy: the test tested nothing")
	}
	lowest := fleetsuite.DefaultLimit("fsx/")
	for _, e := range retried {
		if backupcopy.KindOf(e.Err) != backupcopy.AtLimit || !e.AtLimit {
			t.Errorf("retried event %s: %v (kind %v, AtLimit %v), want an AtLimit answer", e.Key, e.Err, backupcopy.KindOf(e.Err), e.AtLimit)
		}
		if e.Limit >= fleetsuite.DefaultLimit(e.Group) {
			t.Errorf("retried event %s: limit %d: want the group's limit lowered", e.Key, e.Limit)
		}
		lowest = min(lowest, e.Limit)
	}
	if lowest > 3 {
		t.Errorf("the group's limit went down to %d, want 3 or less", lowest)
	}
	// The learned limit holds: the fake is asked again only when the limit
	// grows back after a limit's worth of copies has finished.
	if len(retried) > 6 {
		t.Errorf("%d refused starts for 12 copies: the runner did not learn the limit", len(retried))
	}
}

// A backup creation started outside the run holds the database (Spanner
// allows one pending creation per database): the run's creation on it is
// refused with FAILED_PRECONDITION, which is a limit, not a failure; the
// copy waits and is made once the outside creation ends.
func TestSpannerCreationPendingOutsideTheRunWaits(t *testing.T) {
	f, c := setup(t, fleetsuite.Counts{SpannerCreate: 1}, 200*time.Millisecond)
	db := f.Env.SpannerDatabases[0]
	if _, err := c.Spanner.CreateBackup(context.Background(), &spanner.CreateBackupRequest{
		Parent: "projects/demo/instances/orders", BackupID: "outside", Database: db, ExpireTime: time.Now().Add(48 * time.Hour),
	}); err != nil {
		t.Fatal(err)
	}
	var retried atomic.Int32
	opts := quick(fleet.Options{MaxAttempts: 100, OnEvent: func(e fleet.Event) {
		if e.Type == fleet.EventRetried {
			if k := backupcopy.KindOf(e.Err); k != backupcopy.AtLimit {
				t.Errorf("retried %s: kind %v (%v), want at-limit", e.Key, k, e.Err)
			}
			retried.Add(1)
		}
	}})
	res, err := fleet.Run(context.Background(), fleetsuite.Plan(&f.Env, c), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if retried.Load() == 0 {
		t.Fatal("the run's creation was never refused: the test tested nothing")
	}
	checkExactlyOnce(t, f)
}
