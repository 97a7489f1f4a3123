package temporal_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/fleet"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/lro"
	"github.com/backupcopy/backupcopy/temporal"
)

// cloud is a fake cloud for plans too large for the HTTP fakes: copies
// start at once, are idempotent by token, finish when waited on, and
// refuse to have more than limit in progress per group (an AtLimit answer).
type cloud struct {
	mu         sync.Mutex
	limit      int
	inProgress map[string]int
	high       map[string]int
	byToken    map[string]string
	made       map[string]int
	finished   map[string]bool
	refused    int
}

func newCloud(limit int) *cloud {
	return &cloud{limit: limit, inProgress: map[string]int{}, high: map[string]int{}, byToken: map[string]string{}, made: map[string]int{}, finished: map[string]bool{}}
}

type cloudCopy struct {
	c     *cloud
	key   string
	group string
}

func (f *cloudCopy) Cloud() string { return "fsx" }
func (f *cloudCopy) Limit() fleet.Limit {
	return fleet.Limit{Group: f.group, Max: 10, Source: "test"}
}
func (f *cloudCopy) Route() fleet.Route {
	return fleet.Route{Source: "src/" + f.key, Destination: f.group}
}
func (f *cloudCopy) Digest() string                  { return fleet.Digest(f.key) }
func (f *cloudCopy) Validate() error                 { return nil }
func (f *cloudCopy) Preflight(context.Context) error { return nil }

func (f *cloudCopy) Start(_ context.Context, a fleet.Attempt) (string, error) {
	c := f.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if name, ok := c.byToken[a.Token]; ok {
		return name, nil
	}
	if c.inProgress[f.group] >= c.limit {
		c.refused++
		return "", fleet.Errorf(backupcopy.AtLimit, "fake: %d copies in progress in %s", c.limit, f.group)
	}
	c.inProgress[f.group]++
	c.high[f.group] = max(c.high[f.group], c.inProgress[f.group])
	c.made[f.key]++
	name := "op-" + f.key
	c.byToken[a.Token] = name
	return name, nil
}

func (f *cloudCopy) Find(_ context.Context, a fleet.Attempt) (string, error) {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	return f.c.byToken[a.Token], nil
}

func (f *cloudCopy) Wait(_ context.Context, name string, _ ...lro.WaitOption) (string, error) {
	c := f.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.finished[name] {
		c.finished[name] = true
		c.inProgress[f.group]--
	}
	return "copy-" + f.key, nil
}

// fsxPlan returns a plan of n FSx copies (their requests as a real plan's).
func fsxPlan(n int) temporal.Plan {
	p := temporal.Plan{Name: "scale"}
	for i := range n {
		p.Copies = append(p.Copies, temporal.CopySpec{Key: fmt.Sprintf("fsx-%05d", i), Cloud: temporal.FSx,
			FSx: &fsx.CopyBackupRequest{SourceBackupID: fmt.Sprintf("backup-%017x", i), CopyTags: true}})
	}
	return p
}

// A 2,000-copy plan continues as new several times, carrying its state, and
// completes with every copy made once, its groups held to their limits, and
// the fake's limit answers retried with backoff (time skipping).
func TestRunPlanContinuesAsNew(t *testing.T) {
	const n = 2000
	c := newCloud(8)
	plan := fsxPlan(n)
	plan.Options.ContinueAfter = 500
	a := &temporal.Activities{Adapter: func(s temporal.CopySpec) (fleet.Adapter, error) {
		var i int
		fmt.Sscanf(s.Key, "fsx-%d", &i)
		return &cloudCopy{c: c, key: s.Key, group: fmt.Sprintf("fake/%d", i%4)}, nil
	}}
	// Compressed payloads, as a large plan would use.
	res, runs, _ := run(t, a, plan, func(env *testsuite.TestWorkflowEnvironment) { env.SetDataConverter(temporal.DataConverter()) })
	checkDone(t, res, n)
	if runs < 4 || res.Runs != runs {
		t.Errorf("%d runs (result says %d), want at least 4 with ContinueAfter 500", runs, res.Runs)
	}
	if len(c.made) != n {
		t.Errorf("%d copies made, want %d", len(c.made), n)
	}
	for key, m := range c.made {
		if m != 1 {
			t.Errorf("copy %s made %d times", key, m)
		}
	}
	for g, h := range c.high {
		if h > 8 {
			t.Errorf("group %s had %d copies in progress, the fake's limit is 8", g, h)
		}
	}
	if c.refused == 0 {
		t.Error("the fake never answered at its limit: the test proves nothing about limit answers")
	}
	for _, g := range res.Groups {
		if g.HighWater > g.Max {
			t.Errorf("group %s: %d in progress, limit %d", g.Group, g.HighWater, g.Max)
		}
	}
}

// A 10,000-copy plan fits in one workflow input (Temporal refuses payloads
// over 2 MB by default): in plain JSON on FSx, and compressed
// (DataConverter) on the clouds whose requests are longer.
func TestPlanPayloadSize(t *testing.T) {
	const limit = 2 << 20
	google := temporal.Plan{Name: "scale"}
	for i := range 10000 {
		google.Copies = append(google.Copies, temporal.CopySpec{Key: fmt.Sprintf("bigtable-%05d", i), Cloud: temporal.Bigtable, ExpireAfter: expireAfter,
			Bigtable: &bigtable.CopyBackupRequest{Parent: fmt.Sprintf("projects/acme-prod-%d/instances/orders-dr/clusters/orders-dr-c%d", i%7, i%3),
				BackupID: fmt.Sprintf("nightly-%05d-dr", i), SourceBackup: fmt.Sprintf("projects/acme-prod-%d/instances/orders/clusters/orders-c1/backups/nightly-%05d", i%7, i)}})
	}
	for _, tc := range []struct {
		name  string
		plan  temporal.Plan
		dc    converter.DataConverter
		under bool
	}{
		{"fsx, plain JSON", fsxPlan(10000), converter.GetDefaultDataConverter(), true},
		{"bigtable, plain JSON", google, converter.GetDefaultDataConverter(), false},
		{"bigtable, compressed", google, temporal.DataConverter(), true},
	} {
		p, err := tc.dc.ToPayload(tc.plan)
		if err != nil {
			t.Fatal(err)
		}
		size := len(p.Data)
		t.Logf("%s: %d bytes (%d per copy)", tc.name, size, size/10000)
		if (size <= limit) != tc.under {
			t.Errorf("%s: %d bytes; under the 2 MB limit: %v, want %v", tc.name, size, size <= limit, tc.under)
		}
	}
}
