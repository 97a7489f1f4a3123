package temporal_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
	"golang.org/x/oauth2"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/bigtable/bigtabletest"
	"github.com/backupcopy/backupcopy/cbr"
	"github.com/backupcopy/backupcopy/cbr/cbrtest"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/fsx/fsxtest"
	"github.com/backupcopy/backupcopy/lro"
	"github.com/backupcopy/backupcopy/planfile"
	"github.com/backupcopy/backupcopy/spanner"
	"github.com/backupcopy/backupcopy/spanner/spannertest"
	"github.com/backupcopy/backupcopy/temporal"
)

// fakes are the four in-process fakes and clients of them.
type fakes struct {
	bigtable *bigtabletest.Server
	spanner  *spannertest.Server
	cbr      *cbrtest.Server
	fsx      *fsxtest.Server
	clients  planfile.Clients
	vault    string
}

// counts says how many copies of each kind a test plan has.
type counts struct{ bigtable, spannerCopy, spannerCreate, cbr, fsx int }

const expireAfter = 7 * 24 * time.Hour

// startFakes starts the four fakes with operations lasting d, and clients
// of them; they close when the test ends.
func startFakes(t *testing.T, d time.Duration) *fakes {
	t.Helper()
	f := &fakes{
		bigtable: bigtabletest.NewServer(bigtabletest.WithOperationDuration(d)),
		spanner:  spannertest.NewServer(spannertest.WithOperationDuration(d)),
		cbr:      cbrtest.NewServer(cbrtest.WithOperationDuration(d)),
		fsx:      fsxtest.NewServer(fsxtest.WithOperationDuration(d)),
	}
	t.Cleanup(func() { f.bigtable.Close(); f.spanner.Close(); f.cbr.Close(); f.fsx.Close() })
	ctx := context.Background()
	token := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "temporal-test"})
	var errs []error
	var err error
	f.clients.Bigtable, err = bigtable.NewClient(ctx, bigtable.WithEndpoint(f.bigtable.URL()), bigtable.WithTokenSource(token))
	errs = append(errs, err)
	f.clients.Spanner, err = spanner.NewClient(ctx, spanner.WithEndpoint(f.spanner.URL()), spanner.WithTokenSource(token))
	errs = append(errs, err)
	f.clients.CBR, err = cbr.NewClient(ctx, cbr.WithEndpoint(f.cbr.URL()), cbr.WithRegion(cbrtest.Region), cbr.WithProjectID(cbrtest.ProjectID), cbr.WithAKSK(cbrtest.AccessKey, cbrtest.SecretKey))
	errs = append(errs, err)
	f.clients.FSx, err = fsx.NewClient(ctx, fsx.WithEndpoint(f.fsx.URL()), fsx.WithRegion(fsxtest.Region), fsx.WithCredentials(auth.StaticAWSCredentials(fsxtest.AccessKeyID, fsxtest.SecretAccessKey, "")))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	f.vault = f.cbr.AddVault(cbrtest.Vault{Region: cbrtest.DestinationRegion}).ID
	return f
}

// seed adds the sources of a plan of n copies to the fakes and returns the
// plan.
func (f *fakes) seed(n counts) temporal.Plan {
	p := temporal.Plan{Name: "temporal-test"}
	clusters := []string{"projects/demo/instances/dr/clusters/dr-c1", "projects/demo/instances/dr/clusters/dr-c2"}
	for _, c := range clusters {
		f.bigtable.AddCluster(c)
	}
	for i := range n.bigtable {
		src := f.bigtable.AddBackup(bigtable.Backup{Name: fmt.Sprintf("projects/demo/instances/prod/clusters/prod-c1/backups/nightly-%02d", i),
			SourceTable: fmt.Sprintf("projects/demo/instances/prod/tables/t%02d", i), SizeBytes: 1 << 30}).Name
		p.Copies = append(p.Copies, temporal.CopySpec{Key: fmt.Sprintf("bigtable-%02d", i), Cloud: temporal.Bigtable, ExpireAfter: expireAfter,
			Bigtable: &bigtable.CopyBackupRequest{Parent: clusters[i%2], BackupID: fmt.Sprintf("nightly-%02d-dr", i), SourceBackup: src}})
	}
	instances := []string{"projects/demo/instances/dr-a", "projects/demo/instances/dr-b"}
	for _, in := range instances {
		f.spanner.AddInstance(in)
	}
	for i := range n.spannerCopy {
		src := f.spanner.AddBackup(spanner.Backup{Name: fmt.Sprintf("projects/demo/instances/orders/backups/nightly-%02d", i),
			Database: "projects/demo/instances/orders/databases/orders"}).Name
		p.Copies = append(p.Copies, temporal.CopySpec{Key: fmt.Sprintf("spanner-copy-%02d", i), Cloud: temporal.Spanner, ExpireAfter: expireAfter,
			Spanner: &spanner.CopyBackupRequest{Parent: instances[i%2], BackupID: fmt.Sprintf("nightly-%02d-dr", i), SourceBackup: src}})
	}
	if n.spannerCreate > 0 {
		f.spanner.AddInstance("projects/demo/instances/orders")
		f.spanner.AddDatabase("projects/demo/instances/orders/databases/ledger")
	}
	for i := range n.spannerCreate {
		p.Copies = append(p.Copies, temporal.CopySpec{Key: fmt.Sprintf("spanner-create-%02d", i), Cloud: temporal.SpannerCreate, ExpireAfter: expireAfter,
			SpannerCreate: &spanner.CreateBackupRequest{Parent: "projects/demo/instances/orders", BackupID: fmt.Sprintf("hourly-%02d", i),
				Database: "projects/demo/instances/orders/databases/ledger"}})
	}
	for i := range n.cbr {
		src := f.cbr.AddBackup(cbr.Backup{Name: fmt.Sprintf("ecs-web-%02d-daily", i), ResourceName: fmt.Sprintf("ecs-web-%02d", i), ResourceSize: 40}).ID
		p.Copies = append(p.Copies, temporal.CopySpec{Key: fmt.Sprintf("cbr-%02d", i), Cloud: temporal.CBR,
			CBR: &cbr.CopyBackupRequest{BackupID: src, DestinationProjectID: cbrtest.ProjectID, DestinationRegion: cbrtest.DestinationRegion, DestinationVaultID: f.vault}})
	}
	for i := range n.fsx {
		src := f.fsx.AddBackup(fsx.Backup{BackupID: fmt.Sprintf("backup-%017x", 0xf5000+i), SizeInBytes: 64 << 30}).BackupID
		p.Copies = append(p.Copies, temporal.CopySpec{Key: fmt.Sprintf("fsx-%02d", i), Cloud: temporal.FSx,
			FSx: &fsx.CopyBackupRequest{SourceBackupID: src, CopyTags: true}})
	}
	return p
}

// made counts the copies the fakes hold for each copy of plan.
func (f *fakes) made(p temporal.Plan) map[string]int {
	out := map[string]int{}
	reps := f.cbr.Replications()
	for _, c := range p.Copies {
		n := 0
		switch {
		case c.Bigtable != nil:
			if b, ok := f.bigtable.Backup(c.Bigtable.Parent + "/backups/" + c.Bigtable.BackupID); ok && b.SourceBackup == c.Bigtable.SourceBackup && b.State == bigtable.BackupReady {
				n++
			}
		case c.Spanner != nil:
			if b, ok := f.spanner.Backup(c.Spanner.Parent + "/backups/" + c.Spanner.BackupID); ok && b.State == spanner.BackupReady {
				n++
			}
		case c.SpannerCreate != nil:
			if b, ok := f.spanner.Backup(c.SpannerCreate.Parent + "/backups/" + c.SpannerCreate.BackupID); ok && b.State == spanner.BackupReady {
				n++
			}
		case c.CBR != nil:
			for _, r := range reps {
				if r.SourceBackupID == c.CBR.BackupID && r.Status != cbr.ReplicationFail {
					n++
				}
			}
		case c.FSx != nil:
			n = len(f.fsx.Copies(c.FSx.SourceBackupID))
		}
		out[c.Key] = n
	}
	return out
}

// activities returns the activities over the fakes' clients, polling often.
func (f *fakes) activities() *temporal.Activities {
	return &temporal.Activities{Clients: f.clients, WaitOptions: []lro.WaitOption{lro.WithPollInterval(10*time.Millisecond, 50*time.Millisecond)}}
}

// quietSuite is a test suite whose environments log nothing.
func newEnv(t *testing.T, a *temporal.Activities) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(logOut(), nil))))
	env := s.NewTestWorkflowEnvironment()
	env.SetTestTimeout(2 * time.Minute)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: "plan-" + t.Name()})
	temporal.Register(env, a)
	return env
}

// run runs plan to its end, following continue-as-new (the test
// environment ends a run there and returns its input): it returns the last
// run's result, the number of runs, and the last run's environment.
func run(t *testing.T, a *temporal.Activities, plan temporal.Plan, setup func(*testsuite.TestWorkflowEnvironment)) (temporal.Result, int, *testsuite.TestWorkflowEnvironment) {
	t.Helper()
	var now time.Time
	for runs := 1; ; runs++ {
		env := newEnv(t, a)
		if !now.IsZero() {
			env.SetStartTime(now) // the next run starts when the last ended
		}
		if setup != nil {
			setup(env)
		}
		env.ExecuteWorkflow(temporal.WorkflowName, plan)
		if !env.IsWorkflowCompleted() {
			t.Fatal("the workflow did not complete")
		}
		err := env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if errors.As(err, &can) {
			var next temporal.Plan
			// DataConverter decodes plain payloads too.
			if err := temporal.DataConverter().FromPayloads(can.Input, &next); err != nil {
				t.Fatalf("decode the continue-as-new input: %v", err)
			}
			if next.Carry == nil {
				t.Fatal("continued as new without carried state")
			}
			plan = next
			now = env.Now()
			continue
		}
		if err != nil {
			var p temporal.Progress
			if v, qerr := env.QueryWorkflow(temporal.ProgressQuery); qerr == nil && v.Get(&p) == nil {
				t.Logf("run %d ended with totals %+v, groups %+v", runs, p.Totals, p.Groups)
			}
			t.Fatalf("workflow: %v", err)
		}
		var res temporal.Result
		if err := env.GetWorkflowResult(&res); err != nil {
			t.Fatal(err)
		}
		return res, runs, env
	}
}

// exactlyOnce fails the test unless every copy of plan is made once.
func exactlyOnce(t *testing.T, f *fakes, plan temporal.Plan) {
	t.Helper()
	for key, n := range f.made(plan) {
		if n != 1 {
			t.Errorf("copy %s: the fakes hold %d copies, want 1", key, n)
		}
	}
}

func logOut() io.Writer {
	if os.Getenv("TEMPORAL_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}
