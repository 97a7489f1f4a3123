package fleet_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/fleet"
	"github.com/backupcopy/backupcopy/fleet/journal"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/fsx/fsxtest"
	"github.com/backupcopy/backupcopy/lro"
)

// Seven FSx copies into one region, against fsxtest: the runner keeps at most
// five in progress (FSx's limit), so fsxtest refuses none.
func ExampleRun() {
	srv := fsxtest.NewServer()
	defer srv.Close()
	srv.SetOperationDuration(50 * time.Millisecond)
	ctx := context.Background()
	client, err := fsx.NewClient(ctx, fsx.WithEndpoint(srv.URL()), fsx.WithRegion(fsxtest.Region),
		fsx.WithCredentials(auth.StaticAWSCredentials(fsxtest.AccessKeyID, fsxtest.SecretAccessKey, "")))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	plan := fleet.Plan{Name: "example"}
	for i := range 7 {
		src := srv.AddBackup(fsx.Backup{BackupID: fmt.Sprintf("backup-%017x", 0xe0+i)})
		plan.Copies = append(plan.Copies, fleet.Copy{
			Key:     fmt.Sprintf("fs-%d", i),
			Adapter: &fsx.FleetCopy{Client: client, Request: fsx.CopyBackupRequest{SourceBackupID: src.BackupID}},
		})
	}
	res, err := fleet.Run(ctx, plan, fleet.Options{
		WaitOptions: []lro.WaitOption{lro.WithPollInterval(10*time.Millisecond, 20*time.Millisecond)},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range res.Copies {
		fmt.Println(c.Key, c.State, c.Group, c.Attempts)
	}
	fmt.Printf("%d done, %d CopyBackup requests\n", res.Totals.Done, srv.CountRequests("CopyBackup"))
	// Output:
	// fs-0 done fsx/us-east-1 1
	// fs-1 done fsx/us-east-1 1
	// fs-2 done fsx/us-east-1 1
	// fs-3 done fsx/us-east-1 1
	// fs-4 done fsx/us-east-1 1
	// fs-5 done fsx/us-east-1 1
	// fs-6 done fsx/us-east-1 1
	// 7 done, 7 CopyBackup requests
}

// A run stopped by its context leaves its state file; the same plan with the
// same file resumes, following the copies already started.
func ExampleRun_resume() {
	srv := fsxtest.NewServer()
	defer srv.Close()
	srv.SetOperationDuration(100 * time.Millisecond)
	client, err := fsx.NewClient(context.Background(), fsx.WithEndpoint(srv.URL()), fsx.WithRegion(fsxtest.Region),
		fsx.WithCredentials(auth.StaticAWSCredentials(fsxtest.AccessKeyID, fsxtest.SecretAccessKey, "")))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	plan := fleet.Plan{Name: "example"}
	for i := range 3 {
		src := srv.AddBackup(fsx.Backup{BackupID: fmt.Sprintf("backup-%017x", 0xf0+i)})
		plan.Copies = append(plan.Copies, fleet.Copy{Key: fmt.Sprintf("fs-%d", i),
			Adapter: &fsx.FleetCopy{Client: client, Request: fsx.CopyBackupRequest{SourceBackupID: src.BackupID}}})
	}
	dir, err := os.MkdirTemp("", "fleet-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	state := filepath.Join(dir, "run.state")
	wait := []lro.WaitOption{lro.WithPollInterval(10*time.Millisecond, 20*time.Millisecond)}

	// The first run stops once every copy has started (as Ctrl-C would).
	ctx, stop := context.WithCancel(context.Background())
	st, err := journal.Open(state)
	if err != nil {
		log.Fatal(err)
	}
	_, err = fleet.Run(ctx, plan, fleet.Options{Store: st, WaitOptions: wait, OnEvent: func(e fleet.Event) {
		if e.Type == fleet.EventStarted && e.Totals.Running == 3 {
			stop()
		}
	}})
	st.Close()
	fmt.Println("first run:", err != nil)

	// The second run follows the three copies to their end.
	st, err = journal.Open(state)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	res, err := fleet.Run(context.Background(), plan, fleet.Options{Store: st, WaitOptions: wait})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("second run: %d done, %d CopyBackup requests in all\n", res.Totals.Done, srv.CountRequests("CopyBackup"))
	// Output:
	// first run: true
	// second run: 3 done, 3 CopyBackup requests in all
}
