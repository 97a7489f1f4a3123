package fsxtest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/fsx/fsxtest"
	"github.com/backupcopy/backupcopy/lro"
)

// InjectFault tests what the code under test does when the service fails.
// Here FSx throttles the first two CopyBackup calls: the client sends the
// same ClientRequestToken again each time, so exactly one copy is made.
func ExampleServer_InjectFault() {
	srv := fsxtest.NewServer(fsxtest.WithOperationDuration(0))
	defer srv.Close()
	src := srv.AddBackup(fsx.Backup{})
	if err := srv.InjectFault(fsxtest.Fault{Operation: "CopyBackup", Kind: fsxtest.Throttle, Times: 2}); err != nil {
		fmt.Println(err)
		return
	}

	ctx := context.Background()
	client, err := fsx.NewClient(ctx,
		fsx.WithEndpoint(srv.URL()),
		fsx.WithRegion(fsxtest.Region),
		fsx.WithCredentials(auth.StaticAWSCredentials(fsxtest.AccessKeyID, fsxtest.SecretAccessKey, "")))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	op, err := client.CopyBackup(ctx, &fsx.CopyBackupRequest{SourceBackupID: src.BackupID})
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := op.Wait(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(b.Lifecycle, b.SourceBackupID == src.BackupID)
	fmt.Println("copy calls:", srv.CountRequests("CopyBackup"), "copies:", len(srv.Copies(src.BackupID)))
	// Output:
	// AVAILABLE true
	// copy calls: 3 copies: 1
}

// WithOperationDurations and a shared lro.ScaledClock run hours of copying
// in a fraction of a second: here three copies of 10 minutes to 2 hours each
// on a clock that runs 100,000 times faster than the wall clock (2 h take
// 72 ms). The fake and the client read the same clock, so the client's poll
// schedule and the fake's copy progress stay in step. Requests are signed
// with the client's clock, so the fake skips signature checks, whose dates
// it compares with the wall clock.
func ExampleWithOperationDurations() {
	clk := lro.NewScaledClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 100_000)
	srv := fsxtest.NewServer(
		fsxtest.WithOperationDurations(10*time.Minute, 2*time.Hour, 1),
		fsxtest.WithoutAuthentication())
	defer srv.Close()
	srv.SetClock(clk.Now)
	src := srv.AddBackup(fsx.Backup{})

	ctx := context.Background()
	client, err := fsx.NewClient(ctx,
		fsx.WithEndpoint(srv.URL()),
		fsx.WithRegion(fsxtest.Region),
		fsx.WithCredentials(auth.StaticAWSCredentials(fsxtest.AccessKeyID, fsxtest.SecretAccessKey, "")),
		fsx.WithClock(clk))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	var ops []*fsx.CopyBackupOperation
	for range 3 {
		op, err := client.CopyBackup(ctx, &fsx.CopyBackupRequest{SourceBackupID: src.BackupID})
		if err != nil {
			fmt.Println(err)
			return
		}
		ops = append(ops, op)
	}
	start := clk.Now()
	for _, op := range ops {
		if _, err := op.Wait(ctx); err != nil {
			fmt.Println(err)
			return
		}
	}
	took := clk.Now().Sub(start)
	fmt.Println("copies:", len(srv.Copies(src.BackupID)), "simulated wait between 10 min and 2 h:", took >= 10*time.Minute && took < 2*time.Hour+5*time.Minute)
	// Output:
	// copies: 3 simulated wait between 10 min and 2 h: true
}
