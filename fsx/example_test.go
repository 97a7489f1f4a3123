package fsx_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/smithy-go"

	"github.com/backupcopy/backupcopy"
	"github.com/backupcopy/backupcopy/auth"
	"github.com/backupcopy/backupcopy/fsx"
	"github.com/backupcopy/backupcopy/fsx/fsxtest"
	"github.com/backupcopy/backupcopy/lro"
)

// Copy a backup and wait until the copy is AVAILABLE, here against the
// in-process fake.
func Example() {
	srv := fsxtest.NewServer()
	defer srv.Close()
	srv.SetOperationDuration(300 * time.Millisecond)
	src := srv.AddBackupIn(fsxtest.SourceRegion, fsx.Backup{BackupID: "backup-0123456789abcdef0", SizeInBytes: 1 << 30})

	ctx := context.Background()
	client, err := fsx.NewClient(ctx,
		fsx.WithEndpoint(srv.URL()), // omit for https://fsx.{region}.amazonaws.com
		fsx.WithRegion(fsxtest.Region),
		fsx.WithCredentials(auth.StaticAWSCredentials(fsxtest.AccessKeyID, fsxtest.SecretAccessKey, "")))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	op, err := client.CopyBackup(ctx, &fsx.CopyBackupRequest{
		SourceBackupID: src.BackupID,
		SourceRegion:   fsxtest.SourceRegion,
		Tags:           []fsx.Tag{{Key: "purpose", Value: "disaster-recovery"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	last := -1
	b, err := op.Wait(ctx,
		lro.WithPollInterval(50*time.Millisecond, 100*time.Millisecond),
		lro.WithProgress(func(p lro.Progress) { last = p.Percent }))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("name is the new backup:", op.Name() == b.BackupID)
	fmt.Println("lifecycle:", b.Lifecycle, "progress:", last)
	fmt.Println("copied from:", b.SourceBackupID, "in", b.SourceBackupRegion)
	fmt.Println("tags:", b.Tags)
	// Output:
	// name is the new backup: true
	// lifecycle: AVAILABLE progress: 100
	// copied from: backup-0123456789abcdef0 in us-west-2
	// tags: [{purpose disaster-recovery}]
}

// API errors are typed and satisfy smithy.APIError.
func Example_errors() {
	srv := fsxtest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	client, err := fsx.NewClient(ctx, fsx.WithEndpoint(srv.URL()), fsx.WithRegion(fsxtest.Region),
		fsx.WithCredentials(auth.StaticAWSCredentials(fsxtest.AccessKeyID, fsxtest.SecretAccessKey, "")))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	_, err = client.CopyBackup(ctx, &fsx.CopyBackupRequest{SourceBackupID: "backup-00000000000000000"})
	var notFound *fsx.BackupNotFound
	fmt.Println("BackupNotFound:", errors.As(err, &notFound))
	var ae smithy.APIError
	if errors.As(err, &ae) {
		fmt.Println("code:", ae.ErrorCode(), "fault:", ae.ErrorFault())
	}
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		fmt.Println("operation:", oe.Operation(), "status:", notFound.StatusCode)
	}

	_, err = client.CopyBackup(ctx, &fsx.CopyBackupRequest{SourceBackupID: "snapshot-1"})
	var ve *backupcopy.ValidationError
	fmt.Println("validation:", errors.As(err, &ve), ve.Field)
	// Output:
	// BackupNotFound: true
	// code: BackupNotFound fault: client
	// operation: CopyBackup status: 400
	// validation: true CopyBackupRequest.SourceBackupID
}

// Resume waiting for a copy started earlier, by its backup id.
func ExampleClient_CopyBackupOperation() {
	srv := fsxtest.NewServer()
	defer srv.Close()
	srv.SetOperationDuration(200 * time.Millisecond)
	src := srv.AddBackup(fsx.Backup{})
	ctx := context.Background()
	client, err := fsx.NewClient(ctx, fsx.WithEndpoint(srv.URL()), fsx.WithRegion(fsxtest.Region),
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
	saved := op.Name() // store it; later, perhaps in another process:

	resumed := client.CopyBackupOperation(saved)
	b, err := resumed.Wait(ctx, lro.WithPollInterval(50*time.Millisecond, 100*time.Millisecond))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(b.Lifecycle, b.BackupID == saved)
	// Output: AVAILABLE true
}
