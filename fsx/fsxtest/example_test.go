package fsxtest_test

import (
	"context"
	"fmt"

	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/fsx/fsxtest"
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
