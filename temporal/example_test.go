package temporal_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/fsx/fsxtest"
	"github.com/backupcopy/backupcopy/planfile"
	"github.com/backupcopy/backupcopy/temporal"
)

// Run a plan of three FSx copies in the SDK's test environment, against the
// FSx fake: a worker would register the same way (temporal.Register(w, ...)).
func ExampleRunPlan() {
	fake := fsxtest.NewServer(fsxtest.WithOperationDuration(10 * time.Millisecond))
	defer fake.Close()
	client, err := fsx.NewClient(context.Background(), fsx.WithEndpoint(fake.URL()), fsx.WithRegion(fsxtest.Region),
		fsx.WithCredentials(auth.StaticAWSCredentials(fsxtest.AccessKeyID, fsxtest.SecretAccessKey, "")))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	plan := temporal.Plan{Name: "nightly"}
	for i := range 3 {
		src := fake.AddBackup(fsx.Backup{BackupID: fmt.Sprintf("backup-%017x", 0xa0+i)}).BackupID
		plan.Copies = append(plan.Copies, temporal.CopySpec{Key: src, Cloud: temporal.FSx, FSx: &fsx.CopyBackupRequest{SourceBackupID: src}})
	}

	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestWorkflowEnvironment()
	temporal.Register(env, &temporal.Activities{Clients: planfile.Clients{FSx: client}})
	env.ExecuteWorkflow(temporal.WorkflowName, plan)

	var res temporal.Result
	if err := env.GetWorkflowResult(&res); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d done, %d failed; group %s, limit %d\n", res.Totals.Done, res.Totals.Failed, res.Groups[0].Group, res.Groups[0].Max)
	fmt.Println(len(fake.Copies("backup-000000000000000a0")), "copy of backup-000000000000000a0")
	// Output:
	// 3 done, 0 failed; group fsx/us-east-1, limit 5
	// 1 copy of backup-000000000000000a0
}
