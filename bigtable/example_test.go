package bigtable_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/googleapis/gax-go/v2/apierror"
	"golang.org/x/oauth2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/backupcopy/backupcopy/bigtable"
	"github.com/backupcopy/backupcopy/bigtable/bigtabletest"
	"github.com/backupcopy/backupcopy/lro"
)

// Copy a backup to another cluster and wait for it, here against the
// in-process fake.
func ExampleClient_CopyBackup() {
	fake := bigtabletest.NewServer()
	defer fake.Close()
	fake.SetOperationDuration(100 * time.Millisecond)
	fake.AddBackup(bigtable.Backup{
		Name:        "projects/my-project/instances/prod/clusters/prod-c1/backups/nightly",
		SourceTable: "projects/my-project/instances/prod/tables/orders",
		SizeBytes:   1 << 30,
	})
	fake.AddCluster("projects/my-project/instances/prod/clusters/prod-c2")

	ctx := context.Background()
	client, err := bigtable.NewClient(ctx,
		bigtable.WithEndpoint(fake.URL()),
		bigtable.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "example"})))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	op, err := client.CopyBackup(ctx, &bigtable.CopyBackupRequest{
		Parent:       "projects/my-project/instances/prod/clusters/prod-c2",
		BackupID:     "nightly-copy",
		SourceBackup: "projects/my-project/instances/prod/clusters/prod-c1/backups/nightly",
		ExpireTime:   time.Now().Add(7 * 24 * time.Hour),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("copying into", op.Metadata().Name)
	backup, err := op.Wait(ctx, lro.WithPollInterval(20*time.Millisecond, 50*time.Millisecond))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(backup.Name, backup.State, backup.SizeBytes)
	fmt.Println("copy of", backup.SourceBackup)
	// Output:
	// copying into projects/my-project/instances/prod/clusters/prod-c2/backups/nightly-copy
	// projects/my-project/instances/prod/clusters/prod-c2/backups/nightly-copy READY 1073741824
	// copy of projects/my-project/instances/prod/clusters/prod-c1/backups/nightly
}

// newExampleClient returns a client pointed at the fake, as a test would
// build one.
func newExampleClient(ctx context.Context, fake *bigtabletest.Server) (*bigtable.Client, error) {
	return bigtable.NewClient(ctx,
		bigtable.WithEndpoint(fake.URL()),
		bigtable.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "example"})))
}

// Resume a copy by its name in a fresh client, as a job restarted after a
// crash would: one client starts the copy and saves op.Name(); another
// client, which knows nothing else, waits for it.
func ExampleClient_CopyBackupOperation() {
	fake := bigtabletest.NewServer()
	defer fake.Close()
	fake.SetOperationDuration(100 * time.Millisecond)
	fake.AddBackup(bigtable.Backup{Name: "projects/my-project/instances/prod/clusters/prod-c1/backups/nightly"})
	fake.AddCluster("projects/my-project/instances/prod/clusters/prod-c2")
	ctx := context.Background()

	// First process: start the copy and keep its name.
	first, err := newExampleClient(ctx, fake)
	if err != nil {
		fmt.Println(err)
		return
	}
	op, err := first.CopyBackup(ctx, &bigtable.CopyBackupRequest{
		Parent:       "projects/my-project/instances/prod/clusters/prod-c2",
		BackupID:     "nightly-copy",
		SourceBackup: "projects/my-project/instances/prod/clusters/prod-c1/backups/nightly",
		ExpireTime:   time.Now().Add(7 * 24 * time.Hour),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	saved := op.Name()
	first.Close()

	// Second process: a new client and the saved name are all it needs.
	second, err := newExampleClient(ctx, fake)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer second.Close()
	resumed := second.CopyBackupOperation(saved)
	fmt.Println("resuming", resumed.Name())
	fmt.Println("known before polling:", resumed.Done(), resumed.Progress().Percent)
	backup, err := resumed.Wait(ctx,
		lro.WithPollInterval(20*time.Millisecond, 50*time.Millisecond),
		lro.WithProgress(func(p lro.Progress) {
			if p.Done {
				fmt.Printf("done: %d%%\n", p.Percent)
			}
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(backup.Name, backup.State)
	// Output:
	// resuming operations/projects/my-project/instances/prod/clusters/prod-c2/backups/nightly-copy/operations/1001
	// known before polling: false -1
	// done: 100%
	// projects/my-project/instances/prod/clusters/prod-c2/backups/nightly-copy READY
}

// List every backup of an instance: the cluster id "-" stands for all its
// clusters, and the iterator fetches page after page as the loop needs them.
func ExampleClient_ListBackups() {
	fake := bigtabletest.NewServer()
	defer fake.Close()
	fake.SetPageSize(2) // three pages for five backups
	for _, name := range []string{
		"projects/my-project/instances/prod/clusters/prod-c1/backups/mon",
		"projects/my-project/instances/prod/clusters/prod-c1/backups/tue",
		"projects/my-project/instances/prod/clusters/prod-c1/backups/wed",
		"projects/my-project/instances/prod/clusters/prod-c2/backups/mon-copy",
		"projects/my-project/instances/test/clusters/test-c1/backups/other",
	} {
		fake.AddBackup(bigtable.Backup{Name: name, SizeBytes: 1 << 20})
	}
	ctx := context.Background()
	client, err := newExampleClient(ctx, fake)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	for b, err := range client.ListBackups(ctx, "projects/my-project/instances/prod/clusters/-") {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(b.Name, b.State)
	}
	fmt.Println("GET requests:", fake.CountRequests("ListBackups"))
	// Output:
	// projects/my-project/instances/prod/clusters/prod-c1/backups/mon READY
	// projects/my-project/instances/prod/clusters/prod-c1/backups/tue READY
	// projects/my-project/instances/prod/clusters/prod-c1/backups/wed READY
	// projects/my-project/instances/prod/clusters/prod-c2/backups/mon-copy READY
	// GET requests: 2
}

// A copy into a backup id that is taken fails with ALREADY_EXISTS. Read the
// canonical code with status.Code, and the rest of Google's error model
// (HTTP status, reason, details) with errors.As and *apierror.APIError.
func ExampleClient_CopyBackup_alreadyExists() {
	fake := bigtabletest.NewServer()
	defer fake.Close()
	fake.AddBackup(bigtable.Backup{Name: "projects/my-project/instances/prod/clusters/prod-c1/backups/nightly"})
	fake.AddBackup(bigtable.Backup{Name: "projects/my-project/instances/prod/clusters/prod-c2/backups/nightly-copy"})
	ctx := context.Background()
	client, err := newExampleClient(ctx, fake)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	_, err = client.CopyBackup(ctx, &bigtable.CopyBackupRequest{
		Parent:       "projects/my-project/instances/prod/clusters/prod-c2",
		BackupID:     "nightly-copy",
		SourceBackup: "projects/my-project/instances/prod/clusters/prod-c1/backups/nightly",
		ExpireTime:   time.Now().Add(7 * 24 * time.Hour),
	})
	switch status.Code(err) {
	case codes.OK:
		fmt.Println("copy started")
	case codes.AlreadyExists:
		fmt.Println("already exists: choose another BackupID or delete the old copy")
	default:
		fmt.Println("failed:", err)
	}
	var ae *apierror.APIError
	if errors.As(err, &ae) {
		// gax-go's own GRPCStatus maps the HTTP status (409 -> Aborted), as
		// for every Google REST client; status.Code(err) is the canonical code.
		fmt.Println("HTTP", ae.HTTPCode(), ae.GRPCStatus().Code(), status.Code(err))
	}
	var be *bigtable.Error
	if errors.As(err, &be) {
		fmt.Println(be.Operation, be.Message)
	}
	// Output:
	// already exists: choose another BackupID or delete the old copy
	// HTTP 409 Aborted AlreadyExists
	// CopyBackup Backup already exists: projects/my-project/instances/prod/clusters/prod-c2/backups/nightly-copy
}

// Cancel a running copy: the operation then ends with a CANCELLED error,
// and the service deletes the backup being made.
func ExampleCopyBackupOperation_Cancel() {
	fake := bigtabletest.NewServer()
	defer fake.Close()
	fake.SetOperationDuration(time.Hour)
	fake.AddBackup(bigtable.Backup{
		Name:        "projects/my-project/instances/prod/clusters/prod-c1/backups/nightly",
		SourceTable: "projects/my-project/instances/prod/tables/orders",
	})
	fake.AddCluster("projects/my-project/instances/prod/clusters/prod-c2")
	ctx := context.Background()
	client, err := newExampleClient(ctx, fake)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	op, err := client.CopyBackup(ctx, &bigtable.CopyBackupRequest{
		Parent:       "projects/my-project/instances/prod/clusters/prod-c2",
		BackupID:     "nightly-copy",
		SourceBackup: "projects/my-project/instances/prod/clusters/prod-c1/backups/nightly",
		ExpireTime:   time.Now().Add(7 * 24 * time.Hour),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := op.Cancel(ctx); err != nil {
		fmt.Println(err)
		return
	}
	_, err = op.Wait(ctx, lro.WithPollInterval(10*time.Millisecond, 20*time.Millisecond))
	fmt.Println("wait:", status.Code(err))
	_, err = client.GetBackup(ctx, "projects/my-project/instances/prod/clusters/prod-c2/backups/nightly-copy")
	fmt.Println("backup:", status.Code(err))
	// Output:
	// wait: Canceled
	// backup: NotFound
}
